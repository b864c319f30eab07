"""The administrator's form for the risk policy: every threshold, mapping, weight, switch and
setting of the current version (each setting registered in ``qaf.policy``, by any app, with
its label and limits), saved as a new version."""

from __future__ import annotations

import copy
from typing import Any

from django import forms

from qaf import policy
from qaf.forms import FieldsetsMixin
from qaf.rag import ORDER, Rag
from risk.matrix import FACTOR_LABELS, FACTORS, with_defaults

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
    "never_reviewed": "Never had a full review, and the registration date is not known",
    "never_audited": "No audit",
    "open": "An enquiry is open",
    "not_in_post": "No registered manager in post",
    "not_known": "Not known whether a registered manager is in post",
}
YEARS_LABELS = {
    ("inspection_age", "amber_years"): "Amber when the last inspection is this many years ago "
    "or more",
    ("review_age", "amber_years"): "Amber when the latest full review (or, never reviewed, the "
    "registration date) is this many years ago or more",
    ("review_age", "red_years"): "Red when the latest full review (or, never reviewed, the "
    "registration date) is more than this many years ago",
    ("safeguarding_audit_age", "amber_years"): "Amber when the latest audit is this many years "
    "ago or more",
}


def _int(label: str, *, minimum: int = 0, maximum: int = 600) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=minimum,
        max_value=maximum,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
    )


def _setting_field(entry: policy.Setting, part: str | None) -> forms.IntegerField:
    label = entry.part_label(part) if part else entry.label
    if entry.unit in ("days", "months"):
        label = f"{label} ({entry.unit})"
    field = _int(label, minimum=entry.minimum, maximum=entry.maximum)
    field.validators.extend(entry.validators)
    return field


class PolicyForm(FieldsetsMixin, forms.Form):
    """Fields are named ``<factor>__<setting>`` and ``schedule__<rule>``."""

    def __init__(self, *args, matrix: dict[str, Any], schedules: dict[str, Any], **kwargs):
        super().__init__(*args, **kwargs)
        self.base_matrix = with_defaults(matrix)
        self.base_schedules = policy.values(copy.deepcopy(schedules))
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

        for section, entries in policy.sections():
            names = []
            for entry in entries:
                value = self.base_schedules[entry.name]
                parts = value.items() if entry.is_per_part else [(None, value)]
                for part, amount in parts:
                    name = f"schedule__{entry.name}" + (f"__{part}" if part else "")
                    self.fields[name] = _setting_field(entry, part)
                    initial[name] = amount
                    names.append(name)
            self.fieldsets.append((section, names))

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
