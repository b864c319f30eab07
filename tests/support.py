"""Helpers for tests that deal with more than one session or thread, and with the clock.

- ``other_session()``: a second database session, as a worker or a colleague's request has.
- ``wait_until(check, what)``: wait, bounded, for something another thread or process does.
- ``LATE_SUMMER_EVENING``: the hour at which the machine's date and London's differ.
- ``migrate_to(targets)`` / ``latest_migrations()``: move the test database's schema for a
  migration test (mark it ``django_db(transaction=True, serialized_rollback=True)``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

# 23:30 UTC on a summer day: London (BST, UTC+1) is already on 2 July. Code or a test that
# takes the machine's date (UTC on servers and CI) for the council's (Europe/London) is a day
# out from 23:00 to 24:00 UTC for half the year.
LATE_SUMMER_EVENING = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)


@contextmanager
def other_session(alias: str = DEFAULT_DB_ALIAS) -> Iterator[BaseDatabaseWrapper]:
    """A second connection to the test database, closed on exit.

    Built by Django's own backend from the settings the test connection uses, so it reaches
    the server the same way (TCP, or the embedded server's Unix socket given as
    ``OPTIONS["host"]``) and the same test database (with pytest-xdist's suffix)."""
    mine = connections[alias]
    other = type(mine)({**mine.settings_dict}, alias)
    try:
        yield other
    finally:
        other.close()


def wait_until(check: Callable[[], object], what: str, *, timeout: float = 60) -> None:
    """Return as soon as ``check()`` is true; fail, saying ``what`` did not happen, after
    ``timeout`` seconds. Polls every 50 ms: quick when the machine is, patient when it is not.
    """
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout:g} s")
        time.sleep(0.05)


def send_in_parallel(method: str, url: str, tokens: list[str], bodies: list[dict]) -> list[int]:
    """Send each body to ``url`` (JSON, API token ``tokens[n % len(tokens)]``) on a thread of
    its own, all released at once: the statuses, in the bodies' order. Against a live server
    each request has its own database connection, as two people's clicks do."""
    import json
    import threading
    import urllib.error
    import urllib.request

    barrier = threading.Barrier(len(bodies))
    statuses = [0] * len(bodies)

    def send(n: int) -> None:
        request = urllib.request.Request(
            url,
            data=json.dumps(bodies[n]).encode(),
            method=method,
            headers={
                "Authorization": f"Token {tokens[n % len(tokens)]}",
                "Content-Type": "application/json",
            },
        )
        barrier.wait(timeout=30)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                statuses[n] = response.status
        except urllib.error.HTTPError as exc:
            statuses[n] = exc.code

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def migrate_to(targets: list[tuple[str, str]]):
    """Migrate the test database to ``targets`` and return the apps of that state (the
    historical models, to make rows as they were then)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest_migrations() -> list[tuple[str, str]]:
    """Where to migrate back to when a migration test ends."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()
