"""Every step of an improvement plan, with its actor, for pages and the API alike (STYLE habit
1); the suggestions the nightly job keeps (``sync_suggestions``); the overdue notices; and what
the home pages, the service page and the concern-level check ask of plans.

State changes are rows of ``escalation.plan_workflows`` applied by ``qaf.workflow``:
``Forbidden`` (403) or ``NotNow`` (409) with a reason, nothing changed. Editing a plan's text
while the provider writes it (the person responsible, issues, actions) is not a state change:
it goes through the functions here, which check the same rules and the row's version.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator

from escalation.models import (
    WITH_PROVIDER,
    ImprovementPlan,
    IssueSource,
    PlanAction,
    PlanIssue,
    PlanSuggestion,
    PlanSuggestionStatus,
    TriggerKind,
)
from escalation.plan_workflows import (
    ACTION,
    CASEWORK_ONLY,
    NOTHING_TO_PLAN,
    PLAN,
    PLAN_WRITERS,
    POLICY,
    SUBMIT_DAYS,
    SUGGESTION,
)
from providers.models import RegulatorRating, Service
from qaf import notifications
from qaf.bulkload import id_array
from qaf.concurrency import StaleEdit, check_version
from qaf.models import User
from qaf.scoping import can
from qaf.workflow import Forbidden, NotNow, WorkflowError

__all__ = [
    "Forbidden",
    "NotNow",
    "StaleEdit",
    "WorkflowError",
    "accept",
    "add_action",
    "add_issue",
    "close",
    "delete_action",
    "edit_action",
    "edit_plan",
    "history",
    "issues_for_suggestion",
    "nightly",
    "not_needed",
    "notify_officer",
    "notify_provider",
    "open_plan",
    "open_suggestions",
    "overdue_action_dates",
    "overdue_notices",
    "post_update",
    "reopen",
    "return_plan",
    "submit",
    "sync_suggestions",
    "take_step",
    "verify",
]

REVIEW_RATINGS = ("amber", "red")
ONE_OPEN_PLAN = "This service has an open improvement plan already: add the issues to it."
REGULATOR_RATINGS = (RegulatorRating.REQUIRES_IMPROVEMENT, RegulatorRating.INADEQUATE)

notifications.register_kind("plan_requested", "Improvement plan asked for")
notifications.register_kind("plan_submitted", "Improvement plan submitted")
notifications.register_kind("plan_accepted", "Improvement plan accepted")
notifications.register_kind("plan_returned", "Improvement plan returned")
notifications.register_kind("plan_closed", "Improvement plan closed")
notifications.register_kind("plan_action_done", "Improvement action to verify")
notifications.register_kind("plan_action_reopened", "Improvement action reopened")
notifications.register_kind("plan_action_overdue", "Improvement action overdue")
notifications.register_kind("plan_submission_overdue", "Improvement plan overdue")


def _day(value: date) -> str:
    return date_format(value, "j F Y")


def _short(text: str, length: int = 60) -> str:
    """A text cut to ``length`` characters at most, with an ellipsis when cut."""
    return Truncator(" ".join(text.split())).chars(length)


# --- Suggestions (000 §7 triggers) -------------------------------------------------------------


def sync_suggestions(today: date | None = None, *, service_ids: Iterable[int] | None = None) -> int:
    """Suggest a plan for every trigger not suggested yet: the latest final review of each
    service when rated Amber or Red, and a regulator rating of Requires improvement or
    Inadequate (once per rating and inspection date). Idempotent; the number made."""
    from reviews.models import Review, ReviewStatus

    today = today or timezone.localdate()
    services = Service.objects.all()
    if service_ids is not None:
        services = services.filter(pk__in=id_array(service_ids))
    latest = (
        Review.objects.filter(service=OuterRef("service"), status=ReviewStatus.FINAL)
        .order_by("-completed_on", "-pk")
        .values("pk")[:1]
    )
    reviews = (
        Review.objects.filter(
            service__in=services,
            status=ReviewStatus.FINAL,
            historic=False,
            rating__in=REVIEW_RATINGS,
            pk=latest,
        )
        .exclude(Exists(PlanSuggestion.objects.filter(review=OuterRef("pk"))))
        .values_list("pk", "service_id", "completed_on")
    )
    rows = [
        PlanSuggestion(kind=TriggerKind.REVIEW, review_id=pk, service_id=sid, arose_on=done)
        for pk, sid, done in reviews.iterator(chunk_size=2000)
    ]
    same_rating = PlanSuggestion.objects.filter(
        service=OuterRef("pk"), kind=TriggerKind.REGULATOR, rating=OuterRef("regulator_rating")
    )
    rated = (
        services.filter(regulator_rating__in=REGULATOR_RATINGS)
        .exclude(
            Exists(
                same_rating.filter(
                    Q(arose_on=OuterRef("last_inspection_date"))
                    | Q(arose_on__isnull=False, service__last_inspection_date__isnull=True)
                )
            )
        )
        .values_list("pk", "regulator_rating", "last_inspection_date")
    )
    rows += [
        PlanSuggestion(
            kind=TriggerKind.REGULATOR, service_id=sid, rating=rating, arose_on=inspected or today
        )
        for sid, rating, inspected in rated.iterator(chunk_size=2000)
    ]
    made = PlanSuggestion.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(made)


def open_suggestions(user, service: Service | None = None):
    qs = PlanSuggestion.objects.visible_to(user).filter(status=PlanSuggestionStatus.OPEN)
    if service is not None:
        qs = qs.filter(service=service)
    return qs.select_related("service__provider", "review").order_by("-arose_on", "-pk")


def not_needed(suggestion: PlanSuggestion, *, actor: User, reason: str, today=None):
    """The officer records why no plan is needed for this trigger."""
    return SUGGESTION.apply(suggestion, "not-needed", actor=actor, today=today, reason=reason)


def issues_for_suggestion(
    plan: ImprovementPlan, suggestion: PlanSuggestion, *, actor: User
) -> list[PlanIssue]:
    """The issues a trigger brings: each standard the review scored Amber or Red, or the
    regulator's findings."""
    from reviews.queries import standard_scores

    made = []
    if suggestion.kind == TriggerKind.REVIEW:
        review = suggestion.review
        for standard, score in standard_scores(review):
            if score.rag not in REVIEW_RATINGS:
                continue
            made.append(
                PlanIssue(
                    plan=plan,
                    source=IssueSource.REVIEW_STANDARD,
                    review=review,
                    standard=standard,
                    rag=score.rag,
                    text=f"{standard.code} {standard.title}: scored {score.rag.title()} at the "
                    f"review of {_day(review.completed_on)}.",
                    created_by=actor,
                )
            )
        if not made:  # a rating overridden to Amber/Red with every standard Green
            made.append(
                PlanIssue(
                    plan=plan,
                    source=IssueSource.OTHER,
                    text=f"The review of {_day(review.completed_on)} was rated "
                    f"{review.rating.title()}: {review.actions_required or review.summary}".strip(),
                    created_by=actor,
                )
            )
    else:
        label = dict(RegulatorRating.choices).get(suggestion.rating, suggestion.rating)
        made.append(
            PlanIssue(
                plan=plan,
                source=IssueSource.REGULATOR,
                text=f"The regulator rated the service {label} ({_day(suggestion.arose_on)}): "
                "the findings of its report.",
                created_by=actor,
            )
        )
    for issue in made:
        issue._history_user = actor
        issue.full_clean()
        issue.save()
    return made


def open_plan(
    service: Service,
    *,
    actor: User,
    suggestions: Iterable[PlanSuggestion] = (),
    text: str = "",
    today: date | None = None,
) -> ImprovementPlan:
    """The officer asks the provider for a plan: 14 days to submit it. With a plan open for the
    service already, refused: the issues are added to that one."""
    if not can(actor, "add", POLICY):
        raise Forbidden(CASEWORK_ONLY)
    today = today or timezone.localdate()
    suggestions = list(suggestions)
    if not suggestions and not text.strip():
        raise NotNow(NOTHING_TO_PLAN)
    if any(s.service_id != service.pk for s in suggestions):
        raise NotNow("The suggestion is about another service.")
    try:
        with transaction.atomic():
            Service.objects.select_for_update().get(pk=service.pk)
            if ImprovementPlan.objects.filter(service=service).open().exists():
                raise NotNow(ONE_OPEN_PLAN)
            plan = ImprovementPlan(
                service=service,
                requested_on=today,
                requested_by=actor,
                submit_due=today + timedelta(days=SUBMIT_DAYS),
            )
            plan._history_user = actor
            plan.save()
            add_issue(plan, actor=actor, suggestions=suggestions, text=text, today=today)
    except IntegrityError as error:  # another officer opened one at the same moment
        raise NotNow(ONE_OPEN_PLAN) from error
    notify_provider(
        plan,
        "plan_requested",
        f"The council asks for an improvement plan for {service.name} by {_day(plan.submit_due)}.",
        due=plan.submit_due,
    )
    return plan


def add_issue(
    plan: ImprovementPlan,
    *,
    actor: User,
    suggestions: Iterable[PlanSuggestion] = (),
    text: str = "",
    source: str = IssueSource.OTHER,
    regulator_plan_agreed: bool = False,
    regulator_plan_note: str = "",
    today: date | None = None,
) -> list[PlanIssue]:
    """More issues for the plan (000 §7: merged into one plan); a plan with the council goes
    back to the provider for their actions."""
    step = PLAN.apply(
        plan,
        "add-issue",
        actor=actor,
        today=today,
        suggestions=list(suggestions),
        text=text,
        source=source if source in IssueSource.values else IssueSource.OTHER,
        regulator_plan_agreed=regulator_plan_agreed,
        regulator_plan_note=regulator_plan_note,
    )
    return step.result


# --- Writing the plan while the provider has it -------------------------------------------------


def _check_writer(plan: ImprovementPlan, actor: User) -> None:
    if not can(actor, "draft", POLICY):
        raise Forbidden(PLAN_WRITERS)
    if actor.provider_id and actor.provider_id != plan.service.provider_id:
        raise Forbidden("This improvement plan is another organisation's.")


def _lock_with_provider(plan: ImprovementPlan) -> ImprovementPlan:
    locked = ImprovementPlan.objects.select_for_update().get(pk=plan.pk)
    if locked.status not in WITH_PROVIDER:
        raise NotNow(
            f"The plan is “{locked.get_status_display().lower()}”: it is written while it is "
            "with the provider."
        )
    return locked


def edit_plan(
    plan: ImprovementPlan,
    *,
    actor: User,
    version: object = None,
    responsible_person: str,
    consultation: str = "",
) -> ImprovementPlan:
    _check_writer(plan, actor)
    with transaction.atomic():
        locked = _lock_with_provider(plan)
        check_version(locked, version)
        locked.responsible_person = responsible_person.strip()
        locked.consultation = consultation.strip()
        locked.version += 1
        locked._history_user = actor
        locked.save()
    return locked


def _action_fields(fields: dict) -> dict:
    return {
        "what": str(fields.get("what") or "").strip(),
        "success_measure": str(fields.get("success_measure") or "").strip(),
        "responsible": str(fields.get("responsible") or "").strip(),
        "due_on": fields.get("due_on"),
    }


def _check_due(due_on, today: date) -> None:
    if due_on is not None and due_on < today:
        raise NotNow("An action's due date is today or later.")


def add_action(issue: PlanIssue, *, actor: User, today: date | None = None, **fields) -> PlanAction:
    """A SMART action for an issue (what, how success is evidenced, who, by when)."""
    plan = issue.plan
    _check_writer(plan, actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock_with_provider(plan)
        values = _action_fields(fields)
        _check_due(values["due_on"], today)
        action = PlanAction(plan=locked, issue=issue, created_by=actor, **values)
        action._history_user = actor
        action.full_clean()
        action.save()
    return action


def edit_action(
    action: PlanAction, *, actor: User, version: object, today: date | None = None, **fields
) -> PlanAction:
    _check_writer(action.plan, actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        _lock_with_provider(action.plan)
        check_version(action, version)
        locked = PlanAction.objects.select_for_update().get(pk=action.pk)
        if locked.agreed:
            raise NotNow("This action was agreed with the plan: post an update on it instead.")
        values = _action_fields(fields)
        if values["due_on"] != locked.due_on:
            _check_due(values["due_on"], today)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.version += 1
        locked._history_user = actor
        locked.full_clean()
        locked.save()
    return locked


def delete_action(action: PlanAction, *, actor: User) -> None:
    _check_writer(action.plan, actor)
    with transaction.atomic():
        _lock_with_provider(action.plan)
        locked = PlanAction.objects.select_for_update().get(pk=action.pk)
        if locked.agreed:
            raise NotNow("This action was agreed with the plan: it cannot be removed.")
        locked._history_user = actor
        locked.delete()


# --- Steps ---------------------------------------------------------------------------------------


def take_step(plan: ImprovementPlan, action: str, *, actor: User, **params):
    return PLAN.apply(plan, action, actor=actor, **params)


def submit(plan, *, actor, today=None):
    return take_step(plan, "submit", actor=actor, today=today)


def accept(plan, *, actor, today=None):
    return take_step(plan, "accept", actor=actor, today=today)


def return_plan(plan, *, actor, comment: str = "", comments: dict | None = None, today=None):
    """Back to the provider with a comment on the plan and on each action (by its id)."""
    return take_step(
        plan, "return", actor=actor, today=today, comment=comment, comments=dict(comments or {})
    )


def close(plan, *, actor, today=None):
    return take_step(plan, "close", actor=actor, today=today)


def post_update(
    action: PlanAction, *, actor: User, text: str, status: str, evidence=(), today=None
):
    step = ACTION.apply(
        action,
        "update",
        actor=actor,
        today=today,
        text=text,
        status=status,
        evidence=list(evidence),
    )
    if status == "done":
        notify_officer(
            action.plan,
            "plan_action_done",
            f"An action of the improvement plan for {action.plan.service.name} is done: verify it.",
            about=action,
        )
    return step.result


def verify(action: PlanAction, *, actor: User, today=None) -> PlanAction:
    ACTION.apply(action, "verify", actor=actor, today=today)
    return action


def reopen(action: PlanAction, *, actor: User, reason: str, today=None) -> PlanAction:
    ACTION.apply(action, "reopen", actor=actor, today=today, reason=reason)
    return action


# --- Notices -------------------------------------------------------------------------------------


def _officer_of(plan: ImprovementPlan) -> User | None:
    lead = plan.service.lead_officer
    if lead is not None and lead.is_active:
        return lead
    return plan.requested_by if plan.requested_by.is_active else None


def notify_officer(plan, kind: str, message: str, *, about=None, due: date | None = None) -> None:
    officer = _officer_of(plan)
    if officer is not None:
        notifications.notify(
            officer, kind, about=about or plan, due=due or timezone.localdate(), message=message
        )


def notify_provider(plan, kind: str, message: str, *, about=None, due: date | None = None) -> None:
    for user in User.objects.filter(provider_id=plan.service.provider_id, is_active=True):
        notifications.notify(
            user, kind, about=about or plan, due=due or timezone.localdate(), message=message
        )


def overdue_notices(today: date, now=None) -> Iterable[dict]:
    """Each overdue agreed action, and each plan not submitted by its day: a notice for the
    provider's users and the officer, once (per action or plan and due date)."""
    now = now or timezone.now()
    providers: dict[int, list[int]] = {}
    for uid, pid in User.objects.filter(provider__isnull=False, is_active=True).values_list(
        "pk", "provider_id"
    ):
        providers.setdefault(pid, []).append(uid)
    late_actions = PlanAction.objects.overdue(today).values_list(
        "pk",
        "due_on",
        "plan__service_id",
        "plan__service__name",
        "plan__service__provider_id",
        "plan__service__lead_officer_id",
        "plan__requested_by_id",
        "what",
    )
    late_plans = ImprovementPlan.objects.filter(
        status__in=WITH_PROVIDER, submit_due__lt=today
    ).values_list(
        "pk",
        "submit_due",
        "service_id",
        "service__name",
        "service__provider_id",
        "service__lead_officer_id",
        "requested_by_id",
    )
    kinds = (
        (
            "plan_action_overdue",
            PlanAction,
            late_actions,
            lambda name, due, what: (
                f"An improvement action for {name} was due on {_day(due)} "
                f"and is not done: “{what[:80]}”."
            ),
        ),
        (
            "plan_submission_overdue",
            ImprovementPlan,
            late_plans,
            lambda name, due: (
                f"The improvement plan for {name} was due on {_day(due)} and is not submitted."
            ),
        ),
    )
    # The officer as _officer_of chooses: the active lead officer, else the active officer who
    # asked for the plan; someone who has left is told nothing.
    staff = set(
        User.objects.filter(provider__isnull=True, is_active=True).values_list("pk", flat=True)
    )
    for kind, model, rows, message_of in kinds:
        content_type = ContentType.objects.get_for_model(model)
        for pk, due, sid, name, pid, lead, requester, *rest in rows.order_by("pk").iterator(
            chunk_size=2000
        ):
            message = message_of(name, due, *rest)
            officer = next((uid for uid in (lead, requester) if uid in staff), None)
            for uid in {*providers.get(pid, ()), officer} - {None}:
                yield notifications.notice_row(
                    user_id=uid,
                    kind=kind,
                    content_type=content_type,
                    object_id=pk,
                    due=due,
                    message=message,
                    service_id=sid,
                    now=now,
                )


def nightly(today: date) -> dict:
    """The nightly step: new suggestions, then the overdue notices (emailed by the job's send)."""
    made = sync_suggestions(today)
    notices = notifications.create_once(overdue_notices(today))
    return {"plan_suggestions": made, "plan_notices": notices}


# --- What pages ask ----------------------------------------------------------------------------


def overdue_action_dates(today: date) -> dict[int, list[date]]:
    """Service id -> the due dates of its overdue agreed actions (the concern-level facts)."""
    found: dict[int, list[date]] = {}
    for sid, due in PlanAction.objects.overdue(today).values_list("plan__service_id", "due_on"):
        found.setdefault(sid, []).append(due)
    return found


def history(plan: ImprovementPlan, limit: int = 200) -> list[dict]:
    """The plan's story with who and when, newest first: its steps, the issues added, and each
    action added, removed or moved to another status (its updates are listed with it)."""

    def row(record, what: str) -> dict:
        return {"when": record.history_date, "who": record.history_user, "what": what}

    def status(record) -> str:  # "Submitted: waiting for the officer" -> "submitted"
        return record.get_status_display().split(":")[0].lower()

    rows = []
    previous = None
    for record in plan.history.select_related("history_user").order_by("history_id"):
        if previous is None:
            rows.append(row(record, "Plan requested"))
        elif record.status != previous.status:
            rows.append(row(record, f"Plan {status(record)}"))
        previous = record
    last: dict[int, str] = {}
    records = PlanAction.history.filter(plan_id=plan.pk).select_related("history_user")
    for record in records.order_by("history_id"):
        label = f"Action “{_short(record.what)}”"
        if record.history_type == "+":
            rows.append(row(record, f"{label} added"))
        elif record.history_type == "-":
            rows.append(row(record, f"{label} removed"))
        elif last.get(record.id) != record.status:
            rows.append(row(record, f"{label}: {status(record)}"))
        last[record.id] = record.status
    issues = PlanIssue.history.filter(plan_id=plan.pk, history_type="+")
    for record in issues.select_related("history_user"):
        rows.append(row(record, f"Issue added: “{_short(record.text)}”"))
    rows.sort(key=lambda r: r["when"], reverse=True)
    return rows[:limit]
