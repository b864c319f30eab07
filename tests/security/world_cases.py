"""The permission matrix's escalation cases, for one organisation, each on a service of its own
(one open case per service) in the stage its steps start from: opened (record the contact,
close), contacted (advance to the formal stage), formal (the referral, a manager's; de-escalate;
the papers), and one at the board stage (put on a meeting's agenda). Returned as ids, by name."""

from __future__ import annotations

from django.utils import timezone

from escalation import case_services as cases
from tests.factories import ServiceFactory


def case_objects(provider, *, olivia, maya) -> dict:
    def opened(name: str):
        service = ServiceFactory(provider=provider, name=f"{provider.name} {name}")
        return cases.open_case(service, actor=olivia, concerns="Medicines errors")

    def contacted(name: str):
        return cases.record_contact(
            opened(name),
            actor=olivia,
            contact_kind="call",
            contact_on=timezone.localdate(),
            contact_with="The registered manager",
            contact_outcome="An action plan by Friday",
        )

    def formal(name: str):
        return cases.advance(contacted(name), actor=olivia)

    at_board = cases.advance(
        formal("Mews"), actor=maya, headline_concerns="Medicines", recommendations="A notice"
    )
    return {
        "case_opened": opened("Rise").pk,
        "case_contacted": contacted("Hall").pk,
        "case_formal": formal("Park").pk,
        "case_board": at_board.pk,
    }
