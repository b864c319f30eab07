"""The demo council's improvement plans (``seed_demo``, SPEC §9): a plan in every state, made
through ``escalation.plan_services`` with the dates they would have had, so their history names
who did what:

- closed: Sunrise Home Care Avonmere's, every action verified last summer;
- accepted: Sunrise House's (the rectification notice's concerns), with updates carrying files
  from Sunrise's evidence library, one action waiting to be verified and one overdue;
- returned: Sunrise Lodge's (suspended), with the officer's comments: ``provider_a`` (Pat) can
  change the action and submit it again;
- submitted: Oak Lodge Supported Living's, waiting for the officer;
- draft: Oak Lodge's, its submission overdue and one issue still without an action.

Before them, the nightly step's suggestions (a review rated Red, regulator ratings), most left
open for the officers; one recorded as needing no plan. A service that has a plan is left
alone, and suggestions are made once per trigger, so a second run changes nothing. Runs after
the reviews, suspensions and escalation cases, before the concern-level check (which reads the
overdue action).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from escalation import plan_services as plans
from escalation.models import ImprovementPlan, PlanSuggestion, PlanUpdate
from providers.evidence import Evidence
from providers.models import Service
from qaf.models import User

NOT_NEEDED = (
    "Lavender Supported Living",
    "The regulator agreed an action plan with the provider, which covers every finding; the "
    "re-inspection is due this winter.",
)


def _user(username: str, fallback: User) -> User:
    return User.objects.filter(username=username).first() or fallback


def _library(service: Service) -> dict[str, Evidence]:
    return {e.title: e for e in Evidence.objects.linkable_for(service.provider_id)}


def _update(action, *, actor, day, text, status, evidence=()):
    update = plans.post_update(
        action, actor=actor, text=text, status=status, evidence=evidence, today=day
    )
    # The update's own timestamp is when it was posted: the day the demo says.
    PlanUpdate.objects.filter(pk=update.pk).update(
        created_at=timezone.make_aware(datetime.combine(day, time(15, 30)))
    )
    action.refresh_from_db()
    return update


def _action(issue, *, by, day, what, measure, who, due):
    return plans.add_action(
        issue,
        actor=by,
        today=day,
        what=what,
        success_measure=measure,
        responsible=who,
        due_on=due,
    )


def _closed(service, *, officer, writer, today):
    start = today - timedelta(days=240)
    plan = plans.open_plan(
        service,
        actor=officer,
        text="Missed and late calls: 14 in March, found at the contract meeting; people were "
        "not told when their carer would be late.",
        today=start,
    )
    plans.edit_plan(
        plan, actor=writer, version=None, responsible_person="Pat Jones, Registered Manager"
    )
    issue = plan.issues.get()
    first = _action(
        issue,
        by=writer,
        day=start + timedelta(days=3),
        what="Move to electronic call monitoring with alerts to the coordinator after 15 minutes",
        measure="Monthly call-monitoring report: fewer than 2% of calls late",
        who="Care coordinator",
        due=start + timedelta(days=90),
    )
    second = _action(
        issue,
        by=writer,
        day=start + timedelta(days=3),
        what="Phone the person or their family whenever a call will be more than 30 minutes late",
        measure="Call log audited monthly; feedback survey",
        who="Care coordinator",
        due=start + timedelta(days=60),
    )
    plans.submit(plan, actor=writer, today=start + timedelta(days=10))
    plans.accept(plan, actor=officer, today=start + timedelta(days=13))
    for action, day in ((second, start + timedelta(days=55)), (first, start + timedelta(days=85))):
        _update(
            action,
            actor=writer,
            day=day,
            text="Done: the monitoring reports for the last two months are with the council.",
            status="done",
        )
    for action in (second, first):
        plans.verify(action, actor=officer, today=start + timedelta(days=95))
    return plan


def _accepted(service, *, officer, writer, today):
    start = today - timedelta(days=70)
    library = _library(service)
    plan = plans.open_plan(
        service,
        actor=officer,
        text="Medicines: three errors reported in two months; gaps in the MAR charts.",
        today=start,
    )
    plans.add_issue(
        plan,
        actor=officer,
        text="Night staffing below the agreed levels on eight nights in October.",
        today=start,
    )
    plans.edit_plan(
        plan,
        actor=writer,
        version=None,
        responsible_person="Pat Jones, Registered Manager",
        consultation="The residents' meeting, families by letter, and the ICB's medicines "
        "optimisation team.",
    )
    medicines, staffing = plan.issues.order_by("pk")
    day = start + timedelta(days=4)
    audits = _action(
        medicines,
        by=writer,
        day=day,
        what="Weekly audit of every MAR chart by the deputy manager, gaps followed up the same day",
        measure="Audit results at 100% for four weeks running",
        who="Deputy manager",
        due=today - timedelta(days=30),
    )
    competency = _action(
        medicines,
        by=writer,
        day=day,
        what="A medicines competency assessment for every nurse and senior carer",
        measure="The training matrix shows every assessment passed",
        who="Clinical lead",
        due=today + timedelta(days=30),
    )
    nights = _action(
        staffing,
        by=writer,
        day=day,
        what="Recruit two night care assistants; agency cover booked meanwhile",
        measure="Rotas show the agreed night staffing every night",
        who="Home manager",
        due=today - timedelta(days=10),  # overdue
    )
    plans.submit(plan, actor=writer, today=start + timedelta(days=10))
    plans.accept(plan, actor=officer, today=start + timedelta(days=15))
    audit_file = (
        [library["Medicines audit, October"]] if "Medicines audit, October" in library else []
    )
    matrix = [library["Staff training matrix"]] if "Staff training matrix" in library else []
    _update(
        audits,
        actor=writer,
        day=today - timedelta(days=45),
        text="Weekly audits started; two gaps found and followed up with the nurses.",
        status="in_progress",
        evidence=audit_file,
    )
    _update(
        audits,
        actor=writer,
        day=today - timedelta(days=28),
        text="Four weeks of audits at 100%: the October audit is attached.",
        status="done",
        evidence=audit_file,
    )
    plans.verify(audits, actor=officer, today=today - timedelta(days=21))
    _update(
        competency,
        actor=writer,
        day=today - timedelta(days=3),
        text="Every nurse and senior carer has passed: see the training matrix.",
        status="done",
        evidence=matrix,
    )
    _update(
        nights,
        actor=writer,
        day=today - timedelta(days=40),
        text="One night care assistant started; interviews for the second next week.",
        status="in_progress",
    )
    return plan


def _returned(service, *, officer, writer, today):
    start = today - timedelta(days=25)
    plan = plans.open_plan(
        service,
        actor=officer,
        text="Falls: eleven in September, not analysed for patterns; the suspension's actions "
        "to lift ask for a falls prevention plan.",
        today=start,
    )
    plans.edit_plan(
        plan, actor=writer, version=None, responsible_person="Pat Jones, Registered Manager"
    )
    issue = plan.issues.get()
    day = start + timedelta(days=5)
    _action(
        issue,
        by=writer,
        day=day,
        what="A falls risk assessment for every resident, reviewed monthly",
        measure="Care plan audit: every resident assessed in the month",
        who="Deputy manager",
        due=today + timedelta(days=45),
    )
    vague = _action(
        issue,
        by=writer,
        day=day,
        what="Staff to be more aware of falls",
        measure="Fewer falls",
        who="All staff",
        due=today + timedelta(days=60),
    )
    plans.submit(plan, actor=writer, today=today - timedelta(days=12))
    plans.return_plan(
        plan,
        actor=officer,
        comment="A good start. Please make the second action specific and measurable.",
        comments={
            vague.pk: "What will staff do differently, and how will you show it? For example, "
            "falls training for every carer by a date, and the monthly falls analysis."
        },
        today=today - timedelta(days=5),
    )
    return plan


def _submitted(service, *, officer, writer, today):
    start = today - timedelta(days=20)
    plan = plans.open_plan(
        service,
        actor=officer,
        text="Support plans not reviewed for six months for four of the people supported.",
        today=start,
    )
    plans.edit_plan(
        plan, actor=writer, version=None, responsible_person="Quinn Walsh, Operations Director"
    )
    _action(
        plan.issues.get(),
        by=writer,
        day=start + timedelta(days=6),
        what="Review every support plan with the person and their family",
        measure="Every support plan reviewed in the last three months, signed by the person",
        who="Service manager",
        due=today + timedelta(days=40),
    )
    plans.submit(plan, actor=writer, today=today - timedelta(days=3))
    return plan


def _draft(service, *, officer, writer, today):
    start = today - timedelta(days=20)  # due six days ago: overdue
    plan = plans.open_plan(
        service,
        actor=officer,
        text="Care plans not reviewed monthly, as the Quality Improvement Notice found.",
        today=start,
    )
    plans.add_issue(
        plan,
        actor=officer,
        text="Falls not analysed for patterns or reported to the council.",
        today=start,
    )
    plans.edit_plan(
        plan, actor=writer, version=None, responsible_person="Quinn Walsh, Operations Director"
    )
    _action(
        plan.issues.order_by("pk").first(),
        by=writer,
        day=start + timedelta(days=8),
        what="A monthly care plan review for every resident, checked by the manager",
        measure="Care plan audit at 100% for three months",
        who="Home manager",
        due=today + timedelta(days=60),
    )
    return plan


def _read_what_is_over() -> None:
    """The demo's stories notified as they went; what they asked for has happened since (a
    plan submitted and then accepted, an action done and then verified), so those notices
    are read, and only the ones still waiting show on the home pages."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import OuterRef, Q, Subquery

    from escalation.models import PlanAction, PlanStatus
    from qaf.models import Notification

    plans, actions = (ContentType.objects.get_for_model(m) for m in (ImprovementPlan, PlanAction))
    waiting = {
        "plan_submitted": (plans, ImprovementPlan.objects.filter(status=PlanStatus.SUBMITTED)),
        "plan_requested": (plans, ImprovementPlan.objects.filter(status=PlanStatus.DRAFT)),
        "plan_returned": (plans, ImprovementPlan.objects.filter(status=PlanStatus.RETURNED)),
        "plan_accepted": (plans, ImprovementPlan.objects.filter(status=PlanStatus.ACCEPTED)),
        "plan_action_done": (actions, PlanAction.objects.filter(status="done")),
    }
    still = Q()
    for kind, (content_type, rows) in waiting.items():
        ids = list(rows.values_list("pk", flat=True))
        still |= Q(kind=kind, content_type=content_type, object_id__in=ids)
    Notification.objects.filter(kind__startswith="plan_", read_at__isnull=True).exclude(
        still
    ).update(read_at=timezone.now())
    # A plan returned twice: the latest return is the news.
    returned = Notification.objects.filter(kind="plan_returned", read_at__isnull=True)
    newest = returned.filter(user=OuterRef("user"), object_id=OuterRef("object_id"))
    returned.exclude(pk=Subquery(newest.order_by("-pk").values("pk")[:1])).update(
        read_at=timezone.now()
    )


STORIES = (
    ("Sunrise Home Care Avonmere", "provider_a", _closed),
    ("Sunrise House", "provider_a", _accepted),
    ("Sunrise Lodge", "provider_a", _returned),
    ("Oak Lodge Supported Living", "provider_b", _submitted),
    ("Oak Lodge", "provider_b", _draft),
)


def seed_plans(context) -> None:
    today = context["today"]
    officer = context["staff"]["officer"]
    made = plans.sync_suggestions(today)
    name, reason = NOT_NEEDED
    waiting = PlanSuggestion.objects.filter(service__name=name, status="open").first()
    if waiting is not None:
        plans.not_needed(waiting, actor=officer, reason=reason, today=today)
    created = 0
    for service_name, username, story in STORIES:
        service = Service.objects.filter(name=service_name).first()
        if service is None or ImprovementPlan.objects.filter(service=service).exists():
            continue
        story(service, officer=officer, writer=_user(username, officer), today=today)
        created += 1
    if created:
        _read_what_is_over()
    context["created"]["improvement plans"] = created
    context["created"]["improvement plan suggestions"] = made
