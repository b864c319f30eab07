"""The demo council's Quality Improvement Meetings (``seed_demo``, SPEC §9): for each open
escalation case at the formal stage or later (not a terminated one) that has none, a QIM held
three weeks ago (the
invitation and agenda issued two weeks before it, notes with actions: one done, one overdue,
one due next month; the position decided) and a follow-up QIM next month, invited to. Every step
goes through ``escalation.qim_services``; a case with any QIM is left alone, so a second run
changes nothing. Runs after the escalation cases' demo step."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from escalation import qim_services as services
from escalation.models import EscalationCase, QualityImprovementMeeting, Stage


def _at(day, hour: int = 10, minute: int = 30):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def seed_qims(context) -> None:
    today = context["today"]
    officer, officer2 = context["staff"]["officer"], context["staff"]["officer2"]
    created = 0
    cases = (
        EscalationCase.objects.filter(stage__in=sorted(services.QIM_STAGES - {Stage.TERMINATION}))
        .exclude(pk__in=QualityImprovementMeeting.objects.values("case_id"))
        .select_related("service__provider")
        .order_by("pk")
    )
    for n, case in enumerate(cases):
        held_on = today - timedelta(days=21)
        qim = services.arrange(
            case,
            actor=officer,
            starts_at=_at(held_on),
            chair=officer2,
            other_attendees="a district nurse and the ICB's quality lead",
        )
        services.issue_invitation(qim, actor=officer, today=held_on - timedelta(days=14))
        owner = case.service.provider.users.filter(username__startswith="provider_").first()
        actions = services.record_notes(
            qim,
            actor=officer,
            attendees_council=f"{officer2.get_full_name()} (chair), {officer.get_full_name()}",
            attendees_provider="The registered manager and the nominated individual",
            attendees_other="A district nurse",
            apologies="The company owner",
            points={
                2: "Medicines errors reported three months running; two missed visits.",
                3: "The regulator rated the service Requires improvement (safe, well-led).",
                5: "The provider's action plan does not yet cover medicines training.",
                7: "Discussed the commissioning position: see below.",
            },
            actions=[
                {
                    "item": 5,
                    "text": "Send the updated action plan, with medicines training dates",
                    "action_by": "provider",
                    "owner_name": "The registered manager",
                    "owner": owner,
                    "due_on": today - timedelta(days=7),  # overdue
                },
                {
                    "item": 7,
                    "text": "Tell the placement teams of the commissioning position",
                    "action_by": "council",
                    "owner": officer,
                    "due_on": today - timedelta(days=14),
                },
                {
                    "item": 11,
                    "text": "Follow-up QIM to review the action plan",
                    "action_by": "council",
                    "owner": officer2,
                    "due_on": today + timedelta(days=30),
                },
            ],
            today=held_on,
        )
        services.complete_action(actions[1], actor=officer, today=held_on + timedelta(days=2))
        services.decide_position(
            qim,
            actor=officer,
            position="no_action" if n % 2 else "restrict",
            share_with_people=n % 2 == 0,
            reason="Agreed at the meeting after full discussion of the concerns.",
            today=held_on,
        )
        follow_up = services.arrange(
            case,
            actor=officer,
            starts_at=_at(today + timedelta(days=30), 14, 0),
            chair=officer2,
            follow_up=True,
        )
        services.issue_invitation(follow_up, actor=officer, today=today)
        created += 2
    context["created"]["quality improvement meetings"] = (
        context["created"].get("quality improvement meetings", 0) + created
    )
