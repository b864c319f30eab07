"""Toolkit pages: every staff role reads toolkits; administrators make, edit and publish new
versions (issue 4 item 1). Thin views: fetch, a form, a ``reviews.toolkits`` call, a redirect
with a message. A refusal from the service (a published version, a clash of codes) is shown
to the user rather than raised."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Model
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qaf.scoping import can
from qaf.workflow import WorkflowError
from reviews import toolkits
from reviews.models import Domain, Question, Standard, Toolkit, ToolkitStatus
from reviews.queries import current_toolkit
from reviews.toolkit_forms import DomainForm, QuestionForm, StandardForm, ToolkitForm

FORM_TEMPLATE = "reviews/toolkits/form.html"
CONFIRM_TEMPLATE = "reviews/toolkits/confirm.html"


def _require(request: HttpRequest, action: str) -> None:
    if not can(request.user, action, "reviews.toolkit"):
        raise PermissionDenied("Your role does not allow this.")


def _get_for_user(request: HttpRequest, model: type[Model], pk: int, action: str, *related):
    """Toolkits are council-wide (no provider scope): the role check is the whole rule."""
    _require(request, action)
    return get_object_or_404(model.objects.select_related(*related), pk=pk)


def _anchor(toolkit: Toolkit, item: Model | None = None) -> str:
    url = toolkit.get_absolute_url()
    if item is None or isinstance(item, Toolkit):
        return url
    return f"{url}#{type(item).__name__.lower()}-{item.pk}"


def _refused(request: HttpRequest, exc: WorkflowError, toolkit: Toolkit) -> HttpResponse:
    messages.error(request, exc.reason)
    return redirect(toolkit.get_absolute_url())


def _not_a_draft(request: HttpRequest, toolkit: Toolkit) -> HttpResponse | None:
    """Answer a request to change a published or retired version before showing a form."""
    if toolkit.editable:
        return None
    messages.error(
        request,
        toolkits.IMMUTABLE.format(
            version=toolkit.version, status=toolkit.get_status_display().lower()
        ),
    )
    return redirect(toolkit.get_absolute_url())


def _form_page(
    request: HttpRequest,
    *,
    toolkit: Toolkit,
    form: ModelForm,
    save: Callable[[dict[str, Any]], Model],
    title: str,
    done: str,
    back: str,
    caption: str = "",
) -> HttpResponse:
    """GET: the form. POST: validate, ``save(cleaned_data)`` through a service, then go back
    to the toolkit with ``done`` as the message (``%s`` is what was saved)."""
    if refusal := _not_a_draft(request, toolkit):
        return refusal
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        except WorkflowError as exc:
            return _refused(request, exc, toolkit)
        else:
            messages.success(request, done % saved)
            return redirect(_anchor(toolkit, saved))
    return render(
        request,
        FORM_TEMPLATE,
        {
            "form": form,
            "toolkit": toolkit,
            "title": title,
            "caption": caption or str(toolkit),
            "back_url": back,
        },
    )


def _confirm_page(
    request: HttpRequest,
    *,
    toolkit: Toolkit,
    act: Callable[[], object],
    done: str,
    after: str,
    title: str,
    body: list[str],
    button: str,
    back: str,
) -> HttpResponse:
    """GET: "Are you sure?" with a warning button. POST: ``act()`` through a service, then
    ``after`` with ``done`` as the message."""
    if refusal := _not_a_draft(request, toolkit):
        return refusal
    if request.method == "POST":
        try:
            act()
        except WorkflowError as exc:
            return _refused(request, exc, toolkit)
        messages.success(request, done)
        return redirect(after)
    return render(
        request,
        CONFIRM_TEMPLATE,
        {"toolkit": toolkit, "title": title, "body": body, "button": button, "back_url": back},
    )


def _move_page(
    request: HttpRequest, toolkit: Toolkit, item: Model, move: Callable[..., None]
) -> HttpResponse:
    """POST direction=up|down: ``move(direction=...)``, back to the item (no message: the
    item is where the reader left it, one place up or down)."""
    direction = request.POST.get("direction")
    if direction not in {"up", "down"}:
        return HttpResponseBadRequest("Say up or down.")
    try:
        move(direction=direction)
    except WorkflowError as exc:
        return _refused(request, exc, toolkit)
    return redirect(_anchor(toolkit, item))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _posted(request: HttpRequest):
    """The submitted data, or None for a GET (an empty POST still gets its errors)."""
    return request.POST if request.method == "POST" else None


# --- Toolkits ---------------------------------------------------------------------------


@login_required
def toolkit_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    rows = (
        Toolkit.objects.select_related("based_on", "created_by")
        .annotate(
            standard_count=Count("domains__standards", distinct=True),
            question_count=Count("domains__standards__questions", distinct=True),
        )
        .order_by("name", "-version")
    )
    return render(
        request,
        "reviews/toolkits/list.html",
        {
            "toolkits": rows,
            "current": current_toolkit(),
            "can_change": can(request.user, "change", "reviews.toolkit"),
        },
    )


@login_required
def toolkit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    toolkit = _get_for_user(request, Toolkit, pk, "view", "based_on", "created_by", "published_by")
    domains = list(toolkit.domains.prefetch_related("standards__questions"))
    standards = [s for d in domains for s in d.standards.all()]
    can_change = can(request.user, "change", "reviews.toolkit")
    draft = None
    if can_change and not toolkit.editable:
        draft = Toolkit.objects.filter(name=toolkit.name, status=ToolkitStatus.DRAFT).first()
    return render(
        request,
        "reviews/toolkits/detail.html",
        {
            "toolkit": toolkit,
            "domains": domains,
            "standard_count": len(standards),
            "question_count": sum(len(s.questions.all()) for s in standards),
            "can_change": can_change,
            "editing": can_change and toolkit.editable,
            "draft": draft,
        },
    )


@login_required
@require_POST
def toolkit_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    toolkit = _get_for_user(request, Toolkit, pk, "change")
    try:
        draft = toolkits.new_version(toolkit, actor=request.user)
    except WorkflowError as exc:
        return _refused(request, exc, toolkit)
    messages.success(
        request,
        f"Version {draft.version} is a draft copy of version {toolkit.version}. Change it "
        "here, then publish it.",
    )
    return redirect(draft.get_absolute_url())


@login_required
def toolkit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    toolkit = _get_for_user(request, Toolkit, pk, "change")
    return _form_page(
        request,
        toolkit=toolkit,
        form=ToolkitForm(_posted(request), instance=toolkit),
        save=lambda data: toolkits.edit_toolkit(toolkit, actor=request.user, **data),
        title="Change the description",
        done="Description of %s saved.",
        back=toolkit.get_absolute_url(),
    )


@login_required
def toolkit_publish(request: HttpRequest, pk: int) -> HttpResponse:
    toolkit = _get_for_user(request, Toolkit, pk, "change")
    if refusal := _not_a_draft(request, toolkit):
        return refusal
    if request.method == "POST":
        try:
            toolkits.publish(toolkit, actor=request.user)
        except WorkflowError as exc:
            return _refused(request, exc, toolkit)
        messages.success(
            request,
            f"Version {toolkit.version} is published. Reviews planned from now on use it.",
        )
        return redirect(toolkit.get_absolute_url())
    problems = toolkits.publish_problems(toolkit)
    return render(
        request,
        "reviews/toolkits/publish.html",
        {
            "toolkit": toolkit,
            "problems": problems,
            "replaces": Toolkit.objects.filter(
                name=toolkit.name, status=ToolkitStatus.PUBLISHED
            ).first(),
        },
    )


@login_required
def toolkit_discard(request: HttpRequest, pk: int) -> HttpResponse:
    toolkit = _get_for_user(request, Toolkit, pk, "change")
    return _confirm_page(
        request,
        toolkit=toolkit,
        act=lambda: toolkits.discard_draft(toolkit, actor=request.user),
        done=f"The draft version {toolkit.version} has been discarded.",
        after=reverse("reviews:toolkit_list"),
        title=f"Discard draft version {toolkit.version}?",
        body=["Everything in this draft is deleted. Published versions are not affected."],
        button="Discard the draft",
        back=toolkit.get_absolute_url(),
    )


# --- Domains ----------------------------------------------------------------------------


@login_required
def domain_add(request: HttpRequest, pk: int) -> HttpResponse:
    toolkit = _get_for_user(request, Toolkit, pk, "change")
    return _form_page(
        request,
        toolkit=toolkit,
        form=DomainForm(_posted(request)),
        save=lambda data: toolkits.add_domain(toolkit, actor=request.user, **data),
        title="Add a domain",
        done="Domain “%s” added.",
        back=toolkit.get_absolute_url(),
    )


@login_required
def domain_edit(request: HttpRequest, pk: int) -> HttpResponse:
    domain = _get_for_user(request, Domain, pk, "change", "toolkit")
    return _form_page(
        request,
        toolkit=domain.toolkit,
        form=DomainForm(_posted(request), instance=domain),
        save=lambda data: toolkits.edit_domain(domain, actor=request.user, **data),
        title=f"Change the domain “{domain.title}”",
        done="Domain “%s” saved.",
        back=_anchor(domain.toolkit, domain),
    )


@login_required
def domain_delete(request: HttpRequest, pk: int) -> HttpResponse:
    domain = _get_for_user(request, Domain, pk, "change", "toolkit")
    toolkit = domain.toolkit
    standards = domain.standards.count()
    return _confirm_page(
        request,
        toolkit=toolkit,
        act=lambda: toolkits.delete_domain(domain, actor=request.user),
        done=f"Domain “{domain.title}” removed.",
        after=toolkit.get_absolute_url(),
        title=f"Remove the domain “{domain.title}”?",
        body=[f"Its {_count(standards, 'standard')} and their questions are removed with it."],
        button="Remove the domain",
        back=_anchor(toolkit, domain),
    )


@login_required
@require_POST
def domain_move(request: HttpRequest, pk: int) -> HttpResponse:
    domain = _get_for_user(request, Domain, pk, "change", "toolkit")
    return _move_page(
        request,
        domain.toolkit,
        domain,
        lambda **kw: toolkits.move_domain(domain, actor=request.user, **kw),
    )


# --- Standards --------------------------------------------------------------------------


@login_required
def standard_add(request: HttpRequest, pk: int) -> HttpResponse:
    domain = _get_for_user(request, Domain, pk, "change", "toolkit")
    return _form_page(
        request,
        toolkit=domain.toolkit,
        form=StandardForm(_posted(request)),
        save=lambda data: toolkits.add_standard(domain, actor=request.user, **data),
        title=f"Add a standard to “{domain.title}”",
        done="Standard %s added.",
        back=_anchor(domain.toolkit, domain),
    )


@login_required
def standard_edit(request: HttpRequest, pk: int) -> HttpResponse:
    standard = _get_for_user(request, Standard, pk, "change", "domain__toolkit")
    return _form_page(
        request,
        toolkit=standard.domain.toolkit,
        form=StandardForm(_posted(request), instance=standard),
        save=lambda data: toolkits.edit_standard(standard, actor=request.user, **data),
        title=f"Change standard {standard.code}",
        done="Standard %s saved.",
        back=_anchor(standard.domain.toolkit, standard),
        caption=f"{standard.domain.toolkit} – {standard.domain.title}",
    )


@login_required
def standard_delete(request: HttpRequest, pk: int) -> HttpResponse:
    standard = _get_for_user(request, Standard, pk, "change", "domain__toolkit")
    toolkit = standard.domain.toolkit
    questions = standard.questions.count()
    return _confirm_page(
        request,
        toolkit=toolkit,
        act=lambda: toolkits.delete_standard(standard, actor=request.user),
        done=f"Standard {standard} removed.",
        after=_anchor(toolkit, standard.domain),
        title=f"Remove standard {standard.code}?",
        body=[
            f"{standard.code} {standard.title}",
            f"Its {_count(questions, 'question')} {'is' if questions == 1 else 'are'} removed "
            "with it.",
        ],
        button="Remove the standard",
        back=_anchor(toolkit, standard),
    )


@login_required
@require_POST
def standard_move(request: HttpRequest, pk: int) -> HttpResponse:
    standard = _get_for_user(request, Standard, pk, "change", "domain__toolkit")
    return _move_page(
        request,
        standard.domain.toolkit,
        standard,
        lambda **kw: toolkits.move_standard(standard, actor=request.user, **kw),
    )


# --- Questions --------------------------------------------------------------------------


@login_required
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    standard = _get_for_user(request, Standard, pk, "change", "domain__toolkit")
    return _form_page(
        request,
        toolkit=standard.domain.toolkit,
        form=QuestionForm(_posted(request)),
        save=lambda data: toolkits.add_question(standard, actor=request.user, **data),
        title=f"Add a question to {standard.code}",
        done="Question added: %s",
        back=_anchor(standard.domain.toolkit, standard),
        caption=f"{standard.code} {standard.title}",
    )


@login_required
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = _get_for_user(request, Question, pk, "change", "standard__domain__toolkit")
    standard = question.standard
    return _form_page(
        request,
        toolkit=standard.domain.toolkit,
        form=QuestionForm(_posted(request), instance=question),
        save=lambda data: toolkits.edit_question(question, actor=request.user, **data),
        title="Change the question",
        done="Question saved: %s",
        back=_anchor(standard.domain.toolkit, question),
        caption=f"{standard.code} {standard.title}",
    )


@login_required
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = _get_for_user(request, Question, pk, "change", "standard__domain__toolkit")
    toolkit = question.standard.domain.toolkit
    return _confirm_page(
        request,
        toolkit=toolkit,
        act=lambda: toolkits.delete_question(question, actor=request.user),
        done=f"Question removed from {question.standard.code}.",
        after=_anchor(toolkit, question.standard),
        title=f"Remove this question from {question.standard.code}?",
        body=[question.text],
        button="Remove the question",
        back=_anchor(toolkit, question),
    )


@login_required
@require_POST
def question_move(request: HttpRequest, pk: int) -> HttpResponse:
    question = _get_for_user(request, Question, pk, "change", "standard__domain__toolkit")
    return _move_page(
        request,
        question.standard.domain.toolkit,
        question,
        lambda **kw: toolkits.move_question(question, actor=request.user, **kw),
    )
