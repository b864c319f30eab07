"""A service's concern level (SPEC §6 "Concern level", source 001 Appendix 2), its history and
the nightly job's suggestions.

- ``ConcernLevel``: one row per service once someone has decided or proposed anything (a
  service without one is at level 1). Its ``level`` is the state of the workflow in
  ``escalation.concern_workflows``; a move to or from level 3 waits here as a proposal until
  the board decides it (a ``BoardSubject``: ``escalation.board``), at a quorate meeting.
- ``ConcernDecision``: the history, one row per decision: who, when, from, to, the reason, and
  for a move to or from level 3 who proposed it, who recorded the board's decision and the
  board's words (``comment``).
- ``ConcernSuggestion``: what the nightly job suggests from the triggers
  (``escalation.concern.suggest``), at most one waiting per service, until a manager accepts
  it (a decision to its level) or dismisses it (with a reason), or the triggers no longer
  support it (withdrawn by the next run).

All of it is the council's internal view, like the risk rating: provider users never see it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from qaf.models import VersionedModel
from qaf.scoping import ScopedQuerySet


class Level(models.IntegerChoices):
    ONE = 1, "Level 1: no or minor concerns"
    TWO = 2, "Level 2: moderate concerns"
    THREE = 3, "Level 3: major concerns"


def _level_field(**kwargs) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(choices=Level.choices, **kwargs)


class _StaffOnly(ScopedQuerySet):
    """Staff see every row; provider users none (the council's internal view)."""

    provider_field = "service__provider_id"

    def for_provider_user(self, user):
        return self.none()


class ConcernLevel(VersionedModel):
    service = models.OneToOneField(
        "providers.Service", on_delete=models.CASCADE, primary_key=True, related_name="concern"
    )
    level = _level_field(default=Level.ONE)
    decided_on = models.DateField(null=True, blank=True, help_text="The day it was last changed")
    # A move to or from level 3 waiting for its second decision.
    proposed_level = _level_field(null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_on = models.DateField(null=True, blank=True)
    proposal_reason = models.TextField(blank=True)

    objects = _StaffOnly.as_manager()
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=3), name="concern_level_1_to_3"
            ),
            models.CheckConstraint(
                condition=(
                    Q(proposed_level__isnull=True, proposed_by__isnull=True)
                    | (
                        Q(proposed_level__gte=1, proposed_level__lte=3, proposed_by__isnull=False)
                        & ~Q(proposed_level=models.F("level"))
                    )
                ),
                name="concern_proposal_is_a_move_with_its_proposer",
            ),
        ]
        indexes = [models.Index(fields=["level"])]

    def __str__(self) -> str:
        return f"{self.service}: level {self.level}"

    def get_absolute_url(self) -> str:
        """The service page's concern level section (the board's pages link to it)."""
        return f"{self.service.get_absolute_url()}#concern-level"

    @property
    def proposal_waiting(self) -> bool:
        return self.proposed_level is not None

    # --- The board (escalation.board.BoardSubject): a move to or from level 3 ---------------

    def board_title(self) -> str:
        if self.proposed_level is None:
            return f"{self.service.name}: concern level {self.level}"
        return (
            f"{self.service.name} ({self.service.provider.name}): concern level {self.level} to "
            f"{self.proposed_level} proposed"
        )

    def board_papers(self) -> list[tuple[str, str]]:
        if self.proposed_level is None:
            return [("Concern level", f"Level {self.level}: no move is proposed.")]
        proposer = self.proposed_by.get_full_name() or self.proposed_by.username
        papers = [
            (
                "The proposal",
                f"From level {self.level} to level {self.proposed_level}, proposed by "
                f"{proposer} on {self.proposed_on:%-d %B %Y}.",
            ),
            ("Reason", self.proposal_reason),
        ]
        waiting = self.service.concern_suggestions.filter(status="waiting").first()
        if waiting is not None:
            papers.append(
                (
                    f"The nightly check suggests level {waiting.level}",
                    "\n".join(f"- {reason}" for reason in waiting.reasons),
                )
            )
        return papers

    def board_outcomes(self) -> list[tuple[str, str]]:
        if self.proposed_level is None:
            return []
        return [
            ("approve", f"Approve: move to level {self.proposed_level}"),
            ("reject", f"Do not approve: the service stays at level {self.level}"),
        ]


class DecisionKind(models.TextChoices):
    DECIDED = "decided", "Decided by a manager"
    APPROVED = "approved", "Proposed and approved"
    NOT_APPROVED = "not_approved", "Proposed, not approved"


class ConcernDecision(models.Model):
    """One decision about a service's level, kept for good (the service page's history)."""

    service = models.ForeignKey(
        "providers.Service", on_delete=models.CASCADE, related_name="concern_decisions"
    )
    kind = models.CharField(max_length=12, choices=DecisionKind.choices)
    from_level = _level_field()
    to_level = _level_field(help_text="The level proposed, for a proposal not approved")
    reason = models.TextField(help_text="Why: the manager's, or the proposer's, reason")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who decided it, or approved (or did not approve) the proposal",
    )
    decided_on = models.DateField()
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_on = models.DateField(null=True, blank=True)
    comment = models.TextField(
        blank=True, help_text="The second manager's words on approving, or why not"
    )
    suggestion = models.ForeignKey(
        "ConcernSuggestion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The nightly suggestion this decision accepted",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = _StaffOnly.as_manager()

    class Meta:
        ordering = ["-decided_on", "-pk"]
        indexes = [models.Index(fields=["service", "-decided_on"])]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="concern_decision_has_a_reason"),
            models.CheckConstraint(
                condition=Q(kind="decided") | Q(proposed_by__isnull=False),
                name="concern_second_decision_names_its_proposer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}: {self.from_level} -> {self.to_level} ({self.kind})"

    @property
    def changed(self) -> bool:
        return self.kind != DecisionKind.NOT_APPROVED


class SuggestionStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for a decision"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"
    WITHDRAWN = "withdrawn", "Withdrawn: the triggers no longer support it"


class SuggestionQuerySet(_StaffOnly):
    def waiting(self) -> SuggestionQuerySet:
        return self.filter(status=SuggestionStatus.WAITING)


class ConcernSuggestion(models.Model):
    service = models.ForeignKey(
        "providers.Service", on_delete=models.CASCADE, related_name="concern_suggestions"
    )
    level = _level_field(help_text="The level the triggers suggest")
    from_level = _level_field(help_text="The service's level when it was suggested")
    reasons = ArrayField(models.TextField(), help_text="Each trigger's reason, in plain words")
    triggers = ArrayField(models.CharField(max_length=48), default=list, blank=True)
    created_for = models.DateField(help_text="The day of the nightly run that suggested it")
    status = models.CharField(
        max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.WAITING
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_on = models.DateField(null=True, blank=True)
    dismiss_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SuggestionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-level", "created_for", "pk"]
        constraints = [
            # The nightly job suggests once: a second run finds it waiting (idempotent).
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(status="waiting"),
                name="one_waiting_concern_suggestion_per_service",
                violation_error_message="A suggestion for this service is already waiting.",
            ),
            models.CheckConstraint(
                condition=~Q(level=models.F("from_level")), name="concern_suggestion_is_a_move"
            ),
            models.CheckConstraint(
                condition=~Q(status="dismissed") | ~Q(dismiss_reason=""),
                name="concern_dismissal_has_a_reason",
            ),
        ]
        # The queue's order, to the primary key: its first page is read from the index, not
        # sorted out of every waiting suggestion (30,000 at 100,000 services).
        indexes = [
            models.Index(
                fields=["status", "-level", "created_for", "id"], name="concern_suggestion_queue"
            )
        ]

    def __str__(self) -> str:
        return f"Level {self.level} suggested for {self.service}"
