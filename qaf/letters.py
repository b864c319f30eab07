"""Letters from templates (issue 10 item 3, SPEC §7): one mechanism for every letter.

An app registers each of its letters once, at import (``escalation/letters.py``)::

    letters.register(
        "suspension",
        title="Suspension of new placements",
        default_body="Dear {{ provider }}\\n\\n...",
        fields={"provider": "The provider's name", "reasons": "The reasons (a list)", ...},
        sample={"provider": "Sunrise Care Ltd", "reasons": ["..."], ...},
    )

and issues it from a service, inside its transaction::

    doc = letters.issue_letter("suspension", suspension, actor=manager, context={...})

- **The text is the administrator's** (``/letters/``): a title and a body of paragraphs with
  ``{{ field }}`` merge fields, nothing else. It is never a Django template: no tags, no
  attribute access, so the text cannot run code or read data it is not given. A field the
  letter does not have is refused when the text is saved. Each edit is a new
  ``LetterTemplate`` version; the registered default is version 1.
- **Rendered once, when issued**: values are escaped text; dates read "3 December 2026"; lists
  are bulleted lists; an empty value is nothing. Blank lines separate paragraphs and lines
  starting "- " are bullets. The letter's HTML, the version it came from, the recipient block
  and the signer are copied into the ``Document`` (``context["letter"]``), so a later edit of
  the text, the provider's address or the officer's job title never changes an issued letter.
- **Issued through the document pipeline** (``qaf.pdf.issue_document``): a PDF rendered by the
  worker after the commit, stored with its date and recipients, visible to the provider in the
  portal. Each recipient is emailed after the commit that a letter was issued, with a link to
  the portal and no attachment; an email that fails is logged and the letter stays issued.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import IntegrityError, models, transaction
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from qaf.concurrency import StaleEdit
from qaf.models import Document, LetterTemplate, User
from qaf.pdf import issue_document, provider_emails, render_pdf

logger = logging.getLogger(__name__)

LETTER_PDF = "letters/letter_pdf.html"
KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
# A merge field: a name alone between double braces.
FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Anything else between double braces ({{ provider.name }}, {{ x|safe }}) is refused.
BRACES = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
TAG = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.DOTALL)
BLANK_LINE = re.compile(r"\n[ \t]*\n")
BULLET = re.compile(r"^[-*•]\s+")
# Where a list value goes in the text while paragraphs are split: a character no value or
# text keeps (it is removed from both first).
LIST_MARK = "\x00"


# Fields every letter has, filled in by this module.
COMMON_FIELDS = {"council": "The council's name"}


def _common_values() -> dict[str, Any]:
    return {"council": settings.COUNCIL_NAME}


@dataclass(frozen=True)
class Letter:
    """A registered letter: its key, default title and text, merge fields and sample values."""

    key: str
    title: str
    default_body: str
    fields: dict[str, str]
    sample: dict[str, Any] = field(default_factory=dict)

    def field_list(self) -> str:
        return ", ".join(self.fields)

    def default_version(self) -> LetterTemplate:
        """Version 1 as the app registered it (not stored until it is first used)."""
        return LetterTemplate(
            key=self.key,
            version=1,
            title=self.title,
            body=self.default_body,
            note="The council's default text",
        )


_LETTERS: dict[str, Letter] = {}


def register(
    key: str,
    *,
    title: str,
    default_body: str,
    fields: Mapping[str, str],
    sample: Mapping[str, Any] | None = None,
) -> Letter:
    """Register a letter (once, at import; the same again does nothing). The default text is
    checked like an administrator's: a field it names must be one of ``fields``."""
    if not KEY.fullmatch(key):
        raise ValueError(f"A letter's key is lower-case letters, digits and _: {key!r}")
    if not title or len(title) > LetterTemplate._meta.get_field("title").max_length:
        raise ValueError(f"The letter {key!r} needs a title of at most 120 characters")
    letter = Letter(key, title, default_body, {**fields, **COMMON_FIELDS}, dict(sample or {}))
    unknown = set(letter.sample) - set(letter.fields)
    if unknown:
        raise ValueError(f"The letter {key!r} has samples of no field: {', '.join(unknown)}")
    problems = body_errors(letter, default_body)
    if problems:
        raise ValueError(f"The default text of the letter {key!r}: {' '.join(problems)}")
    known = _LETTERS.get(key)
    if known is not None and known != letter:
        raise ValueError(f"The letter {key!r} is already registered differently")
    _LETTERS[key] = letter
    return letter


def get(key: str) -> Letter:
    """The registered letter (``LookupError`` for a key nobody registered)."""
    try:
        return _LETTERS[key]
    except KeyError:
        raise LookupError(f"No letter is registered as {key!r}") from None


def registered() -> list[Letter]:
    """Every registered letter, by title."""
    return sorted(_LETTERS.values(), key=lambda letter: letter.title)


# --- the text: checking and rendering ----------------------------------------------------------


def body_errors(letter: Letter, body: str) -> list[str]:
    """What is wrong with a letter's text, in words for the administrator (empty when fine)."""
    problems = []
    for tag in dict.fromkeys(TAG.findall(body)):
        problems.append(
            f"{_short(tag)} cannot be used: a letter takes merge fields only, such as "
            f"{{{{ {next(iter(letter.fields), 'provider')} }}}}."
        )
    for match in BRACES.finditer(body):
        name = FIELD.fullmatch(match.group(0))
        if name is None:
            problems.append(
                f"{_short(match.group(0))} is not a merge field: put a field's name alone "
                f"between {{{{ and }}}}. The fields of this letter: {letter.field_list()}."
            )
        elif name.group(1) not in letter.fields:
            problems.append(
                f"{{{{ {name.group(1)} }}}} is not a field of this letter: {letter.field_list()}."
            )
    rest = TAG.sub("", BRACES.sub("", body))
    if "{{" in rest or "}}" in rest:
        problems.append("A merge field is not closed: write it as {{ name }}.")
    return list(dict.fromkeys(problems))


def check_body(letter: Letter, body: str) -> None:
    """``ValidationError`` with every problem of ``body`` (forms call this)."""
    problems = body_errors(letter, body)
    if problems:
        raise ValidationError(problems)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_value(value: Any) -> str:
    """One value as the letter says it: dates in words (3 December 2026), a choice by its
    label, yes/no; empty values as nothing."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(value, "j F Y")
    if isinstance(value, date):
        return formats.date_format(value, "j F Y")
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, models.Choices):
        return str(value.label)
    return str(value)


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace(LIST_MARK, "")


def render_body(body: str, values: Mapping[str, Any]) -> SafeString:
    """The letter's text as safe HTML: every value escaped (so a ``<b>`` in a provider's name
    and a ``<script>`` in the administrator's text are text), paragraphs at blank lines, a
    line break at a single newline, bullets for lines starting "- " and for list values."""
    lists: list[list[str]] = []
    out: list[str] = []
    position = 0
    body = _without_empty_lines(_clean(body), values)
    for match in FIELD.finditer(body):
        out.append(escape(body[position : match.start()]))
        position = match.end()
        value = values.get(match.group(1))
        if isinstance(value, list | tuple | set | frozenset):
            items = [escape(_clean(format_value(v)).strip()) for v in value]
            items = [item for item in items if item]
            if items:
                out.append(f"\n\n{LIST_MARK}{len(lists)}{LIST_MARK}\n\n")
                lists.append(items)
        else:
            out.append(escape(_clean(format_value(value))))
    out.append(escape(body[position:]))
    html = []
    for block in BLANK_LINE.split("".join(out)):
        block = block.strip()
        if not block:
            continue
        if block.startswith(LIST_MARK) and block.endswith(LIST_MARK):
            html.append(_bullets(lists[int(block.strip(LIST_MARK))]))
        else:
            html.extend(_block(block.split("\n")))
    return mark_safe("\n".join(html))  # noqa: S308 - built from escaped text only


def _empty(value: Any) -> bool:
    if isinstance(value, list | tuple | set | frozenset):
        return not any(format_value(v).strip() for v in value)
    return not format_value(value).strip()


def _without_empty_lines(body: str, values: Mapping[str, Any]) -> str:
    """Leave out each line whose merge fields are all empty (a minimum period when there is
    none, an address not known), as a mail merge suppresses blank lines."""
    return "\n".join(
        line
        for line in body.split("\n")
        if not (names := FIELD.findall(line)) or not all(_empty(values.get(n)) for n in names)
    )


def _bullets(items: Iterable[str]) -> str:
    inner = "".join(f"<li>{item}</li>" for item in items)
    return f'<ul class="govuk-list govuk-list--bullet">{inner}</ul>'


def _block(lines: list[str]) -> list[str]:
    """A paragraph's lines: runs of "- " lines as a bulleted list, the rest as paragraphs with
    line breaks."""
    parts: list[str] = []
    run: list[str] = []
    bullets: list[str] = []

    def flush() -> None:
        if run:
            parts.append('<p class="govuk-body">' + "<br>".join(run) + "</p>")
            run.clear()
        if bullets:
            parts.append(_bullets(bullets))
            bullets.clear()

    for line in (line.strip() for line in lines):
        if not line:
            continue
        bullet = BULLET.match(line)
        if bullet:
            if run:
                flush()
            bullets.append(line[bullet.end() :])
        else:
            if bullets:
                flush()
            run.append(line)
    flush()
    return parts


def preview(letter: Letter, body: str) -> SafeString:
    """``body`` rendered with the letter's sample values."""
    return render_body(body, {**_common_values(), **letter.sample})


def preview_pdf(letter: Letter, *, title: str, body: str, actor: User, number: int) -> bytes:
    """A text as its PDF would be with the sample values, marked PREVIEW (rendered now, stored
    nowhere)."""
    about = format_value(letter.sample.get("service"))
    to = format_value(letter.sample.get("provider")) or "Sunrise Care Ltd"
    document = Document(title=f"{title} – {about or to}", issued_by=actor, issued_at=timezone.now())
    return render_pdf(
        LETTER_PDF,
        {
            "document": document,
            "preview": True,
            "letter": {
                "key": letter.key,
                "version": number,
                "title": title,
                "body": str(preview(letter, body)),
                "to": {"name": to, "address": ["1 High Street", "Avonmere", "AV1 1AA"]},
                "about": about,
                "signed_by": signer(actor),
            },
        },
    )


# --- versions ----------------------------------------------------------------------------------


def versions(letter: Letter) -> list[LetterTemplate]:
    """Every version of the letter's text, newest first (the default alone when none is
    stored)."""
    stored = list(
        LetterTemplate.objects.filter(key=letter.key)
        .select_related("created_by")
        .order_by("-version")
    )
    return stored or [letter.default_version()]


def current(letter: Letter) -> LetterTemplate:
    """The newest version of the letter's text (the default when none is stored)."""
    return (
        LetterTemplate.objects.filter(key=letter.key)
        .select_related("created_by")
        .order_by("-version")
        .first()
    ) or letter.default_version()


def current_of(letters: Iterable[Letter]) -> dict[str, LetterTemplate]:
    """The current version of each letter, in one query (the list page)."""
    letters = list(letters)
    newest = (
        LetterTemplate.objects.filter(key__in=[letter.key for letter in letters])
        .select_related("created_by")
        .order_by("key", "-version")
        .distinct("key")
    )
    found = {template.key: template for template in newest}
    return {letter.key: found.get(letter.key) or letter.default_version() for letter in letters}


def version(letter: Letter, number: int) -> LetterTemplate | None:
    stored = (
        LetterTemplate.objects.filter(key=letter.key, version=number)
        .select_related("created_by")
        .first()
    )
    if (
        stored is None
        and number == 1
        and not LetterTemplate.objects.filter(key=letter.key).exists()
    ):
        return letter.default_version()
    return stored


def _stored_default(letter: Letter) -> LetterTemplate:
    """Version 1 as a row (made once, the first time the letter is issued or edited)."""
    template = letter.default_version()
    stored, _ = LetterTemplate.objects.get_or_create(
        key=letter.key,
        version=1,
        defaults={"title": template.title, "body": template.body, "note": template.note},
    )
    return stored


def stale_message(letter: Letter, based_on: int) -> str | None:
    """Why an edit started from version ``based_on`` can no longer be saved, or None."""
    latest = current(letter)
    if latest.version == based_on:
        return None
    who = latest.created_by or "another administrator"
    when = (
        formats.date_format(timezone.localtime(latest.created_at), "j F Y \\a\\t H:i")
        if latest.created_at
        else "a moment ago"
    )
    return (
        f"Version {latest.version} of this letter was saved by {who} on {when}, after you "
        f"started from version {based_on}. Your text has not been saved: open the letter "
        "again to read the newest version, then make your change to it."
    )


def save_version(
    letter: Letter,
    *,
    title: str,
    body: str,
    note: str,
    actor: User,
    based_on: int,
) -> LetterTemplate:
    """Save an administrator's text as the next version (the old ones are kept).

    Refused with ``StaleEdit`` when a version after ``based_on`` exists (someone saved while
    this edit was open), and with ``ValidationError`` when the text names a field the letter
    does not have."""
    check_body(letter, body)
    try:
        with transaction.atomic():
            if based_on == 1:
                _stored_default(letter)
            refusal = stale_message(letter, based_on)
            if refusal:
                raise StaleEdit(refusal)
            with transaction.atomic():
                return LetterTemplate.objects.create(
                    key=letter.key,
                    version=based_on + 1,
                    title=title,
                    body=_clean(body),
                    note=note,
                    created_by=actor,
                )
    except IntegrityError:
        # The unique (key, version): another administrator saved the same version just now.
        raise StaleEdit(
            stale_message(letter, based_on)
            or "Another administrator saved this letter at the same moment. Your text has not "
            "been saved: open the letter again and make your change to the newest version."
        ) from None


# --- issuing -----------------------------------------------------------------------------------


def issue_letter(
    key: str,
    source: models.Model,
    *,
    actor: User,
    context: Mapping[str, Any],
    recipients: Iterable[str] | None = None,
    today: date | None = None,
    copies: Iterable[str] = (),
    enclosures: Iterable[str] = (),
) -> Document:
    """Issue the letter ``key`` about ``source`` (which has ``.service`` or ``.provider``):
    render the current text with ``context`` now, store it as a document visible to the
    provider (its PDF produced by the worker after the commit) and email each recipient a
    link to it after the commit.

    ``context`` holds values of the letter's fields only (anything else is a ``ValueError``:
    a misspelt name would otherwise leave a gap in the letter); ``date`` is ``today`` unless
    given. ``recipients`` default to the provider's active users' addresses. ``copies`` and
    ``enclosures`` are the "cc." and "Encs." lines printed under the signature (source 003
    Tables 4-5). Call it inside the service's transaction: a failure leaves no letter and no
    email."""
    letter = get(key)
    unknown = set(context) - set(letter.fields)
    if unknown:
        raise ValueError(
            f"{', '.join(sorted(unknown))} is not a field of the letter {key!r}: "
            f"{letter.field_list()}"
        )
    service = getattr(source, "service", None)
    provider = getattr(source, "provider", None) or getattr(service, "provider", None)
    if provider is None:
        raise ValueError(f"A letter is about a service or a provider: {source!r} has neither")
    values = {**_common_values(), **context}
    if "date" in letter.fields and not values.get("date"):
        values["date"] = today or timezone.localdate()
    with transaction.atomic():
        template = current(letter)
        if template.pk is None:
            template = _stored_default(letter)
        to = list(provider_emails(provider.pk) if recipients is None else recipients)
        document = issue_document(
            source,
            kind=key,
            title=f"{template.title} – {service.name if service else provider.name}",
            template=LETTER_PDF,
            actor=actor,
            service=service,
            provider=provider,
            recipients=to,
            context={
                "letter": {
                    "key": key,
                    "version": template.version,
                    "template_id": template.pk,
                    "title": template.title,
                    "body": str(render_body(template.body, values)),
                    **letter_parties(provider, service, actor),
                    "copies": [str(c) for c in copies],
                    "enclosures": [str(e) for e in enclosures],
                }
            },
            visible_to_provider=True,
        )
    transaction.on_commit(lambda: email_recipients(document))
    return document


def letter_parties(provider, service, actor: User) -> dict[str, Any]:
    """Who the letter is to and from, as they are when it is issued."""
    address = [line.strip() for line in provider.address.splitlines() if line.strip()]
    if provider.postcode:
        address.append(provider.postcode)
    return {
        "to": {"name": provider.name, "address": address},
        "about": service.name if service else "",
        "signed_by": signer(actor),
    }


def signer(actor: User) -> dict[str, str]:
    """The sign-off: the issuing officer's name and job title."""
    return {"name": actor.get_full_name() or actor.username, "job_title": actor.job_title}


def portal_url(document: Document) -> str:
    """Where the provider reads the letter: the page of its service (or of the provider)
    that lists its documents."""
    about = document.service if document.service_id else document.provider
    return f"{getattr(settings, 'QAF_BASE_URL', '')}{about.get_absolute_url()}#documents"


def email_recipients(document: Document) -> int:
    """Tell each recipient, in a message of their own, that the letter was issued and where to
    read it: its title and a link, never the letter itself. The number of emails sent; a mail
    server that fails loses only the email (logged), never the letter."""
    if not document.recipients:
        return 0
    title = " ".join(document.title.split())  # no line breaks in a subject
    issued = formats.date_format(timezone.localtime(document.issued_at), "j F Y")
    body = (
        f"Hello,\n\n{settings.COUNCIL_NAME} has issued a letter to {document.provider.name} "
        f"on {issued}:\n\n{title}\n\n"
        f"Read it in the provider portal, where your organisation's letters are kept:\n"
        f"{portal_url(document)}\n\n"
        "Sign in to open it. The letter is not attached to this email.\n"
    )
    subject = f"Letter issued: {title}"
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [to]) for to in document.recipients]
    try:
        return send_mass_mail(messages, fail_silently=False)
    except Exception:
        logger.exception("Could not email the letter %s", document.pk)
        return 0
