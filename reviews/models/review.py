"""The QA review and its lifecycle states (SPEC §6). State changes go through
``reviews.services``; the risk engine reads final reviews."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import ExpressionWrapper, Q, Value
from django.urls import reverse
from simple_history.models import HistoricalRecords

from providers.models import validate_not_future
from qaf.models import CASEWORK_ROLES, User, VersionedModel
from qaf.rag import Rag
from qaf.scoping import ScopedQuerySet
from qaf.validators import validate_plausible_date


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
# Provider users see a review once the officer has recorded the visit (an unannounced date is
# never shown before) and never its internal working before the draft is shared.
PROVIDER_VISIBLE_STATES = frozenset(
    {
        ReviewStatus.PLANNED,
        ReviewStatus.INFORMATION_REQUESTED,
        ReviewStatus.VISIT_DONE,
        ReviewStatus.DRAFT,
        ReviewStatus.WITH_PROVIDER,
        ReviewStatus.FINAL,
    }
)


# A provider user sees a review's rating once the report is shared with it (draft or final).
RATING_SHARED_STATES = frozenset({ReviewStatus.WITH_PROVIDER, ReviewStatus.FINAL})
# Reports a manager was asked to look at can still change only while they are drafts.
MANAGER_REVIEW_STATES = frozenset({ReviewStatus.DRAFT, ReviewStatus.WITH_PROVIDER})


class ReviewQuerySet(ScopedQuerySet):
    provider_field = "service__provider_id"

    def for_provider_user(self, user) -> ReviewQuerySet:
        return self.filter(
            service__provider_id=user.provider_id, status__in=PROVIDER_VISIBLE_STATES
        )

    def final(self) -> ReviewQuerySet:
        return self.filter(status=ReviewStatus.FINAL)

    def in_progress(self) -> ReviewQuerySet:
        return self.filter(status__in=IN_PROGRESS)

    def with_visibility(self, user) -> ReviewQuerySet:
        """Annotate ``rating_visible`` and ``visit_date_visible`` for ``user``: the rules of
        ``Review.rating_visible_to`` and ``visit_date_visible_to``, in SQL, for lists and
        downloads (tests/reviews/test_visibility.py holds the two to the same answers)."""
        if not getattr(user, "is_provider_user", False):
            return self.annotate(
                rating_visible=Value(True, output_field=models.BooleanField()),
                visit_date_visible=Value(True, output_field=models.BooleanField()),
            )
        return self.annotate(
            rating_visible=ExpressionWrapper(
                Q(status__in=RATING_SHARED_STATES), output_field=models.BooleanField()
            ),
            visit_date_visible=ExpressionWrapper(
                Q(announced=True) | Q(visit_recorded_at__isnull=False),
                output_field=models.BooleanField(),
            ),
        )

    def waiting_for_manager(self) -> ReviewQuerySet:
        """Draft reports an officer asked a manager to review that no manager has reviewed yet
        (the home page's queue and the review list's filter)."""
        return self.filter(
            manager_review_requested=True,
            manager_reviewed_by__isnull=True,
            status__in=MANAGER_REVIEW_STATES,
        )


class Review(VersionedModel):
    service = models.ForeignKey(
        "providers.Service", on_delete=models.PROTECT, related_name="reviews"
    )
    kind = models.CharField(max_length=8, choices=ReviewKind.choices, default=ReviewKind.FULL)
    status = models.CharField(
        max_length=24, choices=ReviewStatus.choices, default=ReviewStatus.PLANNED
    )
    toolkit = models.ForeignKey(
        "reviews.Toolkit", on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    focus_standards = models.ManyToManyField(
        "reviews.Standard",
        blank=True,
        related_name="+",
        help_text="For a focused review: the standards it looks at",
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The officer who carries out the review",
    )
    announced = models.BooleanField(
        default=True,
        help_text="An unannounced visit's date is never shown to the provider before the "
        "visit is recorded",
    )
    visit_date = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    visit_recorded_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True, help_text="The report's summary of findings")
    actions_required = models.TextField(blank=True)
    suggested_rating = models.CharField(
        max_length=8, choices=Rag.choices, blank=True, help_text="The worst standard RAG"
    )
    rating = models.CharField(
        "Review rating",
        max_length=8,
        choices=Rag.choices,
        blank=True,
        help_text="The final RAG of the review",
    )
    override_reason = models.TextField(
        blank=True, help_text="Why the rating differs from the suggested one (shown in the report)"
    )
    draft_shared_on = models.DateField(null=True, blank=True)
    comments_due = models.DateField(
        null=True, blank=True, help_text="The last day the provider may comment on the draft"
    )
    no_more_comments_on = models.DateField(
        "Provider said it has no further comments on",
        null=True,
        blank=True,
        help_text="The provider may end its time for comments early (SPEC §5)",
    )
    no_more_comments_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    finalised_early_reason = models.TextField(
        "Why the final report was issued before the comment deadline",
        blank=True,
        help_text="A manager's reason for not waiting for the end of the provider's 14 days",
    )
    manager_review_requested = models.BooleanField(default=False)
    manager_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_on = models.DateField(
        null=True,
        blank=True,
        validators=[validate_not_future, validate_plausible_date],
        help_text="The date the final report was issued",
    )
    sent_to_regulator_on = models.DateField(
        null=True, blank=True, validators=[validate_plausible_date]
    )
    historic = models.BooleanField(
        default=False, help_text="Carried out before QAF, or on paper, and recorded afterwards"
    )
    cancelled_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ReviewQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[focus_standards])

    # Who may be named a review's officer: an active officer or manager (SPEC §1). Partners,
    # board members and administrators read reviews but do not carry them out.
    may_carry_out = Q(is_active=True, provider__isnull=True, roles__overlap=sorted(CASEWORK_ROLES))

    class Meta:
        ordering = ["-completed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="final") | (Q(completed_on__isnull=False) & ~Q(rating="")),
                name="final_review_has_date_and_rating",
                violation_error_message="A final review has a completion date and a rating.",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancelled_reason=""),
                name="cancelled_review_has_reason",
                violation_error_message="A cancelled review has a reason.",
            ),
        ]
        indexes = [models.Index(fields=["service", "status", "completed_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.service}"

    def get_absolute_url(self) -> str:
        return reverse("reviews:review_detail", args=[self.pk])

    def document_context(self) -> dict:
        from reviews.documents import report_context

        return report_context(self)

    @property
    def is_overridden(self) -> bool:
        return bool(self.rating and self.suggested_rating and self.rating != self.suggested_rating)

    def visit_date_visible_to(self, user) -> bool:
        """SPEC §6: an unannounced date is never shown to provider users before the visit."""
        if not getattr(user, "is_provider_user", False):
            return True
        return self.announced or self.visit_recorded_at is not None

    def rating_visible_to(self, user) -> bool:
        """A provider sees the rating once the report is shared with it (draft or final).
        Lists and downloads: ``Review.objects.with_visibility(user)`` (``rating_visible``)."""
        if not getattr(user, "is_provider_user", False):
            return True
        return self.status in RATING_SHARED_STATES

    @property
    def waiting_for_manager(self) -> bool:
        """The rule of ``ReviewQuerySet.waiting_for_manager`` for one review."""
        return (
            self.manager_review_requested
            and self.manager_reviewed_by_id is None
            and self.status in MANAGER_REVIEW_STATES
        )

    @classmethod
    def from_db(cls, db, field_names, values):
        review = super().from_db(db, field_names, values)
        review._stored_officer_id = review.__dict__.get("officer_id")
        return review

    def clean(self) -> None:
        errors = {}
        # Checked when the officer is named or changed, not on every later step: an officer
        # who has since left does not block a colleague finishing the review.
        officer_id = self.officer_id
        named = officer_id and officer_id != getattr(self, "_stored_officer_id", None)
        if named and not User.objects.filter(self.may_carry_out, pk=officer_id).exists():
            errors["officer"] = (
                "Choose a quality officer or manager (an active one) to carry out the review"
            )
        if self.status == ReviewStatus.FINAL:
            if not self.completed_on:
                errors["completed_on"] = "Enter the date the review was completed"
            if not self.rating:
                errors["rating"] = "Choose the review's rating"
        if self.is_overridden and not self.override_reason.strip():
            errors["override_reason"] = "Explain why the rating differs from the suggested rating"
        if errors:
            raise ValidationError(errors)
