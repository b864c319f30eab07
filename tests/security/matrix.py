"""The permission matrix's machinery: roles, rows, the expected status, and the checks made
on every answer (tests/security/test_permission_matrix.py holds the rows)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

ANON, OFFICER, MANAGER, BOARD, PARTNER, ADMIN, PROVIDER = (
    "anonymous",
    "officer",
    "manager",
    "board",
    "partner",
    "admin",
    "provider",
)
ROLES = [ANON, OFFICER, MANAGER, BOARD, PARTNER, ADMIN, PROVIDER]
EVERYONE = frozenset({OFFICER, MANAGER, BOARD, PARTNER, ADMIN, PROVIDER})
STAFF_READERS = EVERYONE - {PROVIDER}
REGISTER_EDITORS = frozenset({OFFICER, MANAGER, ADMIN})
CASEWORK = frozenset({OFFICER, MANAGER})
IMPORTERS = frozenset({MANAGER, ADMIN})
RUNNERS = frozenset({MANAGER, ADMIN})
ADMINS = frozenset({ADMIN})
UPLOADERS = CASEWORK | {PROVIDER}
PROVIDERS = frozenset({PROVIDER})
MANAGERS = frozenset({MANAGER})
NOBODY = frozenset()
PUBLIC = "public"  # a row every caller gets, signed in or not

# Oak Lodge's names: never in anything Pat (Sunrise) is shown.
OTHER_ORGANISATION = b"Oak Lodge"


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------

Data = Callable[[dict], dict]


@dataclass(frozen=True)
class Row:
    """One endpoint: ``url_name`` with ``on`` (the object the URL names), ``sub`` (a second
    one: an item, a question, a comment) and ``step`` (a workflow step's name)."""

    label: str
    url_name: str
    method: str = "get"
    allowed: frozenset[str] | str = EVERYONE
    on: str | None = None
    sub: str | None = None
    step: str | None = None
    # "org": provider users reach their own organisation's only; "staff_only": never;
    # None: not one organisation's object (lists, forms, toolkits, a user's own notice).
    scope: str | None = "org"
    data: Data | None = None
    echo: bool = False  # post the form as it is shown (then ``data`` over it): an edit
    query: str = ""
    ok: frozenset[int] = frozenset()  # what a permitted role gets (else by method)
    # A permitted POST/PUT/PATCH writes (so the body and the object's state are right, and a
    # refusal above is the role's, not the body's); False where it only queues or refuses.
    writes: bool = True
    denied: int = 403  # what a role without the permission gets
    refused: tuple[tuple[str, int], ...] = ()  # (role, status): a role refused otherwise
    # Known permission bugs: ((which, role), why), failing cases kept visible.
    bugs: tuple[tuple[tuple[str | None, str], str], ...] = ()

    @property
    def whiches(self) -> tuple[str | None, ...]:
        return ("own", "other") if self.on and self.scope else (None,)

    def url(self, world: dict, which: str | None) -> str:
        o = objects(world, which)
        args = [o[self.on]] if self.on else []
        if self.sub:
            args.append(o[self.sub])
        if self.step:
            args.append(self.step)
        return reverse(self.url_name, args=args) + self.query


def objects(world: dict, which: str | None) -> dict:
    return {**world["shared"], **world[which or "own"]}


def get(label, url_name, allowed=EVERYONE, on=None, **kwargs) -> Row:
    return Row(label, url_name, "get", allowed, on, **kwargs)


def post(label, url_name, allowed, on=None, **kwargs) -> Row:
    return Row(label, url_name, "post", allowed, on, **kwargs)


def page_and_post(label, url_name, allowed, on=None, **kwargs) -> list[Row]:
    """A form or confirmation page (GET) and its POST."""
    data = kwargs.pop("data", None)
    ok = kwargs.pop("ok", frozenset())
    writes = kwargs.pop("writes", True)
    return [
        get(f"{label} page", url_name, allowed, on, **kwargs),
        post(label, url_name, allowed, on, data=data, ok=ok, writes=writes, **kwargs),
    ]


# --------------------------------------------------------------------------------------------
# Cases and checks
# --------------------------------------------------------------------------------------------


def expected(row: Row, role: str, which: str | None, *, anonymous: int) -> int | None:
    """The refusal ``role`` gets, or None when it may (then ``row.ok``)."""
    if row.allowed == PUBLIC:
        return None
    if role == ANON:
        return anonymous
    if role not in row.allowed:
        return dict(row.refused).get(role, row.denied)
    if role == PROVIDER and (row.scope == "staff_only" or which == "other"):
        return 404
    return None


def ok_statuses(row: Row, *, api: bool) -> frozenset[int]:
    if row.ok:
        return row.ok
    if row.method == "get":
        return frozenset({200})
    if api:
        return frozenset({201}) if row.url_name.endswith("-list") else frozenset({200, 201})
    return frozenset({302})


def cases(rows: list[Row]):
    for row in rows:
        for which in row.whiches:
            for role in ROLES:
                # Anonymous callers are sent to sign in (401 in the API) before any object is
                # looked up: one organisation's object stands for both, unless the row is public.
                if role == ANON and which == "other" and row.allowed != PUBLIC:
                    continue
                bug = dict(row.bugs).get((which, role))
                marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
                yield pytest.param(
                    row, which, role, id=f"{row.label}-{which or 'any'}-{role}", marks=marks
                )


# Signing in (force_login) writes the session: not a change the request made.
NOT_DATA = {"django_session"}


def rows_written() -> dict[str, int]:
    """Rows inserted, updated or deleted so far in this transaction, by table: PostgreSQL's
    statistics for the current transaction, which count a write rolled back to a savepoint
    too."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
        )
        return {table: n for table, n in cursor.fetchall() if n and table not in NOT_DATA}


def _changed(before: dict[str, int]) -> dict[str, int]:
    after = rows_written()
    return {t: n - before.get(t, 0) for t, n in after.items() if n != before.get(t, 0)}


def _content(response) -> bytes:
    if response.get("Content-Type", "").startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    ):
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        cells = (c for sheet in book for r in sheet.iter_rows(values_only=True) for c in r)
        return " ".join(str(c) for c in cells if c is not None).encode()
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


def check(response, row, role, want, before, *, api):
    body = _content(response)
    if want is not None:
        assert response.status_code == want, body[:300]
        if role == ANON and not api:
            assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
        assert _changed(before) == {}, "a refused request wrote rows (rolled back or not)"
    else:
        assert response.status_code in ok_statuses(row, api=api), body[:300]
        if row.method != "get" and row.writes:
            assert _changed(before), "a permitted step changed nothing"
    if role == PROVIDER and response.status_code == 200:
        assert OTHER_ORGANISATION not in body, "another organisation's data shown"


def echo_form(url: str, world: dict, row: Row) -> dict:
    """The form's own values as a permitted role is shown them (officer, else the first)."""
    reader = Client()
    reader.force_login(world["users"][OFFICER if OFFICER in row.allowed else min(row.allowed)])
    form = reader.get(url).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data
