"""The administrator's form for a letter's text (qaf.letters): title, body and a note, with
the version it started from. The body is checked by ``qaf.letters.check_body``."""

from __future__ import annotations

from django import forms

from qaf import letters
from qaf.concurrency import BadVersion, parse_version
from qaf.models import LetterTemplate

BODY_HINT = (
    "Write paragraphs separated by a blank line; a new line inside a paragraph starts a new "
    "line in the letter. Start a line with “- ” to make it a bullet. A merge field is a "
    "field's name between double braces, such as {{ provider }}: it is replaced by the value "
    "when the letter is issued. A line whose merge fields are all empty is left out (the "
    "minimum period when there is none, for example). The sign-off with the issuing officer's "
    "name and job title is added after the text."
)


class LetterForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=LetterTemplate._meta.get_field("title").max_length,
        help_text="The letter's heading; the service's name is added after it.",
    )
    body = forms.CharField(
        label="Text of the letter",
        max_length=20_000,
        strip=False,
        help_text=BODY_HINT,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
    )
    note = forms.CharField(
        label="What changed and why",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    based_on = forms.CharField(label="Version", widget=forms.HiddenInput)

    def __init__(self, *args, letter: letters.Letter, **kwargs):
        self.letter = letter
        super().__init__(*args, **kwargs)
        self.fields["title"].error_messages["required"] = "Enter the letter's title"
        self.fields["body"].error_messages["required"] = "Enter the text of the letter"

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].replace("\r\n", "\n").replace("\r", "\n").strip()
        if not body:
            raise forms.ValidationError("Enter the text of the letter")
        letters.check_body(self.letter, body)
        return body

    def clean_based_on(self) -> int:
        try:
            number = parse_version(self.cleaned_data["based_on"])
        except BadVersion:
            number = None
        if not number:
            raise forms.ValidationError(
                "The version you started from is not known: open the letter again and make "
                "your change again."
            )
        return number

    def clean(self):
        data = super().clean()
        based_on = data.get("based_on")
        if based_on and not self.errors:
            refusal = letters.stale_message(self.letter, based_on)
            if refusal:
                raise forms.ValidationError(refusal)
            start = letters.version(self.letter, based_on)
            if start and (start.title, start.body) == (data["title"], data["body"]):
                raise forms.ValidationError(
                    "Nothing has changed: change the title or the text, or cancel."
                )
        return data
