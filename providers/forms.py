from __future__ import annotations

from django import forms

from providers.evidence import Evidence
from providers.models import (
    SERVICE_LOCATION_FIELDS,
    SERVICE_REGULATION_FIELDS,
    Contract,
    Intelligence,
    MarketRisk,
    Provider,
    Service,
    check_contract_services,
)
from qaf.files import human_size, max_upload_bytes
from qaf.forms import FieldsetsMixin, YesNoNotKnownRadios
from qaf.models import User
from qaf.scoping import ScopedQuerySet
from qaf.validators import validate_plausible_date


class ScopedModelForm(FieldsetsMixin, forms.ModelForm):
    """A model form whose choices of related objects are only those the user can see, so an id
    of another organisation typed into a request is "not one of the available choices"."""

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if isinstance(queryset, ScopedQuerySet):
                field.queryset = queryset.visible_to(user)
            # GOV.UK style: say what to do ("Enter the name"), not "This field is required".
            label = str(field.label or "").lower()
            verb = "Choose" if getattr(field, "choices", None) is not None else "Enter"
            field.error_messages["required"] = f"{verb} the {label}"


def _staff_choices():
    return User.objects.filter(is_active=True, provider__isnull=True).exclude(roles=[])


class ProviderForm(ScopedModelForm):
    fieldsets = [
        (
            "Organisation",
            ["name", "companies_house_number", "regulator_provider_id", "sponsorship_licence"],
        ),
        (
            "Address and contact",
            ["address", "postcode", "contact_name", "contact_email", "contact_phone"],
        ),
    ]

    class Meta:
        model = Provider
        fields = [
            "name",
            "companies_house_number",
            "regulator_provider_id",
            "address",
            "postcode",
            "contact_name",
            "contact_email",
            "contact_phone",
            "sponsorship_licence",
            "notes",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }


class ServiceForm(ScopedModelForm):
    fieldsets = [
        (
            "About the service",
            [
                "provider",
                "name",
                "service_type",
                "client_group",
                "capacity",
                "council_funded_people",
                "lead_officer",
            ],
        ),
        (
            "Where it is",
            ["address", "postcode", "local_authority_area", "out_of_area", "host_authority"],
        ),
        (
            "Regulation",
            [
                "regulated",
                "regulator",
                "regulator_id",
                "regulator_rating",
                "rating_safe",
                "rating_effective",
                "rating_caring",
                "rating_responsive",
                "rating_well_led",
                "last_inspection_date",
                "registration_date",
                "registered_manager",
            ],
        ),
        ("Market risk", ["market_risk_reasons"]),
    ]
    market_risk_reasons = forms.MultipleChoiceField(
        label="Market risk",
        choices=MarketRisk.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply. Leave blank if the service is not of strategic "
        "importance.",
    )

    class Meta:
        model = Service
        fields = [
            "provider",
            "name",
            "service_type",
            "client_group",
            *SERVICE_LOCATION_FIELDS,
            "capacity",
            "council_funded_people",
            *SERVICE_REGULATION_FIELDS,
            "market_risk_reasons",
            "lead_officer",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "registered_manager": YesNoNotKnownRadios(attrs={"class": "govuk-radios--inline"}),
        }
        help_texts = {
            "registered_manager": 'Choose "Not known" unless someone has told you: it rates '
            "Amber until it is known",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_officer"].queryset = _staff_choices()
        if self.instance.pk:
            # Moving a service to another provider is not an edit: it is a new registration.
            self.fields["provider"].disabled = True


class ContractForm(ScopedModelForm):
    class Meta:
        model = Contract
        fields = [
            "reference",
            "provider",
            "services",
            "start_date",
            "end_date",
            "annual_value",
            "framework",
            "specification_notes",
        ]
        widgets = {
            "services": forms.SelectMultiple(attrs={"size": 8}),
            "specification_notes": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"services": "The provider's services this contract covers"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = self.fields["services"].queryset.select_related(
            "provider"
        )

    def clean(self):
        cleaned = super().clean()
        try:
            check_contract_services(cleaned.get("provider"), cleaned.get("services") or [])
        except forms.ValidationError as exc:
            self.add_error(None, exc)
        return cleaned


class IntelligenceForm(ScopedModelForm):
    class Meta:
        model = Intelligence
        fields = [
            "service",
            "provider",
            "kind",
            "date",
            "source",
            "summary",
            "severity",
            "status",
            "serious_unresolved",
            "feedback",
            "outcome",
            "confidential",
        ]
        widgets = {"summary": forms.Textarea(attrs={"rows": 5})}
        labels = {"provider": "Provider (for provider-wide entries)"}
        help_texts = {
            "service": "Leave blank for an entry about the whole provider",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = self.fields["service"].queryset.select_related("provider")
        self.fields["service"].label_from_instance = lambda s: f"{s.name} ({s.provider.name})"

    def save(self, commit=True):
        if not self.instance.pk:
            self.instance.author = self.user
        return super().save(commit)


class EvidenceForm(forms.Form):
    """Upload to the evidence library. The file is checked by content when it is added
    (providers.services.add_evidence), whatever its name says."""

    title = forms.CharField(
        max_length=200,
        help_text="What the file is, for example \u201cInfection control policy\u201d",
        error_messages={"required": "Enter a title for the evidence"},
    )
    evidence_date = forms.DateField(
        label="Date of the evidence",
        validators=[validate_plausible_date],
        help_text="The date the document is from or was last updated. For example, 27/3/2026",
        error_messages={
            "required": "Enter the date of the evidence",
            "invalid": "Date of the evidence must be a real date, like 27/3/2026",
        },
    )
    review_by = forms.DateField(
        label="Review by",
        required=False,
        validators=[validate_plausible_date],
        help_text="After this date you will be asked for a current version, for example for a "
        "policy reviewed every year. For example, 27/3/2027",
        error_messages={"invalid": "Review by must be a real date, like 27/3/2027"},
    )
    file = forms.FileField(
        label="Upload a file",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".pdf,.docx,.xlsx,.pptx,.odt,.ods,.odp,.png,.jpg,.jpeg,.gif,.tif,"
                ".tiff,.csv,.txt"
            }
        ),
        error_messages={"required": "Select a file", "empty": "The selected file is empty"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            "A PDF, Word, Excel, PowerPoint, OpenDocument, image (PNG, JPEG, GIF or TIFF) or "
            f"text (CSV or TXT) file, up to {human_size(max_upload_bytes())}. Files with macros "
            "or a password are not accepted."
        )


class NewVersionForm(EvidenceForm):
    """A new version of a file: its title (kept unless changed), its own dates and file."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].label = "Upload the new version"
        self.fields[
            "evidence_date"
        ].help_text = "The date the new version is from. For example, 27/3/2026"


class AttachEvidenceForm(forms.Form):
    """Files for an answer or a comment: ticked in the provider's own library (clean files
    only: never an id the form did not offer), and/or one new upload that joins the library
    under its rules (``attached``)."""

    evidence = forms.ModelMultipleChoiceField(
        queryset=Evidence.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Files from your evidence library",
    )
    file = forms.FileField(required=False, label="Or upload a new file")
    title = forms.CharField(required=False, max_length=200, label="Title of the new file")
    evidence_date = forms.DateField(
        required=False,
        label="Date of the new file",
        validators=[validate_plausible_date],
        help_text="The date the document is from. For example, 27/3/2026",
        error_messages={"invalid": "Date of the new file must be a real date, like 27/3/2026"},
    )
    field_order = ["evidence", "file", "title", "evidence_date"]

    def __init__(self, *args, provider_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = Evidence.objects.linkable_for(provider_id)
        self.fields["evidence"].empty_text = (
            "No files in the evidence library can be chosen yet: upload one below. (A new "
            "upload can be chosen here once the virus scan has found it clean.)"
        )
        self.fields["file"].help_text = EvidenceForm().fields["file"].help_text
        self.fields["file"].widget.attrs["accept"] = (
            EvidenceForm().fields["file"].widget.attrs["accept"]
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("file"):
            if not cleaned.get("title"):
                self.add_error("title", "Enter a title for the new file")
            if not cleaned.get("evidence_date") and "evidence_date" not in self.errors:
                self.add_error("evidence_date", "Enter the date of the new file")
        return cleaned

    def has_files(self) -> bool:
        return bool(self.cleaned_data.get("evidence") or self.cleaned_data.get("file"))

    def attached(self, *, provider, actor: User) -> list[Evidence]:
        """The ticked files and the new upload, added to the library now (``UploadRefused``
        when the upload is not accepted: call inside the transaction that uses the files)."""
        from providers.services import add_evidence

        files = list(self.cleaned_data["evidence"])
        if self.cleaned_data.get("file"):
            files.append(
                add_evidence(
                    provider=provider,
                    title=self.cleaned_data["title"],
                    evidence_date=self.cleaned_data["evidence_date"],
                    upload=self.cleaned_data["file"],
                    actor=actor,
                )
            )
        return files
