"""Risk results, their history, the versioned policy (matrix + schedules) and job runs
(SPEC §4, §5, §8). Notifications are qaf's (qaf.models.Notification, qaf.notifications)."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from simple_history.models import HistoricalRecords

from qaf import policy
from qaf.rag import Rag, is_worse
from qaf.scoping import ScopedQuerySet
from risk.matrix import DEFAULT_MATRIX


class PolicyVersion(models.Model):
    """One immutable version of the risk matrix and the schedule rules.

    ``schedules`` holds every setting registered in ``qaf.policy`` (deadlines of every app
    included): read them through ``qaf.policy.setting``/``deadline``, which fill in the
    registered default of a setting a version lacks.

    An administrator's edit saves a new version (never changes an old one) and every service is
    re-rated with it; each result names the version it was computed with.
    """

    number = models.PositiveIntegerField(unique=True)
    matrix = models.JSONField()
    schedules = models.JSONField()
    note = models.TextField(blank=True, help_text="What changed and why")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Version {self.number}"

    @classmethod
    def current(cls) -> PolicyVersion:
        latest = cls.objects.order_by("-number").first()
        if latest is None:
            with transaction.atomic():
                latest, _ = cls.objects.get_or_create(
                    number=1,
                    defaults={
                        "matrix": DEFAULT_MATRIX,
                        "schedules": policy.defaults(),
                        "note": "SPEC §4 and §5 defaults",
                    },
                )
        return latest


class ServiceRisk(models.Model):
    """The latest risk result and schedule of one service: written only when it changes."""

    service = models.OneToOneField(
        "providers.Service", on_delete=models.CASCADE, primary_key=True, related_name="risk"
    )
    rating = models.CharField(max_length=8, choices=Rag.choices)
    score = models.PositiveIntegerField()
    factors = models.JSONField(help_text="[{factor, rag, reason}] in matrix order")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    evaluated_on = models.DateField(help_text="The day this result was last changed")
    next_review_due = models.DateField(
        null=True, blank=True, help_text="None for an out-of-area service: the host reviews it"
    )
    never_reviewed = models.BooleanField(default=True, help_text="No final full review yet")
    review_overdue = models.BooleanField(default=False)
    follow_up_due = models.DateField(null=True, blank=True)
    follow_up_overdue = models.BooleanField(default=False)
    minimum_contact_met = models.BooleanField(default=False)
    information_request_months = models.PositiveSmallIntegerField(null=True, blank=True)
    information_request_due = models.DateField(null=True, blank=True)
    information_request_overdue = models.BooleanField(default=False)
    last_information_request = models.DateField(
        null=True, blank=True, help_text="The day the latest information request was sent"
    )
    direct_monitoring = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["rating", "score"]),
            models.Index(fields=["next_review_due"]),
            models.Index(fields=["review_overdue"]),
            # The dashboard's overdue table: only overdue rows, in due-date order.
            models.Index(
                fields=["next_review_due", "service"],
                condition=models.Q(review_overdue=True),
                name="risk_overdue_by_due_date",
            ),
            # The dashboard's counts read these without visiting the table.
            models.Index(
                fields=["service"],
                include=["rating", "review_overdue"],
                name="risk_service_rating_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}: {self.rating}"


class RatingChange(models.Model):
    """A change of a service's overall rating: from, to, when, which factors changed."""

    service = models.ForeignKey(
        "providers.Service", on_delete=models.CASCADE, related_name="rating_changes"
    )
    date = models.DateField()
    from_rating = models.CharField(max_length=8, choices=Rag.choices, blank=True)
    to_rating = models.CharField(max_length=8, choices=Rag.choices)
    changed_factors = models.JSONField(default=list)
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["date"]), models.Index(fields=["service", "-date"])]

    def __str__(self) -> str:
        return f"{self.service_id} {self.from_rating or 'unrated'} -> {self.to_rating}"

    @property
    def worsened(self) -> bool:
        """Up the RAG scale; a first rating (from none) is not a change for the worse."""
        return is_worse(self.to_rating, self.from_rating)


class JobRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (another run held the lock)"

    name = models.CharField(max_length=60)
    for_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)
    errors = models.TextField(blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for the nightly schedule",
    )

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} for {self.for_date}: {self.status}"


def last_full_run_date():
    """The date of the latest successful nightly run: every stored result was checked then."""
    return (
        JobRun.objects.filter(name="nightly", status=JobRun.Status.SUCCEEDED)
        .order_by("-for_date")
        .values_list("for_date", flat=True)
        .first()
    )


def computed_for(risk: ServiceRisk, last_full_run=None):
    """A result is unchanged since ``evaluated_on`` and was re-checked by each later full run."""
    if last_full_run and last_full_run > risk.evaluated_on:
        return last_full_run
    return risk.evaluated_on


class EarlyWarningQuerySet(ScopedQuerySet):
    provider_field = "service__provider_id"

    def for_provider_user(self, user) -> EarlyWarningQuerySet:
        return self.none()  # the counts include confidential entries (qaf.scoping POLICY)


class EarlyWarning(models.Model):
    """A service's "getting worse" flag (issue 14 item 2, ``risk.early_warning``): recomputed
    by the nightly job, written only when it changes. Staff only: the counts include
    confidential safeguarding and whistleblowing entries."""

    service = models.OneToOneField(
        "providers.Service",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="early_warning",
    )
    flagged = models.BooleanField(default=False)
    flagged_since = models.DateField(
        null=True, blank=True, help_text="The day the current flag was raised"
    )
    reason = models.TextField()
    recent = models.PositiveIntegerField(default=0, help_text="Entries in the last 90 days")
    recent_by_kind = models.JSONField(default=dict)
    previous = models.PositiveIntegerField(
        default=0, help_text="Entries in the year before the 90 days"
    )
    own_rate = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    peer_rate = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    peers = models.PositiveIntegerField(default=0)
    size_band = models.CharField(max_length=8)
    weekly = models.JSONField(default=list, help_text="Entries per week, oldest first")
    computed_for = models.DateField()
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")

    objects = EarlyWarningQuerySet.as_manager()
    # The series and the day move every night: the history keeps what was decided.
    history = HistoricalRecords(excluded_fields=["weekly", "computed_for"])

    class Meta:
        indexes = [
            models.Index(
                fields=["service"], condition=models.Q(flagged=True), name="risk_ew_flagged"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_id}: {'getting worse' if self.flagged else 'no flag'}"
