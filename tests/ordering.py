"""The slowest test files first, so that the two test processes finish together.

pytest-xdist (``--dist loadfile``) hands out whole files in the order it is given them; by
default it sorts them by their number of tests, which puts a file of a few slow tests (a browser
journey, a migration test) last, and one process works alone on it for minutes at the end.
With ``--no-loadscope-reorder`` this plugin orders the files by the time
each took last measured (``tests/file_durations.json``), longest first: the classic "longest
processing time first" schedule. Files not listed (new ones) go after the listed ones in their
usual order, so a stale list costs minutes at most, never a test.

``--record-file-durations`` writes the list again from this run (seconds per file, setup and
teardown included): run the whole suite with it after adding slow tests, on a machine doing
nothing else (times taken under a varying load order the files wrongly: a list recorded while
other work shared the cores once made the suite take 16.5 minutes instead of about 10):

    QAF_ENV=test .venv/bin/python -m qaf.dev test -n 2 --dist loadfile --record-file-durations

The list in the repository was recorded on 04 December 2026 on a quiet machine, after issue 14
(the recording run, with its new files still unordered at the end, took 9 minutes 58 seconds;
test_cqc_sync.py's figure lowered by hand to 5 s after its local server's shutdown was made
quick). Without the file nothing is reordered and pytest-xdist's own order (by
number of tests) is used.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

DURATIONS = Path(__file__).with_name("file_durations.json")


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_addoption(parser):
    parser.addoption(
        "--record-file-durations",
        action="store_true",
        help=f"write each test file's total time to {DURATIONS.name} (longest first)",
    )


def pytest_collection_modifyitems(session, config, items):
    try:
        known = json.loads(DURATIONS.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        first_seen.setdefault(_file_of(item.nodeid), index)
    # sort() is stable: the tests of a file keep their order.
    items.sort(
        key=lambda item: (
            -known.get(_file_of(item.nodeid), 0.0),
            first_seen[_file_of(item.nodeid)],
        )
    )


class _Recorder:
    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report):
        self.seconds[_file_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self, session, exitstatus):
        if getattr(session.config, "workerinput", None) is not None:
            return  # a worker: the controller, which hears every report, writes the file
        ordered = dict(sorted(self.seconds.items(), key=lambda kv: (-kv[1], kv[0])))
        DURATIONS.write_text(
            json.dumps({k: round(v, 1) for k, v in ordered.items()}, indent=1) + "\n",
            encoding="utf-8",
        )


def pytest_configure(config):
    if config.getoption("record_file_durations", default=False):
        config.pluginmanager.register(_Recorder(), "qaf-file-durations")
