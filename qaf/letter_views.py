"""The letters' pages (qaf.letters): every staff role reads the texts; the administrator edits
them, sees a preview with the sample values (as a page, and as a PDF) and saves a new version.

The edit is one URL in three steps, each a POST of the same fields: "Preview" (the default:
the checked text as the letter will read), "Change it" (back to the form with the text) and
"Save as version N". Nothing is stored before the last.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from qaf import letters
from qaf.concurrency import StaleEdit
from qaf.forms import add_model_errors
from qaf.letter_forms import LetterForm
from qaf.scoping import can

MODEL = "qaf.lettertemplate"


def _letter_for(request: HttpRequest, key: str, action: str) -> letters.Letter:
    """Letters are council-wide (no provider scope): the role check is the whole rule."""
    if not can(request.user, action, MODEL):
        raise PermissionDenied("Your role does not allow this.")
    try:
        return letters.get(key)
    except LookupError:
        raise Http404("No such letter.") from None


def _fields(letter: letters.Letter) -> list[tuple[str, str]]:
    """The merge fields as they are written in the text, with what each holds."""
    return [("{{ " + name + " }}", label) for name, label in letter.fields.items()]


@login_required
def letter_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, "view", MODEL):
        raise PermissionDenied("Your role does not allow this.")
    registered = letters.registered()
    current = letters.current_of(registered)
    return render(
        request,
        "letters/list.html",
        {"rows": [(letter, current[letter.key]) for letter in registered]},
    )


@login_required
def letter_detail(request: HttpRequest, key: str) -> HttpResponse:
    letter = _letter_for(request, key, "view")
    versions = letters.versions(letter)
    return render(
        request,
        "letters/detail.html",
        {
            "letter": letter,
            "template": versions[0],
            "versions": versions,
            "preview": letters.preview(letter, versions[0].body),
            "fields": _fields(letter),
            "can_change": can(request.user, "change", MODEL),
        },
    )


@login_required
def letter_version(request: HttpRequest, key: str, number: int) -> HttpResponse:
    letter = _letter_for(request, key, "view")
    template = letters.version(letter, number)
    if template is None:
        raise Http404("No such version.")
    return render(
        request,
        "letters/version.html",
        {
            "letter": letter,
            "template": template,
            "current": letters.current(letter),
            "preview": letters.preview(letter, template.body),
        },
    )


def _form_page(request: HttpRequest, letter: letters.Letter, form: LetterForm) -> HttpResponse:
    based_on = form["based_on"].value()
    return render(
        request,
        "letters/form.html",
        {"letter": letter, "form": form, "based_on": based_on, "fields": _fields(letter)},
    )


@login_required
def letter_edit(request: HttpRequest, key: str) -> HttpResponse:
    letter = _letter_for(request, key, "change")
    if request.method != "POST":
        start = letters.current(letter)
        initial = {"title": start.title, "body": start.body, "based_on": start.version}
        return _form_page(request, letter, LetterForm(letter=letter, initial=initial))
    action = request.POST.get("action", "preview")
    if action == "change":
        initial = {name: request.POST.get(name, "") for name in LetterForm.base_fields}
        return _form_page(request, letter, LetterForm(letter=letter, initial=initial))
    form = LetterForm(request.POST, letter=letter)
    if not form.is_valid():
        return _form_page(request, letter, form)
    data = form.cleaned_data
    if action != "save":
        return render(
            request,
            "letters/preview.html",
            {
                "letter": letter,
                "form": form,
                "number": data["based_on"] + 1,
                "preview": letters.preview(letter, data["body"]),
            },
        )
    try:
        saved = letters.save_version(letter, actor=request.user, **data)
    except StaleEdit as exc:
        form.add_error(None, str(exc))
        return _form_page(request, letter, form)
    except ValidationError as exc:
        add_model_errors(form, exc)
        return _form_page(request, letter, form)
    messages.success(
        request,
        f"Version {saved.version} of “{saved.title}” saved. Letters issued from now on use it; "
        "letters already issued do not change.",
    )
    return redirect("letters:detail", key=letter.key)


@login_required
@require_POST
def letter_preview_pdf(request: HttpRequest, key: str) -> HttpResponse:
    """The text being edited as its PDF, with the sample values, marked PREVIEW."""
    letter = _letter_for(request, key, "change")
    form = LetterForm(request.POST, letter=letter)
    if not form.is_valid():
        return _form_page(request, letter, form)
    data = form.cleaned_data
    pdf = letters.preview_pdf(
        letter,
        title=data["title"],
        body=data["body"],
        actor=request.user,
        number=data["based_on"] + 1,
    )
    return HttpResponse(
        pdf,
        content_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition_header(
                True, f"Preview – {data['title']}.pdf"
            )
        },
    )
