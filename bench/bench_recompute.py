"""Benchmark: the nightly recompute (``recompute_ratings``, i.e. ``risk.jobs.run_nightly``) at
50,000 and 100,000 services.

    .venv/bin/python bench/bench_recompute.py [--sizes 50000 100000] [--keep]

Targets (issue 3): at most 60 s at 100,000 services on this 2-core machine, linear (50,000 in
at most 30 s), peak RSS at most 500 MB, and a number of reads that does not grow with N.

For each size: a fresh database ``qaf_bench_recompute`` on the server of ``DATABASE_URL``
(default the machine's PostgreSQL), migrated, loaded with ``manage.py seed_scale``; then two
runs, each in a process of its own so that peak memory does not carry over:

1. the first run: no service rated yet, every result and rating change written, the
   notifications created and emailed;
2. a second run the same day: nothing changed, nothing written.

Queries are counted by a ``connection.execute_wrapper`` (the hook every query goes through)
and split into reads (SELECT, DECLARE of a streamed cursor), writes and other (savepoints);
the second run is also counted with ``django.test.utils.CaptureQueriesContext`` and the two
counts must agree. The first run is not, because CaptureQueriesContext keeps the text of every
query, and the result upserts carry ~2.6 MB of JSON each: ~260 MB held in memory would make
the peak RSS figure meaningless.

Prints a table and writes the "Nightly recompute" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DB = "qaf_bench_recompute"
SECTION = "## Nightly recompute"


def child(run: str) -> None:
    common.setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from risk import jobs

    phase = {"name": "job"}
    queries: Counter = Counter()
    seconds: Counter = Counter()

    def count(execute, sql, params, many, context):
        queries[common.classify(sql)] += 1
        queries[f"{phase['name']} {common.classify(sql)}"] += 1
        return execute(sql, params, many, context)

    def timed(name, function):
        def wrapper(*args, **kwargs):
            phase["name"], started = name, time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[name] += time.perf_counter() - started
                phase["name"] = "job"

        return wrapper

    jobs.recompute = timed("recompute", jobs.recompute)
    jobs.notify = timed("notify", jobs.notify)
    connection.ensure_connection()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    captured = None
    with connection.execute_wrapper(count):
        if run == "second":
            with CaptureQueriesContext(connection) as context:
                job = jobs.run_nightly()
            captured = Counter(common.classify(q["sql"]) for q in context.captured_queries)
        else:
            job = jobs.run_nightly()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    if job.status != "succeeded":
        raise SystemExit(f"The run {job.status}: {job.errors}")
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "recompute": seconds["recompute"],
                "notify": seconds["notify"],
                "rss_start_mb": rss_before / 1024,
                "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "queries": queries,
                "captured": captured,
                "counts": job.counts,
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
    loads = []
    results = []
    data = {}
    for n in args.sizes:
        print(f"--- {n:,} services: database, migrations and seed_scale")
        common.create_database(DB)
        seeded = common.seed(DB, n)
        data[n] = common.data_counts(DB)
        loads.append(common.load_average())
        for run in ("first", "second"):
            figures = common.run_child(Path(__file__), DB, run)
            results.append((n, run, seeded, figures))
            print(f"    {run} run: {figures['wall']:.1f} s, {figures['counts']}")
        loads.append(common.load_average())
    if not args.keep:
        common.drop_database(DB)
    report(info, loads, results, data)


def _row(n, run, figures) -> list:
    q = figures["queries"]
    return [
        f"{n:,}",
        run,
        f"{figures['wall']:.1f}",
        f"{figures['cpu']:.1f}",
        f"{figures['recompute']:.1f}",
        f"{figures['notify']:.1f}",
        f"{figures['rss_peak_mb']:.0f}",
        q.get("read", 0),
        q.get("recompute read", 0),
        q.get("write", 0),
        q.get("other", 0),
        f"{figures['counts'].get('changed', 0):,}",
        f"{figures['counts'].get('notifications', 0):,}",
    ]


def report(info, loads, results, data) -> None:
    headers = [
        "services",
        "run",
        "wall s",
        "CPU s",
        "recompute s",
        "notify s",
        "peak RSS MB",
        "reads",
        "of which recompute",
        "writes",
        "other",
        "results changed",
        "notifications",
    ]
    runs = common.table(headers, [_row(n, run, f) for n, run, _, f in results])
    seeds = common.table(
        ["services", "seed_scale s"],
        [[f"{n:,}", f"{s:.1f}"] for n, run, s, _ in results if run == "first"],
    )
    checks = []
    for n, run, _, figures in results:
        if figures["captured"] is not None:
            captured, wrapped = figures["captured"], figures["queries"]
            same = all(captured.get(k, 0) == wrapped.get(k, 0) for k in ("read", "write"))
            checks.append(
                f"{n:,} services, {run} run: CaptureQueriesContext counted "
                f"{captured.get('read', 0)} reads and {captured.get('write', 0)} writes, "
                + ("the same as the execute wrapper" if same else "NOT the same as the wrapper")
                + f" (it also logs {captured.get('other', 0)} BEGIN/COMMIT, which no wrapper "
                "sees)."
            )
    reads: dict[str, set[int]] = {}
    for _, run, _, figures in results:
        reads.setdefault(run, set()).add(figures["queries"].get("read", 0))
    by_size = {}
    for n, run, _, figures in results:
        by_size.setdefault(n, {})[run] = figures
    big = max(by_size)
    worst = max(f["wall"] for f in by_size[big].values())
    peak = max(f["rss_peak_mb"] for _, _, _, f in results)
    verdict = [
        f"- At {big:,} services: slowest run {worst:.1f} s (target at most 60 s): "
        + ("met." if worst <= 60 else "MISSED."),
        f"- Peak RSS {peak:.0f} MB (target at most 500 MB): "
        + ("met." if peak <= 500 else "MISSED."),
        "- Reads: "
        + "; ".join(
            f"{run} run {next(iter(counts))} at every size"
            if len(counts) == 1
            else f"{run} run {sorted(counts)}, NOT the same at every size"
            for run, counts in reads.items()
        )
        + " (the first run reads the users it emails: one query more).",
    ]
    small = min(by_size)
    if small != big:
        slow = max(f["wall"] for f in by_size[small].values())
        limit = 30 * small / 50_000
        verdict.insert(
            1,
            f"- At {small:,} services: slowest run {slow:.1f} s (target at most {limit:.0f} s): "
            + ("met." if slow <= limit else "MISSED."),
        )
    body = f"""
`.venv/bin/python bench/bench_recompute.py` (see its docstring). {common.machine_line(info, loads)}

Each run is `risk.jobs.run_nightly()` in a fresh process on a database loaded by
`manage.py seed_scale` ({"; ".join(common.data_line(c) for c in data.values())}; 90% of the
services have one of five lead officers, so the first run creates a notice for most of them).
The first run rates every service (every result and a rating change written); the second, the
same day, finds nothing changed. "recompute s" and "notify s" are the two parts of the job.
"reads" counts every SELECT (and DECLARE of a streamed cursor) of the run, "of which
recompute" those of `risk.recompute.recompute`. Writes grow with the rows written, in batches
of 2,000: results, rating changes and notices in the first run; in the second, besides the
JobRun's insert and update, every due notice is offered again (`INSERT ... ON CONFLICT DO
NOTHING`, none created). Reads do not grow.

{runs}

{chr(10).join(verdict)}

{chr(10).join("- " + c for c in checks)}

Loading the data (`seed_scale --reset`, PostgreSQL COPY, including the ANALYZE):

{seeds}
"""
    print()
    print(runs)
    print()
    print("\n".join(verdict))
    common.write_section(SECTION, body + _NOTES)


# What the profile showed and what was changed, kept with the figures.
_NOTES = """
What the time goes on (py-spy, 100,000 services). Before the changes listed below the first run
took 136 s for the recompute and 59 s for the notifications (195 s, peak RSS 430 MB) and the
second run 48 s + 32 s, on the same (shared) machine:

- Writing the results: Django 5.2's `bulk_create` sends each column as a PostgreSQL array, and
  psycopg escapes every `"` of every JSON `factors` value with a Python regex substitution:
  12.6 million substitutions for 100,000 results, plus 100,000 `ServiceRisk` and
  `RatingChange` model instances. `risk.recompute.insert_rows` now sends each batch of 2,000
  rows as one `jsonb` parameter read by `jsonb_to_recordset` (`INSERT ... SELECT ... ON
  CONFLICT (service_id) DO UPDATE`): the same rows, one statement per batch as before.
- The matrix and schedules: `relativedelta` arithmetic and `strftime` for the same few
  thousand dates, for every service. `risk.matrix.years_before`, `risk.matrix.long_date` and
  `risk.schedules.add_months` are pure and now cached (`functools.lru_cache`);
  `timezone.localdate()` per row (a time-zone lookup each call) became one lookup per run.
- The notifications: `notify()` built a model instance for every result, service and lead
  officer, kept every notice in one list and counted the table twice; `_email_new()` loaded
  every pending notice with its user. Both now read plain values (`values_list`) and insert in
  batches of 2,000 with `ON CONFLICT DO NOTHING` (the same once-only rule, by the same unique
  constraint), the number created coming from the insert itself.

What is left (py-spy after the changes, 100,000 services): in the first run about a fifth of
the process's CPU is encoding the results as JSON (~1.3 kB of factors and reasons each), the
rest evaluating the matrix and schedules, streaming the seven fact queries and building the
rows; the database's share is writing 100,000 results and rating changes with their indexes.
The second run writes nothing: about a third of its CPU is the fact streams (decoding the
stored factors to compare them included), a third `evaluate()` and `schedule()`. Further gains
(not needed for the targets) would come from comparing a hash of the stored result instead of
decoding it, and from notify() not offering every due notice again each night.
"""


if __name__ == "__main__":
    main()
