"""Suspension forms (GOV.UK components through qaf.forms' renderer)."""

from __future__ import annotations

from django import forms

from escalation.models import AppealStatus, Restriction, SuspensionReason
from providers.forms import AttachEvidenceForm

_TEXTAREA = forms.Textarea(attrs={"rows": 4})


class ProposeForm(forms.Form):
    restriction = forms.ChoiceField(
        choices=Restriction.choices,
        widget=forms.RadioSelect,
        label="What is proposed?",
        error_messages={"required": "Choose no new placements or placing with restrictions"},
    )
    restriction_details = forms.CharField(
        required=False,
        widget=_TEXTAREA,
        label="The restrictions",
        help_text="Only for placing with restrictions: which placements may still be made",
    )
    reasons = forms.MultipleChoiceField(
        choices=SuspensionReason.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Reasons",
        help_text="Choose every reason that applies",
        error_messages={"required": "Choose at least one reason"},
    )
    other_reason = forms.CharField(
        required=False, widget=_TEXTAREA, label="The other reason", help_text="Only for “Other”"
    )
    actions_required = forms.CharField(
        widget=_TEXTAREA,
        label="Actions required to lift it",
        help_text="What the provider must do. The letter to the provider lists them.",
        error_messages={"required": "Say what the provider must do for it to be lifted"},
    )
    minimum_months = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=24,
        label="Minimum period in months",
        help_text="Optional: it stays in force at least this long from approval, even once the "
        "actions are met",
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
    )


class CommentForm(forms.Form):
    comment = forms.CharField(required=False, widget=_TEXTAREA, label="Comment")


class ReasonedCommentForm(forms.Form):
    comment = forms.CharField(
        widget=_TEXTAREA, label="Reason", error_messages={"required": "Give the reason"}
    )


class LiftForm(forms.Form):
    reason = forms.CharField(
        widget=_TEXTAREA,
        label="Why can it be lifted?",
        help_text="How the actions required are met, or why it should be lifted now",
        error_messages={"required": "Say why it can be lifted"},
    )


class AppealForm(AttachEvidenceForm):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Why should the suspension end?",
        error_messages={"required": "Say why the suspension should end"},
    )
    field_order = ["text", *AttachEvidenceForm.field_order]

    def __init__(self, *args, provider_id: int, **kwargs):
        super().__init__(*args, provider_id=provider_id, **kwargs)
        self.fields["evidence"].label = "Evidence for the appeal from your library"


class DecideAppealForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[
            (AppealStatus.UPHELD, "Upheld: the suspension ends"),
            (AppealStatus.REFUSED, "Refused: the suspension stands"),
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
