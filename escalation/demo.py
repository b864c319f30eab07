"""The demo council's suspensions (SPEC §9 seed_demo): one proposed and waiting for a manager,
one in force with the provider's appeal waiting, one placing with restrictions, one lifted. Made
through the workflow, so their letters and history are like real ones; a second run changes
nothing (a service that has any suspension is left alone)."""

from __future__ import annotations

from escalation import services
from escalation.models import Suspension
from providers.models import Service

ACTIONS = (
    "1. Send the council the action plan agreed with the regulator.\n"
    "2. Complete the medicines audit and share its results.\n"
    "3. Show that every open safeguarding concern has a named lead and an outcome."
)

# service name -> what the demo shows there
DEMO = {
    "Oak Lodge Supported Living": "proposed",
    "Sunrise Lodge": "appealed",
    "Larkfield Care Home": "restricted",
    "Kingfisher Care Home": "lifted",
}


def seed_suspensions(context) -> None:
    officer, officer2 = context["staff"]["officer"], context["staff"]["officer2"]
    manager, manager2 = context["staff"]["manager"], context["staff"]["manager2"]
    created = 0
    for name, target in DEMO.items():
        service = Service.objects.filter(name=name).select_related("provider").first()
        if service is None or Suspension.objects.filter(service=service).exists():
            continue
        restricted = target == "restricted"
        suspension = services.propose(
            service,
            actor=officer,
            restriction="restricted_placements" if restricted else "no_new_placements",
            restriction_details="No new placements of people living with dementia until the "
            "dementia care plan audit is complete."
            if restricted
            else "",
            reasons=["regulator_rating", "review_concerns"]
            if target != "lifted"
            else ["safeguarding_enquiry"],
            actions_required=ACTIONS,
            minimum_months=6 if target == "appealed" else None,
        )
        created += 1
        if target == "proposed":
            continue
        # manager2 approves what officer proposed: nobody approves their own proposal.
        services.approve(suspension, actor=manager2, comment="Agreed at the QIM.")
        if target == "appealed":
            user = service.provider.users.filter(username__startswith="provider_").first()
            if user is not None:
                services.appeal(
                    suspension,
                    actor=user,
                    text="The medicines audit was completed last week and the action plan was "
                    "sent to the regulator. We ask for the suspension to end.",
                )
        if target == "lifted":
            services.propose_lift(
                suspension, actor=officer2, reason="Every action is met: the enquiry closed."
            )
            services.approve_lift(suspension, actor=manager, comment="Agreed.")
    context["created"]["suspensions"] = context["created"].get("suspensions", 0) + created
