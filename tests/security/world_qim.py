"""The permission matrix's Quality Improvement Meetings, one organisation's: an escalation case
at the formal stage (on a service of its own: one open case per service), a meeting planned for
today (the council's working: provider users never see it), one invited to, and one held with an
open action. Returned as ids, by name."""

from __future__ import annotations

from django.utils import timezone

from escalation import qim_services as services
from escalation.models import EscalationCase, Stage
from tests.escalation.qim_support import at
from tests.factories import ServiceFactory


def qim_objects(provider, *, olivia, owen) -> dict:
    today = timezone.localdate()
    service = ServiceFactory(provider=provider, name=f"{provider.name} QIM House")
    case = EscalationCase.objects.create(
        service=service,
        stage=Stage.FORMAL,
        stage_entered_on=today,
        opened_on=today,
        opened_by=olivia,
        concerns="Medicines errors",
    )

    def planned():
        return services.arrange(case, actor=olivia, starts_at=at(today, 9, 0), chair=owen)

    def invited():
        return services.issue_invitation(planned(), actor=olivia).obj

    held = invited()
    [action] = services.record_notes(
        held,
        actor=olivia,
        attendees_council="Owen",
        actions=[{"item": 6, "text": "Send the plan", "action_by": "provider", "due_on": today}],
    )
    return {
        "qim_case": case.pk,
        "qim_planned": planned().pk,
        "qim_invited": invited().pk,
        "qim_held": held.pk,
        "qim_action": action.pk,
    }
