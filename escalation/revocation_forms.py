"""Revocation forms (GOV.UK components through qaf.forms' renderer)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from escalation.forms import AppealForm
from escalation.models import (
    BoardMeeting,
    MeetingOutcome,
    MeetingStatus,
    RevocationAppealStatus,
    RevocationReason,
)

_TEXTAREA = forms.Textarea(attrs={"rows": 4})


class ProposeRevocationForm(forms.Form):
    reasons = forms.MultipleChoiceField(
        choices=RevocationReason.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Reasons",
        help_text="Choose every reason that applies (source 000 §8)",
        error_messages={"required": "Choose at least one reason"},
    )
    details = forms.CharField(
        widget=_TEXTAREA,
        label="The concerns",
        help_text="What puts people at risk of harm. The board reads it, and the letter gives it.",
        error_messages={"required": "Describe the concerns"},
    )
    options_exhausted = forms.CharField(
        widget=_TEXTAREA,
        label="Other options tried first",
        help_text="A revocation comes only after exhausting all other options: suspension, "
        "improvement plan, quality improvement meetings, the board's notices",
        error_messages={"required": "Say which other options were tried first"},
    )


class MeetingForm(forms.Form):
    meeting_on = forms.DateField(
        label="Date of the meeting",
        help_text="For example, 27/11/2026",
        error_messages={
            "required": "Enter the date of the meeting",
            "invalid": "Enter the date as day/month/year, for example 27/11/2026",
        },
    )
    attendees = forms.CharField(
        widget=_TEXTAREA,
        label="Who attended",
        help_text="The Commercial and Quality Support Manager and the Commercial and Quality "
        "Assurance Manager, and who came for the provider",
        error_messages={"required": "Say who attended the meeting"},
    )
    outcome = forms.ChoiceField(
        choices=MeetingOutcome.choices,
        widget=forms.RadioSelect,
        label="Outcome",
        error_messages={"required": "Choose the outcome of the meeting"},
    )
    notes = forms.CharField(required=False, widget=_TEXTAREA, label="Notes of the meeting")


class RevokeForm(forms.Form):
    people_plan = forms.CharField(
        widget=_TEXTAREA,
        label="How the people supported and their families are told",
        help_text="The letter to the provider gives this plan",
        error_messages={"required": "Write the plan for telling the people supported"},
    )
    transfer_plan = forms.CharField(
        widget=_TEXTAREA,
        label="How their care is transferred to other providers",
        error_messages={"required": "Write the plan for transferring their care"},
    )


class ConfirmForm(forms.Form):
    """A step that needs nothing but the click (the board decided)."""


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        widget=_TEXTAREA,
        label="Why is it withdrawn?",
        error_messages={"required": "Give the reason"},
    )


class RevocationAppealForm(AppealForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = "Why should the revocation be overturned?"
        self.fields["text"].error_messages["required"] = (
            "Say why the revocation should be overturned"
        )


class DecideRevocationAppealForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[
            (RevocationAppealStatus.UPHELD, "Upheld: the revocation is overturned"),
            (RevocationAppealStatus.REFUSED, "Refused: the revocation stands"),
        ],
        widget=forms.RadioSelect,
        label="Decision",
        error_messages={"required": "Choose upheld or refused"},
    )
    reason = forms.CharField(
        widget=_TEXTAREA,
        label="Reason",
        help_text="The letter to the provider gives it",
        error_messages={"required": "Give the reason for the decision"},
    )


class AgendaForm(forms.Form):
    """Which planned board meeting takes it (escalation.board.add_to_agenda)."""

    meeting = forms.ModelChoiceField(
        queryset=BoardMeeting.objects.none(),
        widget=forms.RadioSelect,
        label="Board meeting",
        empty_label=None,
        error_messages={"required": "Choose a meeting", "invalid_choice": "Choose a meeting"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["meeting"]
        field.queryset = BoardMeeting.objects.filter(
            status=MeetingStatus.PLANNED, starts_at__date__gte=timezone.localdate()
        ).order_by("starts_at")
        field.label_from_instance = lambda m: (
            f"{timezone.localtime(m.starts_at):%-d %B %Y, %H:%M} – {m.get_kind_display()}"
            + (f", {m.place}" if m.place else "")
        )
