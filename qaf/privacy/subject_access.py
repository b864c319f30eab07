"""Subject-access exports (UK GDPR Article 15): every record that names a person, as a ZIP.

"Naming" is read widely, as an officer answering a request must: the person's own user
account(s) (found by full name or email) and every row that points at them (what they wrote,
decided, uploaded; the history rows of changes they made; their notices; the access log of
what they opened), and every row of every QAF table, history tables included, whose text
(free text, names, addresses, email, JSON) contains the name or the email, whoever wrote it.
One CSV per table, a README.txt saying what each is; secrets (password hashes, invitation
token hashes) are never written. The ZIP is built in the request (a few seconds at most: one
query per table) and never stored; ``SubjectAccessExport`` logs who asked, when, for whom.

The ZIP is the raw material of a response, not the response: the officer removes what is
exempt (other people's data, safeguarding information whose disclosure would cause harm)
before anything is sent, as the README says.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from django.apps import apps
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q, TextField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from qaf.exports import defuse

# QAF's own apps, and django-axes (sign-in attempts record the username typed).
APPS = ("qaf", "providers", "reviews", "risk", "escalation", "privacy", "axes")
# Never exported: a hash of a password or of a link's secret is no one's information.
SECRET_FIELDS = frozenset({"password", "token_hash"})
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, ArrayField)
MIN_NAME = 3


@dataclass
class Found:
    model: type[models.Model]
    rows: list[dict]

    @property
    def filename(self) -> str:
        return f"{self.model._meta.app_label}/{self.model._meta.model_name}.csv"

    @property
    def title(self) -> str:
        return str(self.model._meta.verbose_name_plural).capitalize()


def people(name: str, email: str = ""):
    """The user accounts of the person: full name (as typed, any case) or email."""
    from qaf.models import User

    condition = Q(full__iexact=name.strip())
    if email.strip():
        condition |= Q(email__iexact=email.strip())
    full = Concat("first_name", Value(" "), "last_name", output_field=TextField())
    return User.objects.annotate(full=full).filter(condition)


def _models():
    for label in APPS:
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        yield from config.get_models()


def _text_fields(model) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, TEXT_FIELDS)
        and not f.choices
        and f.name not in SECRET_FIELDS
        and not (isinstance(f, ArrayField) and f.base_field.choices)
    ]


def _user_fields(model) -> list[models.Field]:
    from qaf.models import User

    return [f for f in model._meta.concrete_fields if f.is_relation and f.related_model is User]


def _is_user_table(model) -> bool:
    """The user model, or its history (each row is a version of one account)."""
    from qaf.models import User

    return model is User or getattr(model, "instance_type", None) is User


def matches(model, needles: list[str], user_ids: list[int], usernames: list[str] = ()):
    """The rows of ``model`` that name the person (a queryset), or None when it cannot.
    A table keeping a ``username`` (django-axes' sign-in attempts) matches their accounts'."""
    condition = Q()
    casts = {}
    for field in _text_fields(model):
        lookup = field.name
        if isinstance(field, (models.JSONField, ArrayField)):
            lookup = f"_text_{field.name}"
            casts[lookup] = Cast(field.name, TextField())
        for needle in needles:
            condition |= Q(**{f"{lookup}__icontains": needle})
    if user_ids:
        for field in _user_fields(model):
            condition |= Q(**{f"{field.attname}__in": user_ids})
        if usernames and "username" in {f.name for f in model._meta.concrete_fields}:
            condition |= Q(username__in=usernames)
        if _is_user_table(model):
            condition |= Q(**{f"{model._meta.get_field('id').attname}__in": user_ids})
    if not condition:
        return None
    return model._base_manager.annotate(**casts).filter(condition).order_by("pk")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return defuse(str(value))


def find(name: str, email: str = "") -> list[Found]:
    """Every table's rows naming the person (tables with none left out)."""
    needles = [n for n in (name.strip(), email.strip()) if n]
    accounts = list(people(name, email).values_list("pk", "username"))
    user_ids = [pk for pk, _ in accounts]
    usernames = [username for _, username in accounts]
    found = []
    for model in _models():
        queryset = matches(model, needles, user_ids, usernames)
        if queryset is None:
            continue
        columns = [f.attname for f in model._meta.concrete_fields if f.name not in SECRET_FIELDS]
        rows = list(queryset.values(*columns))
        if rows:
            found.append(Found(model, rows))
    return found


def build_zip(name: str, email: str, found: list[Found], *, actor, now: datetime) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme(name, email, found, actor=actor, now=now))
        for item in found:
            text = io.StringIO()
            writer = csv.writer(text)
            columns = list(item.rows[0])
            writer.writerow(columns)
            for row in item.rows:
                writer.writerow([_cell(row[c]) for c in columns])
            archive.writestr(item.filename, text.getvalue())
    return buffer.getvalue()


def readme(name: str, email: str, found: list[Found], *, actor, now: datetime) -> str:
    lines = [
        "Subject-access export",
        "=====================",
        "",
        f"Person searched for: {name}" + (f" <{email}>" if email else ""),
        f"Made by: {actor.get_full_name() or actor.username} on "
        f"{timezone.localtime(now):%d/%m/%Y at %H:%M}",
        "",
        "What this holds",
        "---------------",
        "Every record in QAF that names this person: their user account(s) found by full name",
        "or email, every row that points at those accounts (what they wrote, decided, uploaded,",
        "the history rows of the changes they made, their notices, what they opened), and every",
        "row of every table (history tables included) whose text contains the name or the email,",
        "whoever wrote it. One CSV file per table (UTF-8, first row the column names; dates in",
        "ISO format; *_id columns are the ids of related rows). Password hashes and the hashes",
        "of invitation links are never included. Files (evidence, letters) are listed by their",
        "stored name and can be provided from QAF on request.",
        "",
        "Before anything is disclosed",
        "----------------------------",
        "A name search is wide: it finds other people with the same name or a name containing",
        "it, and records that name this person also name others. Check each row is about this",
        "person, and remove other people's information and anything exempt (for example",
        "safeguarding information whose disclosure would be likely to cause serious harm)",
        "before the response is sent.",
        "",
        "Files",
        "-----",
    ]
    if not found:
        lines.append("No record names this person.")
    for item in found:
        history = (
            " (earlier versions of rows: the history of changes)"
            if "historical" in item.model._meta.model_name
            else ""
        )
        lines.append(f"{item.filename}: {item.title}{history}, {len(item.rows)} row(s)")
    return "\n".join(lines) + "\n"


def export(name: str, email: str, *, actor, reference: str = "", ip_address: str | None = None):
    """The ZIP for the person, logged: (the log row, the ZIP's bytes)."""
    from qaf.privacy.models import SubjectAccessExport

    now = timezone.now()
    found = find(name, email)
    content = build_zip(name, email, found, actor=actor, now=now)
    log = SubjectAccessExport.objects.create(
        requested_by=actor,
        subject_name=name.strip(),
        subject_email=email.strip(),
        reference=reference.strip(),
        counts={item.filename: len(item.rows) for item in found},
        ip_address=ip_address or None,
    )
    return log, content
