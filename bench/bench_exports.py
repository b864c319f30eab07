"""Benchmark: the register lists' CSV/XLSX downloads at 100,000 services.

    .venv/bin/python bench/bench_exports.py [--services 100000] [--repeats 3] [--generic]
                                            [--keep] [--reuse]

No target was set; the downloads "took minutes" through django-tables2's generic export, and
``qaf.exports.ValuesExport`` reads each list with one ``values_list`` query instead.

One database on the server of ``DATABASE_URL``, ``qaf_bench_exports``: migrated, loaded with
``manage.py seed_scale`` and rated with ``manage.py recompute_ratings``. seed_scale makes no
contracts, so one contract per provider is added (``bulk_create``). A child process signs in as
``scale_officer1`` (a quality officer: every list, every row) with Django's test ``Client``
(the whole middleware stack, no network; ``DEBUG`` off, persistent connections) and downloads
each list (``?_export=csv`` and ``xlsx``, unfiltered: every row) ``--repeats`` times after one
to warm up; one more download runs under ``CaptureQueriesContext`` for the number of queries.
``--generic`` also times django-tables2's own ``TableExport`` (``ScopedListView.export_class``
set back to it), once per download: the "before" figures.

``--keep`` keeps the database; ``--reuse`` uses a kept one (applying new migrations only).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

NAME = "qaf_bench_exports"
SECTION = "## Register downloads at 100,000 services"
OFFICER = "scale_officer1"
LISTS = [
    ("Services", "/services/"),
    ("Providers", "/providers/"),
    ("Contracts", "/contracts/"),
    ("Intelligence", "/intelligence/"),
    ("QA reviews", "/reviews/"),
]
FORMATS = ("csv", "xlsx")

ADD_CONTRACTS = """
from datetime import date
from decimal import Decimal
from providers.models import Contract, Provider
from providers.scale import MARKER
Contract.objects.bulk_create(
    [
        Contract(
            reference=f"SCALE-{pk}",
            provider_id=pk,
            start_date=date(2024, 4, 1),
            end_date=date(2027, 3, 31) if pk % 3 else None,
            annual_value=Decimal(pk % 997) * 1000 if pk % 5 else None,
            framework="Residential Framework" if pk % 2 else "",
        )
        for pk in Provider.objects.filter(notes__contains=MARKER).values_list("pk", flat=True)
    ],
    batch_size=5000,
)
print(Contract.objects.count())
"""


def child(repeats: int, generic: bool) -> None:
    common.setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_tables2.export import TableExport

    from qaf.generic import ScopedListView
    from qaf.models import User

    client = Client()
    client.force_login(User.objects.get(username=OFFICER))

    def download(url: str, export_format: str):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, {"_export": export_format})
        assert response.status_code == 200, (url, response.status_code)
        wall = time.perf_counter() - started
        return wall, time.process_time() - started_cpu, len(response.content), response

    results = []
    for label, url in LISTS:
        for export_format in FORMATS:
            download(url, export_format)  # warm up
            walls, cpus = [], []
            for _ in range(repeats):
                wall, cpu, size, response = download(url, export_format)
                walls.append(wall)
                cpus.append(cpu)
            with CaptureQueriesContext(connection) as queries:
                download(url, export_format)
            rows = None
            if export_format == "csv":
                rows = response.content.decode().count("\r\n") - 1  # rows with no line break
            result = {
                "label": label,
                "url": url,
                "format": export_format,
                "wall": statistics.median(walls),
                "cpu": statistics.median(cpus),
                "bytes": size,
                "rows": rows,
                "queries": len(queries.captured_queries),
            }
            if generic:
                fast_class = ScopedListView.export_class
                ScopedListView.export_class = TableExport
                try:
                    wall, cpu, _, _ = download(url, export_format)
                finally:
                    ScopedListView.export_class = fast_class
                result["generic_wall"], result["generic_cpu"] = wall, cpu
            print(label, export_format, json.dumps(result), file=sys.stderr, flush=True)
            results.append(result)
    print(json.dumps(results))


def prepare(services: int, reuse: bool) -> dict[str, int]:
    counts = common.prepare(NAME, services, reuse)
    if not reuse:
        added = common.manage(NAME, "shell", "--no-imports", "-c", ADD_CONTRACTS)
        print(f"  contracts {int(added.split()[-1]):>22,}")
    import psycopg

    with psycopg.connect(common.database_url(NAME)) as conn:
        counts["contracts"] = conn.execute("SELECT count(*) FROM providers_contract").fetchone()[0]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--generic", action="store_true", help="also time django-tables2's path")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the kept database")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        repeats, _, generic = args.child.partition(",")
        return child(int(repeats), generic == "generic")

    info = common.machine()
    data = prepare(args.services, args.reuse)
    loads = [common.load_average()]
    spec = f"{args.repeats},{'generic' if args.generic else ''}"
    results = common.run_child(Path(__file__), NAME, spec)
    loads.append(common.load_average())
    if not (args.keep or args.reuse):
        common.drop_database(NAME)
    report(info, loads, data, args, results)


def report(info, loads, data, args, results) -> None:
    rows = []
    for r in results:
        row = [
            r["label"],
            r["format"].upper(),
            f"{r['rows']:,}" if r["rows"] is not None else "",
            f"{r['bytes'] / 1024 / 1024:.1f}",
            r["queries"],
            f"{r['wall']:.1f}",
            f"{r['cpu']:.1f}",
        ]
        if args.generic:
            row += [f"{r['generic_wall']:.1f}", f"{r['generic_wall'] / r['wall']:.1f}x"]
        rows.append(row)
    headers = ["list", "format", "rows", "MB", "queries", "wall s", "app CPU s"]
    if args.generic:
        headers += ["django-tables2 wall s", "faster"]
    results_table = common.table(headers, rows)
    before = (
        "The last two columns time the same download through django-tables2's own "
        "`TableExport` (once each), as before the change."
        if args.generic
        else ""
    )
    body = f"""
`.venv/bin/python bench/bench_exports.py{" --generic" if args.generic else ""}` (see its
docstring). {common.machine_line(info, loads)}

Data: {common.data_line(data)}, all rated by `recompute_ratings` (the contracts added by the
benchmark: seed_scale makes none). Signed in as `{OFFICER}` (quality officer: every row of
every list); each list downloaded unfiltered with Django's test client in one process (server
time: no network), the median of {args.repeats} after one to warm up. "rows" counts the CSV's
data rows; "queries" is per download. {before}

{results_table}
"""
    print()
    print(results_table)
    common.write_section(SECTION, body + NOTES)


# What was found and changed, kept with the figures (updated by hand when it changes).
NOTES = """
Each download is `qaf.exports.ValuesExport`: the list's own queryset (scoped by `visible_to`,
filtered and sorted as on the page) read with one `values_list(...).iterator(chunk_size=2000)`
query, each cell made by a plain function (`export_fields` of the tables in
`providers/tables.py` and `reviews/tables.py`), no pagination count. `tests/test_exports.py`
proves every list's CSV and XLSX identical to django-tables2's own export.

Before, each cell went through the table (accessor, `get_FOO_display`, `value_FOO`,
`force_str`), plus two `COUNT(*)` of the list for page tables nobody saw: 75 s for the
services' CSV, 112 s for their XLSX.

An XLSX is written by `qaf.exports.xlsx_workbook` in openpyxl's write-only mode (each row
streamed to the sheet's file as it is appended; lxml installed, which openpyxl then writes
with), with tablib's look: the sheet named after the list, the header row bold and frozen, a
cell holding a line break wrapped, each column as wide as its longest value (worked out from
the values before the first row, as write-only needs). `tests/test_exports.py` checks the
values against django-tables2's export and the look against tablib's. Before, tablib built a
normal openpyxl workbook (a cell object per value, kept for the whole sheet, then a pass over
every cell for the widths): 35.8 s for the services on 25 November 2026 at load average 0.8.

What is left is openpyxl's own work per cell (a cell object, its type, the XML element):
about 5 us a cell on a quiet core, some 2.4 million cells for the services. Measured on
the same 20,000 rows x 22 columns in one process (CPU s, load average 8-16): tablib 18-21,
write-only 14.0, write-only with lxml 11.3, XlsxWriter's constant-memory mode 7.5 (not
installed). Reaching 10 s would take either XlsxWriter, still short by this measure, or a
sheet writer of our own (the sheet's XML as formatted strings, no object per cell): not tried.
"""


if __name__ == "__main__":
    main()
