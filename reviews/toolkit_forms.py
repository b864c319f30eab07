"""Forms of the toolkit editor. They validate input only: saving goes through
``reviews.toolkits`` (which also owns the cross-row rules, such as one standard per code)."""

from __future__ import annotations

from django import forms

from reviews.models import Domain, Question, Standard, Toolkit


def _required(message: str) -> dict[str, str]:
    return {"required": message}


class ToolkitForm(forms.ModelForm):
    class Meta:
        model = Toolkit
        fields = ["description"]
        labels = {"description": "Description"}
        help_texts = {
            "description": "What this version is for and what changed from the version before"
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}


class DomainForm(forms.ModelForm):
    class Meta:
        model = Domain
        fields = ["title", "description"]
        labels = {"title": "Title", "description": "Description"}
        help_texts = {
            "title": "For example, Safe",
            "description": "What the domain covers, shown to officers above its standards",
        }
        error_messages = {"title": _required("Enter a title for the domain")}
        widgets = {
            "title": forms.TextInput(attrs={"class": "govuk-input--width-20"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }


class StandardForm(forms.ModelForm):
    class Meta:
        model = Standard
        fields = ["code", "title", "outcome"]
        labels = {"code": "Code", "title": "Title", "outcome": "Outcome"}
        help_texts = {
            "code": "A short reference used in the visit form and the report, like S1",
            "outcome": "What good looks like for people, and where the standard comes from",
        }
        error_messages = {
            "code": _required("Enter a code for the standard, like S1"),
            "title": _required("Enter a title for the standard"),
        }
        widgets = {
            "code": forms.TextInput(attrs={"class": "govuk-input--width-5"}),
            "title": forms.TextInput(),
            "outcome": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["text", "guidance", "evidence_prompts"]
        labels = {
            "text": "Question",
            "guidance": "How to judge it",
            "evidence_prompts": "Evidence to look for",
        }
        help_texts = {
            "text": "What the officer scores from Excellent to Poor",
            "guidance": "What Excellent and Poor look like, and the source it comes from",
            "evidence_prompts": "Records to read, people to speak to and what to observe: "
            "one on each line",
        }
        error_messages = {"text": _required("Enter the question")}
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "guidance": forms.Textarea(attrs={"rows": 5}),
            "evidence_prompts": forms.Textarea(attrs={"rows": 4}),
        }
