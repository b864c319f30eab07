"""The evidence library (SPEC §6, §10): files a provider (or staff for a provider) uploads once
and uses to answer many information requests, comments and improvement actions.

Files live in private storage under MEDIA_ROOT/evidence/ with generated names, are checked by
content against an allow-list (qaf.files), and are only ever served as attachments by a view
that asks the scoping rule. A file waits in quarantine until the virus scan says it is clean.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
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
        information request answer, a comment): its own library's current versions, once the
        virus scan found them clean. (A file uploaded with an answer joins it pending, through
        add_evidence.) A replaced version keeps the links it has but takes no new ones."""
        return self.filter(
            provider_id=provider_id, scan_status=ScanStatus.CLEAN, next_version__isnull=True
        )

    def current(self) -> EvidenceQuerySet:
        """The files no newer version has replaced."""
        return self.filter(next_version__isnull=True)

    def review_due(self, today: date) -> EvidenceQuerySet:
        """Current files whose review-by date has passed: the portal asks for a newer version
        (the rule of ``Evidence.review_due``, in SQL)."""
        return self.current().filter(review_by__lt=today)


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
    review_by = models.DateField(
        null=True,
        blank=True,
        help_text="After this date the portal asks for a current version",
        validators=[validate_plausible_date],
    )
    # A new version replaces a file without losing it: the old one keeps its uses and is
    # superseded. One-to-one: a version has at most one successor, so the versions of a
    # document form one chain (two people uploading a new version at once: the second is told).
    previous_version = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
        help_text="The file this one replaces",
    )
    version = models.PositiveIntegerField(default=1, help_text="1 for a first upload")

    objects = EvidenceQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["file"])

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=Q(review_by__isnull=True) | Q(review_by__gte=F("evidence_date")),
                name="evidence_review_by_not_before_its_date",
                violation_error_message="The review-by date cannot be before the date of the "
                "evidence.",
            ),
            models.CheckConstraint(
                condition=~Q(previous_version=F("pk")),
                name="evidence_not_its_own_version",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("providers:evidence_detail", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        if self.review_by and self.evidence_date and self.review_by < self.evidence_date:
            raise ValidationError(
                {"review_by": "The review-by date cannot be before the date of the evidence"}
            )

    def get_download_url(self) -> str:
        return reverse("providers:evidence_download", args=[self.pk])

    @property
    def is_current(self) -> bool:
        """No newer version replaces it (reads the reverse one-to-one: select_related it)."""
        try:
            self.next_version  # noqa: B018
        except Evidence.DoesNotExist:
            return True
        return False

    def review_due(self, today: date) -> bool:
        """The portal asks for a current version from the day after ``review_by``, and only
        for a file no newer version has replaced."""
        return self.review_by is not None and today > self.review_by and self.is_current

    def versions(self) -> list[Evidence]:
        """Every version of this document, oldest first (a chain of a few files)."""
        first = self
        older = []
        while first.previous_version_id:
            first = Evidence.objects.select_related("uploaded_by", "next_version").get(
                pk=first.previous_version_id
            )
            older.append(first)
        newer = []
        last = self
        while True:
            last = (
                Evidence.objects.select_related("uploaded_by", "next_version")
                .filter(previous_version_id=last.pk)
                .first()
            )
            if last is None:
                break
            newer.append(last)
        return [*reversed(older), self, *newer]


class EvidenceUse(models.Model):
    """Where a file was used: one row per file and object that links it (an information request
    item, a visit answer, a report comment, an appeal, an improvement action's update...).

    Written by the ``m2m_changed`` receivers of ``providers.uses`` for every many-to-many field
    to Evidence in the project, so a new kind of link is tracked without code of its own."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="uses")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    used_object = GenericForeignKey("content_type", "object_id")
    used_at = models.DateTimeField(default=timezone.now)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-used_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["evidence", "content_type", "object_id"], name="one_use_per_object"
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.evidence} used at {self.used_at:%Y-%m-%d %H:%M}"


class AccessKind(models.TextChoices):
    EVIDENCE_DOWNLOAD = "evidence_download", "Evidence file downloaded"
    INTELLIGENCE_VIEW = "intelligence_view", "Confidential intelligence viewed"


class DownloadLogQuerySet(ScopedQuerySet):
    """The access log is the administrator's (POLICY): nobody else sees a row of it."""

    def for_provider_user(self, user) -> DownloadLogQuerySet:
        return self.none()


class DownloadLog(models.Model):
    """Who downloaded which evidence file, or opened which confidential intelligence entry
    (SPEC §10): the administrator's access log (privacy.views).

    ``label`` says what was opened in words, so the row still says it once the record itself
    has gone at the end of its retention period (the links are then empty: SET_NULL)."""

    kind = models.CharField(max_length=20, choices=AccessKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    evidence = models.ForeignKey(
        Evidence, on_delete=models.SET_NULL, null=True, blank=True, related_name="downloads"
    )
    intelligence = models.ForeignKey(
        "providers.Intelligence",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="views",
    )
    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The organisation the record was about",
    )
    label = models.CharField("what", max_length=300, blank=True)
    at = models.DateTimeField("when", auto_now_add=True)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)

    objects = DownloadLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"
        indexes = [models.Index(fields=["at"]), models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.user} at {self.at:%Y-%m-%d %H:%M}"
