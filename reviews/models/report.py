"""Provider comments on a shared draft report, and the officer's answer to each (SPEC §6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.text import Truncator
from simple_history.models import HistoricalRecords


class CommentResponse(models.TextChoices):
    ACCEPTED = "accepted", "Accepted and the report changed"
    NOT_ACCEPTED = "not_accepted", "Not accepted"


class ReportComment(models.Model):
    review = models.ForeignKey("reviews.Review", on_delete=models.CASCADE, related_name="comments")
    standard = models.ForeignKey(
        "reviews.Standard",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The section commented on; empty for the whole report",
    )
    text = models.TextField(help_text="The factual-accuracy comment")
    evidence = models.ManyToManyField("providers.Evidence", blank=True, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    response = models.CharField(max_length=16, choices=CommentResponse.choices, blank=True)
    response_reason = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(m2m_fields=[evidence])

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(response="not_accepted") | ~models.Q(response_reason=""),
                name="not_accepted_comment_has_reason",
                violation_error_message="Say why the comment is not accepted.",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    # What the evidence page says of a file linked here (providers.uses).
    evidence_use_kind = "Comment on a draft report"
    evidence_use_related = ("review__service",)

    def evidence_use(self) -> tuple[str, str]:
        return (
            f"{self.review}: \u201c{Truncator(self.text).chars(60)}\u201d",
            self.review.get_absolute_url(),
        )
