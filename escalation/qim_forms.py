"""The forms of Quality Improvement Meetings (GOV.UK components through qaf.forms' renderer):
arranging one, its notes (one block per agenda item, rows of actions), the commissioning
position and cancelling."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone

from escalation.models import AGENDA, ActionBy, Position
from escalation.models.qim import AGENDA_CHOICES, REQUIRED_ATTENDEES
from escalation.qim_services import chair_candidates
from qaf.models import User

_TEXTAREA = forms.Textarea(attrs={"rows": 3})
YES_NO = [("yes", "Yes"), ("no", "No")]


def _person(user: User) -> str:
    return f"{user.get_full_name()} ({user.username})" if user.get_full_name() else user.username


class ArrangeForm(forms.Form):
    follow_up = forms.BooleanField(
        required=False,
        label="This is a follow-up QIM",
        help_text="A follow-up meeting has the same agenda (source 003 Table 2).",
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
    venue = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Address",
        help_text="Held at the service wherever possible: left empty, the service's address.",
    )
    chair = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Chair",
        help_text="A designated member of the quality assurance team, not always the contract "
        "manager.",
        empty_label="Choose the chair",
        error_messages={"required": "Choose the chair", "invalid_choice": "Choose the chair"},
    )
    required_attendees = forms.CharField(
        widget=_TEXTAREA,
        initial=REQUIRED_ATTENDEES,
        label="Who must attend from the provider",
        error_messages={"required": "Say who must attend from the provider"},
    )
    other_attendees = forms.CharField(
        required=False,
        widget=_TEXTAREA,
        label="The meeting will also include",
        help_text="For example health colleagues, district nurses, family members or other "
        "agencies. The invitation names them.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = chair_candidates()
        self.fields["chair"].label_from_instance = _person

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("time"):
            data["starts_at"] = timezone.make_aware(datetime.combine(data["day"], data["time"]))
        return data


class PositionForm(forms.Form):
    position = forms.ChoiceField(
        choices=Position.choices,
        widget=forms.RadioSelect,
        label="1. The commissioning position",
        help_text="Suspension and restrictions go on to a suspension proposal, which another "
        "manager approves.",
        error_messages={"required": "Choose the commissioning position"},
    )
    share_with_people = forms.TypedChoiceField(
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect(attrs={"class": "govuk-radios--inline"}),
        label="2. Are the concerns shared with the people using the service and their families?",
        error_messages={
            "required": "Say whether the concerns are shared with the people using "
            "the service and their families"
        },
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Reason",
        error_messages={"required": "Give the reason for the commissioning position"},
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        widget=_TEXTAREA,
        label="Why is the meeting cancelled?",
        error_messages={"required": "Say why the meeting is cancelled"},
    )


FORMS = {"decide-position": PositionForm, "cancel": CancelForm}

ACTION_FIELDS = ("item", "text", "action_by", "owner_name", "owner", "due_on")
DEFAULT_ROWS = 2
MAX_ROWS = 40


class NotesForm(forms.Form):
    """Table 3 in one form: the attendees by organisation and the apologies; one block per
    agenda item (its key discussion points); and rows of new actions (item, action, action by,
    date due). "Add another action" posts the form back with one more row (no JavaScript)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    rows = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    attendees_council = forms.CharField(required=False, widget=_TEXTAREA, label="Council")
    attendees_provider = forms.CharField(required=False, widget=_TEXTAREA, label="Provider")
    attendees_other = forms.CharField(required=False, widget=_TEXTAREA, label="Other stakeholders")
    apologies = forms.CharField(required=False, widget=_TEXTAREA, label="Apologies")

    def __init__(self, *args, rows: int = DEFAULT_ROWS, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            try:
                rows = int(self.data.get("rows") or rows)
            except (TypeError, ValueError):
                rows = DEFAULT_ROWS
        self.row_count = max(1, min(rows, MAX_ROWS))
        self.initial["rows"] = self.row_count
        if self.is_bound:
            self.data = self.data.copy()
            self.data["rows"] = str(self.row_count)
        for entry in AGENDA:
            self.fields[f"points_{entry.number}"] = forms.CharField(
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                label="Key discussion points",
            )
        people = owners if owners is not None else User.objects.none()
        for i in range(self.row_count):
            self.fields[f"a{i}_item"] = forms.TypedChoiceField(
                choices=[("", "Choose the agenda item"), *AGENDA_CHOICES],
                coerce=int,
                required=False,
                label="Agenda item",
            )
            self.fields[f"a{i}_text"] = forms.CharField(
                required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Action"
            )
            self.fields[f"a{i}_action_by"] = forms.ChoiceField(
                choices=[("", "Choose"), *ActionBy.choices], required=False, label="Action by"
            )
            self.fields[f"a{i}_owner_name"] = forms.CharField(
                required=False, max_length=200, label="Name", help_text="Who, in the notes' words"
            )
            owner = forms.ModelChoiceField(
                queryset=people,
                required=False,
                label="Or a person with an account",
                empty_label="Nobody chosen",
            )
            owner.label_from_instance = _person
            self.fields[f"a{i}_owner"] = owner
            self.fields[f"a{i}_due_on"] = forms.DateField(required=False, label="Date due")

    def agenda_blocks(self):
        """Each agenda item with its key points field, for the template's blocks."""
        return [(entry, self[f"points_{entry.number}"]) for entry in AGENDA]

    def action_rows(self):
        return [[self[f"a{i}_{name}"] for name in ACTION_FIELDS] for i in range(self.row_count)]

    def clean(self):
        data = super().clean()
        actions = []
        for i in range(self.row_count):
            row = {name: data.get(f"a{i}_{name}") for name in ACTION_FIELDS}
            if not any(row.get(n) for n in ("item", "text", "owner_name", "owner", "due_on")):
                continue  # an empty row
            missing = {
                "item": "Choose the agenda item of this action",
                "text": "Say what the action is",
                "action_by": "Say whose action it is: the council's, the provider's or another's",
                "due_on": "Give the action's date due",
            }
            for name, message in missing.items():
                if not row.get(name) and not self.has_error(f"a{i}_{name}"):
                    self.add_error(f"a{i}_{name}", message)
            actions.append(row)
        data["actions"] = actions
        data["points"] = {e.number: data.get(f"points_{e.number}", "") for e in AGENDA}
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "version": data.get("version"),
            "attendees_council": data["attendees_council"],
            "attendees_provider": data["attendees_provider"],
            "attendees_other": data["attendees_other"],
            "apologies": data["apologies"],
            "points": data["points"],
            "actions": data["actions"],
        }
