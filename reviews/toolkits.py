"""Every change to a review toolkit, with its actor, in one transaction (STYLE habit 1).

A published version is immutable (SPEC §6, issue 4): changing the toolkit means making a new
draft version from it (``new_version``), editing the draft, then publishing it, which retires
the version it replaces. Every edit locks the toolkit's row and refuses unless it is still a
draft, so an edit racing a publish either lands before it or is refused.

Publishing is the toolkit's workflow step (qaf.workflow). Refusals raise ``Forbidden`` (the
actor may not: 403) or ``NotNow`` (not in this state: 409) with a reason to show; a value that
breaks a rule of the content (a standard code used twice) raises ``ValidationError`` naming the
field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, ProtectedError, QuerySet
from django.utils import timezone

from qaf.scoping import can
from qaf.workflow import Forbidden, NotNow, Step, Transition, Workflow
from reviews.models import Domain, Question, Standard, Toolkit, ToolkitStatus

if TYPE_CHECKING:
    from qaf.models import User

Direction = Literal["up", "down"]
Item = TypeVar("Item", Domain, Standard, Question)

IMMUTABLE = (
    "Version {version} is {status}: published versions cannot be changed. "
    "Make a new version to change it."
)


def _check_admin(actor: User) -> None:
    if not can(actor, "change", "reviews.toolkit"):
        raise Forbidden("Only administrators change review toolkits.")


def _lock_draft(toolkit_id: int) -> Toolkit:
    """The toolkit, locked for this transaction, if it is still a draft."""
    toolkit = Toolkit.objects.select_for_update().get(pk=toolkit_id)
    if toolkit.status != ToolkitStatus.DRAFT:
        raise NotNow(
            IMMUTABLE.format(version=toolkit.version, status=toolkit.get_status_display().lower())
        )
    return toolkit


def _next_order(siblings: QuerySet) -> int:
    return (siblings.aggregate(top=Max("order"))["top"] or 0) + 1


def _check_code_free(toolkit: Toolkit, code: str, *, exclude_pk: int | None = None) -> None:
    # The visit form, the report and focused reviews name standards by code: one per toolkit.
    clash = Standard.objects.filter(domain__toolkit=toolkit, code__iexact=code)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError(
            {"code": f"Standard {code} already exists in this toolkit: choose another code."}
        )


def _move(item: Item, siblings: QuerySet, direction: Direction) -> None:
    """Swap ``item`` with its neighbour; orders are renumbered 1..n first so that ties from
    older data cannot make a move do nothing."""
    rows = list(siblings.order_by("order", "pk"))
    index = next(i for i, row in enumerate(rows) if row.pk == item.pk)
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(rows):
        return  # already first or last: nothing to do
    rows[index], rows[target] = rows[target], rows[index]
    for order, row in enumerate(rows, start=1):
        row.order = order
    type(item).objects.bulk_update(rows, ["order"])
    item.order = target + 1


def _delete(item: Domain | Standard | Question, what: str) -> None:
    try:
        item.delete()
    except ProtectedError as exc:
        raise NotNow(f"This {what} has been scored in a review, so it cannot be removed.") from exc


# --- Versions ---------------------------------------------------------------------------


def new_version(toolkit: Toolkit, *, actor: User) -> Toolkit:
    """A draft deep copy of a published or retired ``toolkit``, numbered after the newest
    version of the same name."""
    _check_admin(actor)
    with transaction.atomic():
        # Lock every version of this name: two admins clicking at once make one draft.
        versions = list(Toolkit.objects.select_for_update().filter(name=toolkit.name))
        source = next(v for v in versions if v.pk == toolkit.pk)
        if source.status == ToolkitStatus.DRAFT:
            raise NotNow(f"Version {source.version} is a draft: change it directly.")
        draft = next((v for v in versions if v.status == ToolkitStatus.DRAFT), None)
        if draft:
            raise NotNow(
                f"Version {draft.version} is already a draft: publish or discard it before "
                "making another."
            )
        copy = Toolkit.objects.create(
            name=source.name,
            version=max(v.version for v in versions) + 1,
            status=ToolkitStatus.DRAFT,
            description=source.description,
            based_on=source,
            created_by=actor,
        )
        domains = list(source.domains.prefetch_related("standards__questions"))
        new_domains = Domain.objects.bulk_create(
            Domain(toolkit=copy, order=d.order, title=d.title, description=d.description)
            for d in domains
        )
        pairs = []
        for domain, new_domain in zip(domains, new_domains, strict=True):
            for standard in domain.standards.all():
                pairs.append(
                    (
                        standard,
                        Standard(
                            domain=new_domain,
                            order=standard.order,
                            code=standard.code,
                            title=standard.title,
                            outcome=standard.outcome,
                        ),
                    )
                )
        Standard.objects.bulk_create(new for _, new in pairs)
        Question.objects.bulk_create(
            Question(
                standard=new,
                order=question.order,
                text=question.text,
                guidance=question.guidance,
                evidence_prompts=question.evidence_prompts,
            )
            for old, new in pairs
            for question in old.questions.all()
        )
    return copy


def publish_problems(toolkit: Toolkit) -> list[str]:
    """Why ``toolkit`` cannot be published yet, in reading order (empty when it can)."""
    domains = list(toolkit.domains.prefetch_related("standards__questions"))
    if not domains:
        return ["The toolkit has no domains: add at least one domain, standard and question."]
    problems = []
    for domain in domains:
        standards = list(domain.standards.all())
        if not standards:
            problems.append(f"The domain “{domain.title}” has no standards.")
        for standard in standards:
            if not standard.questions.all():
                problems.append(f"Standard {standard.code} {standard.title} has no questions.")
    return problems


def _publishable(step: Step):
    problems = publish_problems(step.obj)
    return "This version cannot be published yet. " + " ".join(problems) if problems else None


def _retire_the_replaced_version(step: Step) -> None:
    Toolkit.objects.filter(name=step.obj.name, status=ToolkitStatus.PUBLISHED).exclude(
        pk=step.obj.pk
    ).update(status=ToolkitStatus.RETIRED)


TOOLKIT = Workflow(
    Toolkit,
    name="toolkit",
    versioned=False,  # a toolkit's version is its number, one per published edition
    forbidden="Only administrators change review toolkits.",
    tags={
        ToolkitStatus.PUBLISHED: "green",
        ToolkitStatus.DRAFT: "yellow",
        ToolkitStatus.RETIRED: "grey",
    },
    transitions=[
        Transition(
            "publish",
            source={ToolkitStatus.DRAFT},
            target=ToolkitStatus.PUBLISHED,
            permission="change",
            guards=(_publishable,),
            changes=lambda step: {"published_at": timezone.now(), "published_by": step.actor},
            effects=(_retire_the_replaced_version,),
            state_reason=lambda toolkit: (
                f"Version {toolkit.version} is already {toolkit.get_status_display().lower()}."
            ),
        ),
    ],
)


def publish(toolkit: Toolkit, *, actor: User) -> Toolkit:
    """Make a draft the published version of its name; the version it replaces retires.

    Reviews planned from now on use it (``reviews.queries.current_toolkit``); reviews already
    planned keep the version they were planned with.
    """
    _check_admin(actor)
    with transaction.atomic():
        # Every version of the name, locked: of two drafts published at once, one retires the
        # other instead of both ending up published.
        list(Toolkit.objects.select_for_update().filter(name=toolkit.name))
        TOOLKIT.apply(toolkit, "publish", actor=actor)
    return toolkit


def discard_draft(toolkit: Toolkit, *, actor: User) -> None:
    """Delete a draft version that will not be published, with everything in it."""
    _check_admin(actor)
    with transaction.atomic():
        draft = _lock_draft(toolkit.pk)
        try:
            draft.delete()
        except ProtectedError as exc:
            raise NotNow(
                "A review has been planned with this draft: it cannot be discarded."
            ) from exc


def edit_toolkit(toolkit: Toolkit, *, actor: User, description: str) -> Toolkit:
    _check_admin(actor)
    with transaction.atomic():
        draft = _lock_draft(toolkit.pk)
        draft.description = description
        draft.save(update_fields=["description"])
    return draft


# --- Domains ----------------------------------------------------------------------------


def add_domain(toolkit: Toolkit, *, actor: User, title: str, description: str = "") -> Domain:
    _check_admin(actor)
    with transaction.atomic():
        draft = _lock_draft(toolkit.pk)
        return Domain.objects.create(
            toolkit=draft,
            order=_next_order(draft.domains.all()),
            title=title,
            description=description,
        )


def edit_domain(domain: Domain, *, actor: User, title: str, description: str = "") -> Domain:
    _check_admin(actor)
    with transaction.atomic():
        _lock_draft(domain.toolkit_id)
        domain.title, domain.description = title, description
        domain.save(update_fields=["title", "description"])
    return domain


def delete_domain(domain: Domain, *, actor: User) -> None:
    """Remove a domain with its standards and questions."""
    _check_admin(actor)
    with transaction.atomic():
        _lock_draft(domain.toolkit_id)
        _delete(domain, "domain")


def move_domain(domain: Domain, *, actor: User, direction: Direction) -> None:
    _check_admin(actor)
    with transaction.atomic():
        _lock_draft(domain.toolkit_id)
        _move(domain, Domain.objects.filter(toolkit_id=domain.toolkit_id), direction)


# --- Standards --------------------------------------------------------------------------


def add_standard(
    domain: Domain, *, actor: User, code: str, title: str, outcome: str = ""
) -> Standard:
    _check_admin(actor)
    with transaction.atomic():
        draft = _lock_draft(domain.toolkit_id)
        _check_code_free(draft, code)
        return Standard.objects.create(
            domain=domain,
            order=_next_order(domain.standards.all()),
            code=code,
            title=title,
            outcome=outcome,
        )


def edit_standard(
    standard: Standard, *, actor: User, code: str, title: str, outcome: str = ""
) -> Standard:
    _check_admin(actor)
    with transaction.atomic():
        draft = _lock_draft(standard.domain.toolkit_id)
        _check_code_free(draft, code, exclude_pk=standard.pk)
        standard.code, standard.title, standard.outcome = code, title, outcome
        standard.save(update_fields=["code", "title", "outcome"])
    return standard


def delete_standard(standard: Standard, *, actor: User) -> None:
    """Remove a standard with its questions."""
    _check_admin(actor)
    with transaction.atomic():
        _lock_draft(standard.domain.toolkit_id)
        _delete(standard, "standard")


def move_standard(standard: Standard, *, actor: User, direction: Direction) -> None:
    """Move a standard up or down within its domain."""
    _check_admin(actor)
    with transaction.atomic():
        _lock_draft(standard.domain.toolkit_id)
        _move(standard, Standard.objects.filter(domain_id=standard.domain_id), direction)


# --- Questions --------------------------------------------------------------------------


def add_question(
    standard: Standard,
    *,
    actor: User,
    text: str,
    guidance: str = "",
    evidence_prompts: str = "",
) -> Question:
    _check_admin(actor)
    with transaction.atomic():
        _lock_draft(standard.domain.toolkit_id)
        return Question.objects.create(
            standard=standard,
            order=_next_order(standard.questions.all()),
            text=text,
            guidance=guidance,
            evidence_prompts=evidence_prompts,
        )


def edit_question(
    question: Question,
    *,
    actor: User,
    text: str,
    guidance: str = "",
    evidence_prompts: str = "",
) -> Question:
    _check_admin(actor)
    with transaction.atomic():
        _lock_draft(question.standard.domain.toolkit_id)
        question.text, question.guidance, question.evidence_prompts = (
            text,
            guidance,
            evidence_prompts,
        )
        question.save(update_fields=["text", "guidance", "evidence_prompts"])
    return question


def delete_question(question: Question, *, actor: User) -> None:
    _check_admin(actor)
    with transaction.atomic():
        _lock_draft(question.standard.domain.toolkit_id)
        _delete(question, "question")


def move_question(question: Question, *, actor: User, direction: Direction) -> None:
    """Move a question up or down within its standard."""
    _check_admin(actor)
    with transaction.atomic():
        _lock_draft(question.standard.domain.toolkit_id)
        _move(question, Question.objects.filter(standard_id=question.standard_id), direction)
