"""The administrator's form for the risk policy: every threshold, mapping, weight, switch and
schedule rule of the current version, saved as a new version."""

from __future__ import annotations

import copy
from typing import Any

from django import forms

from qaf.forms import FieldsetsMixin
from qaf.rag import ORDER, Rag
from risk.matrix import FACTOR_LABELS, FACTORS
from risk.schedules import DEFAULT_SCHEDULES

VALUE_LABELS = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
    "not_held": "Not held",
    "active": "Active",
    "suspended": "Suspended",
    "revoked": "Revoked",
    "green": "Review rated Green",
    "amber": "Review rated Amber",
    "red": "Review rated Red",
    "satisfactory": "Satisfactory",
    "not_satisfactory": "Not satisfactory",
}
OPTION_LABELS = {
    "never_inspected": "Regulated but never inspected",
    "never_reviewed": "No final review",
    "never_audited": "No audit",
    "open": "An enquiry is open",
    "not_in_post": "No registered manager in post",
}
YEARS_LABELS = {
    ("inspection_age", "amber_years"): "Amber when the last inspection is this many years ago "
    "or more",
    ("review_age", "amber_years"): "Amber when the latest review is this many years ago or more",
    ("review_age", "red_years"): "Red when the latest review is more than this many years ago",
    ("safeguarding_audit_age", "amber_years"): "Amber when the latest audit is this many years "
    "ago or more",
}
SCHEDULE_LABELS = {
    "market_risk_max_months": "Market-risk services: review at least every (months)",
    "follow_up_months": "Follow-up review after a review rated Amber or Red (months)",
    "minimum_contact_months": "Minimum contact: monitoring activity within (months)",
    "direct_monitoring_min_people": "Out-of-area direct monitoring from this many council-funded "
    "people",
    "direct_monitoring_capacity_percent": "…or when council-funded people are more than this "
    "percentage of capacity",
    "due_soon_days": "Tell the lead officer this many days before a review is due",
    "information_request_days": "Information request answer due after (days)",
    "provider_comment_days": "Provider comments on a draft report due after (days)",
    "improvement_plan_days": "Improvement plan submitted within (days)",
    "final_warning_months": "Final warning: improvement evidenced within (months)",
    "sustainability_review_months": "Sustainability review after leaving final warning (months)",
    "board_papers_days": "Board papers issued at least this many days before the meeting",
    "suspension_concern_months": "Suggest concern level 3 for a suspension longer than (months)",
}


def _int(label: str, *, minimum: int = 0, maximum: int = 600) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=minimum,
        max_value=maximum,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
    )


class PolicyForm(FieldsetsMixin, forms.Form):
    """Fields are named ``<factor>__<setting>`` and ``schedule__<rule>``."""

    def __init__(self, *args, matrix: dict[str, Any], schedules: dict[str, Any], **kwargs):
        super().__init__(*args, **kwargs)
        self.base_matrix = copy.deepcopy(matrix)
        self.base_schedules = {**DEFAULT_SCHEDULES, **copy.deepcopy(schedules)}
        self.fieldsets = []
        initial: dict[str, Any] = {}
        for factor in FACTORS:
            cfg = self.base_matrix[factor]
            names = []

            def add(name, field, value, _names=names):
                self.fields[name] = field
                initial[name] = value
                _names.append(name)

            add(
                f"{factor}__enabled",
                forms.BooleanField(label="Use this factor", required=False),
                cfg["enabled"],
            )
            for rag in ORDER:
                add(
                    f"{factor}__weight_{rag}",
                    _int(f"Score for {Rag(rag).label}", maximum=20),
                    cfg["weights"][rag],
                )
            for value, rag in cfg.get("mapping", {}).items():
                add(
                    f"{factor}__map__{value}",
                    forms.ChoiceField(label=VALUE_LABELS.get(value, value), choices=Rag.choices),
                    rag,
                )
            for key in ("amber_years", "red_years"):
                if key in cfg:
                    add(
                        f"{factor}__{key}",
                        _int(YEARS_LABELS[(factor, key)], minimum=1, maximum=50),
                        cfg[key],
                    )
            for key, label in OPTION_LABELS.items():
                if key in cfg:
                    add(
                        f"{factor}__{key}",
                        forms.ChoiceField(label=label, choices=Rag.choices),
                        cfg[key],
                    )
            self.fieldsets.append((FACTOR_LABELS[factor], names))

        schedule_names = []
        for rag in ORDER:
            name = f"schedule__review_interval_months__{rag}"
            self.fields[name] = _int(
                f"Next full review after a service rated {Rag(rag).label} (months)", minimum=1
            )
            initial[name] = self.base_schedules["review_interval_months"][rag]
            schedule_names.append(name)
        for rating, months in self.base_schedules["out_of_area_request_months"].items():
            name = f"schedule__out_of_area_request_months__{rating}"
            label = VALUE_LABELS.get(rating, "Not rated")
            self.fields[name] = _int(
                f"Out-of-area information request, rated {label} (months)", minimum=1
            )
            initial[name] = months
            schedule_names.append(name)
        for key, label in SCHEDULE_LABELS.items():
            name = f"schedule__{key}"
            self.fields[name] = _int(label, minimum=1)
            initial[name] = self.base_schedules[key]
            schedule_names.append(name)
        self.fieldsets.append(("Schedules and deadlines", schedule_names))

        self.fields["note"] = forms.CharField(
            label="What changed and why",
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text="Kept with the new version, for the audit trail",
        )
        self.fieldsets.append(("Save as a new version", ["note"]))
        for name, value in initial.items():
            self.initial.setdefault(name, value)

    def clean(self):
        cleaned = super().clean()
        amber, red = cleaned.get("review_age__amber_years"), cleaned.get("review_age__red_years")
        if amber and red and red <= amber:
            self.add_error(
                "review_age__red_years",
                "The Red threshold must be more years than the Amber threshold",
            )
        if not any(cleaned.get(f"{f}__enabled") for f in FACTORS):
            raise forms.ValidationError("At least one factor must be used")
        return cleaned

    def to_policy(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The matrix and schedules of the new version, from the cleaned data."""
        matrix = copy.deepcopy(self.base_matrix)
        schedules = copy.deepcopy(self.base_schedules)
        for name, value in self.cleaned_data.items():
            parts = name.split("__")
            if parts[0] == "note":
                continue
            if parts[0] == "schedule":
                if len(parts) == 3:
                    schedules[parts[1]][parts[2]] = value
                else:
                    schedules[parts[1]] = value
                continue
            factor, key = parts[0], parts[1]
            if key == "map":
                matrix[factor]["mapping"][parts[2]] = value
            elif key.startswith("weight_"):
                matrix[factor]["weights"] = {
                    **matrix[factor]["weights"],
                    key.removeprefix("weight_"): value,
                }
            else:
                matrix[factor][key] = value
        return matrix, schedules

    def has_policy_changes(self) -> bool:
        matrix, schedules = self.to_policy()
        return matrix != self.base_matrix or schedules != self.base_schedules
