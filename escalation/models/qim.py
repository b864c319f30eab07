"""Quality Improvement Meetings (SPEC §6 "Escalation", formal stage; source 003 Appendix 1 and
Tables 1-3, §2.6).

A QIM belongs to an escalation case (normally at the formal stage or later; a follow-up QIM is
one more row with ``follow_up``). It is "held at the provision wherever possible" (the venue
defaults to the service's address), chaired by a designated member of the quality team who is
not always the contract manager. Its state changes only through ``escalation.qim_workflows``:

    planned -> invited (the invitation letter and the agenda issued) -> held (the notes and
    actions recorded, the notes PDF issued) -> decided (the commissioning position), or
    cancelled with a reason before it is held.

The agenda is the fixed list of Table 2 (``AGENDA``); the notes are one ``QimAgendaNote`` per
agenda item (its key discussion points) and ``QimAction`` rows (the action, who by, the date
due, done on/by), as Table 3 lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from qaf.models import VersionedModel
from qaf.scoping import ScopedQuerySet


@dataclass(frozen=True)
class AgendaEntry:
    number: int  # as our documents number it (1-11)
    seed_number: int  # as source 003 Table 2 prints it (1, 2, 4, ..., 12)
    title: str


# Source 003 Table 2, "QIM Agenda and QIM Follow-Up Agenda": the same list for both, in the
# seed's order and words. The seed's template numbers them 1, 2, 4, ..., 12 (there is no item 3);
# we number them 1-11 in the agenda and the notes, since an agenda sent to a provider with a gap
# in its numbering reads as if an item were withheld. ``seed_number`` keeps the printed number.
AGENDA: tuple[AgendaEntry, ...] = tuple(
    AgendaEntry(number, seed, title)
    for number, (seed, title) in enumerate(
        [
            (1, "Welcome and Introductions"),
            (2, "Reasons for the Meeting"),
            (4, "Recent CQC Inspection Report/Quality Feedback Information"),
            (5, "Recent Safeguarding Investigations and Impact on Quality Concerns"),
            (6, "CQC Action Plan/Improvement plan with ASC"),
            (
                7,
                "Provider Support/ Training Needs, for example, RCPA, Care Quality Associates, "
                "Skills for Care, Care Homes Support Team",
            ),
            (8, "Commissioning Position/Managed Placement Memo"),
            (9, "Communications – Service Users/Families etc"),
            (10, "Rectification Notice/ SCCG Contract Performance Notice"),
            (11, "Any other Business"),
            (12, "Next Meeting – Follow Up QIM/Contract Visit"),
        ],
        start=1,
    )
)
AGENDA_CHOICES = [(entry.number, f"{entry.number}. {entry.title}") for entry in AGENDA]
AGENDA_TITLES = {entry.number: entry.title for entry in AGENDA}

# Source 003 Table 1: who is informed and who is expected to attend.
REQUIRED_ATTENDEES = (
    "The Company owner/Chief Officer and the Nominated Individual (to be informed of the QIM); "
    "the Company owner and/or a senior manager; the Registered Manager"
)


class QimStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    INVITED = "invited", "Invitation issued"
    HELD = "held", "Held: notes recorded"
    DECIDED = "decided", "Commissioning position decided"
    CANCELLED = "cancelled", "Cancelled"


class Position(models.TextChoices):
    """Table 1 point 1: "Suspension of new placements, placing with restrictions or no further
    action"."""

    SUSPEND = "suspend", "Suspension of new placements"
    RESTRICT = "restrict", "Placing with restrictions"
    NO_ACTION = "no_action", "No further action"


# A position that changes the commissioning status goes on to a suspension proposal.
NEEDS_SUSPENSION = {
    Position.SUSPEND: "no_new_placements",
    Position.RESTRICT: "restricted_placements",
}


class ActionBy(models.TextChoices):
    """Who an action falls to, by organisation (Table 3's attendees)."""

    COUNCIL = "council", "Council"
    PROVIDER = "provider", "Provider"
    OTHER = "other", "Other stakeholder"


# What a provider user sees: only a meeting they have been invited to.
PROVIDER_VISIBLE = frozenset({QimStatus.INVITED, QimStatus.HELD, QimStatus.DECIDED})


class QimQuerySet(ScopedQuerySet):
    provider_field = "case__service__provider_id"

    def for_provider_user(self, user) -> QimQuerySet:
        # A planned meeting is the council's working until the invitation goes; a cancelled one
        # stays visible if the provider had been invited to it.
        return self.filter(case__service__provider_id=user.provider_id).filter(
            Q(status__in=PROVIDER_VISIBLE) | Q(invitation_issued_on__isnull=False)
        )


class QualityImprovementMeeting(VersionedModel):
    case = models.ForeignKey(
        "escalation.EscalationCase", on_delete=models.PROTECT, related_name="qims"
    )
    follow_up = models.BooleanField(
        default=False, help_text="A follow-up QIM (source 003 Table 2: the same agenda)"
    )
    starts_at = models.DateTimeField("Date and time")
    venue = models.TextField(
        help_text="Held at the provision wherever possible (source 003 Appendix 1)"
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A designated member of the quality assurance team, not always the contract "
        "manager",
    )
    required_attendees = models.TextField(
        default=REQUIRED_ATTENDEES, help_text="Who must attend from the provider (Table 1)"
    )
    other_attendees = models.TextField(
        blank=True,
        help_text="Others invited: health, district nurses, family members, other agencies",
    )
    status = models.CharField(max_length=12, choices=QimStatus.choices, default=QimStatus.PLANNED)
    invitation_issued_on = models.DateField(null=True, blank=True)
    invitation_issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The notes (Table 3).
    attendees_council = models.TextField("Attendees: council", blank=True)
    attendees_provider = models.TextField("Attendees: provider", blank=True)
    attendees_other = models.TextField("Attendees: other stakeholders", blank=True)
    apologies = models.TextField(blank=True)
    notes_recorded_on = models.DateField(null=True, blank=True)
    notes_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The commissioning position (Table 1, points 1 and 2).
    position = models.CharField(max_length=12, choices=Position.choices, blank=True)
    share_with_people = models.BooleanField(
        null=True,
        blank=True,
        help_text="Whether the concerns are shared with the people using the service and "
        "their families",
    )
    position_reason = models.TextField(blank=True)
    position_decided_on = models.DateField(null=True, blank=True)
    position_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    suspension = models.ForeignKey(
        "escalation.Suspension",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="qims",
        help_text="The suspension proposed after the position was decided",
    )
    cancel_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = QimQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = "quality improvement meeting"
        constraints = [
            models.CheckConstraint(
                condition=Q(status="decided") | Q(position=""),
                name="qim_position_only_when_decided",
            ),
        ]

    def __str__(self) -> str:
        kind = "Follow-up QIM" if self.follow_up else "Quality Improvement Meeting"
        day = timezone.localdate(self.starts_at) if self.starts_at else None
        return f"{kind}, {day:%-d %B %Y}" if day else kind

    def get_absolute_url(self) -> str:
        return reverse("escalation:qim_detail", args=[self.pk])

    @property
    def service(self):
        """The service the case is about: letters and documents are issued about it."""
        return self.case.service

    @property
    def day(self) -> date:
        return timezone.localdate(self.starts_at)

    @property
    def suspension_restriction(self) -> str:
        """The suspension the decided position calls for ("" for no further action)."""
        return NEEDS_SUSPENSION.get(self.position, "")


class QimAgendaNote(models.Model):
    """The key discussion points of one agenda item (Table 3)."""

    qim = models.ForeignKey(
        QualityImprovementMeeting, on_delete=models.CASCADE, related_name="agenda_notes"
    )
    item = models.PositiveSmallIntegerField(choices=AGENDA_CHOICES)
    key_points = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["item"]
        constraints = [
            models.UniqueConstraint(fields=["qim", "item"], name="qim_agenda_note_once"),
        ]

    def __str__(self) -> str:
        return f"{self.qim}: item {self.item}"


class ActionStatus(models.TextChoices):
    OPEN = "open", "To do"
    DONE = "done", "Done"


class QimActionQuerySet(ScopedQuerySet):
    provider_field = "qim__case__service__provider_id"

    def for_provider_user(self, user) -> QimActionQuerySet:
        """The provider's own actions, on a meeting it was invited to."""
        return self.filter(
            qim__in=QualityImprovementMeeting.objects.for_provider_user(user),
        ).filter(Q(action_by=ActionBy.PROVIDER) | Q(owner__provider_id=user.provider_id))

    def open(self) -> QimActionQuerySet:
        return self.filter(status=ActionStatus.OPEN)

    def overdue(self, today: date) -> QimActionQuerySet:
        """Past their date and not done: due today is not overdue, due yesterday is."""
        return self.open().filter(due_on__lt=today)


def is_overdue(due_on: date | None, status: str, today: date) -> bool:
    """The rule, as a pure function: an open action whose date has passed."""
    return status == ActionStatus.OPEN and due_on is not None and due_on < today


class QimAction(models.Model):
    """One action agreed at the meeting (Table 3: agenda item, action by, date)."""

    qim = models.ForeignKey(
        QualityImprovementMeeting, on_delete=models.CASCADE, related_name="actions"
    )
    item = models.PositiveSmallIntegerField(choices=AGENDA_CHOICES)
    text = models.TextField("Action")
    action_by = models.CharField(max_length=10, choices=ActionBy.choices)
    owner_name = models.CharField(
        "Action by (name)", max_length=200, blank=True, help_text="Who, as the notes say it"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who, when they have an account",
    )
    due_on = models.DateField("Date due")
    status = models.CharField(max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    done_on = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = QimActionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["item", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", done_on__isnull=True)
                | Q(status="done", done_on__isnull=False),
                name="qim_action_done_on_when_done",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def item_title(self) -> str:
        return AGENDA_TITLES.get(self.item, "")

    @property
    def who(self) -> str:
        """Action by, in words: the name given, else the user, else the organisation."""
        if self.owner_name:
            return self.owner_name
        if self.owner_id:
            return self.owner.get_full_name() or self.owner.username
        return self.get_action_by_display()

    def overdue_on(self, today: date) -> bool:
        return is_overdue(self.due_on, self.status, today)
