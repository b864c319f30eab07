"""The Care Provider Commissioning and Quality Board (SPEC §6 "Board", source 003 Appendix 4
terms of reference): its members, its meetings with their attendance, and its decisions.

A decision is recorded only at a quorate meeting (``escalation.board.record_decision``); each
names what it is about (an escalation case, a revocation, a service's concern level), the
outcome, the reason and who recorded it, and authorises exactly one step of that subject's
workflow (``escalation.board.use_decision``): a case moves to rectification notice, final
warning or termination only with such a decision.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from qaf.models import VersionedModel
from qaf.scoping import ScopedQuerySet
from qaf.validators import validate_plausible_date


class BoardRole(models.TextChoices):
    """The roles a quorum needs one of each of (source 003 Appendix 4 §5; the required ones are
    the ``QAF_BOARD_REQUIRED_ROLES`` setting)."""

    HEALTH_SAFEGUARDING = (
        "health_safeguarding",
        "Health safeguarding and commissioning representative",
    )
    QUALITY_MANAGER = "quality_manager", "Manager from the council's quality service"
    STRATEGIC_COMMISSIONER = "strategic_commissioner", "Strategic commissioner"
    FINANCE = "finance", "Finance or procurement"
    OTHER = "other", "Other member"


class MemberKind(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    ADVISER = "adviser", "Adviser"


class _StaffOnly(ScopedQuerySet):
    """The board's own records: staff only (provider users never see the board's papers)."""

    provider_field = "pk"

    def for_provider_user(self, user):
        return self.none()


class BoardMember(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="board_member"
    )
    kind = models.CharField(max_length=16, choices=MemberKind.choices)
    role = models.CharField(max_length=24, choices=BoardRole.choices, default=BoardRole.OTHER)
    active = models.BooleanField(default=True)

    objects = _StaffOnly.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.get_kind_display().lower()})"


class MeetingKind(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    URGENT = "urgent", "Urgent (virtual)"


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class BoardMeeting(VersionedModel):
    starts_at = models.DateTimeField()
    kind = models.CharField(
        max_length=12, choices=MeetingKind.choices, default=MeetingKind.SCHEDULED
    )
    place = models.CharField(
        max_length=200, blank=True, help_text="The room, or how to join a virtual meeting"
    )
    status = models.CharField(
        max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    papers_issued_at = models.DateTimeField(null=True, blank=True)
    papers_issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Whether the members present made a quorum, fixed when the attendance is recorded: a
    # non-quorate meeting keeps notes, never minutes or decisions (source 003 Appendix 4 §5).
    quorate = models.BooleanField(default=False)
    notes = models.TextField(
        blank=True, help_text="Minutes of a quorate meeting, notes of one that is not"
    )
    cancel_reason = models.TextField(blank=True, help_text="Why the meeting was cancelled")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = _StaffOnly.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_at", "-pk"]

    def __str__(self) -> str:
        day = timezone.localdate(self.starts_at)
        return f"{self.get_kind_display()} board meeting, {day.day} {day:%B %Y}"

    def clean(self) -> None:
        if self.starts_at:
            try:
                validate_plausible_date(timezone.localdate(self.starts_at))
            except ValidationError as exc:
                raise ValidationError({"starts_at": exc.messages}) from exc

    def get_absolute_url(self) -> str:
        return reverse("board:meeting_detail", args=[self.pk])

    @property
    def notes_label(self) -> str:
        """What its record is called: minutes of a quorate meeting, notes of any other
        (source 003 Appendix 4 §5: "clearly indicated as notes rather than formal minutes")."""
        if self.status == MeetingStatus.HELD and self.quorate:
            return "Minutes"
        if self.status == MeetingStatus.HELD:
            return "Notes (not quorate: no decisions)"
        return "Notes"


class Attendance(models.Model):
    meeting = models.ForeignKey(BoardMeeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(BoardMember, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(default=True)
    # The member's kind and role on the day (a member may change role later).
    kind = models.CharField(max_length=16, choices=MemberKind.choices)
    role = models.CharField(max_length=24, choices=BoardRole.choices)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {'present' if self.present else 'absent'} at {self.meeting}"


class AgendaItem(models.Model):
    """A subject the meeting considers: an escalation case, a revocation, a concern-level
    proposal. The subject's model gives the board its papers and the outcomes it may decide
    (the ``escalation.board.BoardSubject`` protocol)."""

    meeting = models.ForeignKey(BoardMeeting, on_delete=models.CASCADE, related_name="agenda")
    order = models.PositiveSmallIntegerField(default=0)
    subject_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "subject_type", "subject_id"], name="agenda_item_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Item {self.order} of {self.meeting}"


class BoardDecision(models.Model):
    """One decision of a quorate meeting about one subject (a case, a revocation, a concern
    level), authorising one step of that subject's workflow."""

    meeting = models.ForeignKey(BoardMeeting, on_delete=models.PROTECT, related_name="decisions")
    subject_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    outcome = models.CharField(
        max_length=40, help_text="The step it authorises, e.g. rectification_notice"
    )
    reason = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(
        null=True, blank=True, help_text="When the step it authorised was taken"
    )

    objects = _StaffOnly.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "outcome"])]
        constraints = [
            # One decision per subject and outcome at a meeting.
            models.UniqueConstraint(
                fields=["meeting", "subject_type", "subject_id", "outcome"],
                name="one_decision_per_subject_outcome_per_meeting",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="board_decision_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} ({self.meeting})"
