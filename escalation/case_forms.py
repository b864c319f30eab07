"""Escalation case forms (GOV.UK components through qaf.forms' renderer). The rules are the
workflow's (escalation.case_workflows): a form only shapes the input."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone

from escalation.case_workflows import ADVANCES, OUTCOME_LABELS
from escalation.models import BoardMeeting, ContactKind, MeetingStatus, Stage
from qaf.concurrency import MAX_VERSION
from qaf.models import Role, User
from qaf.validators import validate_plausible_date

_TEXTAREA = forms.Textarea(attrs={"rows": 4})


def _staff_leads():
    return User.objects.filter(
        Q(roles__contains=[Role.OFFICER]) | Q(roles__contains=[Role.MANAGER]),
        is_active=True,
        provider__isnull=True,
    ).order_by("first_name", "last_name", "username")


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class OpenCaseForm(forms.Form):
    concerns = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        label="What are the quality concerns?",
        help_text="What has been identified, and where it came from (a review, intelligence, "
        "the regulator). Staff only: the provider reads it in the Quality Improvement Notice.",
        error_messages={"required": "Say what the quality concerns are"},
    )
    lead = _PersonChoice(
        queryset=User.objects.none(),
        required=False,
        label="Lead officer",
        help_text="Leave empty to lead it yourself",
        empty_label="Me",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = _staff_leads()


class ContactForm(forms.Form):
    contact_kind = forms.ChoiceField(
        choices=ContactKind.choices,
        widget=forms.RadioSelect,
        label="How did you contact the provider?",
        error_messages={"required": "Choose a phone call or an informal meeting"},
    )
    contact_on = forms.DateField(
        label="Date of the call or meeting",
        validators=[validate_plausible_date],
        help_text="For example, 27/3/2026",
        error_messages={
            "required": "Enter the date of the call or meeting",
            "invalid": "The date must be a real date, like 27/3/2026",
        },
    )
    contact_with = forms.CharField(
        max_length=200,
        label="Who did you speak to?",
        help_text="Name and role, for example “Jo Smith, registered manager”",
        error_messages={"required": "Say who was spoken to"},
    )
    contact_outcome = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        label="The outcome",
        help_text="What was agreed. It is emailed to the provider's users as the written "
        "confirmation of the outcome (source 003 Appendix 1).",
        error_messages={"required": "Give the outcome of the discussion"},
    )


class AdvanceForm(forms.Form):
    """The fields of ``advance`` from the case's stage: the referral's papers and meeting, the
    notice the board decided, a confirmation of termination."""

    reason = forms.CharField(
        required=False,
        widget=_TEXTAREA,
        label="Note",
        help_text="Staff only: kept with the case's history",
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        stage = case.stage
        if stage == Stage.FORMAL:
            self.fields["headline_concerns"] = forms.CharField(
                widget=_TEXTAREA,
                initial=case.headline_concerns,
                label="Headline concerns",
                help_text="For the board's papers",
                error_messages={"required": "Give the headline concerns for the board"},
            )
            self.fields["recommendations"] = forms.CharField(
                widget=_TEXTAREA,
                initial=case.recommendations,
                label="Recommendations",
                help_text="What you recommend the board decides, for example a Rectification "
                "Notice",
                error_messages={"required": "Give the recommendations for the board"},
            )
            meetings = BoardMeeting.objects.filter(
                status=MeetingStatus.PLANNED, starts_at__date__gte=timezone.localdate()
            ).order_by("starts_at")
            self.fields["meeting"] = forms.ModelChoiceField(
                queryset=meetings,
                required=False,
                label="Put it on the agenda of",
                empty_label="No meeting yet",
                help_text="A planned board meeting; you can add it to one later from the case",
            )
            self.order_fields(["headline_concerns", "recommendations", "meeting", "reason"])
        elif len(ADVANCES.get(stage, ())) > 1:
            self.fields["to"] = forms.ChoiceField(
                choices=[(t, OUTCOME_LABELS[t]) for t in ADVANCES[stage]],
                widget=forms.RadioSelect,
                label="What did the board decide?",
                error_messages={"required": "Choose the notice the board decided"},
            )
            self.order_fields(["to", "reason"])
        if stage == Stage.FINAL_WARNING:
            self.fields["confirm"] = forms.BooleanField(
                label="I understand that the service will be decommissioned and the provider "
                "sent a Letter of Termination",
                error_messages={"required": "Confirm that the service is to be decommissioned"},
            )

    def step_params(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("confirm", None)
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=_TEXTAREA,
        label="Reason",
        help_text="Staff only: kept with the case's history",
        error_messages={"required": "Give the reason"},
    )

    def __init__(self, *args, case=None, confirm: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if confirm:
            self.fields["confirm"] = forms.BooleanField(
                label=confirm, error_messages={"required": "Confirm that you mean to do this"}
            )

    def step_params(self) -> dict:
        return {"reason": self.cleaned_data["reason"]}


class PapersForm(forms.Form):
    headline_concerns = forms.CharField(required=False, widget=_TEXTAREA)
    recommendations = forms.CharField(required=False, widget=_TEXTAREA)
    annual_spend = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        label="Annual spend (£)",
        help_text="What the council spends with the provider for this service each year",
        error_messages={"invalid": "Enter the annual spend as an amount, like 125000.00"},
    )
    market_risk_notes = forms.CharField(
        required=False,
        widget=_TEXTAREA,
        label="Market risk and financial viability",
        help_text="Added to the register's market-risk flag",
    )
    people_supported_notes = forms.CharField(
        required=False,
        widget=_TEXTAREA,
        label="People supported",
        help_text="Added to the register's capacity and council-funded people",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=MAX_VERSION)


class AgendaForm(forms.Form):
    meeting = forms.ModelChoiceField(
        queryset=BoardMeeting.objects.none(),
        label="Which meeting?",
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a meeting"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = BoardMeeting.objects.filter(
            status=MeetingStatus.PLANNED, starts_at__date__gte=timezone.localdate()
        ).order_by("starts_at")
