"""A final review's summary published for the public (issue 14 item 5).

What the public page shows is copied from the review and the register when the summary is
published (the service's name, type and area, the review's date, its overall and domain
ratings), so a later edit of the register or the review never changes a published page, and
the public pages read this one table. Nothing personal is copied: no officer, manager or
provider staff, nobody who uses the service, no intelligence. State changes go through the
workflow in ``reviews.public_workflows``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from providers.models import ServiceType
from qaf.rag import Rag
from qaf.scoping import ScopedQuerySet

# Long enough for a few plain paragraphs, short enough to read on a phone.
SUMMARY_MAX_LENGTH = 2000


class SummaryState(models.TextChoices):
    # Only inside the publishing transaction: a summary is written and published in one step.
    DRAFT = "draft", "Not published"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class PublishedSummaryQuerySet(ScopedQuerySet):
    provider_field = "review__service__provider_id"

    def published(self) -> PublishedSummaryQuerySet:
        return self.filter(state=SummaryState.PUBLISHED)


class PublishedSummary(models.Model):
    review = models.OneToOneField(
        "reviews.Review", on_delete=models.PROTECT, related_name="public_summary"
    )
    state = models.CharField(
        max_length=12, choices=SummaryState.choices, default=SummaryState.DRAFT
    )
    summary = models.TextField(
        "Plain-language summary",
        max_length=SUMMARY_MAX_LENGTH,
        help_text="What the public reads: no names of staff or of people who use the service",
    )
    # Copied from the register and the review when published (see the module's docstring).
    service_name = models.CharField(max_length=200, blank=True)
    service_type = models.CharField(max_length=24, choices=ServiceType.choices, blank=True)
    area = models.CharField(max_length=100, blank=True)
    review_date = models.DateField(null=True, blank=True)
    rating = models.CharField(max_length=8, choices=Rag.choices, blank=True)
    # [{"title": domain, "rating": rag or "", "standards": [{"code", "title", "rating"}]}]
    domains = models.JSONField(default=list, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the row last changed (the public pages' cache key reads the history instead).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = PublishedSummaryQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = "public summary"
        verbose_name_plural = "public summaries"
        constraints = [
            models.CheckConstraint(
                condition=Q(state="draft") | Q(published_at__isnull=False),
                name="published_summary_has_date",
                violation_error_message="A published summary has the date it was published.",
            ),
            models.CheckConstraint(
                condition=~Q(state="withdrawn") | ~Q(withdrawal_reason=""),
                name="withdrawn_summary_has_reason",
                violation_error_message="A withdrawn summary has the reason it was withdrawn.",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "-published_at"], name="summary_state_published"),
        ]

    def __str__(self) -> str:
        return f"Public summary of {self.review}"

    def get_absolute_url(self) -> str:
        return reverse("summaries:detail", args=[self.pk])

    def get_public_url(self) -> str:
        return reverse("public:summary", args=[self.pk])
