"""Notifications (SPEC §5, §8): created once, shown on the home page, emailed once.

Any app tells a user about any object::

    notifications.register_kind("suspension_review_due", "Suspension review due")  # once, at
    # import (an app's ``notices`` module, imported by its AppConfig.ready)
    notifications.notify(user, "suspension_review_due", about=suspension, due=day,
                         message="The suspension of Oak Lodge is due for review on ...")

- **Once**: a notice is unique per (user, object, kind, due date) in the database
  (``qaf_notification_once``); creating it again does nothing. Jobs that create thousands at a
  time build rows with ``notice_row`` and write them with ``create_once`` (set-based).
- **Emailed once, from here only**: ``send_pending`` claims a user's unsent notices with one
  conditional ``UPDATE ... WHERE emailed_at IS NULL RETURNING`` and emails exactly the ones it
  claimed, in one message per user; a failed email rolls the claim back, so the next run tries
  again, and two runs at once never email a notice twice.
- **Kinds are an open list**: registered by the apps with their labels, checked when a notice
  is made, never database choices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import connection, models, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from qaf.bulkload import insert_rows
from qaf.models import Notification, User

BATCH = 2000


@dataclass(frozen=True)
class Kind:
    name: str
    label: str


_KINDS: dict[str, Kind] = {}


def register_kind(name: str, label: str) -> Kind:
    """Register a kind of notice (once; registering the same again does nothing)."""
    if len(name) > Notification._meta.get_field("kind").max_length:
        raise ValueError(f"The notification kind {name!r} is too long")
    kind = Kind(name, label)
    known = _KINDS.get(name)
    if known is not None and known != kind:
        raise ValueError(f"The notification kind {name!r} is already registered differently")
    _KINDS[name] = kind
    return kind


def kinds() -> list[Kind]:
    return list(_KINDS.values())


def kind_label(name: str) -> str:
    kind = _KINDS.get(name)
    return kind.label if kind else name.replace("_", " ").capitalize()


def _check_kind(name: str) -> str:
    if name not in _KINDS:
        raise ValueError(
            f"Unknown notification kind {name!r}: register it (qaf.notifications.register_kind)"
        )
    return name


def _service_id(about: models.Model) -> int | None:
    from providers.models import Service

    if isinstance(about, Service):
        return about.pk
    return getattr(about, "service_id", None)


# --- creating, once ---------------------------------------------------------------------------


def notice_row(
    *,
    user_id: int,
    kind: str,
    content_type: ContentType,
    object_id: int,
    due: date,
    message: str,
    service_id: int | None = None,
    now: datetime | None = None,
) -> dict:
    """One notice as a row for ``create_once`` (for jobs that read plain values, not objects)."""
    return {
        "user_id": user_id,
        "kind": _check_kind(kind),
        "content_type_id": content_type.pk,
        "object_id": object_id,
        "service_id": service_id,
        "due_date": due,
        "message": message,
        "created_at": now or timezone.now(),
    }


def create_once(rows: Iterable[dict]) -> int:
    """Insert the notices that do not exist yet (in batches); the number created."""
    created = 0
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            created += insert_rows(Notification, batch, ignore_conflicts=True)
            batch.clear()
    if batch:
        created += insert_rows(Notification, batch, ignore_conflicts=True)
    return created


def notify(
    user: User,
    kind: str,
    *,
    about: models.Model,
    due: date,
    message: str,
    now: datetime | None = None,
) -> bool:
    """Tell ``user`` about ``about``, once per kind and due date; True when it is new. It is
    emailed by the next ``send_pending`` (the nightly job's, or the caller's)."""
    row = notice_row(
        user_id=user.pk,
        kind=kind,
        content_type=ContentType.objects.get_for_model(about),
        object_id=about.pk,
        due=due,
        message=message,
        service_id=_service_id(about),
        now=now,
    )
    return create_once([row]) == 1


# --- sending, once ------------------------------------------------------------------------------


def send_pending(*, now: datetime | None = None) -> int:
    """Email every user their notices not yet emailed, one message per user; the number of
    emails sent. Users without an email address keep theirs on the home page only."""
    users = (
        Notification.objects.filter(emailed_at__isnull=True)
        .exclude(user__email="")
        .filter(user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
    sent = 0
    for user in User.objects.filter(pk__in=list(users)).order_by("pk").iterator(chunk_size=500):
        if _send_to(user, now=now or timezone.now()):
            sent += 1
    return sent


def _send_to(user: User, *, now: datetime) -> bool:
    table = connection.ops.quote_name(Notification._meta.db_table)
    with transaction.atomic():
        # Claim by conditional UPDATE: only rows still unsent, and exactly those are emailed,
        # so two runs at once never email the same notice twice.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET emailed_at = %s "  # noqa: S608 - a quoted table name
                "WHERE user_id = %s AND emailed_at IS NULL RETURNING due_date, id, message",
                [now, user.pk],
            )
            claimed = sorted(cursor.fetchall())
        if not claimed:
            return False
        body = "\n".join(f"- {message}" for _, _, message in claimed)
        # A failure here rolls the claim back: the next run sends them.
        send_mail(
            subject=f"QAF: {len(claimed)} date(s) need your attention",
            message=f"Hello {user.get_short_name() or user.username},\n\n{body}\n\n"
            "Sign in to QAF to see them.\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
    return True


# --- reading and dismissing -----------------------------------------------------------------------


def unread_for(user: User, limit: int = 20) -> list[Notification]:
    """The user's unread notices, soonest due first, each with what it is about."""
    return list(
        user.notifications.filter(read_at__isnull=True)
        .select_related("content_type")
        .prefetch_related("about")
        .order_by("due_date", "pk")[:limit]
    )


def mark_read(user: User, pk: int, *, now: datetime | None = None) -> Notification:
    """Mark one of the user's own notices read (404 for anyone else's)."""
    notice = get_object_or_404(Notification, pk=pk, user=user)
    Notification.objects.filter(pk=notice.pk, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
    return notice
