"""Letters (SPEC §7): a registered text with ``{{ field }}`` merge fields, issued as a document.

``register(key, ...)`` names a letter and its default text; ``issue_letter(key, source, ...)``
fills the fields, copies the letter into the document (a later edit of the text never changes
an issued letter) and issues it through ``qaf.pdf.issue_document``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.utils.html import escape, format_html_join
from django.utils.safestring import mark_safe

FIELD = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


@dataclass(frozen=True)
class Letter:
    key: str
    title: str
    default_body: str
    fields: dict[str, str] = field(default_factory=dict)
    sample: dict = field(default_factory=dict)


_LETTERS: dict[str, Letter] = {}


def register(key, *, title, default_body, fields, sample=None) -> Letter:
    letter = Letter(key, title, default_body, dict(fields), dict(sample or {}))
    _LETTERS[key] = letter
    return letter


def get(key: str) -> Letter:
    return _LETTERS[key]


def _value(value) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    if isinstance(value, list | tuple):
        return format_html_join("", "<li>{}</li>", ((v,) for v in value)).join(("<ul>", "</ul>"))
    return escape(str(value))


def render_body(body: str, context: dict) -> str:
    """The letter as safe HTML: paragraphs by blank lines, each field's value escaped."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", body.strip()):
        text = FIELD.sub(lambda m: "\x00" + m.group(1) + "\x00", block)
        parts = text.split("\x00")
        html = "".join(
            _value(context.get(part)) if n % 2 else escape(part).replace("\n", "<br>")
            for n, part in enumerate(parts)
        )
        paragraphs.append(html if html.startswith("<ul>") else f"<p>{html}</p>")
    return mark_safe("\n".join(paragraphs))  # noqa: S308 - every value above is escaped


def issue_letter(key: str, source, *, actor, context: dict, recipients=None):
    from qaf.pdf import issue_document
    from reviews.documents import provider_emails

    letter = get(key)
    service = getattr(source, "service", None)
    provider = service.provider if service else source.provider
    return issue_document(
        source,
        kind=f"letter_{key}",
        title=f"{letter.title} – {service.name if service else provider.name}",
        template="letters/letter_pdf.html",
        actor=actor,
        service=service,
        provider=provider,
        recipients=provider_emails(provider.pk) if recipients is None else recipients,
        context={
            "letter_title": letter.title,
            "body": str(render_body(letter.default_body, context)),
        },
    )
