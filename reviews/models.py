"""QA reviews (SPEC §6). The risk engine reads final reviews; the review workflow (toolkits,
visits, reports) builds on this model."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from providers.models import validate_not_future
from qaf.models import VersionedModel
from qaf.scoping import ScopedQuerySet


class Rag(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


class ReviewKind(models.TextChoices):
    FULL = "full", "Full review"
    FOCUSED = "focused", "Focused review"


class ReviewStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    INFORMATION_REQUESTED = "information_requested", "Information requested"
    VISIT_DONE = "visit_done", "Visit done"
    DRAFT = "draft", "Draft report"
    WITH_PROVIDER = "with_provider", "Draft with provider"
    FINAL = "final", "Final"
    CANCELLED = "cancelled", "Cancelled"


IN_PROGRESS = frozenset(
    {
        ReviewStatus.PLANNED,
        ReviewStatus.INFORMATION_REQUESTED,
        ReviewStatus.VISIT_DONE,
        ReviewStatus.DRAFT,
        ReviewStatus.WITH_PROVIDER,
    }
)


class ReviewQuerySet(ScopedQuerySet):
    provider_field = "service__provider_id"

    def final(self) -> ReviewQuerySet:
        return self.filter(status=ReviewStatus.FINAL)

    def in_progress(self) -> ReviewQuerySet:
        return self.filter(status__in=IN_PROGRESS)


class Review(VersionedModel):
    service = models.ForeignKey(
        "providers.Service", on_delete=models.PROTECT, related_name="reviews"
    )
    kind = models.CharField(max_length=8, choices=ReviewKind.choices, default=ReviewKind.FULL)
    status = models.CharField(
        max_length=24, choices=ReviewStatus.choices, default=ReviewStatus.PLANNED
    )
    rating = models.CharField(
        "Review rating",
        max_length=8,
        choices=Rag.choices,
        blank=True,
        help_text="The final RAG of the review",
    )
    completed_on = models.DateField(
        null=True,
        blank=True,
        validators=[validate_not_future],
        help_text="The date the final report was issued",
    )
    historic = models.BooleanField(
        default=False, help_text="Carried out before QAF, or on paper, and recorded afterwards"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ReviewQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-completed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="final") | (Q(completed_on__isnull=False) & ~Q(rating="")),
                name="final_review_has_date_and_rating",
                violation_error_message="A final review has a completion date and a rating.",
            ),
        ]
        indexes = [models.Index(fields=["service", "status", "completed_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.service}"

    def get_absolute_url(self) -> str:
        return reverse("providers:service_detail", args=[self.service_id])

    def clean(self) -> None:
        if self.status == ReviewStatus.FINAL:
            errors = {}
            if not self.completed_on:
                errors["completed_on"] = "Enter the date the review was completed"
            if not self.rating:
                errors["rating"] = "Choose the review's rating"
            if errors:
                raise ValidationError(errors)
