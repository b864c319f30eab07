from __future__ import annotations

from django import forms

from qaf.privacy.subject_access import MIN_NAME


class SubjectAccessForm(forms.Form):
    name = forms.CharField(
        label="The person's full name",
        max_length=200,
        help_text="As it would be written in a record, like Jane Smith. Every record whose "
        "text contains it is included.",
    )
    email = forms.EmailField(
        label="Their email address (optional)",
        required=False,
        max_length=254,  # as the export's log keeps it (SubjectAccessExport.subject_email)
        help_text="Finds their user account and every record holding the address.",
    )
    reference = forms.CharField(
        label="Request reference (optional)",
        max_length=100,
        required=False,
        help_text="The request's reference in the council's log of subject-access requests.",
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if len(name) < MIN_NAME:
            raise forms.ValidationError(
                f"Enter a name of at least {MIN_NAME} characters: a shorter one is in too "
                "many records to mean one person."
            )
        return name
