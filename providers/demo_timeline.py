"""Demo data for the service timeline (issue 14 item 1): Sunrise House, the demo service with
the most going on (reviews, intelligence, letters, ratings, an escalation case with the board's
decisions, an improvement plan), gets the one kind of record the steps before left it without:
an information request, sent three months ago and answered by ``provider_a``. Sunrise Care
Ltd's provider timeline then has every kind (its other services hold a suspension and a
revocation). A second run finds the request and changes nothing."""

from __future__ import annotations

from datetime import timedelta

from providers.models import Service
from qaf.models import User

TITLE = "Quarterly contract monitoring"


def seed_timeline(context) -> None:
    from reviews import information as info
    from reviews.models import InformationRequest, ItemStatus

    service = Service.objects.filter(name="Sunrise House").first()
    pat = User.objects.filter(username="provider_a").first()
    if service is None or pat is None:
        return
    if InformationRequest.objects.filter(service=service, title=TITLE).exists():
        return
    officer = context["staff"]["officer"]
    req = info.create_request(
        service,
        actor=officer,
        items=[
            "The falls log for the last quarter",
            "How many agency staff covered night shifts last month?",
        ],
        title=TITLE,
        message="Our quarterly request: please answer in the portal.",
    )
    req = info.send_request(req, actor=officer, today=context["today"] - timedelta(days=90))
    first, second = req.items.order_by("order")
    info.answer_item(second, actor=pat, response="Eleven of thirty night shifts.")
    info.review_item(second, actor=officer, status=ItemStatus.ACCEPTED)
    context["created"]["timeline information requests"] = 1
