"""bench/bench_load.py's report: locust's CSV read, the totals and the verdict on the target."""

import argparse

import pytest

from bench.bench_load import (
    PERSON_SECTION,
    SECTION,
    heading,
    read_failures,
    read_stats,
    stats_table,
    think_range,
    totals,
    verdict,
)

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)
STATS = [
    HEADER,
    "GET,/dashboard/,3,0,120,130.5,90.1,180.2,5000,1.0,0.0,"
    "120,120,180,180,180,180,180,180,180,180,180",
    "POST,sign in: password,2,1,900,900.0,800.0,1000.4,0,0.5,0.25,"
    "900,1000,1000,1000,1000,1000,1000,1000,1000,1000,1000",
    "GET,/never/,0,0,0,0,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A",
    ",Aggregated,5,1,180,0,0,1000.4,0,0,0,180,900,900,900,1000,1000,1000,1000,1000,1000,1000",
]


def test_the_report_reads_locusts_csv_and_judges_the_working_requests(tmp_path):
    stats = tmp_path / "locust_stats.csv"
    stats.write_text("\n".join(STATS) + "\n")
    rows = read_stats(stats)
    assert [r.name for r in rows] == ["/dashboard/", "sign in: password", "/never/"]
    dashboard, password, never = rows
    assert (dashboard.count, dashboard.p95, dashboard.max) == (3, 180.0, 180.2)
    assert password.failures == 1
    assert never.p95 is None  # locust writes N/A for a request type that never ran

    times = {
        "working": [90.1, 120.0, 180.2],
        "all": [90.1, 120.0, 180.2, 800.0, 1000.4],
        "steady": [120.0, 180.2],  # after every user had started
    }
    working, everything, steady = totals(rows, times)
    assert (steady.count, steady.p50, steady.p95) == (2, 120.0, 180.2)
    assert (working.count, working.failures, working.p50, working.p99) == (3, 0, 120.0, 180.2)
    assert (everything.count, everything.failures, everything.p95) == (5, 1, 1000.4)

    met, said = verdict(working)
    assert met, said
    met, said = verdict(everything)
    assert not met
    assert "1 failed of 5" in said and "NOT met" in said

    table = stats_table(rows, [working, everything, steady])
    lines = table.splitlines()
    # Slowest first, the sign-ins after the pages, the totals last.
    assert "`/dashboard/`" in lines[2] and "`sign in: password`" in lines[-4]
    assert "**all requests but signing in**" in lines[-3]
    assert "**all but signing in, once every user had started**" in lines[-1]


def test_failures_are_listed_with_their_reason(tmp_path):
    path = tmp_path / "locust_failures.csv"
    assert read_failures(path) == []
    path.write_text(
        "Method,Name,Error,Occurrences,First Seen,Last Seen\n"
        "POST,/evidence/ (upload),\"CatchResponseError('400: bad')\",2,1,2\n"
    )
    assert read_failures(path) == [
        ("POST", "/evidence/ (upload)", "CatchResponseError('400: bad')", 2)
    ]


def test_a_run_at_a_persons_pace_has_a_section_of_its_own():
    assert heading("1-3") == SECTION
    assert heading("5-15") == PERSON_SECTION != SECTION


@pytest.mark.parametrize("think", ["3", "a-b", "3-1", "-1-2", ""])
def test_a_think_range_that_is_not_min_max_seconds_is_refused(think):
    with pytest.raises(argparse.ArgumentTypeError, match="MIN-MAX"):
        think_range(think)
    assert think_range("5-15") == (5.0, 15.0)
