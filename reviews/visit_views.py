"""The visit form (SPEC §6, issue 4 item 3): the officer scores a review's questions on site.

One page per review (``review_visit``) with a section per standard. With JavaScript
(``static/js/visit.js``) each question, and each standard's notes, saves on its own while the
officer types: one small POST (``visit_answer``, ``visit_note``) answered by a small fragment,
the recomputed standard score, progress and suggested rating swapped in out of band, so the
page never re-renders whole. Without JavaScript each standard is a plain form that saves the
section and comes back to it.

Every save names the version it started from. A stale one is refused by the service
(``services.Conflict``) and answered 409 with both copies, never applied: the officer chooses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_http_methods, require_POST

from providers.evidence import Evidence
from qaf.files import type_label
from qaf.scoping import can
from reviews import services
from reviews.models import (
    Answer,
    Question,
    Review,
    Score,
    Standard,
    StandardNote,
)
from reviews.scoring import StandardScore, score_standard, suggested_rating
from reviews.workflows import REVIEW

SAVED, CONFLICT, REFUSED, INVALID = "saved", "conflict", "refused", "invalid"


# --- Forms: the same fields, with a prefix per question or standard, serve both paths ---------


def _text(value: str) -> str:
    # Browsers send a textarea's line breaks as CRLF but show them as LF: store what they show,
    # so that a server copy and a tablet copy of the same text compare equal.
    return value.replace("\r\n", "\n")


class _ItemForm(forms.Form):
    version = forms.IntegerField(min_value=0, error_messages={"required": "Reload the page"})

    def changes(self) -> dict[str, str]:
        """The fields the request sent; an absent field (or no score chosen) is left alone."""
        sent = {name: self.cleaned_data[name] for name in self.fields if name != "version"}
        sent = {name: v for name, v in sent.items() if self.add_prefix(name) in self.data}
        if sent.get("score") == "":
            del sent["score"]
        return {name: _text(value) for name, value in sent.items()}


class AnswerForm(_ItemForm):
    score = forms.ChoiceField(choices=Score.choices, required=False)
    notes = forms.CharField(required=False, strip=False)


class NoteForm(_ItemForm):
    findings = forms.CharField(required=False, strip=False)
    people_spoken_to = forms.CharField(required=False, strip=False)


# --- What the page shows ------------------------------------------------------------------------


@dataclass
class Item:
    """A question's answer, or a standard's notes, as the page shows it.

    ``mine`` holds the fields as the page shows them; after a refused save they are what the
    officer typed, ``version`` is the server's and ``theirs`` the server's copy."""

    prefix: str
    target: Question | Standard
    saved: Answer | StandardNote | None
    fields: tuple[str, ...]
    mine: dict[str, str] = field(default_factory=dict)
    version: int = 0
    theirs: Answer | StandardNote | None = None

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.mine = {name: getattr(self.saved, name) if self.saved else "" for name in self.fields}
        self.version = self.saved.version if self.saved else 0

    @property
    def is_question(self) -> bool:
        return isinstance(self.target, Question)

    @property
    def params(self) -> str:
        """The page's names of the fields one save sends (htmx's hx-params)."""
        return ",".join(f"{self.prefix}-{name}" for name in (*self.fields, "version"))

    def matches(self, changes: dict[str, str]) -> bool:
        """True when saving ``changes`` would change nothing."""
        return all(self.mine[name] == value for name, value in changes.items())

    def show_conflict(self, changes: dict[str, str], server) -> None:
        self.saved = self.theirs = server
        self.reset()
        self.mine.update(changes)

    @property
    def theirs_values(self) -> dict[str, str]:
        """The server's copy under the page's field names, for "Use theirs"."""
        return {f"{self.prefix}-{name}": getattr(self.theirs, name) for name in self.fields}


@dataclass
class QuestionRow(Item):
    label: str = ""

    @property
    def question(self) -> Question:
        return self.target

    @property
    def score_label(self) -> str:
        return Score(self.mine["score"]).label if self.mine["score"] else "Not scored"

    @property
    def theirs_score_label(self) -> str:
        return Score(self.theirs.score).label if self.theirs and self.theirs.score else ""

    @property
    def choices(self) -> list[tuple[str, str]]:
        return Score.choices


@dataclass
class Section:
    standard: Standard
    number: int
    questions: list[QuestionRow]
    note: Item
    score: StandardScore | None = None
    next: Section | None = field(default=None, repr=False)

    @property
    def answered(self) -> int:
        return sum(1 for row in self.questions if row.saved and row.saved.score)

    @property
    def not_applicable(self) -> int:
        return sum(
            1 for row in self.questions if row.saved and row.saved.score == Score.NOT_APPLICABLE
        )

    @property
    def complete(self) -> bool:
        return self.answered == len(self.questions)


def _question_row(question: Question, answer: Answer | None, label: str) -> QuestionRow:
    return QuestionRow(
        prefix=f"q{question.pk}",
        target=question,
        saved=answer,
        fields=("score", "notes"),
        label=label,
    )


def _note_item(standard: Standard, note: StandardNote | None) -> Item:
    return Item(
        prefix=f"s{standard.pk}",
        target=standard,
        saved=note,
        fields=("findings", "people_spoken_to"),
    )


def _label(review: Review, question: Question) -> str:
    """The question's number as the page shows it (S1.2)."""
    siblings = services.questions_of(review).filter(standard_id=question.standard_id)
    position = list(siblings.values_list("pk", flat=True)).index(question.pk) + 1
    return f"{question.standard.code}.{position}"


def _sections(review: Review, *, whole_page: bool = True) -> list[Section]:
    """The review's standards with their questions, answers and scores: four queries, or two
    for the scores alone (``whole_page=False``: no notes, no evidence)."""
    answers = review.answers.select_related("updated_by")
    if whole_page:
        evidence = Evidence.objects.order_by("title", "pk")
        answers = answers.prefetch_related(Prefetch("evidence", queryset=evidence))
    saved_answers = {a.question_id: a for a in answers}
    saved_notes = (
        {n.standard_id: n for n in review.standard_notes.select_related("updated_by")}
        if whole_page
        else {}
    )
    sections: dict[int, Section] = {}
    for question in services.questions_of(review):
        standard = question.standard
        section = sections.get(standard.pk)
        if section is None:
            note = _note_item(standard, saved_notes.get(standard.pk))
            section = sections[standard.pk] = Section(standard, len(sections) + 1, [], note)
        label = f"{standard.code}.{len(section.questions) + 1}"
        section.questions.append(_question_row(question, saved_answers.get(question.pk), label))
    ordered = list(sections.values())
    for section, following in zip(ordered, [*ordered[1:], None][: len(ordered)], strict=True):
        section.next = following
        points = [row.saved.points if row.saved else None for row in section.questions]
        section.score = score_standard(section.standard.pk, points)
    return ordered


def _summary(sections: list[Section]) -> dict:
    return {
        "scored": sum(1 for s in sections if s.complete),
        "total": len(sections),
        "suggested": suggested_rating(s.score for s in sections),
        # A draft needs every question scored or marked not applicable (SPEC §6).
        "left": [
            row for s in sections for row in s.questions if not (row.saved and row.saved.score)
        ],
    }


# --- Access -------------------------------------------------------------------------------------


def _review_for(request, pk: int) -> Review:
    """Role first (403), then scope (404): provider users and partners never reach the form."""
    if not can(request.user, "act", Review):
        raise PermissionDenied("Only quality officers and managers record visits.")
    reviews = Review.objects.visible_to(request.user).select_related("service__provider")
    return get_object_or_404(reviews, pk=pk)


def _read_only_reason(review: Review, user) -> str:
    """Why the visit record cannot change now (the review's "edit-visit" step), or ""."""
    refusal = REVIEW.refusal(review, "edit-visit", user)
    return refusal.reason if refusal else ""


def _timed(view):
    """Say the server's time in a ``Server-Timing`` header: the visit form's target is a save
    of at most 200 ms (issue 4), and the browser test reads it."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        started = time.perf_counter()
        response = view(request, *args, **kwargs)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    return wrapper


# --- The page, and the section form without JavaScript ----------------------------------------


# The default toolkit's 60 questions make a 340 kB page, 31 kB compressed: a weak connection in
# a care home feels the difference. (Django's compression pads against BREACH.)
@gzip_page
@login_required
@require_http_methods(["GET", "POST"])
def visit(request, pk: int):
    review = _review_for(request, pk)
    if request.method == "POST":
        return _save_section(request, review)
    sections = _sections(review)
    saved = request.GET.get("saved", "")
    return _render_page(request, review, sections, saved=int(saved) if saved.isdigit() else None)


def _render_page(request, review, sections, *, saved=None, conflicts=(), status=200):
    read_only_reason = _read_only_reason(review, request.user)
    context = {
        "review": review,
        "sections": sections,
        "editable": not read_only_reason,
        "read_only_reason": read_only_reason,
        "saved_standard": saved,
        "conflicts": conflicts,
        **_summary(sections),
    }
    return TemplateResponse(request, "reviews/visit/visit.html", context, status=status)


def _save_section(request, review: Review):
    """Save one standard's section (the form without JavaScript) and go back to it.

    Unchanged items are skipped, so a section full of untouched questions writes nothing. A
    stale item is not saved: the page comes back (409) with the officer's text in the fields,
    the newer copy beside it, and "Keep mine" (save again, now against the newer version) or
    "Use theirs"."""
    url = reverse("reviews:review_visit", args=[review.pk])
    if reason := _read_only_reason(review, request.user):
        messages.error(request, reason)
        return redirect(url)
    sections = _sections(review)
    section = next(
        (s for s in sections if str(s.standard.pk) == request.POST.get("standard")), None
    )
    if section is None:
        raise Http404("That standard is not part of this review.")
    discard = request.POST.get("use_theirs", "")
    stale: list[tuple[Item, dict]] = []
    items: list[tuple[Item, type[_ItemForm]]] = [(row, AnswerForm) for row in section.questions]
    items.append((section.note, NoteForm))
    try:
        for item, form_class in items:
            if item.prefix == discard:
                continue
            form = form_class(request.POST, prefix=item.prefix)
            if not form.is_valid():
                return HttpResponseBadRequest("The form was out of date: reload the page.")
            changes = form.changes()
            if item.matches(changes):
                continue
            version = form.cleaned_data["version"]
            outcome, server = _apply(review, item, changes, version, request.user)
            if outcome == CONFLICT and not _untouched(server, changes, version):
                stale.append((item, changes))
    except services.NotNow as exc:
        messages.error(request, exc.reason)
        return redirect(url)
    if not stale:
        return redirect(f"{url}?saved={section.standard.pk}#standard-{section.standard.pk}")
    # Show the page as it is now, with the officer's unsaved text where it conflicted.
    sections = _sections(review)
    fresh = {item.prefix: item for s in sections for item in [*s.questions, s.note]}
    conflicts = []
    for item, changes in stale:
        shown = fresh[item.prefix]
        shown.show_conflict(changes, shown.saved)
        conflicts.append(shown)
    return _render_page(request, review, sections, conflicts=conflicts, status=409)


def _untouched(server: Answer | StandardNote, changes: dict, version: int) -> bool:
    """True when ``changes`` are what the item held at ``version``: a section form sends every
    field, and one the officer left alone must not contest a colleague's newer save."""
    if version == 0:
        old = {}
    else:
        old = server.history.filter(id=server.pk, version=version).values(*changes).first()
        if old is None:
            return False
    return all(old.get(name, "") == value for name, value in changes.items())


def _apply(review, item: Item, changes: dict, version: int, actor) -> tuple[str, object]:
    """Save ``changes`` to ``item`` through the service. Returns (SAVED, the saved row) or
    (CONFLICT, the newer server row). A resend of a save that already arrived (its answer lost
    on a weak connection) finds the same values on the server and counts as saved."""
    is_question = item.is_question
    save = services.save_answer if is_question else services.save_standard_note
    try:
        saved = save(review, item.target, actor=actor, expected_version=version, **changes)
    except services.Conflict as conflict:
        server = conflict.server  # unsaved and empty when nobody has answered yet
        if all(getattr(server, name) == value for name, value in changes.items()):
            return SAVED, server
        return CONFLICT, server
    return SAVED, saved


# --- One question, or one standard's notes, saved on its own (JavaScript) --------------------


def _fragment(request, template: str, context: dict, *, outcome: str, version=None, status=200):
    response = TemplateResponse(request, template, context, status=status)
    response["X-Visit-Outcome"] = outcome
    if version is not None:
        response["X-Visit-Version"] = str(version)
    return response


def _refused(request, reason: str):
    return _fragment(
        request,
        "reviews/visit/_status.html",
        {"message": f"Not saved: {reason}"},
        outcome=REFUSED,
        status=409,
    )


def _save_item(request, review: Review, item: Item, form_class):
    if reason := _read_only_reason(review, request.user):
        return _refused(request, reason)
    form = form_class(request.POST, prefix=item.prefix)
    if not form.is_valid():
        message = "Not saved: the page is out of date. Reload it (your text is kept)."
        return _fragment(
            request,
            "reviews/visit/_status.html",
            {"message": message},
            outcome=INVALID,
            status=400,
        )
    changes, version = form.changes(), form.cleaned_data["version"]
    try:
        if item.matches(changes) and item.version == version:
            outcome, row = SAVED, item.saved  # nothing to change: no write, no new version
        else:
            outcome, row = _apply(review, item, changes, version, request.user)
    except services.NotNow as exc:
        return _refused(request, exc.reason)
    context = {"review": review, "item": item}
    if outcome == CONFLICT:
        item.show_conflict(changes, row)
        if item.is_question:
            item.label = _label(review, item.question)
        return _fragment(
            request,
            "reviews/visit/_conflict_response.html",
            context,
            outcome=CONFLICT,
            version=row.version,
            status=409,
        )
    item.saved = row
    item.reset()
    if item.is_question:
        # The standard's score, the progress and the suggested rating, recomputed.
        sections = _sections(review, whole_page=False)
        section = next(s for s in sections if s.standard.pk == item.target.standard_id)
        context.update(_summary(sections), section=section)
    return _fragment(
        request, "reviews/visit/_saved.html", context, outcome=SAVED, version=item.version
    )


@_timed
@login_required
@require_POST
def save_answer(request, pk: int, question_pk: int):
    review = _review_for(request, pk)
    question = get_object_or_404(services.questions_of(review), pk=question_pk)
    answer = Answer.objects.filter(review=review, question=question).first()
    return _save_item(request, review, _question_row(question, answer, ""), AnswerForm)


@_timed
@login_required
@require_POST
def save_note(request, pk: int, standard_pk: int):
    review = _review_for(request, pk)
    standards = services.questions_of(review).values("standard_id")
    standard = get_object_or_404(Standard.objects.filter(pk__in=standards), pk=standard_pk)
    note = StandardNote.objects.filter(review=review, standard=standard).first()
    return _save_item(request, review, _note_item(standard, note), NoteForm)


# --- Evidence from the provider's library, linked to a question --------------------------------


class EvidenceLinkForm(forms.Form):
    """The provider's clean files as checkboxes. ``shown`` says which were linked when the page
    was drawn, so a save changes only what this officer ticked or unticked: a colleague's link
    made in the meantime stays."""

    mark_optional = False  # ticking nothing is the normal answer, not an optional extra

    evidence = forms.ModelMultipleChoiceField(
        queryset=Evidence.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Files from the provider's evidence library",
    )
    shown = forms.ModelMultipleChoiceField(
        queryset=Evidence.objects.none(), required=False, widget=forms.MultipleHiddenInput
    )

    def __init__(self, *args, review: Review, **kwargs):
        super().__init__(*args, **kwargs)
        files = Evidence.objects.linkable_for(review.service.provider_id)
        self.fields["evidence"].queryset = files
        self.fields["evidence"].label = f"Files from {review.service.provider}'s evidence library"
        self.fields["shown"].queryset = files
        self.fields["evidence"].label_from_instance = _evidence_label

    def changes(self) -> tuple[set, set]:
        chosen, shown = set(self.cleaned_data["evidence"]), set(self.cleaned_data["shown"])
        return chosen - shown, shown - chosen


def _evidence_label(evidence: Evidence) -> str:
    dated, uploaded = evidence.evidence_date, timezone.localtime(evidence.uploaded_at)
    return (
        f"{evidence.title} ({type_label(evidence.extension)}, dated {dated.day} "
        f"{dated:%B %Y}, uploaded {uploaded.day} {uploaded:%B %Y})"
    )


@login_required
@require_http_methods(["GET", "POST"])
def question_evidence(request, pk: int, question_pk: int):
    """Link files from the provider's evidence library to one question's answer."""
    review = _review_for(request, pk)
    question = get_object_or_404(services.questions_of(review), pk=question_pk)
    label = _label(review, question)
    back = f"{reverse('reviews:review_visit', args=[review.pk])}#q{question.pk}"
    if reason := _read_only_reason(review, request.user):
        messages.error(request, reason)
        return redirect(back)
    answer = Answer.objects.filter(review=review, question=question).first()
    linked = list(answer.evidence.all()) if answer else []
    form = EvidenceLinkForm(
        request.POST or None,
        review=review,
        initial={"evidence": linked, "shown": linked},
    )
    if request.method == "POST" and form.is_valid():
        add, remove = form.changes()
        try:
            services.link_evidence(review, question, actor=request.user, add=add, remove=remove)
        except services.NotNow as exc:
            form.add_error(None, exc.reason)
        else:
            if add or remove:
                messages.success(request, f"Evidence for question {label} saved")
            return redirect(back)
    context = {
        "review": review,
        "question": question,
        "label": label,
        "form": form,
        "has_files": form.fields["evidence"].queryset.exists(),
        "back": back,
    }
    return TemplateResponse(request, "reviews/visit/evidence.html", context)
