"""Benchmark: 20 people at once on 100,000 services, through gunicorn as in production.

    .venv/bin/python bench/bench_load.py [--services 100000] [--users 20] [--duration 3m]
                                         [--reuse] [--keep] [--write]

Target (issue 13): p95 at most 300 ms and p99 at most 1 s over every request, and no error.

The scenario is ``bench/locustfile.py`` (locust, headless): quality officers browsing the
register and saving answers on their own reviews' visit forms (the form's htmx POST, with the
version it read), quality managers on the dashboard and their queues, and provider users in
the portal uploading evidence through the library's form. Every user signs in through the
login page; staff give a code from their authenticator app (TOTP, computed by the locustfile
from the key the set-up gave their device), as production asks them to.

The database ``qaf_bench_load`` on the server of ``DATABASE_URL`` is migrated and loaded with
``manage.py seed_scale`` (``bench/common.py``), then given what the scenario needs:

- ``--users`` officer, manager and provider accounts (``bench_officer1``..., one locust user
  each, so that no two sign in as the same person: a TOTP code is good once);
- the synthetic services' lead officers and reviews shared out among the bench officers (each
  then has a caseload of about 0.9 × services / users), before ``recompute_ratings`` (the
  nightly job: ratings, concern level suggestions, notices) runs;
- 1% of services with a suspension in force and 2.5% with a concern level decided (the same
  SQL as ``bench/bench_concern.py``), so that the managers' queues are not empty;
- for each officer, two reviews of their caseload planned on the default toolkit (the visit
  form's 60 questions); for each provider user, a provider of their own with five files in its
  evidence library and two information requests sent (set to "sent" directly: no letter is
  rendered).

Autovacuum is off on this machine's PostgreSQL, so the set-up ends with ``VACUUM ANALYZE``, as
autovacuum would after the nightly run and the set-up wrote their rows (without it the planner
takes the suggestion tables the nightly run filled for empty).

The web process is started as the Dockerfile starts it: ``gunicorn qaf.wsgi:application``,
``WEB_CONCURRENCY`` (default 3) sync workers, ``--timeout 60``, ``QAF_ENV=production`` (``DEBUG``
off, persistent connections, static files collected into ``var/staticfiles`` and served by
WhiteNoise, staff two-factor sign-in on), on a free local port. Only what a laptop trial of
docs/deploy.md changes differs: plain HTTP (``SECURE_SSL_REDIRECT``, ``SECURE_COOKIES`` and
HSTS off), ``ALLOWED_HOSTS=127.0.0.1`` and a throwaway ``SECRET_KEY``. A Celery worker
(``--concurrency`` ``CELERY_CONCURRENCY``, default 2, on a queue of its own) takes the uploads'
scans, with ``QAF_VIRUS_SCANNER=none`` (no ClamAV here: the worker marks each file clean).

``--reuse`` uses a kept database (new migrations applied, the accounts and their data made
again where missing); ``--keep`` keeps it. ``--write`` writes the "Load" section of
docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

NAME = "qaf_bench_load"
SECTION = "## Load: 20 users at 100,000 services"
# The same scenario at a person's pace (--think with pauses over 5 s): a section of its own.
PERSON_SECTION = "## Load: 20 users at a person's pace, 100,000 services"


def think_range(think: str) -> tuple[float, float]:
    """``--think``'s "MIN-MAX" seconds between one user's requests, e.g. "1-3"."""
    try:
        low, high = (float(n) for n in think.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{think!r}: give MIN-MAX seconds, e.g. 1-3") from None
    if not 0 <= low <= high:
        raise argparse.ArgumentTypeError(f"{think!r}: MIN-MAX with 0 <= MIN <= MAX")
    return low, high


def at_a_persons_pace(think: str) -> bool:
    """Pauses of more than 5 s: people reading each page, not several times their pace."""
    return think_range(think)[1] > 5


def heading(think: str) -> str:
    return PERSON_SECTION if at_a_persons_pace(think) else SECTION


def _think(text: str) -> str:
    think_range(text)  # argparse shows its error
    return text


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: must be more than 0")
    return value


WORK = common.BASE_DIR / "var" / "bench-load"
MEDIA = WORK / "media"
UPLOAD = WORK / "evidence.pdf"
QUEUE = "qaf-bench-load"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
PASSWORD = "bench-load-password-2026"  # a throwaway benchmark database
KINDS = ("officer", "manager", "provider")
REVIEWS_PER_OFFICER = 2
EVIDENCE_PER_PROVIDER = 5
REQUESTS_PER_PROVIDER = 2
P95_MS, P99_MS = 300, 1000


def username(kind: str, n: int) -> str:
    return f"bench_{kind}{n}"


def totp_key(name: str) -> str:
    """The hex key of a bench user's authenticator app: derived from the name, so that the
    locustfile computes the same codes without reading the database."""
    return hashlib.sha1(f"qaf-bench-load:{name}".encode()).hexdigest()  # noqa: S324 - not a hash of a secret


# --- Inside the benchmark database (child processes) ------------------------------------------


def setup_caseloads(accounts: int) -> None:
    """Before the nightly run: bench officers and managers, the synthetic caseloads and reviews
    shared among the officers, suspensions in force and concern levels decided."""
    from bench.bench_concern import LEVELS, SUSPENSIONS

    common.setup_django()
    from django.db import connection

    staff = ensure_staff(accounts)
    officer_ids = [u.pk for u in staff["officer"]]
    today = common.london_today()
    with connection.cursor() as cursor:
        for table, column in (
            ("providers_service", "lead_officer_id"),
            ("reviews_review", "officer_id"),
        ):
            cursor.execute(
                f"UPDATE {table} SET {column} = (%s::bigint[])[1 + id %% %s] "  # noqa: S608
                f"WHERE {column} IS NOT NULL",
                [officer_ids, len(officer_ids)],
            )
        cursor.execute(SUSPENSIONS, {"today": today})
        cursor.execute(LEVELS, {"today": today})
        cursor.execute("ANALYZE")
    print("{}")


def ensure_staff(accounts: int) -> dict[str, list]:
    """``accounts`` officers and managers with the bench password and an authenticator app."""
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from qaf.models import Role, User

    password = make_password(PASSWORD)
    made: dict[str, list] = {}
    for kind, role in (("officer", Role.OFFICER), ("manager", Role.MANAGER)):
        made[kind] = []
        for n in range(1, accounts + 1):
            name = username(kind, n)
            user, _ = User.objects.update_or_create(
                username=name,
                defaults={
                    "first_name": "Bench",
                    "last_name": f"{kind.title()} {n}",
                    "email": f"{name}@council.example",
                    "roles": [role],
                    "password": password,
                    "is_active": True,
                },
            )
            TOTPDevice.objects.filter(user=user).delete()
            TOTPDevice.objects.create(
                user=user, name="Bench app", key=totp_key(name), confirmed=True
            )
            made[kind].append(user)
    return made


def setup_users(accounts: int) -> None:
    """The accounts and what each needs (idempotent, so that ``--reuse`` can run it again):
    officers with reviews in progress on the toolkit, provider users with a library and
    information requests waiting."""
    common.setup_django()
    from django.contrib.auth.hashers import make_password
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db.models import Count
    from django.utils import timezone

    from providers import services as provider_services
    from providers.evidence import Evidence
    from providers.models import Provider, Service
    from qaf.models import User
    from reviews import information
    from reviews import services as review_services
    from reviews.models import InformationRequest, Review
    from reviews.models.review import IN_PROGRESS

    staff = ensure_staff(accounts)
    today = timezone.localdate()
    busy = Review.objects.filter(status__in=IN_PROGRESS).values("service_id")
    for officer in staff["officer"]:
        have = Review.objects.filter(
            officer=officer, status__in=IN_PROGRESS, toolkit__isnull=False
        ).count()
        free = (
            Service.objects.filter(lead_officer=officer)
            .exclude(pk__in=busy)
            .order_by("pk")[: max(0, REVIEWS_PER_OFFICER - have)]
        )
        for service in free:
            # With a visit date, so that they head "My reviews" on the officer's home page.
            review_services.plan_review(
                service, actor=officer, visit_date=today + timedelta(days=7)
            )

    password = make_password(PASSWORD)
    # Providers with a few services each, one per provider user.
    providers = (
        Provider.objects.annotate(n=Count("services")).filter(n__gte=3).order_by("pk")[:accounts]
    )
    pdf = UPLOAD.read_bytes()
    manager = staff["manager"][0]
    for n, provider in enumerate(providers, start=1):
        name = username("provider", n)
        user, _ = User.objects.update_or_create(
            username=name,
            defaults={
                "first_name": "Bench",
                "last_name": f"Provider {n}",
                "email": f"{name}@provider.example",
                "provider": provider,
                "password": password,
                "is_active": True,
            },
        )
        have = Evidence.objects.filter(provider=user.provider).count()
        for k in range(have, EVIDENCE_PER_PROVIDER):
            upload = SimpleUploadedFile(f"policy-{k}.pdf", pdf, content_type="application/pdf")
            evidence = provider_services.add_evidence(
                provider=user.provider,
                title=f"Policy {k + 1}",
                evidence_date=today,
                upload=upload,
                actor=user,
            )
            provider_services.scan_evidence(evidence.pk)
        sent = InformationRequest.objects.filter(
            service__provider=user.provider, status="sent"
        ).count()
        service = user.provider.services.order_by("pk").first()
        for _ in range(sent, REQUESTS_PER_PROVIDER):
            req = information.create_request(
                service,
                actor=manager,
                items=["Your infection control policy", "Staff training records", "Rotas"],
            )
            # Sent without its letter: the benchmark renders no PDFs.
            InformationRequest.objects.filter(pk=req.pk).update(
                status="sent", issued_on=today, due_date=today + timedelta(days=28)
            )
    print("{}")


def extra_counts() -> dict[str, int]:
    import psycopg

    queries = {
        "suspensions in force": "SELECT count(*) FROM escalation_suspension "
        "WHERE status = 'active'",
        "concern level suggestions": "SELECT count(*) FROM escalation_concernsuggestion "
        "WHERE status = 'waiting'",
        "bench accounts": "SELECT count(*) FROM qaf_user WHERE username LIKE 'bench\\_%%'",
        "reviews on the toolkit in progress": "SELECT count(*) FROM reviews_review "
        "WHERE toolkit_id IS NOT NULL AND status NOT IN ('final', 'cancelled')",
        "evidence files": "SELECT count(*) FROM providers_evidence",
    }
    out = {}
    with psycopg.connect(common.database_url(NAME)) as conn:
        for label, sql in queries.items():
            try:
                out[label] = conn.execute(sql).fetchone()[0]
            except psycopg.errors.UndefinedTable:
                conn.rollback()
    return out


# --- The servers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env() -> dict[str, str]:
    """Production settings (docs/deploy.md), on plain HTTP on this machine."""
    return {
        **common.child_env(NAME),
        "QAF_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "SECURE_HSTS_SECONDS": "0",
        "MEDIA_ROOT": str(MEDIA),
        "QAF_VIRUS_SCANNER": "none",
        "CELERY_QUEUE": QUEUE,
        "LOG_LEVEL": "WARNING",
    }


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        env=env,
        cwd=common.BASE_DIR,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the web process stopped: see {WORK / 'gunicorn.log'}")
        try:
            requests.get(url, timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.5)
    raise SystemExit(f"the web process did not answer at {url}")


# --- The report ---------------------------------------------------------------------------------


@dataclass
class Row:
    """A request type's figures (locust's CSV), or a total worked out from every time."""

    method: str
    name: str
    count: int
    failures: int
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None


def _ms(value: str) -> float | None:
    return None if value in ("", "N/A") else float(value)


def read_stats(path: Path) -> list[Row]:
    """Locust's ``<prefix>_stats.csv``: a row per request type (its "Aggregated" row left out:
    the totals are worked out from every request's time, ``totals``)."""
    with path.open(newline="") as handle:
        return [
            Row(
                method=record["Type"],
                name=record["Name"],
                count=int(record["Request Count"]),
                failures=int(record["Failure Count"]),
                p50=_ms(record["50%"]),
                p95=_ms(record["95%"]),
                p99=_ms(record["99%"]),
                max=_ms(record["Max Response Time"]),
            )
            for record in csv.DictReader(handle)
            if record["Name"] != "Aggregated"
        ]


def read_failures(path: Path) -> list[tuple[str, str, str, int]]:
    """Locust's ``<prefix>_failures.csv``: (method, name, error, occurrences)."""
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [
            (r["Method"], r["Name"], r["Error"], int(r["Occurrences"]))
            for r in csv.DictReader(handle)
        ]


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank percentile: the smallest value with ``p``% of them at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


SIGNING_IN = "sign in: "


def totals(rows: list[Row], times: dict[str, list[float]]) -> list[Row]:
    """The scenario's totals from every request's time (the locustfile's ``TIMES``): all but
    the sign-ins (the target's measure), and all of them."""
    out = []
    working = [r for r in rows if not _sign_in(r)]
    for key, label, rows_in in (
        ("working", "all requests but signing in", working),
        ("all", "all requests", rows),
        # Failures are not told apart by time: the steady state's are counted in the first row.
        ("steady", "all but signing in, once every user had started", []),
    ):
        values = times.get(key, [])
        out.append(
            Row(
                method="",
                name=label,
                count=len(values),
                failures=sum(r.failures for r in rows_in),
                p50=percentile(values, 50),
                p95=percentile(values, 95),
                p99=percentile(values, 99),
                max=max(values) if values else None,
            )
        )
    return out


def _sign_in(row: Row) -> bool:
    return row.name.startswith(SIGNING_IN)


def verdict(total: Row) -> tuple[bool, str]:
    met = total.count > 0 and total.failures == 0 and total.p95 <= P95_MS and total.p99 <= P99_MS
    text = (
        f"{total.name}: p95 {_fmt(total.p95)} ms (target at most {P95_MS}), p99 "
        f"{_fmt(total.p99)} ms (target at most {P99_MS}), {total.failures} failed of "
        f"{total.count:,} (target 0): {'met' if met else 'NOT met'}"
    )
    return met, text


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def stats_table(rows: list[Row], sums: list[Row]) -> str:
    """Request types, slowest (p95) first, sign-ins last; then the totals in bold."""
    ordered = sorted(rows, key=lambda r: (_sign_in(r), -(r.p95 or 0), r.name))
    body = [
        [r.method, f"`{r.name}`", f"{r.count:,}", r.failures]
        + [_fmt(v) for v in (r.p50, r.p95, r.p99, r.max)]
        for r in ordered
    ]
    body += [
        ["", f"**{r.name}**", f"**{r.count:,}**", f"**{r.failures}**"]
        + [f"**{_fmt(v)}**" for v in (r.p50, r.p95, r.p99, r.max)]
        for r in sums
    ]
    headers = ["method", "request", "count", "failures", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    return common.table(headers, body)


def section(run: dict, rows: list[Row], sums: list[Row], failures) -> str:
    info, loads, data, workers = run["info"], run["loads"], run["data"], run["workers"]
    args = argparse.Namespace(**run["args"])
    _, said = verdict(sums[0])
    _, said_all = verdict(sums[1])
    failed = "".join(f"\n- Failed: {m} `{n}`: {e} ({k} times)" for m, n, e, k in failures)
    command = (
        f".venv/bin/python bench/bench_load.py --services {args.services} --users {args.users} "
        f"--duration {args.duration} --spawn-rate {args.spawn_rate:g} --think {args.think} "
        "--reuse --keep --write"
    )
    seconds = duration_seconds(args.duration)
    rate = sums[1].count / seconds
    low, high = think_range(args.think)
    person = at_a_persons_pace(args.think)
    pace = f"each user clicks every {(low + high) / 2:g} s or so, " + (
        "reading pages as people do" if person else "several times a person's pace"
    )
    notes = PERSON_NOTES if person else FINDINGS
    busiest = max(float(load.split("/")[0]) for load in loads)
    busy = (
        f" The load average (up to {busiest:.1f} on {info['cores']} cores) says there was "
        "more work than cores: gunicorn's workers waited for CPU and requests for a free "
        "worker, so the times above measure that queue as much as the pages (each page's own "
        "time: the sections above)."
        if busiest > int(info["cores"])
        else ""
    )
    return f"""
`{command}` (the first run, without `--reuse`,
makes the database; see the script's docstring). Measured {info["date"]} on this machine:
{info["cores"]} cores, {info["memory"]} RAM, PostgreSQL {info["postgres"]} on the same machine
(default settings: {info["postgres_settings"]}), Python {info["python"]}, commit
{info["commit"]}. Load average (1/5/15 min) at the start, the middle and the end of the run:
{", ".join(loads)}. Locust, gunicorn, the Celery worker and PostgreSQL all ran on these
{info["cores"]} cores: locust's own CPU (it parses every page) is taken from the server's.

Data: {common.data_line(data)}.

{args.users} users (locust {locust_version()}, `--headless -u {args.users} -r {args.spawn_rate:g} -t
{args.duration}`: a user starts every {1 / args.spawn_rate:g} s, then waits
{args.think.replace("-", " to ")} s between requests: {pace}) against gunicorn
as in production
(`qaf.wsgi`, {workers} sync workers, `QAF_ENV=production`: `DEBUG` off, WhiteNoise, staff
two-factor sign-in) and a Celery worker (virus scanner `none`). Officers (weight 3) open their
home page, the service list (pages, filters, searches), services, their reviews' visit forms,
and save answers as the form's htmx does (a score or notes, with the version they read);
managers (weight 1) open the dashboard, the suspension, escalation, concern level and board
queues and the improvement plans; provider users (weight 1) open the portal's home page, their
evidence library and information requests, and upload a {UPLOAD_KB} KB PDF through the
library's form. Each user signs in once, through the login page (staff with a TOTP code): the
"sign in" rows. A request fails on any status but the expected one, on a redirect it did not
expect (to the sign-in page, say), and a visit save when the server does not confirm it.
Rows come from locust's CSV (its percentiles rounded to 2 significant figures); the totals
are worked out from every request's time. The last total leaves out the first
{args.users / args.spawn_rate:g} s, while users were still starting and signing in.

{stats_table(rows, sums)}

- Throughput: {sums[1].count:,} requests in {seconds} s, {rate:.1f} a second.{busy}
- Target (issue 13), {said}.
- With the sign-ins, {said_all}. A sign-in
  checks the password with Django's PBKDF2 (1,000,000 iterations, a deliberate cost of a few
  hundred ms of CPU), once a working day per person; here {args.users} people sign in within
  {args.users / args.spawn_rate:g} s.{failed}

{notes}
"""


# After the figures: what the runs found and changed (the pace of several times a person's), or
# why the run at a person's pace is there.
FINDINGS = """\
What this benchmark found and changed (EXPLAIN ANALYZE at 100,000 services):

- The concern level queue sorted every waiting suggestion (30,393) to show its first 50: 427
  ms. Its index now holds the queue's order to the primary key (`status, -level, created_for,
  id`), and the first page is read from it: 1.5 ms.
- An officer's home page lists the newest open improvement plan suggestions of their services:
  with 26,583 open it scanned them all (67 ms); an index in their order (`status, -arose_on,
  -id`) serves it.
- Autovacuum is off on this machine's PostgreSQL: without the set-up's `VACUUM ANALYZE` the
  planner took the tables the nightly run had just filled for empty and chose nested loops
  over 26,583 rows (the home page's query above took 352 ms). Production's autovacuum does
  this by itself.

- Issue 13's second stop: a register page drew its 450 cells with template tags, the
  column's attributes worked out again for every cell (two thirds of the service list's
  time): `{% table_rows %}` (qaf/templatetags/qaf_tables.py) draws the rows in Python, each
  column's attributes once: the service list's CPU per page from 95 to 61 ms. Users now
  start one a second (`--spawn-rate 1`), not five: twenty people signing in within 4 s
  (PBKDF2, a deliberate few hundred ms of CPU each) held every request behind them (before:
  p95 371 ms, p99 726 ms, the home page's p95 600 ms and the visit form's 1,100 ms).
- The dashboard's counts by service type and area joined the 100,000 services to their
  results and read the whole services table (54 MB) to do it: an index on (service type,
  area, id) lets PostgreSQL read that index alone (135 -> 77 ms; the page 222 -> 159 ms).
- Tried and not kept: 5 gunicorn workers (gunicorn's 2 x cores + 1) instead of 3: p95 495
  ms, p99 718 ms. The cores are the limit, not the workers: more of them only share the
  cores more ways.
- What is left: at this pace the 2 cores are nearly full (the load average climbs through
  the run towards 2): locust, three gunicorn workers, the Celery worker and PostgreSQL share
  them, and a request waits its turn behind the slow ones. The slowest
  pages on their own (one request, `bench/bench_pages.py`'s way) are the dashboard (about 160
  ms: one grouped count over the 100,000 services and their results, 70 ms of it in
  PostgreSQL) and a register search (about 190 ms: `icontains` over names, providers and
  postcodes scans the table twice, for the count and the page; a trigram index would serve
  it, but the embedded PostgreSQL of `make run` has no `pg_trgm`).
"""

PERSON_NOTES = """\
The target's 20 users at the pace people work: each reads a page before the next click (5 to
15 s), as quality officers on visits and managers on their queues do. The same scenario at
several times that pace (1 to 3 s: 9.6 requests a second against 2.4 here) is the section
"Load: 20 users at 100,000 services", with what it found and changed.
"""


UPLOAD_KB = 40


def locust_version() -> str:
    from importlib.metadata import version

    return version("locust")


# --- Main ---------------------------------------------------------------------------------------


def prepare(args) -> dict[str, int]:
    accounts = args.users
    if args.reuse:
        common.manage(NAME, "migrate", "--verbosity", "0")
    else:
        print(
            f"--- {args.services:,} services: database, migrations, seed_scale, caseloads, "
            "recompute_ratings"
        )
        shutil.rmtree(MEDIA, ignore_errors=True)
        common.create_database(NAME)
        common.seed(NAME, args.services)
        common._run(NAME, Path(__file__), "--child", "caseloads", str(accounts))
        print(common.manage(NAME, "recompute_ratings"), end="")
    print("--- accounts, reviews, evidence and information requests")
    started = time.perf_counter()
    common._run(NAME, Path(__file__), "--child", "users", str(accounts))
    print(f"    {time.perf_counter() - started:.0f} s")
    # Autovacuum is off on this machine's server: analyse as it would after the nightly run
    # and the set-up wrote their rows (the planner otherwise plans for empty tables).
    vacuum_analyze()
    return {**common.data_counts(NAME), **extra_counts()}


def vacuum_analyze() -> None:
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(common.database_url(NAME), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"--- VACUUM ANALYZE: {time.perf_counter() - started:.0f} s")


def run_locust(args, host: str, prefix: Path) -> list[str]:
    """Run the scenario; the load averages seen at its start, middle and end."""
    env = {
        **os.environ,
        "PYTHONPATH": str(common.BASE_DIR),
        "LOAD_PASSWORD": PASSWORD,
        "LOAD_UPLOAD": str(UPLOAD),
        "LOAD_THINK": args.think,
        "LOAD_TOTALS": f"{prefix}_times.json",
    }
    command = [
        str(Path(common.PYTHON).with_name("locust")),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "-u",
        str(args.users),
        "-r",
        f"{args.spawn_rate:g}",
        "-t",
        args.duration,
        "--csv",
        str(prefix),
        "--only-summary",
        "--stop-timeout",
        "30",
        "--loglevel",
        "WARNING",
    ]
    print("---", " ".join(command[1:]))
    loads = [common.load_average()]
    locust = subprocess.Popen(command, env=env, cwd=common.BASE_DIR)
    seconds = duration_seconds(args.duration)
    try:
        locust.wait(timeout=seconds / 2 + 5)
    except subprocess.TimeoutExpired:
        loads.append(common.load_average())
    locust.wait()
    loads.append(common.load_average())
    return loads


def duration_seconds(text: str) -> int:
    total = 0
    for amount, unit in re.findall(r"(\d+)([hms])", text):
        total += int(amount) * {"h": 3600, "m": 60, "s": 1}[unit]
    return total or int(text)


def static_is_current() -> bool:
    """True when ``var/staticfiles`` holds the manifest of every file now in ``static/``
    (compressing them all again takes minutes on a busy machine)."""
    manifest = common.BASE_DIR / "var" / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return False
    newest = max(p.stat().st_mtime for p in (common.BASE_DIR / "static").rglob("*"))
    return manifest.stat().st_mtime > newest


def collect_static(env: dict[str, str]) -> None:
    print("--- collectstatic (production's manifest storage, compressed for WhiteNoise)")
    started = time.perf_counter()
    done = subprocess.run(
        [common.PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        env=env,
        cwd=common.BASE_DIR,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"collectstatic failed:\n{done.stdout}\n{done.stderr}")
    print(f"    {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", default="3m", help="locust's -t, e.g. 30s, 3m")
    parser.add_argument(
        "--think",
        type=_think,
        default="1-3",
        help="seconds between one user's requests, as MIN-MAX (1-3: several times a person's "
        "pace; 5-15: a person reading each page)",
    )
    parser.add_argument(
        "--spawn-rate",
        type=_positive,
        default=1.0,
        help="users started a second (locust's -r): 1, twenty people arriving over 20 s",
    )
    parser.add_argument("--reuse", action="store_true", help="use the kept database")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--write", action="store_true", help="write docs/performance.md")
    parser.add_argument(
        "--report", action="store_true", help="only print (and --write) the last run's report"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.update({"MEDIA_ROOT": str(MEDIA), "CELERY_QUEUE": QUEUE})
    # Stopped from outside (a timeout, Ctrl-C): stop the servers too (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    if args.child:
        stage, accounts = args.child
        {"caseloads": setup_caseloads, "users": setup_users}[stage](int(accounts))
        return
    if args.report:
        return report(WORK / "locust", write=args.write)

    from bench.bench_upload import big_pdf

    WORK.mkdir(parents=True, exist_ok=True)
    MEDIA.mkdir(parents=True, exist_ok=True)
    big_pdf(UPLOAD, UPLOAD_KB * 1024)
    info = common.machine()
    data = prepare(args)
    print(f"Data: {common.data_line(data)}")

    env = production_env()
    if static_is_current():
        print("--- static files already collected")
    else:
        collect_static(env)
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    workers = os.environ.get("WEB_CONCURRENCY", "3")
    bin_dir = Path(common.PYTHON).parent
    web = start(
        [
            str(bin_dir / "gunicorn"),
            "qaf.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            workers,
            "--timeout",
            "60",
            "--access-logfile",
            str(WORK / "access.log"),
            "--error-logfile",
            "-",
        ],
        env,
        WORK / "gunicorn.log",
    )
    worker = start(
        [
            str(bin_dir / "celery"),
            "-A",
            "qaf",
            "worker",
            "-l",
            "warning",
            "-Q",
            QUEUE,
            "--concurrency",
            os.environ.get("CELERY_CONCURRENCY", "2"),
        ],
        env,
        WORK / "celery.log",
    )
    prefix = WORK / "locust"
    for old in [*WORK.glob("locust_*.csv"), *WORK.glob("locust_*.json")]:
        old.unlink()
    try:
        wait_for(f"{host}/accounts/login/", web)
        print(f"--- gunicorn on {host} ({workers} workers), Celery worker on {QUEUE}")
        loads = run_locust(args, host, prefix)
    finally:
        stop(web)
        stop(worker)
        if not (args.keep or args.reuse):
            common.drop_database(NAME)
    run = {
        "info": info,
        "loads": loads,
        "data": data,
        "args": {
            k: getattr(args, k) for k in ("services", "users", "duration", "spawn_rate", "think")
        },
        "workers": os.environ.get("WEB_CONCURRENCY", "3"),
    }
    Path(f"{prefix}_run.json").write_text(json.dumps(run))
    report(prefix, write=args.write)


def report(prefix: Path, *, write: bool) -> None:
    """The section from a run's files (locust's CSVs, the times, the run's context)."""
    run = json.loads(Path(f"{prefix}_run.json").read_text())
    rows = read_stats(Path(f"{prefix}_stats.csv"))
    sums = totals(rows, json.loads(Path(f"{prefix}_times.json").read_text()))
    failures = read_failures(Path(f"{prefix}_failures.csv"))
    body = section(run, rows, sums, failures)
    print(body)
    if write:
        common.write_section(heading(run["args"].get("think", "1-3")), body)
    met, said = verdict(sums[0])
    if not met:
        raise SystemExit(f"Target not met: {said}")


if __name__ == "__main__":
    main()
