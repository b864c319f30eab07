"""Benchmark: the nightly step that suggests concern levels (``escalation.concern_job``,
``manage.py suggest_concern_levels``) at 50,000 and 100,000 services.

    .venv/bin/python bench/bench_concern.py [--sizes 50000 100000] [--keep]

Targets: at most 30 s at 100,000 services on this 2-core machine (half the whole nightly
recompute's budget), peak RSS at most 300 MB, and a number of reads that does not grow with N.

For each size: a fresh database ``qaf_bench_concern`` on the server of ``DATABASE_URL``,
migrated and loaded with ``manage.py seed_scale`` (its intelligence includes open safeguarding
enquiries and contract default notices, service-wide and provider-wide); then, by SQL, 1% of
the services get a suspension in force approved 0 to 12 months ago, and 2.5% a concern level
already decided (level 2, or 3 for one in five of them). Then three runs, each in a process of
its own:

1. the first: every suggestion written;
2. a second the same day: nothing changes, nothing written;
3. a run 100 days later: suspensions pass their months, default notices age, suggestions are
   withdrawn, replaced or given new reasons.

Prints a table and writes the "Concern level suggestions" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DB = "qaf_bench_concern"
SECTION = "## Concern level suggestions"
LATER = 100  # days, for the third run

SUSPENSIONS = """
INSERT INTO escalation_suspension (
    service_id, status, restriction, restriction_details, reasons, other_reason,
    actions_required, proposed_by_id, decided_by_id, decided_on, decision_comment, lift_reason,
    lift_comment, version, created_at, updated_at)
SELECT s.id, 'active',
    CASE WHEN s.id %% 3 = 0 THEN 'restricted_placements' ELSE 'no_new_placements' END,
    'Synthetic', ARRAY['other'], 'Synthetic', 'Synthetic', u.id, u.id,
    %(today)s::date - (s.id * 7919 %% 366)::int, '', '', '', 1, now(), now()
FROM providers_service s, (SELECT min(id) AS id FROM qaf_user) u
WHERE s.id %% 100 = 0
"""
LEVELS = """
INSERT INTO escalation_concernlevel (
    service_id, level, decided_on, proposal_reason, version, created_at, updated_at)
SELECT id, CASE WHEN id %% 200 = 7 THEN 3 ELSE 2 END, %(today)s::date - 30, '', 1, now(), now()
FROM providers_service WHERE id %% 40 = 7
"""


def prepare() -> dict:
    common.setup_django()
    from django.db import connection

    today = common.london_today()
    with connection.cursor() as cursor:
        cursor.execute(SUSPENSIONS, {"today": today})
        suspensions = cursor.rowcount
        cursor.execute(LEVELS, {"today": today})
        levels = cursor.rowcount
        cursor.execute("ANALYZE")
    return {"suspensions": suspensions, "levels": levels}


def child(run: str) -> None:
    if run == "prepare":
        print(json.dumps(prepare()))
        return
    common.setup_django()
    from django.db import connection

    from escalation.concern_job import suggest_levels

    queries: Counter = Counter()

    def count(execute, sql, params, many, context):
        queries[common.classify(sql)] += 1
        return execute(sql, params, many, context)

    today = common.london_today() + timedelta(days=LATER if run == "later" else 0)
    connection.ensure_connection()
    started, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(count):
        counts = suggest_levels(today)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "queries": queries,
                "counts": counts,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 100_000])
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)

    info = common.machine()
    loads, results, data = [], [], {}
    for n in args.sizes:
        print(f"--- {n:,} services: database, migrations, seed_scale, suspensions and levels")
        common.create_database(DB)
        common.seed(DB, n)
        added = common.run_child(Path(__file__), DB, "prepare")
        data[n] = {**common.data_counts(DB), **added}
        loads.append(common.load_average())
        for run in ("first", "second", "later"):
            figures = common.run_child(Path(__file__), DB, run)
            results.append((n, run, figures))
            print(f"    {run} run: {figures['wall']:.1f} s, {figures['counts']}")
        loads.append(common.load_average())
    if not args.keep:
        common.drop_database(DB)
    report(info, loads, results, data)


def report(info, loads, results, data) -> None:
    headers = [
        "services",
        "run",
        "wall s",
        "CPU s",
        "peak RSS MB",
        "reads",
        "writes",
        "suggested",
        "withdrawn",
        "reasons updated",
        "waiting after",
    ]
    rows = []
    for n, run, f in results:
        c, q = f["counts"], f["queries"]
        rows.append(
            [
                f"{n:,}",
                run,
                f"{f['wall']:.1f}",
                f"{f['cpu']:.1f}",
                f"{f['rss_peak_mb']:.0f}",
                q.get("read", 0),
                q.get("write", 0),
                f"{c['concern_suggested']:,}",
                f"{c['concern_withdrawn']:,}",
                f"{c['concern_reasons_updated']:,}",
                f"{c['concern_waiting']:,}",
            ]
        )
    runs = common.table(headers, rows)
    big = max(data)
    worst = max(f["wall"] for n, _, f in results if n == big)
    peak = max(f["rss_peak_mb"] for _, _, f in results)
    reads = {f["queries"].get("read", 0) for _, _, f in results}
    verdict = [
        f"- At {big:,} services: slowest run {worst:.1f} s (target at most 30 s): "
        + ("met." if worst <= 30 else "MISSED."),
        f"- Peak RSS {peak:.0f} MB (target at most 300 MB): "
        + ("met." if peak <= 300 else "MISSED."),
        f"- Reads per run: {sorted(reads)} at every size and run"
        + (" (the same)." if len(reads) == 1 else " (NOT the same: look)."),
    ]
    described = "; ".join(
        common.data_line({k: v for k, v in c.items() if k not in {"suspensions", "levels"}})
        + f", {c['suspensions']:,} suspensions in force, {c['levels']:,} levels decided"
        for n, c in data.items()
    )
    body = f"""
`.venv/bin/python bench/bench_concern.py` (see its docstring). {common.machine_line(info, loads)}

Each run is `escalation.concern_job.suggest_levels()` in a fresh process ({described}). The
first run writes every suggestion; the second, the same day, finds them all in place and
writes nothing; the third runs {LATER} days later, when suspensions have passed their months
and default notices have aged. "reads" counts every SELECT (and DECLARE of a streamed cursor,
and the advisory lock); writes grow with the rows written, in batches of 2,000. The step is
also part of every nightly run (`risk.jobs.nightly_work`, between the recompute and the
notices).

{runs}

{chr(10).join(verdict)}
"""
    print()
    print(runs)
    print()
    print("\n".join(verdict))
    common.write_section(SECTION, body)


if __name__ == "__main__":
    main()
