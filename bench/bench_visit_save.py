"""Benchmark: the visit form saving one question's answer, as the tablet's htmx sends it.

    .venv/bin/python bench/bench_visit_save.py [--services 1000] [--saves 200] [--keep] [--reuse]

Target (issue 4): saving a question answer is one request of at most 200 ms server time, and
the page does not re-render whole.

One database, ``qaf_bench_visit`` on the server of ``DATABASE_URL`` (default the machine's
PostgreSQL), migrated and loaded with ``manage.py seed_scale``. A child process plans a full
review of one service on the default toolkit (5 domains, 20 standards, 60 questions), signs in
as ``scale_officer1`` with Django's test ``Client`` (the whole middleware stack, no network;
``DEBUG`` off, persistent connections as in production) and, after 10 saves to warm up, makes
``--saves`` saves: each one question's score or notes (alternately), with the version it builds
on, exactly the fields the page's htmx posts. For each it records the wall time of the request,
the server time the view reports in its ``Server-Timing`` header, and the response size; one
more save counts its queries. The whole page (all 60 questions) is timed too,
for comparison with what a save returns.
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

NAME = "qaf_bench_visit"
SECTION = "## Visit form: saving one answer"
OFFICER = "scale_officer1"


def child(saves: int) -> None:
    common.setup_django()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from providers.models import Service
    from qaf.models import User
    from reviews import services
    from reviews.models import Review

    officer = User.objects.get(username=OFFICER)
    service = Service.objects.visible_to(officer).order_by("pk").first()
    Review.objects.filter(service=service, toolkit__isnull=False).delete()
    review = services.plan_review(service, actor=officer)
    questions = list(services.questions_of(review))
    client = Client()
    client.force_login(officer)
    versions = {question.pk: 0 for question in questions}

    def save(n: int):
        question = questions[n % len(questions)]
        prefix = f"q{question.pk}"
        data = {f"{prefix}-version": versions[question.pk]}
        if n % 2:
            data[f"{prefix}-notes"] = f"Seen in the care records on round {n}; confirmed by staff."
        else:
            data[f"{prefix}-score"] = "4321"[n % 4]
        url = reverse("reviews:visit_answer", args=[review.pk, question.pk])
        started = time.perf_counter()
        response = client.post(url, data, HTTP_HX_REQUEST="true")
        wall = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (response.status_code, response.content[:300])
        versions[question.pk] = int(response["X-Visit-Version"])
        server = float(response["Server-Timing"].removeprefix("app;dur="))
        return wall, server, len(response.content)

    for n in range(10):
        save(n)
    walls, servers, sizes = [], [], []
    for n in range(10, 10 + saves):
        wall, server, size = save(n)
        walls.append(wall)
        servers.append(server)
        sizes.append(size)
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        save(2 * ((10 + saves) // 2) + 1)  # odd: new notes, so the save writes
    page_url = reverse("reviews:review_visit", args=[review.pk])
    page_times, page_size = [], 0
    for _ in range(10):
        started = time.perf_counter()
        response = client.get(page_url)
        page_times.append((time.perf_counter() - started) * 1000)
        page_size = len(response.content)

    def p95(values):
        return statistics.quantiles(values, n=20, method="inclusive")[18]

    print(
        json.dumps(
            {
                "questions": len(questions),
                "wall_p50": statistics.median(walls),
                "wall_p95": p95(walls),
                "wall_max": max(walls),
                "server_p50": statistics.median(servers),
                "server_p95": p95(servers),
                "server_max": max(servers),
                "bytes_median": statistics.median(sizes),
                "queries": len(queries),
                "page_p50": statistics.median(page_times),
                "page_bytes": page_size,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=1_000)
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the kept database")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(int(args.child))

    info = common.machine()
    data = common.prepare(NAME, args.services, args.reuse, rate=False)
    loads = [common.load_average()]
    result = common.run_child(Path(__file__), NAME, str(args.saves))
    loads.append(common.load_average())
    if not (args.keep or args.reuse):
        common.drop_database(NAME)
    report(info, loads, data, args, result)


def report(info, loads, data, args, r) -> None:
    met = r["server_p95"] <= 200 and r["wall_p95"] <= 200
    rows = [
        [
            "server time (Server-Timing)",
            f"{r['server_p50']:.1f}",
            f"{r['server_p95']:.1f}",
            f"{r['server_max']:.1f}",
        ],
        [
            "whole request (test client)",
            f"{r['wall_p50']:.1f}",
            f"{r['wall_p95']:.1f}",
            f"{r['wall_max']:.1f}",
        ],
    ]
    body = f"""
`.venv/bin/python bench/bench_visit_save.py` (see its docstring). {common.machine_line(info, loads)}

Data: {common.data_line(data)}. A full review on the default toolkit ({r["questions"]}
questions); {args.saves} saves after 10 to warm up, each one question's score or notes with its
version, as the page's htmx posts them.

{common.table(["one save", "p50 ms", "p95 ms", "max ms"], rows)}

- A save answers a fragment of {r["bytes_median"]:,.0f} bytes (median): the status line and,
  out of band, the new version, the standard's score, its place in the side list and the
  summary. The whole page is {r["page_bytes"]:,} bytes and takes {r["page_p50"]:.0f} ms (p50):
  a save never re-renders it.
- One save runs {r["queries"]} queries (session, user, review, question, answer; the service's
  locked get-or-create, write and history; the recomputed standard scores), the same for a
  toolkit of any size.
- Target (one request of at most 200 ms server time, p95 here): {"met" if met else "NOT met"}.
"""
    print()
    print(body)
    common.write_section(SECTION, body)


if __name__ == "__main__":
    main()
