"""Data protection records (docs/data-protection.md): legal holds that stop the retention
purge, and the log of subject-access exports. The access log of confidential entries and
evidence downloads is ``providers.DownloadLog`` (written where they are served)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from qaf.scoping import ScopedQuerySet


class LegalHoldQuerySet(models.QuerySet):
    def active(self) -> LegalHoldQuerySet:
        return self.filter(released_at__isnull=True)


class LegalHold(models.Model):
    """Keep every record about a service (or a whole provider) past its retention period:
    a claim, a complaint to the Ombudsman, an inquest or a police investigation may need them.
    Placed and released by the administrator (Django admin, "Legal holds")."""

    service = models.ForeignKey(
        "providers.Service", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="A hold on a provider keeps the records of all its services",
    )
    reason = models.TextField(help_text="Why the records must be kept (a claim, an inquest...)")
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(service__isnull=False, provider__isnull=True)
                | Q(service__isnull=True, provider__isnull=False),
                name="privacy_hold_on_service_xor_provider",
                violation_error_message="A hold is on one service or one provider.",
            ),
        ]

    def __str__(self) -> str:
        state = "released" if self.released_at else "in force"
        return f"Legal hold on {self.service or self.provider} ({state})"

    def clean(self) -> None:
        if bool(self.service_id) == bool(self.provider_id):
            raise ValidationError("Choose either a service or a provider.")


class SubjectAccessQuerySet(ScopedQuerySet):
    def for_provider_user(self, user) -> SubjectAccessQuerySet:
        return self.none()


class SubjectAccessExport(models.Model):
    """One subject-access export (UK GDPR Article 15): who asked, when, for whom, and how many
    records of each kind the ZIP held. The ZIP itself is never stored."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    subject_name = models.CharField("name searched for", max_length=200)
    subject_email = models.EmailField("email searched for", blank=True)
    reference = models.CharField(
        max_length=100, blank=True, help_text="The request's reference in the council's log"
    )
    counts = models.JSONField(default=dict, help_text="{record type: rows in the ZIP}")
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)

    objects = SubjectAccessQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"Subject access export for {self.subject_name}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())
