"""The upload form: which import, the file (the checks of every upload, the virus scan, then
its columns), partial."""

from __future__ import annotations

from pathlib import Path

from django import forms

from providers.imports import ImportFileError, check_columns
from providers.imports.files import check_file
from providers.models import ImportJob, ImportKind
from qaf.files import human_size, max_upload_bytes


class ImportUploadForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label="What are you importing?",
        choices=ImportKind.choices,
        widget=forms.RadioSelect,
        help_text="The CQC files are told apart by their columns.",
        error_messages={"required": "Select what you are importing"},
    )
    file = forms.FileField(
        label="Upload a file",
        error_messages={
            "required": "Select a CSV or Excel file",
            "empty": "The selected file is empty",
        },
    )

    class Meta:
        model = ImportJob
        fields = ["kind", "file", "partial"]
        help_texts = {
            "partial": "Otherwise a file with any rejected row saves nothing, and you can "
            "correct the rows and upload it again.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"A CSV or Excel (.xlsx) file, up to {human_size(max_upload_bytes())}. It is "
            "checked for viruses before anything is imported."
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            # Size, type, archive and macro checks and the virus scan, as for evidence.
            self.file_format = check_file(upload, name=upload.name)
        except ImportFileError as exc:
            raise forms.ValidationError(str(exc), code="file") from exc
        upload.seek(0)
        return upload

    def clean(self):
        cleaned = super().clean()
        upload, kind = cleaned.get("file"), cleaned.get("kind")
        if upload and kind and not self.has_error("file"):
            try:
                self.detected = check_columns(kind, upload, self.file_format)
            except ImportFileError as exc:
                self.add_error("file", str(exc))
            finally:
                upload.seek(0)
        return cleaned

    def save(self, commit: bool = True) -> ImportJob:
        job = super().save(commit=False)
        job.file_format = self.file_format
        job.detected = getattr(self, "detected", "")
        job.original_name = Path(self.cleaned_data["file"].name).name[:255]
        if commit:
            job.save()
        return job
