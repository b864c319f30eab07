"""Shared pieces of bench/bench_recompute.py and bench/bench_pages.py.

Each benchmark makes its own database on the server of ``DATABASE_URL`` (default the
machine's ``postgres://postgres@127.0.0.1:5432``), migrates it, loads it with ``seed_scale``
and measures in a child process, so that one measurement's memory and caches never carry over
into the next. The children run with production-like settings: ``DEBUG`` off (no query log, no
debug templates), persistent connections, and email kept in memory.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

BASE_DIR = Path(__file__).resolve().parent.parent
DOC = BASE_DIR / "docs" / "performance.md"
PYTHON = sys.executable
SERVER_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qaf")


def database_url(name: str) -> str:
    """``DATABASE_URL`` with another database name: its host (a TCP address, or the embedded
    server's socket directory given as ``?host=``) and user stay as they are."""
    parts = urlsplit(SERVER_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def child_env(name: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(BASE_DIR),
        "DJANGO_SETTINGS_MODULE": "qaf.settings",
        "QAF_ENV": "development",
        "DEBUG": "false",
        "CONN_MAX_AGE": "60",
        "DATABASE_URL": database_url(name),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }


def admin_sql(sql: str) -> None:
    """Run ``sql`` (CREATE/DROP DATABASE) on the server's maintenance database."""
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def create_database(name: str) -> None:
    """A fresh, migrated database ``name`` (dropped first if it exists)."""
    assert name.startswith("qaf_bench"), name  # never drop anything else
    drop_database(name)
    admin_sql(f'CREATE DATABASE "{name}"')
    manage(name, "migrate", "--verbosity", "0")


def drop_database(name: str) -> None:
    assert name.startswith("qaf_bench"), name
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(name: str, script: Path, *args: str) -> str:
    """Run a Python script against the benchmark database; its output (exit on failure)."""
    done = subprocess.run(
        [PYTHON, str(script), *args],
        env=child_env(name),
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"{script.name} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def manage(name: str, *args: str) -> str:
    """Run ``manage.py`` against the benchmark database; its output."""
    return _run(name, BASE_DIR / "manage.py", *args)


def seed(name: str, services: int) -> float:
    started = time.perf_counter()
    print(manage(name, "seed_scale", "--services", str(services), "--force", "--reset"), end="")
    return time.perf_counter() - started


def prepare(name: str, services: int, reuse: bool, *, rate: bool = True) -> dict[str, int]:
    """The benchmark database: a kept one brought up to date (``--reuse``), or a fresh one
    migrated, loaded with ``seed_scale`` and (``rate``) rated by ``recompute_ratings``."""
    if reuse:
        manage(name, "migrate", "--verbosity", "0")
    else:
        steps = "seed_scale, recompute_ratings" if rate else "seed_scale"
        print(f"--- {services:,} services: database, migrations, {steps}")
        create_database(name)
        seed(name, services)
        if rate:
            print(manage(name, "recompute_ratings"), end="")
    return data_counts(name)


def data_counts(name: str) -> dict[str, int]:
    """What a seeded benchmark database holds."""
    import psycopg

    queries = {
        "services": "SELECT count(*) FROM providers_service",
        "providers": "SELECT count(*) FROM providers_provider",
        "final reviews": "SELECT count(*) FROM reviews_review WHERE status = 'final'",
        "reviews in progress": "SELECT count(*) FROM reviews_review "
        "WHERE status NOT IN ('final', 'cancelled')",
        "intelligence entries": "SELECT count(*) FROM providers_intelligence",
    }
    with psycopg.connect(database_url(name)) as conn:
        return {label: conn.execute(sql).fetchone()[0] for label, sql in queries.items()}


def data_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {label}" for label, n in counts.items())


def run_child(script: Path, name: str, *args: str) -> dict:
    """Run ``script --child ...`` against the database; the JSON it prints last."""
    return json.loads(_run(name, script, "--child", *args).strip().splitlines()[-1])


def setup_django() -> None:
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def classify(sql: str) -> str:
    """read, write or other (transaction control, SET, locks taken with SELECT are reads)."""
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    if verb in {"SELECT", "DECLARE", "WITH"}:
        return "read"
    if verb in {"INSERT", "UPDATE", "DELETE", "COPY"}:
        return "write"
    return "other"


def machine() -> dict[str, str]:
    """What the figures were measured on, for the report."""
    import psycopg

    with psycopg.connect(database_url("postgres")) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]
            for name in ("shared_buffers", "work_mem", "max_wal_size")
        }
    memory = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": f"{london_today():%d %B %Y}",
        "cores": str(os.cpu_count()),
        "memory": memory,
        "postgres": version,
        "postgres_settings": ", ".join(f"{k} {v}" for k, v in settings.items()),
        "python": platform.python_version(),
        "commit": commit or "?",
    }


def london_today() -> date:
    """The day in London, QAF's zone (this process has no Django settings to ask)."""
    return datetime.now(ZoneInfo("Europe/London")).date()


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def machine_line(info: dict[str, str], loads: list[str]) -> str:
    # A 1-minute load average above the number of cores means work queued for them: other
    # work shared the machine (or the benchmark itself, with its servers, filled it).
    busiest = max((float(load.split("/")[0]) for load in loads), default=0.0)
    shared = busiest > float(info["cores"])
    return (
        f"Measured {info['date']} on this machine: {info['cores']} cores, {info['memory']} RAM, "
        f"PostgreSQL {info['postgres']} on the same machine (default settings: "
        f"{info['postgres_settings']}), Python {info['python']}, commit {info['commit']}. "
        f"Load average (1/5/15 min) during the runs: {', '.join(loads)}"
        + (
            ": more work than cores, so wall times are upper bounds; CPU times are the "
            "process's own."
            if shared
            else ": no more work than cores (a quiet machine)."
        )
    )


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table (also readable as printed text)."""
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def write_section(heading: str, body: str) -> None:
    """Replace the section under ``heading`` in docs/performance.md (or add it), leaving the
    other sections as they are."""
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    section = f"{heading}\n\n{body.strip()}\n\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text.rstrip("\n") + "\n")
    print(f"Wrote {heading!r} in {DOC.relative_to(BASE_DIR)}")
