"""Information requests' state changes (SPEC §6 "Information request"): an officer drafts a
list of documents or questions, sends it with a deadline, the provider answers each item in the
portal (a text and/or evidence from its own library), the officer accepts or asks for more.

Pages and the API both come through here. The state changes are the rows of
reviews.workflows.REQUEST and ITEM, applied by qaf.workflow: a refusal is ``Forbidden`` (403) or
``NotNow`` (409) with its reason, and a race has one winner.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from providers.evidence import Evidence
from providers.models import Service
from qaf.models import User
from qaf.workflow import Forbidden, NotNow
from reviews.models import InformationRequest, InformationRequestItem, Review
from reviews.models.information import RequestStatus
from reviews.services import _caseworker
from reviews.workflows import ITEM, REQUEST, REVIEW, WAITING_FOR_PROVIDER

logger = logging.getLogger(__name__)

# An item still waiting for the provider: what makes a late request overdue.
WAITING = tuple(WAITING_FOR_PROVIDER)


def with_overdue(qs: QuerySet, today: date | None = None) -> QuerySet:
    """Annotate ``overdue``: sent, past its due date, and some item still waiting for the
    provider (an answered item is the officer's to look at, not the provider's lateness)."""
    today = today or timezone.localdate()
    waiting = InformationRequestItem.objects.filter(request=OuterRef("pk"), status__in=WAITING)
    return qs.annotate(waiting=Exists(waiting)).annotate(
        overdue=Q(status=RequestStatus.SENT, due_date__lt=today, waiting=True)
    )


def is_overdue(req: InformationRequest, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        req.status == RequestStatus.SENT
        and req.due_date is not None
        and req.due_date < today
        and req.items.filter(status__in=WAITING).exists()
    )


def create_request(
    service: Service,
    *,
    actor: User,
    items: Iterable[str],
    message: str = "",
    title: str = "",
    review: Review | None = None,
    due_date: date | None = None,
) -> InformationRequest:
    """A draft request: the officer's working copy, invisible to the provider until sent."""
    _caseworker(actor)
    texts = [t.strip() for t in items if t and t.strip()]
    if not texts:
        raise NotNow("List at least one document or question.")
    if review is not None:
        if review.service_id != service.pk:
            raise NotNow("The review belongs to another service.")
        refusal = REVIEW.refusal(review, "request-information", actor)
        if refusal is not None:
            raise refusal
    with transaction.atomic():
        req = InformationRequest(
            service=service,
            review=review,
            title=title.strip() or "Information request",
            message=message,
            due_date=due_date,
            created_by=actor,
        )
        req._history_user = actor
        req.full_clean()
        req.save()
        InformationRequestItem.objects.bulk_create(
            InformationRequestItem(request=req, order=n, text=text)
            for n, text in enumerate(texts, start=1)
        )
    return req


_AS_DRAFTED = object()


def send_request(
    req: InformationRequest,
    *,
    actor: User,
    today: date | None = None,
    due_date: date | None | object = _AS_DRAFTED,
) -> InformationRequest:
    """Draft -> sent: issued today, due after the policy's days from today unless a date is
    set (``due_date``, else the draft's; a date not after today is refused); a planned review
    moves to information requested; the letter is issued and the provider's users are emailed
    once it is committed (reviews.workflows.REQUEST)."""
    chosen = {} if due_date is _AS_DRAFTED else {"due_date": due_date}
    REQUEST.apply(req, "send", actor=actor, today=today, **chosen)
    return req


REQUEST_TEMPLATE = "reviews/information/request_pdf.html"


def issue_request_letter(req: InformationRequest, *, actor: User):
    """The request as a letter (SPEC §7): what is asked for and by when, stored with its
    recipients and listed in the portal beside the request."""
    from qaf.pdf import issue_document, provider_emails

    return issue_document(
        req,
        kind="information_request",
        title=f"Information request – {req.service.name} – {req.title}",
        template=REQUEST_TEMPLATE,
        actor=actor,
        recipients=provider_emails(req.service.provider_id),
    )


def email_provider(req: InformationRequest) -> None:
    from qaf.pdf import provider_emails

    recipients = provider_emails(req.service.provider_id)
    if not recipients:
        return
    link = f"{getattr(settings, 'QAF_BASE_URL', '')}{req.get_absolute_url()}"
    body = (
        f"{settings.COUNCIL_NAME} has asked for information about {req.service.name}.\n\n"
        f"{req.message}\n\nPlease answer by {req.due_date:%d %B %Y} in the provider portal:\n"
        f"{link}\n"
    )
    subject = f"Information request: {req.service.name} (due {req.due_date:%d %B %Y})"
    try:
        # One message per person: no provider user sees another's address.
        send_mass_mail(
            [(subject, body, settings.DEFAULT_FROM_EMAIL, [to]) for to in recipients],
            fail_silently=False,
        )
    except Exception:
        # The request is in the portal either way: a mail server that is down only loses the
        # nudge, never the request.
        logger.exception("Could not email information request %s", req.pk)


def answer_item(
    item: InformationRequestItem,
    *,
    actor: User,
    response: str = "",
    evidence: Iterable[Evidence] = (),
) -> InformationRequestItem:
    """The provider's answer: a text and/or files of its own library (refused as a whole when a
    file belongs to someone else)."""
    files = list(evidence)
    if any(e.provider_id != item.request.service.provider_id for e in files):
        # The role's and the organisation's refusals come first, as for any step.
        refusal = ITEM.refusal(item, "answer", actor)
        if refusal is not None:
            raise refusal
        raise Forbidden("Only evidence from your own library can answer a request.")
    ITEM.apply(item, "answer", actor=actor, response=response, evidence=files)
    return item


def review_item(
    item: InformationRequestItem,
    *,
    actor: User,
    status: str,
    comment: str = "",
    version: int | str | None = None,
) -> InformationRequestItem:
    """The officer accepts an answer, or sends it back with a comment saying what is missing;
    ``version`` is the item's as the officer read it (a newer answer refuses the step)."""
    ITEM.apply(item, "review", actor=actor, status=status, comment=comment, version=version)
    return item


def close_request(req: InformationRequest, *, actor: User) -> InformationRequest:
    REQUEST.apply(req, "close", actor=actor)
    return req
