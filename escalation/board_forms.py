"""The board's forms (GOV.UK components through qaf.forms' renderer): arranging a meeting, its
attendance, a decision, its notes, cancelling it, and the members."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone

from escalation.models import BoardMember, BoardRole, MeetingKind, MemberKind
from qaf.models import User

_TEXTAREA = forms.Textarea(attrs={"rows": 4})


def member_label(member: BoardMember) -> str:
    name = member.user.get_full_name() or member.user.username
    return f"{name} – {member.get_role_display()} ({member.get_kind_display().lower()})"


class ArrangeForm(forms.Form):
    kind = forms.ChoiceField(
        choices=MeetingKind.choices,
        widget=forms.RadioSelect,
        initial=MeetingKind.SCHEDULED,
        label="What kind of meeting?",
        help_text="An urgent meeting is held virtually (video, telephone or email) when a "
        "decision cannot wait for the next scheduled meeting.",
        error_messages={"required": "Choose scheduled or urgent"},
    )
    day = forms.DateField(
        label="Date", error_messages={"required": "Enter the date of the meeting"}
    )
    time = forms.TimeField(
        label="Start time",
        widget=forms.TimeInput(format="%H:%M"),
        error_messages={
            "required": "Enter the time the meeting starts",
            "invalid": "Enter the time as hours and minutes, for example 14:30",
        },
    )
    place = forms.CharField(
        required=False,
        max_length=200,
        label="Where",
        help_text="The room, or how to join a virtual meeting",
    )

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("time"):
            data["starts_at"] = timezone.make_aware(datetime.combine(data["day"], data["time"]))
        return data


class AttendanceForm(forms.Form):
    present = forms.ModelMultipleChoiceField(
        queryset=BoardMember.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Who attended?",
        help_text="Tick each member present. A quorum is at least 3 members present, with one "
        "in each required role.",
        error_messages={
            "required": "Tick the members who attended, or cancel the meeting if it did not "
            "take place"
        },
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["present"]
        field.queryset = BoardMember.objects.filter(pk__in=[m.pk for m in members])
        field.queryset = field.queryset.select_related("user")
        field.label_from_instance = member_label
        field.empty_text = "The board has no active members: add them on the members page."


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="The board's decision",
        error_messages={"required": "Choose the decision", "invalid_choice": "Choose the decision"},
    )
    reason = forms.CharField(
        widget=_TEXTAREA,
        label="Reason for the decision",
        help_text="The minutes, the case and the letter that follows keep it.",
        error_messages={"required": "Give the reason for the decision"},
    )

    def __init__(self, *args, outcomes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = outcomes
        self.fields["outcome"].empty_text = "The item offers no decision to take now."


class NotesForm(forms.Form):
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notes"].label = label


class CancelForm(forms.Form):
    reason = forms.CharField(
        widget=_TEXTAREA,
        label="Why is the meeting cancelled?",
        help_text="The meeting's page keeps it. Its agenda items wait for another meeting.",
        error_messages={"required": "Say why the meeting is cancelled"},
    )


class MemberForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Person",
        help_text="A member of council or health staff with an account. Choosing a member "
        "already listed changes their role.",
        empty_label="Choose a person",
        error_messages={"required": "Choose the person", "invalid_choice": "Choose the person"},
    )
    kind = forms.ChoiceField(
        choices=MemberKind.choices,
        widget=forms.RadioSelect,
        label="Decision maker or adviser?",
        error_messages={"required": "Choose decision maker or adviser"},
    )
    role = forms.ChoiceField(
        choices=BoardRole.choices,
        label="Role on the board",
        help_text="A quorum needs one member present in each required role.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        field.queryset = (
            User.objects.filter(is_active=True, provider__isnull=True)
            .exclude(roles=[])
            .order_by("last_name", "first_name", "username")
        )
        field.label_from_instance = lambda u: (
            f"{u.get_full_name()} ({u.username})" if u.get_full_name() else u.username
        )
