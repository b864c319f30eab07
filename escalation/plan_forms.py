"""The forms of improvement plans (GOV.UK components through qaf.forms' renderer)."""

from __future__ import annotations

from django import forms

from escalation.models import IssueSource, PlanActionStatus, PlanSuggestion
from escalation.plan_workflows import NO_COMMENT, NOTHING_TO_PLAN
from providers.forms import AttachEvidenceForm
from qaf.validators import validate_plausible_date

_TEXTAREA = forms.Textarea(attrs={"rows": 3})


class OpenPlanForm(forms.Form):
    """Ask the provider for a plan: the triggers it answers, and any other issue."""

    suggestions = forms.ModelMultipleChoiceField(
        queryset=PlanSuggestion.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="What the plan answers",
        help_text="Each review standard scored Amber or Red becomes an issue of the plan.",
    )
    text = forms.CharField(
        required=False,
        widget=_TEXTAREA,
        label="Another issue (optional)",
        help_text="For example, concerns from a contract meeting or from intelligence.",
    )

    def __init__(self, *args, suggestions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suggestions"].queryset = suggestions
        self.fields["suggestions"].label_from_instance = lambda s: s.describe()
        self.fields["suggestions"].empty_text = "No trigger waits for this service."

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("suggestions") and not (cleaned.get("text") or "").strip():
            raise forms.ValidationError(NOTHING_TO_PLAN)
        return cleaned


class NotNeededForm(forms.Form):
    reason = forms.CharField(
        widget=_TEXTAREA,
        label="Why no improvement plan is needed",
        help_text="For example, the regulator already agreed an action plan that covers it.",
        error_messages={"required": "Say why no improvement plan is needed"},
    )


class PlanDetailsForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    responsible_person = forms.CharField(
        max_length=200,
        label="Person responsible for delivering the plan",
        help_text="Their name and role in your organisation.",
        error_messages={"required": "Name the person responsible for delivering the plan"},
    )
    consultation = forms.CharField(
        required=False,
        widget=_TEXTAREA,
        label="Who you consulted on the plan (optional)",
        help_text="Commissioners, the people you support and their families, other stakeholders.",
    )


class IssueForm(forms.Form):
    text = forms.CharField(
        widget=_TEXTAREA,
        label="The issue",
        error_messages={"required": "Describe the issue"},
    )
    source = forms.ChoiceField(
        choices=IssueSource.choices,
        initial=IssueSource.OTHER,
        label="Where it comes from",
        widget=forms.RadioSelect,
    )
    regulator_plan_agreed = forms.BooleanField(
        required=False,
        label="An action plan agreed with the regulator already covers it",
    )
    regulator_plan_note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="About the regulator's action plan (optional)",
    )

    def clean_source(self):
        value = self.cleaned_data["source"]
        # A review standard is linked only from a review's trigger, never typed in.
        return IssueSource.OTHER if value == IssueSource.REVIEW_STANDARD else value


class ActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    what = forms.CharField(
        widget=_TEXTAREA,
        label="What will be done",
        help_text="Specific and achievable: what changes, for whom.",
        error_messages={"required": "Say what will be done"},
    )
    success_measure = forms.CharField(
        widget=_TEXTAREA,
        label="How success will be evidenced",
        help_text="What will show it is done, for example an audit, records or feedback.",
        error_messages={"required": "Say how success will be evidenced"},
    )
    responsible = forms.CharField(
        max_length=200,
        label="Person responsible",
        error_messages={"required": "Name the person responsible for the action"},
    )
    due_on = forms.DateField(
        label="Due date",
        validators=[validate_plausible_date],
        help_text="For example, 27/3/2027",
        error_messages={
            "required": "Enter the date the action is due",
            "invalid": "The due date must be a real date, like 27/3/2027",
        },
    )


class ReturnForm(forms.Form):
    """A comment on the plan, and one per action (``comment_<id>``)."""

    comment = forms.CharField(
        required=False, widget=_TEXTAREA, label="Comment on the plan as a whole"
    )

    def __init__(self, *args, actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.actions = list(actions)
        for action in self.actions:
            self.fields[f"comment_{action.pk}"] = forms.CharField(
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                label=f"Comment on “{action.what[:80]}”",
                initial=action.return_comment,
            )

    def clean(self):
        cleaned = super().clean()
        if not any((v or "").strip() for k, v in cleaned.items() if k.startswith("comment")):
            raise forms.ValidationError(NO_COMMENT)
        return cleaned

    def comments(self) -> dict[int, str]:
        return {a.pk: self.cleaned_data.get(f"comment_{a.pk}", "") for a in self.actions}


class UpdateForm(AttachEvidenceForm):
    status = forms.ChoiceField(
        choices=[
            (PlanActionStatus.IN_PROGRESS, "In progress"),
            (PlanActionStatus.DONE, "Done: ready for the council to verify"),
        ],
        widget=forms.RadioSelect,
        label="Where the action is now",
        error_messages={"required": "Say where the action is now"},
    )
    text = forms.CharField(
        widget=_TEXTAREA,
        label="What has been done",
        error_messages={"required": "Say what has been done since the last update"},
    )
    field_order = ["status", "text", "evidence", "file", "title", "evidence_date"]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=_TEXTAREA,
        label="Why the action is reopened",
        error_messages={"required": "Say why the action is reopened"},
    )


STEP_FORMS = {"reopen": ReasonForm}
