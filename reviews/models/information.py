"""Information requests (SPEC §6): a list of documents or questions for a provider with a
deadline, answered in the portal by uploads or by picking evidence from the provider's library."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.text import Truncator
from simple_history.models import HistoricalRecords

from qaf.models import VersionedModel
from qaf.scoping import ScopedQuerySet
from qaf.validators import validate_plausible_date


class RequestStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent to the provider"
    CLOSED = "closed", "Closed"


class ItemStatus(models.TextChoices):
    OPEN = "open", "Waiting for the provider"
    ANSWERED = "answered", "Answered"
    ACCEPTED = "accepted", "Accepted"
    NEEDS_MORE = "needs_more", "Needs more"


class InformationRequestQuerySet(ScopedQuerySet):
    provider_field = "service__provider_id"

    def for_provider_user(self, user):
        # A draft is the officer's working copy: providers see requests once sent.
        return self.filter(service__provider_id=user.provider_id).exclude(
            status=RequestStatus.DRAFT
        )


class InformationRequest(VersionedModel):
    service = models.ForeignKey(
        "providers.Service", on_delete=models.PROTECT, related_name="information_requests"
    )
    review = models.ForeignKey(
        "reviews.Review",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="information_requests",
    )
    title = models.CharField(max_length=200, default="Information request")
    message = models.TextField(blank=True, help_text="A covering note to the provider")
    status = models.CharField(
        max_length=8, choices=RequestStatus.choices, default=RequestStatus.DRAFT
    )
    issued_on = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = InformationRequestQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-issued_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.service})"

    def get_absolute_url(self) -> str:
        return reverse("reviews:request_detail", args=[self.pk])

    def document_context(self) -> dict:
        """What the request's letter shows (reviews/information/request_pdf.html)."""
        return {"req": self, "items": list(self.items.order_by("order", "pk"))}


class InformationRequestItem(models.Model):
    request = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.TextField(help_text="The document or the question")
    response = models.TextField(blank=True)
    evidence = models.ManyToManyField("providers.Evidence", blank=True, related_name="+")
    status = models.CharField(max_length=12, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    officer_comment = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords(m2m_fields=[evidence])

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text[:80]

    # What the evidence page says of a file linked here (providers.uses).
    evidence_use_kind = "Information request answer"
    evidence_use_related = ("request",)

    def evidence_use(self) -> tuple[str, str]:
        return (
            f"\u201c{self.request.title}\u201d: {Truncator(self.text).chars(70)}",
            self.request.get_absolute_url(),
        )
