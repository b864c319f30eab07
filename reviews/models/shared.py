"""Another council's final QA review outcome, recorded here (issue 14 item 4).

Imported from a shared-outcomes file (docs/shared-outcomes.md) by ``reviews.shared_outcomes``,
which also logs it as intelligence on the matching service. Not confidential: the service's
own provider users see it, as they see the outcome of this council's reviews.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from qaf.rag import Rag
from qaf.scoping import ScopedQuerySet


def council_key(name: str) -> str:
    """A council's name as compared: case-folded, its spaces normalised ("brookshire  council"
    is "Brookshire Council")."""
    return " ".join(str(name).split()).casefold()


class SharedOutcomeQuerySet(ScopedQuerySet):
    provider_field = "service__provider_id"


class SharedOutcome(models.Model):
    service = models.ForeignKey(
        "providers.Service", on_delete=models.PROTECT, related_name="shared_outcomes"
    )
    source_council = models.CharField(
        max_length=200, help_text="The council that carried out the review"
    )
    council_key = models.CharField(
        max_length=200,
        editable=False,
        default="",
        help_text="source_council case-folded, spaces normalised: what matching compares",
    )
    their_review_id = models.CharField(
        "The other council's review id", max_length=100, help_text="As it is in their file"
    )
    supplied_by = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The provider that sent the file in, when it did not come from the council",
    )
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The council's own copy of this outcome, imported by its staff after a "
        "provider sent this one in",
    )
    format_version = models.CharField(max_length=16)
    kind = models.CharField(max_length=16, blank=True, help_text="full or focused")
    visit_date = models.DateField(null=True, blank=True)
    completed_on = models.DateField()
    rating = models.CharField("Overall rating", max_length=8, choices=Rag.choices)
    ratings = models.JSONField(
        default=list,
        blank=True,
        help_text="[{title, rating, standards: [{code, title, rating, mean_score}]}], as sent",
    )
    summary = models.TextField("Summary of findings", blank=True)
    intelligence = models.OneToOneField(
        "providers.Intelligence", on_delete=models.PROTECT, related_name="shared_outcome"
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    objects = SharedOutcomeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-completed_on", "-pk"]
        constraints = [
            # The same outcome imported twice is one record. What a provider sends in never
            # blocks the council's own copy imported by staff (that one supersedes it), and one
            # provider's copy never blocks another's.
            models.UniqueConstraint(
                fields=["council_key", "their_review_id"],
                condition=models.Q(supplied_by__isnull=True),
                name="shared_outcome_once_from_the_council",
            ),
            models.UniqueConstraint(
                fields=["council_key", "their_review_id", "supplied_by"],
                condition=models.Q(supplied_by__isnull=False),
                name="shared_outcome_once_per_supplier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_council}'s review of {self.service} ({self.completed_on:%d %B %Y})"

    def save(self, *args, **kwargs):
        self.council_key = council_key(self.source_council)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return self.intelligence.get_absolute_url()

    @property
    def source(self) -> str:
        if self.supplied_by_id:
            return f"{self.source_council}, supplied by {self.supplied_by.name}"
        return self.source_council
