"""What the officer records during the visit: a score and notes per question, notes and people
spoken to per standard. Each row carries a version so that two officers editing the same visit
are told, rather than one silently overwriting the other (reviews.services.save_answer)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.text import Truncator
from simple_history.models import HistoricalRecords


class Score(models.TextChoices):
    EXCELLENT = "4", "Excellent"
    GOOD = "3", "Good"
    REQUIRES_IMPROVEMENT = "2", "Requires improvement"
    POOR = "1", "Poor"
    NOT_APPLICABLE = "na", "Not applicable"


class Answer(models.Model):
    review = models.ForeignKey("reviews.Review", on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey("reviews.Question", on_delete=models.PROTECT, related_name="+")
    score = models.CharField(max_length=2, choices=Score.choices, blank=True)
    notes = models.TextField(blank=True)
    evidence = models.ManyToManyField("providers.Evidence", blank=True, related_name="+")
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[evidence])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "question"], name="one_answer_per_question"),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.get_score_display() or 'unanswered'}"

    # What the evidence page says of a file linked here (providers.uses).
    evidence_use_kind = "Visit record"
    evidence_use_related = ("review__service", "question")

    @classmethod
    def evidence_uses_visible_to(cls, user):
        """A visit record is the officer's working until the draft is shared: a provider user
        sees its uses of their files from then on (the report shows the answers)."""
        from reviews.models.review import RATING_SHARED_STATES, Review

        reviews = Review.objects.restrict(user, "view")
        if getattr(user, "is_provider_user", False):
            reviews = reviews.filter(status__in=RATING_SHARED_STATES)
        return cls.objects.filter(review__in=reviews)

    def evidence_use(self) -> tuple[str, str]:
        return (
            f"{self.review}: {Truncator(self.question.text).chars(70)}",
            self.review.get_absolute_url(),
        )

    @property
    def points(self) -> int | None:
        return int(self.score) if self.score and self.score != Score.NOT_APPLICABLE else None


class StandardNote(models.Model):
    review = models.ForeignKey(
        "reviews.Review", on_delete=models.CASCADE, related_name="standard_notes"
    )
    standard = models.ForeignKey("reviews.Standard", on_delete=models.PROTECT, related_name="+")
    findings = models.TextField(blank=True)
    people_spoken_to = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "standard"], name="one_note_per_standard"),
        ]

    def __str__(self) -> str:
        return f"Notes on {self.standard}"
