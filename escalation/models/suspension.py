"""A suspension of new placements, or placing with restrictions (SPEC §6 "Suspension"; source
000 §8 and 003 §2.5-2.6), and the provider's appeal against it.

Proposed by an officer or manager, approved or rejected by a manager who did not propose it
(four eyes); in force until lifted (proposed and approved the same way) or overturned on appeal.
It never ends placements already made: it holds the service from new ones. State changes go
through ``escalation.workflows``; the service's ``commissioning_status`` follows.
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


class Restriction(models.TextChoices):
    NO_NEW_PLACEMENTS = "no_new_placements", "No new placements"
    RESTRICTED_PLACEMENTS = "restricted_placements", "Placing with restrictions"


class SuspensionReason(models.TextChoices):
    """Source 000 §8's examples, and "other" with its own words."""

    REGULATOR_RATING = (
        "regulator_rating",
        "Regulator rating of requires improvement or inadequate, without assurance",
    )
    REVIEW_CONCERNS = "review_concerns", "Concerns found by a review, without assurance"
    SAFEGUARDING_ENQUIRY = "safeguarding_enquiry", "Organisational safeguarding enquiry"
    SPONSORSHIP_LICENCE = (
        "sponsorship_licence",
        "Sponsorship licence suspended or recently revoked by the Home Office",
    )
    SERIOUS_COMPLAINT = "serious_complaint", "Serious complaint not yet resolved"
    OTHER = "other", "Other"


class SuspensionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed, waiting for a manager"
    REJECTED = "rejected", "Not approved"
    ACTIVE = "active", "In force"
    LIFT_PROPOSED = "lift_proposed", "In force, lifting proposed"
    LIFTED = "lifted", "Lifted"
    OVERTURNED = "overturned", "Ended on appeal"


S = SuspensionStatus
# At most one of these per service (a database constraint).
OPEN_STATES = frozenset({S.PROPOSED, S.ACTIVE, S.LIFT_PROPOSED})
# The service is held from new placements (or placed with restrictions) in these.
IN_FORCE = frozenset({S.ACTIVE, S.LIFT_PROPOSED})
# What a provider user sees: never a proposal or a rejected one, only what was decided.
PROVIDER_VISIBLE = frozenset({S.ACTIVE, S.LIFT_PROPOSED, S.LIFTED, S.OVERTURNED})


class SuspensionQuerySet(ScopedQuerySet):
    provider_field = "service__provider_id"

    def for_provider_user(self, user) -> SuspensionQuerySet:
        return self.filter(service__provider_id=user.provider_id, status__in=PROVIDER_VISIBLE)

    def in_force(self) -> SuspensionQuerySet:
        return self.filter(status__in=IN_FORCE)

    def open(self) -> SuspensionQuerySet:
        return self.filter(status__in=OPEN_STATES)


class Suspension(VersionedModel):
    service = models.ForeignKey(
        "providers.Service", on_delete=models.PROTECT, related_name="suspensions"
    )
    status = models.CharField(max_length=16, choices=S.choices, default=S.PROPOSED)
    restriction = models.CharField(max_length=24, choices=Restriction.choices)
    restriction_details = models.TextField(
        blank=True,
        help_text="For placing with restrictions: which placements may still be made",
    )
    reasons = ArrayField(
        models.CharField(max_length=24, choices=SuspensionReason.choices),
        help_text="One or more reasons",
    )
    other_reason = models.TextField(blank=True, help_text="The reason, when it is “other”")
    actions_required = models.TextField(help_text="What the provider must do for it to be lifted")
    minimum_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Stays in force at least this many months from approval, even once the "
        "actions are met (source 003 §2.5)",
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_on = models.DateField(null=True, blank=True, help_text="Approved or rejected on")
    decision_comment = models.TextField(blank=True)
    lift_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_reason = models.TextField(
        blank=True, help_text="Why it can be lifted: the actions met, or another reason"
    )
    lift_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_comment = models.TextField(blank=True)
    ended_on = models.DateField(null=True, blank=True, help_text="Lifted or overturned on")

    objects = SuspensionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(status__in=sorted(OPEN_STATES)),
                name="one_open_suspension_per_service",
                violation_error_message="This service already has a suspension proposed or in "
                "force.",
            ),
            models.CheckConstraint(
                condition=~Q(reasons=[]),
                name="suspension_has_a_reason",
                violation_error_message="Give at least one reason.",
            ),
            models.CheckConstraint(
                condition=Q(minimum_months__isnull=True)
                | Q(minimum_months__gte=1, minimum_months__lte=24),
                name="suspension_minimum_months_range",
                violation_error_message="A minimum period is 1 to 24 months.",
            ),
        ]
        indexes = [models.Index(fields=["status", "service"])]

    def __str__(self) -> str:
        return f"{self.get_restriction_display()}: {self.service}"

    def get_absolute_url(self) -> str:
        return reverse("escalation:suspension_detail", args=[self.pk])

    @property
    def in_force(self) -> bool:
        return self.status in IN_FORCE

    @property
    def minimum_until(self):
        """The first day it may be lifted without a reason, when a minimum period was set."""
        if not (self.minimum_months and self.decided_on and self.status != S.REJECTED):
            return None
        from dateutil.relativedelta import relativedelta

        return self.decided_on + relativedelta(months=self.minimum_months)

    @property
    def reason_labels(self) -> list[str]:
        labels = dict(SuspensionReason.choices)
        shown = [labels.get(r, r) for r in self.reasons if r != SuspensionReason.OTHER]
        if SuspensionReason.OTHER in self.reasons and self.other_reason.strip():
            shown.append(self.other_reason.strip())
        return shown

    def clean(self) -> None:
        errors = {}
        if not self.reasons:
            errors["reasons"] = "Choose at least one reason"
        elif SuspensionReason.OTHER in self.reasons and not self.other_reason.strip():
            errors["other_reason"] = "Say what the other reason is"
        if (
            self.restriction == Restriction.RESTRICTED_PLACEMENTS
            and not self.restriction_details.strip()
        ):
            errors["restriction_details"] = "Say which placements may still be made"
        if not self.actions_required.strip():
            errors["actions_required"] = "Say what the provider must do for it to be lifted"
        if errors:
            raise ValidationError(errors)


class AppealStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    UPHELD = "upheld", "Upheld: the suspension ended"
    REFUSED = "refused", "Refused: the suspension stands"


class AppealQuerySet(ScopedQuerySet):
    provider_field = "suspension__service__provider_id"


class Appeal(models.Model):
    """The provider's appeal against a suspension in force (source 000 §8), decided by a manager
    other than the one who approved the suspension."""

    suspension = models.ForeignKey(Suspension, on_delete=models.PROTECT, related_name="appeals")
    status = models.CharField(
        max_length=8, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    text = models.TextField(help_text="Why the provider asks for the suspension to end")
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

    objects = AppealQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[evidence])

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["suspension"],
                condition=Q(status="pending"),
                name="one_pending_appeal_per_suspension",
                violation_error_message="An appeal against this suspension is already waiting "
                "for a decision.",
            ),
        ]

    def __str__(self) -> str:
        return f"Appeal against {self.suspension}"
