"""A revocation: the council ends its current placements or packages of care with a service and
arranges other care for the people it supports (SPEC §6 "Revocation"; source 000 §8 and 003
§2.4-2.5), and the provider's appeal against it.

    proposed --record-meeting (proceed)--> with_board --revoke--> revoked
    proposed --record-meeting (assured)--> assurance_given
    with_board --not-revoked--> not_revoked
    revoked --appeal upheld--> overturned
    proposed or with_board --withdraw--> withdrawn

An officer or manager proposes it with source 000 §8's reasons; the provider is invited to
meet the Commercial and Quality Support Manager and the Commercial and Quality Assurance
Manager "where the intention to terminate will be discussed" (the meeting: date, attendees,
outcome). If the assurance is given there, it ends; if "the intention is to proceed", the board
decides (a ``BoardSubject``: its outcomes are "revoke" and "do_not_revoke"). Only with an
unused decision of a quorate meeting does a manager revoke: the letter goes to the provider with
the plans for telling the people supported and their families and for the transfer of their
care, and the service is decommissioned. The provider may appeal once; an upheld appeal restores
the commissioning status the service had. State changes go through
``escalation.revocation_workflows``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from qaf.models import VersionedModel
from qaf.scoping import ScopedQuerySet


class RevocationReason(models.TextChoices):
    """Source 000 §8's list, word for word. Unlike the suspension's examples ("this is not an
    exhaustive list"), the revocation's is closed: "This decision will only be taken after
    exhausting all other options and may be the result of the following", so there is no
    "other"."""

    REGULATOR_PROCEEDINGS = (
        "regulator_proceedings",
        "The regulator has identified major concerns around the safety or wellbeing of residents "
        "and has or intends to issue formal proceedings against the provider",
    )
    SYSTEMATIC_SAFEGUARDING = (
        "systematic_safeguarding",
        "B&NES Council or the hosting authority have identified systematic safeguarding concerns "
        "that are causing or likely to cause harm to individuals",
    )
    SPONSORSHIP_LICENCE_REVOKED = (
        "sponsorship_licence_revoked",
        "The Home Office have revoked a sponsorship licence resulting in the provider being "
        "unable to deliver the contract support",
    )
    IMPROVEMENT_PLAN_FAILED = (
        "improvement_plan_failed",
        "The provider has been subject to an improvement plan with B&NES Council and has failed "
        "to provide the necessary assurance to address the concerns identified",
    )


class MeetingOutcome(models.TextChoices):
    """Source 000 §8: "If the necessary assurance is not provided during this meeting and
    intention is to proceed ..."."""

    PROCEED = "proceed", "Assurance not provided: the intention to revoke goes to the board"
    ASSURED = "assured", "The necessary assurance was provided: the revocation ends"


class RevocationStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed: meeting with the provider"
    WITH_BOARD = "with_board", "With the board for a decision"
    ASSURANCE_GIVEN = "assurance_given", "Ended: the provider gave the assurance"
    WITHDRAWN = "withdrawn", "Withdrawn"
    NOT_REVOKED = "not_revoked", "The board decided not to revoke"
    REVOKED = "revoked", "Revoked"
    OVERTURNED = "overturned", "Overturned on appeal"


R = RevocationStatus
# At most one of these per service (a database constraint): proposed, with the board, or in
# effect (a revoked service stays decommissioned; only an upheld appeal ends it).
OPEN_REVOCATION_STATES = frozenset({R.PROPOSED, R.WITH_BOARD, R.REVOKED})
# Before the board's decision: withdrawable.
UNDECIDED = frozenset({R.PROPOSED, R.WITH_BOARD})
# What a provider user sees: only what the board decided, never the proposal, the meeting
# notes or the papers.
PROVIDER_VISIBLE_REVOCATION = frozenset({R.REVOKED, R.OVERTURNED, R.NOT_REVOKED})


class RevocationQuerySet(ScopedQuerySet):
    provider_field = "service__provider_id"

    def for_provider_user(self, user) -> RevocationQuerySet:
        return self.filter(
            service__provider_id=user.provider_id, status__in=PROVIDER_VISIBLE_REVOCATION
        )

    def open(self) -> RevocationQuerySet:
        return self.filter(status__in=OPEN_REVOCATION_STATES)


class Revocation(VersionedModel):
    service = models.ForeignKey(
        "providers.Service", on_delete=models.PROTECT, related_name="revocations"
    )
    status = models.CharField(max_length=16, choices=R.choices, default=R.PROPOSED)
    reasons = ArrayField(
        models.CharField(max_length=32, choices=RevocationReason.choices),
        help_text="One or more of source 000 §8's reasons",
    )
    details = models.TextField(help_text="The concerns, in the council's words")
    options_exhausted = models.TextField(
        help_text="The other options tried first (source 000 §8: “only after exhausting all "
        "other options”)"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_on = models.DateField()
    # The meeting with the provider (source 000 §8).
    meeting_on = models.DateField(null=True, blank=True)
    meeting_attendees = models.TextField(blank=True)
    meeting_outcome = models.CharField(max_length=8, choices=MeetingOutcome.choices, blank=True)
    meeting_notes = models.TextField(blank=True)
    meeting_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The board's decision and the step that acted on it.
    board_decision = models.ForeignKey(
        "escalation.BoardDecision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_on = models.DateField(null=True, blank=True)
    # The letter's plans (source 000 §8, 003 §2.4-2.5), written by the officer.
    people_plan = models.TextField(
        blank=True,
        help_text="How the people supported, and their families as required, are told",
    )
    transfer_plan = models.TextField(
        blank=True, help_text="How their care is transferred to other providers"
    )
    previous_status = models.CharField(
        max_length=16,
        blank=True,
        help_text="The service's commissioning status before it was decommissioned",
    )
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.TextField(blank=True, help_text="Why it was withdrawn")
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = RevocationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(status__in=sorted(OPEN_REVOCATION_STATES)),
                name="one_open_revocation_per_service",
                violation_error_message="This service already has a revocation proposed, with "
                "the board or in effect.",
            ),
            models.CheckConstraint(
                condition=~Q(reasons=[]),
                name="revocation_has_a_reason",
                violation_error_message="Give at least one reason.",
            ),
            models.CheckConstraint(
                condition=~Q(status="revoked") | Q(board_decision__isnull=False),
                name="revoked_by_a_board_decision",
                violation_error_message="A revocation takes effect only with the board's decision.",
            ),
        ]
        indexes = [models.Index(fields=["status", "service"])]

    def __str__(self) -> str:
        return f"Revocation: {self.service}"

    def get_absolute_url(self) -> str:
        return reverse("revocation:detail", args=[self.pk])

    @property
    def reason_labels(self) -> list[str]:
        labels = dict(RevocationReason.choices)
        return [labels.get(r, r) for r in self.reasons]

    @property
    def in_effect(self) -> bool:
        return self.status == R.REVOKED

    def clean(self) -> None:
        errors = {}
        if not self.reasons:
            errors["reasons"] = "Choose at least one reason"
        elif any(r not in RevocationReason.values for r in self.reasons):
            errors["reasons"] = "Choose the reasons from the list"
        if not self.details.strip():
            errors["details"] = "Describe the concerns"
        if not self.options_exhausted.strip():
            errors["options_exhausted"] = (
                "Say which other options were tried first: revocation comes only after "
                "exhausting all other options"
            )
        if errors:
            raise ValidationError(errors)

    # --- The board (escalation.board.BoardSubject) -------------------------------------------

    def board_title(self) -> str:
        return f"{self.service.name} ({self.service.provider.name}): revocation"

    def board_papers(self) -> list[tuple[str, str]]:
        papers = [
            ("Reasons", "\n".join(f"- {label}" for label in self.reason_labels)),
            ("The concerns", self.details),
            ("Other options tried first", self.options_exhausted),
            (
                "Commissioning status",
                self.service.get_commissioning_status_display(),
            ),
        ]
        if self.meeting_on:
            papers.append(
                (
                    "Meeting with the provider",
                    f"{self.meeting_on:%-d %B %Y}. Attendees: {self.meeting_attendees}\n"
                    f"Outcome: {self.get_meeting_outcome_display()}\n{self.meeting_notes}".strip(),
                )
            )
        return papers

    def board_outcomes(self) -> list[tuple[str, str]]:
        if self.status != R.WITH_BOARD:
            return []
        return [
            ("revoke", "Revoke: end the placements and decommission the service"),
            ("do_not_revoke", "Do not revoke"),
        ]


class RevocationAppealStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    UPHELD = "upheld", "Upheld: the revocation is overturned"
    REFUSED = "refused", "Refused: the revocation stands"


class RevocationAppealQuerySet(ScopedQuerySet):
    provider_field = "revocation__service__provider_id"


class RevocationAppeal(models.Model):
    """The provider's appeal against a revocation (source 000 §8: "in writing to the Assistant
    Director of Commissioning"), one per revocation, decided by a manager other than the one who
    revoked."""

    revocation = models.OneToOneField(Revocation, on_delete=models.PROTECT, related_name="appeal")
    status = models.CharField(
        max_length=8,
        choices=RevocationAppealStatus.choices,
        default=RevocationAppealStatus.PENDING,
    )
    text = models.TextField(help_text="Why the provider asks for the revocation to be overturned")
    evidence = models.ManyToManyField("providers.Evidence", blank=True, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_on = models.DateField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    objects = RevocationAppealQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[evidence])

    class Meta:
        ordering = ["-submitted_at", "-pk"]

    def __str__(self) -> str:
        return f"Appeal against {self.revocation}"
