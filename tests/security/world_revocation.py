"""The permission matrix's revocations, for one organisation: one in each state a step starts
from, each on a service of its own (one open revocation per service). The board (the members
seated by ``world_board``) decided about them at a quorate meeting held today; Mo revoked, so
Maya may decide the appeal. The same meeting decided both ways about the move to level 3 Mo
proposed (``world_concern``'s "concern_proposed"), so that recording either is possible."""

from __future__ import annotations

from django.utils import timezone

from escalation import board, board_services
from escalation import revocation_services as revocations
from escalation.models import BoardMember, ConcernLevel
from tests.escalation.board_support import QUORATE, held_meeting
from tests.escalation.revocation_support import PLANS, with_board
from tests.factories import ServiceFactory

ORGANISATIONS = ("own", "other")


def revocation_objects(world: dict, provider_users: dict, *, olivia, maya, mo) -> None:
    """Adds each organisation's revocations to ``world[which]`` ("own", "other")."""
    from providers.models import Service

    made = {}
    for which in ORGANISATIONS:
        provider = Service.objects.get(pk=world[which]["service"]).provider

        def service(n: int, provider=provider):
            return ServiceFactory(provider=provider, name=f"{provider.name} Wing {n}")

        made[which] = {
            "proposed": revocations.propose(
                service(1),
                actor=olivia,
                reasons=["regulator_proceedings"],
                details="CQC intends to cancel the registration.",
                options_exhausted="Suspension since March.",
            ),
            "with_board": with_board(service(2), olivia),
            "decided": with_board(service(3), olivia),
            "decided_not": with_board(service(4), olivia),
            "revoked": with_board(service(5), olivia),
            "appealed": with_board(service(6), olivia),
        }
    members = {
        name: BoardMember.objects.get(user__username=username, active=True)
        for name, username in (("bea", "bea"), ("ben", "ben"), ("maya", "maya"))
    }
    outcomes = {
        "decided": "revoke",
        "decided_not": "do_not_revoke",
        "revoked": "revoke",
        "appealed": "revoke",
    }
    subjects = [made[w][name] for w in ORGANISATIONS for name in outcomes]
    meeting = held_meeting(
        members,
        QUORATE,
        by=maya,
        day=timezone.localdate(),
        hour=11,
        subjects=subjects,
    )
    for item in meeting.agenda.all():
        name = next(n for w in ORGANISATIONS for n, r in made[w].items() if r == item.subject)
        board_services.decide(
            meeting, item=item, outcome=outcomes[name], reason="Systematic", actor=maya
        )
    for which in ORGANISATIONS:
        proposal = ConcernLevel.objects.get(pk=world[which]["concern_proposed"])
        for outcome in ("approve", "reject"):
            board.record_decision(
                meeting, subject=proposal, outcome=outcome, reason="Agreed", actor=maya
            )
    for which in ORGANISATIONS:
        own = made[which]
        for name in ("revoked", "appealed"):
            revocations.revoke(own[name], actor=mo, **PLANS)
        user = provider_users[which]
        revocations.appeal(own["appealed"], actor=user, text="The enquiries are closed.")
        world[which] |= {f"revocation_{name}": r.pk for name, r in own.items()}
