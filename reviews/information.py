"""Information requests' state changes (SPEC §6 "Information request"): an officer drafts a
list of documents or questions, sends it with a deadline, the provider answers each item in the
portal (a text and/or evidence from its own library), the officer accepts or asks for more.

Pages and the API both come through here. A refusal is ``Forbidden`` (403) or ``NotNow`` (409),
as in reviews.services; transitions are conditional updates (STYLE habit 2).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from providers.evidence import Evidence
from providers.models import Service
from qaf.models import User, record_update
from reviews.models import InformationRequest, InformationRequestItem, Review, ReviewStatus
from reviews.models.information import ItemStatus, RequestStatus
from reviews.services import Forbidden, NotNow, _caseworker, mark_information_requested
from risk.models import PolicyVersion

logger = logging.getLogger(__name__)

# An item still waiting for the provider: what makes a late request overdue.
WAITING = (ItemStatus.OPEN, ItemStatus.NEEDS_MORE)


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
    if review is not None and review.service_id != service.pk:
        raise NotNow("The review belongs to another service.")
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


def send_request(
    req: InformationRequest, *, actor: User, today: date | None = None
) -> InformationRequest:
    """Draft -> sent: issued today, due after the policy's days unless a date was set; a
    planned review moves to information requested; the provider's users are emailed."""
    _caseworker(actor)
    today = today or timezone.localdate()
    due = req.due_date or today + timedelta(
        days=PolicyVersion.current().schedules.get("information_request_days", 28)
    )
    with transaction.atomic():
        updated = InformationRequest.objects.filter(pk=req.pk, status=RequestStatus.DRAFT).update(
            status=RequestStatus.SENT,
            issued_on=today,
            due_date=due,
            version=F("version") + 1,
            updated_at=timezone.now(),
        )
        if not updated:
            req.refresh_from_db()
            raise NotNow(f"The request is {req.get_status_display().lower()}: it was sent already.")
        record_update(req, actor, "updated_at")
        if req.review_id and req.review.status == ReviewStatus.PLANNED:
            mark_information_requested(req.review, actor=actor)
        issue_request_letter(req, actor=actor)
        transaction.on_commit(lambda: _email_provider(req))
    return req


REQUEST_TEMPLATE = "reviews/information/request_pdf.html"


def issue_request_letter(req: InformationRequest, *, actor: User):
    """The request as a letter (SPEC §7): what is asked for and by when, stored with its
    recipients and listed in the portal beside the request."""
    from qaf.pdf import issue_document
    from reviews.documents import provider_emails

    return issue_document(
        req,
        kind="information_request",
        title=f"Information request – {req.service.name} – {req.title}",
        template=REQUEST_TEMPLATE,
        actor=actor,
        recipients=provider_emails(req.service.provider_id),
    )


def _email_provider(req: InformationRequest) -> None:
    recipients = list(
        User.objects.filter(provider_id=req.service.provider_id, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
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


def _provider_of(item: InformationRequestItem, actor: User) -> None:
    if not actor.is_provider_user or actor.provider_id != item.request.service.provider_id:
        raise Forbidden("Only the provider's own users answer its information requests.")


def answer_item(
    item: InformationRequestItem,
    *,
    actor: User,
    response: str = "",
    evidence: Iterable[Evidence] = (),
) -> InformationRequestItem:
    """The provider's answer: a text and/or files of its own library (refused as a whole when a
    file belongs to someone else)."""
    _provider_of(item, actor)
    files = list(evidence)
    provider_id = item.request.service.provider_id
    if any(e.provider_id != provider_id for e in files):
        raise Forbidden("Only evidence from your own library can answer a request.")
    if not response.strip() and not files:
        raise NotNow("Write an answer or attach evidence.")
    with transaction.atomic():
        updated = InformationRequestItem.objects.filter(
            pk=item.pk,
            request__status=RequestStatus.SENT,
            status__in=[*WAITING, ItemStatus.ANSWERED],
        ).update(
            status=ItemStatus.ANSWERED,
            response=response.strip(),
            answered_by=actor,
            answered_at=timezone.now(),
            version=F("version") + 1,
        )
        if not updated:
            raise NotNow("This item is not waiting for an answer.")
        record_update(item, actor, "response")
        item.evidence.set(files)
    return item


def review_item(
    item: InformationRequestItem, *, actor: User, status: str, comment: str = ""
) -> InformationRequestItem:
    """The officer accepts an answer, or sends it back with a comment saying what is missing."""
    _caseworker(actor)
    if status not in (ItemStatus.ACCEPTED, ItemStatus.NEEDS_MORE):
        raise NotNow("Choose accepted or needs more.")
    if status == ItemStatus.NEEDS_MORE and not comment.strip():
        raise NotNow("Say what more is needed.")
    with transaction.atomic():
        updated = InformationRequestItem.objects.filter(
            pk=item.pk, request__status=RequestStatus.SENT, status=ItemStatus.ANSWERED
        ).update(status=status, officer_comment=comment.strip(), version=F("version") + 1)
        if not updated:
            raise NotNow("Only an answered item of a sent request can be accepted or returned.")
        record_update(item, actor, "officer_comment")
    return item


def close_request(req: InformationRequest, *, actor: User) -> InformationRequest:
    _caseworker(actor)
    with transaction.atomic():
        updated = InformationRequest.objects.filter(
            pk=req.pk, status__in=[RequestStatus.DRAFT, RequestStatus.SENT]
        ).update(status=RequestStatus.CLOSED, version=F("version") + 1, updated_at=timezone.now())
        if not updated:
            raise NotNow("The request is closed already.")
        record_update(req, actor, "updated_at")
    return req
