"""The evidence library (SPEC §6, §10): files a provider (or staff for a provider) uploads once
and uses to answer many information requests, comments and improvement actions.

Files live in private storage under MEDIA_ROOT/evidence/ with generated names, are checked by
content against an allow-list (qaf.files), and are only ever served as attachments by a view
that asks the scoping rule. A file waits in quarantine until the virus scan says it is clean.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from qaf.files import random_name
from qaf.scoping import ScopedQuerySet
from qaf.validators import validate_plausible_date


class ScanStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the virus scan"
    CLEAN = "clean", "Clean"
    QUARANTINED = "quarantined", "Quarantined: a virus was found"


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    # Never the uploader's name or path: a random name with the extension of the checked type.
    return f"evidence/{instance.provider_id}/{random_name(instance.extension)}"


class EvidenceQuerySet(ScopedQuerySet):
    provider_field = "provider_id"

    def downloadable_by(self, user) -> EvidenceQuerySet:
        """Everyone but administrators waits for a clean scan (SPEC §9)."""
        qs = self.visible_to(user)
        if user.is_authenticated and user.has_role("admin"):
            return qs
        return qs.filter(scan_status=ScanStatus.CLEAN)

    def linkable_for(self, provider_id: int) -> EvidenceQuerySet:
        """The files that may be chosen or linked for ``provider_id``'s work (a visit answer, an
        information request answer, a comment): its own library's, once the virus scan found
        them clean. (A file uploaded with an answer joins it pending, through add_evidence.)"""
        return self.filter(provider_id=provider_id, scan_status=ScanStatus.CLEAN)


class Evidence(models.Model):
    provider = models.ForeignKey(
        "providers.Provider", on_delete=models.PROTECT, related_name="evidence"
    )
    title = models.CharField(max_length=200)
    evidence_date = models.DateField(
        help_text="The date the evidence is from", validators=[validate_plausible_date]
    )
    file = models.FileField(upload_to=evidence_upload_to, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=8)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    scan_status = models.CharField(
        max_length=12, choices=ScanStatus.choices, default=ScanStatus.PENDING
    )
    scanned_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = EvidenceQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["file"])

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.title

    def get_download_url(self) -> str:
        return reverse("providers:evidence_download", args=[self.pk])


class DownloadLog(models.Model):
    """Who downloaded which evidence file, or opened which safeguarding entry (SPEC §10)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    evidence = models.ForeignKey(
        Evidence, on_delete=models.PROTECT, null=True, blank=True, related_name="downloads"
    )
    intelligence = models.ForeignKey(
        "providers.Intelligence",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="views",
    )
    at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} at {self.at:%Y-%m-%d %H:%M}"
