"""Demo revocations for ``seed_demo`` (SPEC §9, issue 11 item 7: "a revocation in progress"):

- one **with the board**: proposed three weeks ago, the meeting with the provider held (no
  assurance given), on the agenda of the next board meeting (``demo_meetings()["next"]``);
- one **revoked**, at a service of ``provider_a``'s organisation: the board decided at the
  demo's quorate meeting (``demo_meetings()["quorate"]``), ``manager`` revoked the next day and
  the letter went out; ``provider_a`` has appealed and ``manager2`` (who did not revoke) decides.

Every step goes through ``escalation.revocation_services`` and ``escalation.board``, dated in
the past where the story needs it. A second run finds revocations in place and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from escalation import board
from escalation import revocation_services as services
from escalation.demo_board import demo_meetings
from escalation.models import Revocation, Suspension
from providers.models import CommissioningStatus, Service
from qaf.models import User

ATTENDEES = (
    "Commercial and Quality Support Manager; Commercial and Quality Assurance Manager; for the "
    "provider: the managing director and the registered manager"
)


def _free_services(provider=None) -> list[Service]:
    """Services without a suspension or a revocation, still commissioned, by name."""
    services_ = Service.objects.exclude(
        commissioning_status=CommissioningStatus.DECOMMISSIONED
    ).exclude(pk__in=Suspension.objects.values("service_id"))
    if provider is not None:
        services_ = services_.filter(provider=provider)
    return list(services_.exclude(pk__in=Revocation.objects.values("service_id")).order_by("name"))


def seed_revocations(context) -> None:
    if Revocation.objects.exists():
        return
    today, staff = context["today"], context["staff"]
    officer, manager = staff["officer"], staff["manager"]
    meetings = context.get("board_meetings") or demo_meetings(context)
    provider_user = User.objects.filter(username="provider_a").first()
    own = _free_services(provider_user.provider if provider_user else None)
    anywhere = [s for s in _free_services() if s not in own[:1]]
    made = 0

    # In progress: with the board, on the next meeting's agenda.
    if anywhere:
        service = anywhere[-1]
        revocation = services.propose(
            service,
            actor=officer,
            reasons=["regulator_proceedings"],
            details="The regulator served a notice of proposal to cancel the registration after "
            "finding unsafe medicines management and too few night staff.",
            options_exhausted="Suspension of new placements; quality improvement meetings; a "
            "rectification notice and a final warning from the board.",
            today=today - timedelta(days=21),
        )
        services.record_meeting(
            revocation,
            actor=officer,
            meeting_on=today - timedelta(days=14),
            attendees=ATTENDEES,
            outcome="proceed",
            notes="The provider could not say when night staffing would be safe.",
            today=today - timedelta(days=14),
        )
        if meetings.get("next") is not None:
            board.add_to_agenda(meetings["next"], revocation, actor=manager)
        made += 1

    # Revoked with the board's decision; the provider has appealed.
    quorate = meetings.get("quorate")
    if own and quorate is not None:
        held_on = timezone.localdate(quorate.starts_at)
        service = own[0]
        revocation = services.propose(
            service,
            actor=officer,
            reasons=["systematic_safeguarding", "improvement_plan_failed"],
            details="Three organisational safeguarding enquiries in six months found the same "
            "failures in moving and handling and in night checks.",
            options_exhausted="Suspension; an improvement plan (not delivered); quality "
            "improvement meetings.",
            today=held_on - timedelta(days=17),
        )
        services.record_meeting(
            revocation,
            actor=officer,
            meeting_on=held_on - timedelta(days=10),
            attendees=ATTENDEES,
            outcome="proceed",
            today=held_on - timedelta(days=10),
        )
        board.record_decision(
            quorate,
            subject=revocation,
            outcome="revoke",
            reason="The concerns are systematic and the improvement plan was not delivered.",
            actor=manager,
        )
        services.revoke(
            revocation,
            actor=manager,
            people_plan="We will write to every person supported and their families within a "
            "week, and hold a meeting at the service with the provider.",
            transfer_plan="Each person's social worker will agree a new provider with them and "
            "their family; care moves only once the new provider is ready.",
            today=held_on + timedelta(days=1),
        )
        if provider_user is not None:
            services.appeal(
                revocation,
                actor=provider_user,
                text="A new registered manager started last month and the night checks are "
                "now audited weekly.",
            )
        made += 1
    context["created"]["revocations"] = made
