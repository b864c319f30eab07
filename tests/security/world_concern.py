"""The permission matrix's concern level objects, for one organisation: a service with a move
to level 3 proposed by Mo (another manager than Maya, who approves or not), one proposed by
Maya herself (she withdraws it), and a suggestion waiting. Returned as ids, by name."""

from __future__ import annotations

from escalation import concern_services
from tests.escalation.support import waiting_suggestion
from tests.factories import ServiceFactory


def concern_objects(provider, *, maya, mo) -> dict:
    by_mo = ServiceFactory(provider=provider, name=f"{provider.name} Court")
    concern_services.propose(by_mo, actor=mo, level=3, reason="Rated Inadequate")
    by_maya = ServiceFactory(provider=provider, name=f"{provider.name} Gardens")
    concern_services.propose(by_maya, actor=maya, level=3, reason="Suspended for months")
    suggestion = waiting_suggestion(ServiceFactory(provider=provider, name=f"{provider.name} View"))
    return {
        "concern_proposed": by_mo.pk,
        "concern_mine": by_maya.pk,
        "suggestion": suggestion.pk,
    }
