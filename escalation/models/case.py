"""An escalation case (SPEC §6 "Escalation"; source 003 §2.4-2.5 and Appendix 1): one per
service while it is open, moving through the stages of the Quality Policy

    informal -> formal -> board -> rectification_notice -> final_warning -> termination

and at any stage de-escalated one step or closed with a reason. Each move is a ``CaseMove``
row (who, when, why, and the board decision that authorised it, when one must); the stage
changes only through ``escalation.case_workflows`` (qaf.workflow). A case reaches rectification
notice, final warning or termination only with a decision of a quorate board meeting.

The three 6-month clocks of source 003 are dates on the case, set by the steps that start them:
``board_review_due`` (6 months from the referral to the board), ``improvement_due`` (6 months
from the final warning: "evidence sustained improvement ... within a maximum of six months") and
``sustainability_review_due`` (6 months after the case leaves final warning).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from qaf.models import VersionedModel
from qaf.scoping import ScopedQuerySet


class Stage(models.TextChoices):
    INFORMAL = "informal", "Informal"
    FORMAL = "formal", "Formal: quality improvement"
    BOARD = "board", "Referred to the board"
    RECTIFICATION_NOTICE = "rectification_notice", "Rectification notice"
    FINAL_WARNING = "final_warning", "Final warning"
    TERMINATION = "termination", "Termination"
    CLOSED = "closed", "Closed"


# The stages in order: advancing moves one to the right, de-escalating one to the left.
LADDER = (
    Stage.INFORMAL,
    Stage.FORMAL,
    Stage.BOARD,
    Stage.RECTIFICATION_NOTICE,
    Stage.FINAL_WARNING,
    Stage.TERMINATION,
)
OPEN_STAGES = frozenset(LADDER)
# Moving into these needs a decision of a quorate board meeting (source 003 §2.5, Tables 4-5).
BOARD_DECIDES = frozenset({Stage.RECTIFICATION_NOTICE, Stage.FINAL_WARNING, Stage.TERMINATION})
# Each 6-month clock and the stages at which it runs (counts towards the case's next deadline):
# the board's six months from the referral until the case leaves the board's notices, the six
# months to improve while under a final warning, the sustainability review once it has left one
# (closed too: the review is in the service's schedule, and the closed case's page says when).
CLOCK_STAGES = {
    "board_review_due": frozenset({Stage.BOARD, Stage.RECTIFICATION_NOTICE, Stage.FINAL_WARNING}),
    "improvement_due": frozenset({Stage.FINAL_WARNING}),
    "sustainability_review_due": frozenset(set(Stage) - {Stage.FINAL_WARNING}),
}


class ContactKind(models.TextChoices):
    """The informal stage's contact with the provider (source 003 Appendix 1)."""

    CALL = "call", "Phone call"
    MEETING = "meeting", "Informal meeting"


class CaseQuerySet(ScopedQuerySet):
    """Provider users see their own services' cases (their letters are the provider's); the
    board's papers and the case's internal notes are staff-only in the pages that show them."""

    provider_field = "service__provider_id"

    def open(self) -> CaseQuerySet:
        return self.exclude(stage=Stage.CLOSED)


class EscalationCase(VersionedModel):
    service = models.ForeignKey(
        "providers.Service", on_delete=models.PROTECT, related_name="escalation_cases"
    )
    stage = models.CharField(max_length=24, choices=Stage.choices, default=Stage.INFORMAL)
    stage_entered_on = models.DateField(help_text="When the case entered its current stage")
    opened_on = models.DateField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    concerns = models.TextField(help_text="The quality concerns that opened the case")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The officer leading the case",
    )

    # Informal stage: the contact and the written confirmation of its outcome.
    contact_kind = models.CharField(max_length=8, choices=ContactKind.choices, blank=True)
    contact_on = models.DateField(null=True, blank=True)
    contact_with = models.CharField(max_length=200, blank=True, help_text="Who was spoken to")
    contact_outcome = models.TextField(
        blank=True, help_text="The outcome, as confirmed to the provider in writing"
    )
    outcome_confirmed_on = models.DateField(
        null=True, blank=True, help_text="When the written confirmation was sent"
    )

    # Formal stage.
    notice_issued_on = models.DateField(
        null=True, blank=True, help_text="Quality Improvement Notice issued on"
    )

    # Board stage: the referral and the papers QAF does not hold (source 003 Appendix 4).
    referred_on = models.DateField(null=True, blank=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    headline_concerns = models.TextField(blank=True)
    recommendations = models.TextField(blank=True)
    annual_spend = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="£ a year"
    )
    market_risk_notes = models.TextField(blank=True)
    people_supported_notes = models.TextField(
        blank=True, help_text="The people supported, where the register's figures say too little"
    )

    rectification_notice_on = models.DateField(null=True, blank=True)
    final_warning_on = models.DateField(null=True, blank=True)
    termination_on = models.DateField(null=True, blank=True)

    # The 6-month clocks.
    board_review_due = models.DateField(null=True, blank=True)
    improvement_due = models.DateField(null=True, blank=True)
    sustainability_review_due = models.DateField(null=True, blank=True)

    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at_stage = models.CharField(max_length=24, choices=Stage.choices, blank=True)
    close_reason = models.TextField(blank=True)

    objects = CaseQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["service"],
                condition=~Q(stage="closed"),
                name="one_open_escalation_case_per_service",
                violation_error_message="This service already has an open escalation case.",
            ),
            models.CheckConstraint(
                condition=Q(stage="closed") | Q(closed_on__isnull=True),
                name="escalation_case_closed_on_only_when_closed",
            ),
        ]
        indexes = [models.Index(fields=["stage", "service"])]

    def __str__(self) -> str:
        return f"Escalation case: {self.service}"

    def get_absolute_url(self) -> str:
        return reverse("escalation:case_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.stage != Stage.CLOSED

    # --- What the board considers (escalation.board.BoardSubject) -----------------------------

    def board_title(self) -> str:
        return f"{self.service.name} ({self.service.provider.name}): {self.get_stage_display()}"

    def board_papers(self) -> list[tuple[str, str]]:
        """Source 003 Appendix 4's case papers (escalation.case_papers)."""
        from escalation import case_papers

        return case_papers.papers(self)

    def board_outcomes(self) -> list[tuple[str, str]]:
        """The moves only the board decides, from this stage."""
        from escalation.case_workflows import outcomes_for

        return outcomes_for(self.stage)

    # --- The clocks ----------------------------------------------------------------------------

    def clocks(self, today=None):
        from escalation import case_papers

        return case_papers.clocks(self, today)

    def next_deadline(self, today=None):
        """The earliest running 6-month clock, or None (the queue works out the same in SQL:
        ``escalation.queue``, from the same ``CLOCK_STAGES``)."""
        from escalation import case_papers

        return case_papers.next_deadline(self, today)


class CaseMoveQuerySet(ScopedQuerySet):
    provider_field = "case__service__provider_id"


class CaseMove(models.Model):
    """One move of a case: opening it, advancing, de-escalating, closing; who, when and why."""

    case = models.ForeignKey(EscalationCase, on_delete=models.CASCADE, related_name="moves")
    action = models.CharField(max_length=24)
    from_stage = models.CharField(max_length=24, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=24, choices=Stage.choices)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    on = models.DateField(help_text="The day it took effect")
    decision = models.ForeignKey(
        "escalation.BoardDecision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The quorate board decision that authorised it",
    )

    objects = CaseMoveQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case}: {self.action} ({self.on:%d/%m/%Y})"
