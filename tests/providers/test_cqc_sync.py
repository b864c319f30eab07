"""The CQC change sync (issue 14 item 3), against a real local HTTP server replaying CQC's API.

The story: CQC's changes feed for the week lists five locations over three pages. Three are on
our register: Sunrise House (1-3000000001, rated Good) has a new report, Requires improvement
with Safe Inadequate; Oak Lodge (1-3000000002) was deregistered on 30 November 2026 when it
moved; Oak Lodge Care Home (1-3000000003) is the new location that replaces it. The other two
are elsewhere in England and are never asked about. The recorded answers are in
tests/providers/cqc_recorded/, in the shape of CQC's syndication API.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
import time
import urllib.parse
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from providers import cqc_sync
from providers.cqc_api import CqcApiError, CqcClient
from providers.models import (
    CqcSyncState,
    Intelligence,
    IntelligenceKind,
    RegulatorRating,
    Service,
    Severity,
)
from qaf.models import Notification
from risk.jobs import run_nightly
from risk.models import JobRun, RatingChange, ServiceRisk
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

RECORDED = Path(__file__).parent / "cqc_recorded"
KEY = "test-subscription-key"
NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
TODAY = date(2026, 12, 4)
SUNRISE = "1-3000000001"
OAK = "1-3000000002"
OAK_NEW = "1-3000000003"


def recorded(name: str) -> dict:
    return json.loads((RECORDED / f"{name}.json").read_text())


class Replay:
    """Answers by path (and ``page`` for the changes feed): a list of (status, headers, body)
    used in turn, the last one again and again. Every request is kept."""

    def __init__(self):
        self.delay = 0.0  # seconds before each answer: a slow server
        self.routes: dict[str, list[tuple[int, dict, bytes]]] = {}
        self.requests: list[tuple[str, dict]] = []

    def add(self, key: str, *answers) -> None:
        self.routes[key] = [
            (status, headers, body if isinstance(body, bytes) else json.dumps(body).encode())
            for status, headers, body in answers
        ]

    def json(self, key: str, body, status: int = 200) -> None:
        self.add(key, (status, {}, body))

    def answer(self, path: str, query: dict) -> tuple[int, dict, bytes]:
        key = path.removeprefix("/public/v1")
        if key == "/changes/location":
            key = f"{key}?page={query.get('page', ['1'])[0]}"
        answers = self.routes.get(key)
        if not answers:
            return (
                404,
                {},
                json.dumps({"statusCode": 404, "message": "Resource not found"}).encode(),
            )
        return answers.pop(0) if len(answers) > 1 else answers[0]


@pytest.fixture
def cqc_server():
    replay = Replay()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            parts = urllib.parse.urlsplit(self.path)
            replay.requests.append((self.path, dict(self.headers)))
            time.sleep(replay.delay)
            status, headers, body = replay.answer(parts.path, urllib.parse.parse_qs(parts.query))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError):  # the client timed out first
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll: shutdown() waits for serve_forever to notice it (0.5 s a test by default).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    replay.url = f"http://127.0.0.1:{server.server_address[1]}/public/v1"
    yield replay
    server.shutdown()
    server.server_close()


@pytest.fixture
def week_of_changes(cqc_server):
    for page in (1, 2, 3):
        cqc_server.json(f"/changes/location?page={page}", recorded(f"changes_page_{page}"))
    cqc_server.json(f"/locations/{SUNRISE}", recorded("location_rated"))
    cqc_server.json(f"/locations/{OAK}", recorded("location_deregistered"))
    cqc_server.json(f"/locations/{OAK_NEW}", recorded("location_successor"))
    return cqc_server


@pytest.fixture
def cqc_on(settings, cqc_server):
    settings.QAF_CQC_SUBSCRIPTION_KEY = KEY
    settings.QAF_CQC_API_URL = cqc_server.url
    return settings


GOOD_QUESTIONS = {
    f"rating_{kq}": RegulatorRating.GOOD
    for kq in ("safe", "effective", "caring", "responsive", "well_led")
}


@pytest.fixture
def register(sunrise, oak_lodge, officer_olivia):
    return {
        "sunrise": ServiceFactory(
            provider=sunrise, name="Sunrise House", regulator_id=SUNRISE, **GOOD_QUESTIONS
        ),
        "oak": ServiceFactory(
            provider=oak_lodge,
            name="Oak Lodge",
            regulator_id=OAK,
            lead_officer=officer_olivia,
            **GOOD_QUESTIONS,
        ),
        "oak_new": ServiceFactory(
            provider=oak_lodge,
            name="Oak Lodge Care Home",
            regulator_id=OAK_NEW,
            regulator_rating=RegulatorRating.NOT_RATED,
            last_inspection_date=None,
        ),
    }


def client_for_test(url: str, sleeps: list[float] | None = None, **kwargs) -> CqcClient:
    return CqcClient(url, KEY, sleep=(sleeps if sleeps is not None else []).append, **kwargs)


def run_sync(server, sleeps=None, now=NOW):
    return cqc_sync.sync(now=now, today=TODAY, client=client_for_test(server.url, sleeps))


# --- Off by default --------------------------------------------------------------------------


def test_the_sync_is_off_without_a_key_and_asks_nothing(settings, week_of_changes, register):
    settings.QAF_CQC_API_URL = week_of_changes.url
    assert settings.QAF_CQC_SUBSCRIPTION_KEY == ""
    assert cqc_sync.nightly_step(now=NOW) == {}
    with pytest.raises(CommandError, match="QAF_CQC_SUBSCRIPTION_KEY"):
        call_command("sync_cqc")
    run = run_nightly(TODAY)
    assert run.status == JobRun.Status.SUCCEEDED
    assert not any(key.startswith("cqc") for key in run.counts)
    assert week_of_changes.requests == []
    assert not CqcSyncState.objects.exists()


# --- The client: paging, rate limits, errors -----------------------------------------------


def test_the_changes_feed_is_read_page_after_page_with_the_key(week_of_changes):
    client = client_for_test(week_of_changes.url)
    start = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    ids = list(client.changed_locations(start, NOW, per_page=2))
    assert ids == [SUNRISE, "1-9000000001", OAK, "1-9000000002", OAK_NEW]
    assert client.requests == 3
    first_path, headers = week_of_changes.requests[0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(first_path).query)
    assert query["startTimestamp"] == ["2026-11-27T02:00:00Z"]
    assert query["endTimestamp"] == ["2026-12-04T02:00:00Z"]
    assert query["page"] == ["1"] and query["perPage"] == ["2"]
    assert headers["Ocp-Apim-Subscription-Key"] == KEY
    # The next pages follow nextPageUri.
    assert [
        urllib.parse.parse_qs(p.split("?")[1])["page"] for p, _ in week_of_changes.requests[1:]
    ] == [["2"], ["3"]]


def test_a_429_is_retried_after_its_retry_after(cqc_server):
    cqc_server.add(
        f"/locations/{SUNRISE}",
        (429, {"Retry-After": "7"}, {"statusCode": 429, "message": "Rate limit is exceeded."}),
        (200, {}, recorded("location_rated")),
    )
    sleeps: list[float] = []
    detail = client_for_test(cqc_server.url, sleeps).location(SUNRISE)
    assert detail["locationId"] == SUNRISE
    assert sleeps == [7.0]


def test_a_retry_after_longer_than_the_cap_is_not_waited_for(cqc_server):
    cqc_server.add(f"/locations/{SUNRISE}", (429, {"Retry-After": "3600"}, {"statusCode": 429}))
    sleeps: list[float] = []
    with pytest.raises(CqcApiError, match="too many requests") as caught:
        client_for_test(cqc_server.url, sleeps, max_wait=120).location(SUNRISE)
    assert caught.value.status == 429
    assert sleeps == []


def test_a_server_error_is_retried_with_a_growing_wait(cqc_server):
    cqc_server.add(
        f"/locations/{SUNRISE}",
        (500, {}, b"Internal error"),
        (503, {}, b"Unavailable"),
        (200, {}, recorded("location_rated")),
    )
    sleeps: list[float] = []
    assert client_for_test(cqc_server.url, sleeps, backoff=1).location(SUNRISE)["name"]
    assert sleeps == [1.0, 2.0]


def test_server_errors_that_go_on_give_up_after_the_retries(cqc_server):
    cqc_server.add(f"/locations/{SUNRISE}", (502, {}, b"Bad gateway"))
    sleeps: list[float] = []
    client = client_for_test(cqc_server.url, sleeps, backoff=1, retries=3)
    with pytest.raises(CqcApiError, match=r"server error \(502\) 4 times"):
        client.location(SUNRISE)
    assert sleeps == [1.0, 2.0, 4.0]
    assert client.requests == 4


def test_a_4xx_is_an_error_with_its_reason_and_not_retried(cqc_server):
    cqc_server.add(
        f"/locations/{SUNRISE}", (401, {}, {"statusCode": 401, "message": "Access denied"})
    )
    sleeps: list[float] = []
    client = client_for_test(cqc_server.url, sleeps)
    with pytest.raises(CqcApiError, match="refused /public/v1/locations/1-3000000001 with 401"):
        client.location(SUNRISE)
    assert sleeps == [] and client.requests == 1


def test_an_answer_that_is_not_json_is_an_error(cqc_server):
    cqc_server.add(f"/locations/{SUNRISE}", (200, {}, b"<html>Maintenance</html>"))
    with pytest.raises(CqcApiError, match="not JSON"):
        client_for_test(cqc_server.url).location(SUNRISE)


def test_a_slow_server_times_out(cqc_server):
    cqc_server.json(f"/locations/{SUNRISE}", recorded("location_rated"))
    cqc_server.delay = 1.0
    sleeps: list[float] = []
    client = client_for_test(cqc_server.url, sleeps, timeout=0.2, retries=1, backoff=0.5)
    with pytest.raises(CqcApiError, match="could not be reached"):
        client.location(SUNRISE)
    assert sleeps == [0.5] and client.requests == 2


# --- The effects on the register -------------------------------------------------------------


def test_a_new_rating_updates_the_service_logs_intelligence_and_re_rates_it(
    week_of_changes, register, django_capture_on_commit_callbacks
):
    sunrise = register["sunrise"]
    assert not ServiceRisk.objects.filter(service=sunrise).exists()  # not rated before the sync
    with django_capture_on_commit_callbacks(execute=True):
        counts = run_sync(week_of_changes)
    sunrise.refresh_from_db()
    assert sunrise.regulator_rating == RegulatorRating.REQUIRES_IMPROVEMENT
    assert sunrise.rating_safe == RegulatorRating.INADEQUATE
    assert sunrise.rating_well_led == RegulatorRating.REQUIRES_IMPROVEMENT
    assert sunrise.rating_caring == RegulatorRating.GOOD
    assert sunrise.last_inspection_date == date(2026, 10, 14)
    entry = Intelligence.objects.get(service=sunrise)
    assert entry.kind == IntelligenceKind.REGULATOR_INFORMATION
    assert entry.source == "CQC"
    assert entry.date == date(2026, 11, 20)
    assert entry.severity == Severity.HIGH  # Safe is Inadequate
    assert entry.summary == (
        "CQC published a new rating on 20 November 2026: Requires improvement overall "
        "(was Good); Safe Inadequate (was Good); Well-led Requires improvement (was Good)."
    )
    assert not entry.confidential
    # Re-rated at once: the regulator's rating is a fact of tonight's rating already.
    risk = ServiceRisk.objects.get(service=sunrise)
    factor = next(f for f in risk.factors if f["factor"] == "regulator_rating")
    assert factor["reason"] == "Rated Requires improvement by CQC"
    assert sunrise.history.filter(history_change_reason=cqc_sync.CHANGE_REASON).count() == 1
    assert counts["cqc_new_ratings"] == 1
    assert counts["cqc_changed_locations"] == 5
    assert counts["cqc_matched"] == 3
    # Locations that are not on the register are never asked about.
    asked = [path for path, _ in week_of_changes.requests if "/locations/" in path]
    assert sorted(asked) == sorted(f"/public/v1/locations/{i}" for i in (SUNRISE, OAK, OAK_NEW))


def test_a_deregistered_location_flags_the_service_and_tells_the_lead_officer(
    week_of_changes, register, officer_olivia, client_for
):
    oak = register["oak"]
    counts = run_sync(week_of_changes)
    oak.refresh_from_db()
    assert oak.deregistered_on == date(2026, 11, 30)
    assert oak.regulator_rating == RegulatorRating.GOOD  # CQC's last rating stands
    entry = Intelligence.objects.get(service=oak)
    assert entry.summary == (
        "CQC deregistered this location (1-3000000002) on 30 November 2026. It is replaced by "
        "Oak Lodge Care Home (1-3000000003)."
    )
    assert entry.severity == Severity.HIGH
    notice = Notification.objects.get(user=officer_olivia, kind="cqc_deregistered")
    assert "CQC deregistered Oak Lodge on 30 November 2026" in notice.message
    assert counts["cqc_deregistered"] == 1
    page = client_for(officer_olivia).get(oak.get_absolute_url()).content.decode()
    assert "Deregistered by CQC on 30 November 2026" in page
    assert "Replaced by" in page and "Oak Lodge Care Home" in page


def test_a_location_that_replaces_another_carries_its_rating_history(
    week_of_changes, register, officer_olivia, client_for, django_capture_on_commit_callbacks
):
    oak, oak_new = register["oak"], register["oak_new"]
    with django_capture_on_commit_callbacks(execute=True):
        run_sync(week_of_changes)
    oak_new.refresh_from_db()
    assert oak_new.predecessor == oak
    assert list(oak.successors.all()) == [oak_new]
    # The old location's rating history shows on the new one's page, said to be the old one's.
    policy_version = ServiceRisk.objects.get(service=oak).policy_version
    RatingChange.objects.create(
        service=oak,
        date=date(2025, 6, 1),
        from_rating="green",
        to_rating="amber",
        policy_version=policy_version,
    )
    page = client_for(officer_olivia).get(oak_new.get_absolute_url()).content.decode()
    assert "Replaces" in page
    assert "Its rating history carries over" in page
    assert "1 Jun 2025" in page
    assert "(as Oak Lodge, the location this one replaced)" in page


def test_a_predecessor_the_user_may_not_see_is_not_shown(
    week_of_changes, register, provider_quinn, sunrise, client_for, api_for
):
    # Oak Lodge Care Home moves to Sunrise Care: Oak Lodge Ltd's user sees neither the link
    # to it nor its id in the API.
    run_sync(week_of_changes)
    oak_new = register["oak_new"]
    Service.objects.filter(pk=oak_new.pk).update(provider=sunrise)
    oak = register["oak"]
    page = client_for(provider_quinn).get(oak.get_absolute_url())
    assert page.status_code == 200
    assert oak_new.get_absolute_url() not in page.content.decode()
    assert "Replaced by" not in page.content.decode()
    data = api_for(provider_quinn).get(f"/api/v1/services/{oak.pk}/").json()
    assert data["deregistered_on"] == "2026-11-30"
    assert data["predecessor"] is None


def test_the_api_shows_the_new_fields_and_they_cannot_be_written(
    week_of_changes, register, manager_maya, api_for
):
    run_sync(week_of_changes)
    oak, oak_new = register["oak"], register["oak_new"]
    api = api_for(manager_maya)
    data = api.get(f"/api/v1/services/{oak_new.pk}/").json()
    assert data["predecessor"] == oak.pk
    assert data["deregistered_on"] is None
    response = api.patch(
        f"/api/v1/services/{oak_new.pk}/",
        {"deregistered_on": "2026-01-01", "predecessor": None, "version": data["version"]},
        format="json",
    )
    assert response.status_code in {200, 400}
    oak_new.refresh_from_db()
    assert oak_new.predecessor == oak and oak_new.deregistered_on is None


def test_a_second_run_over_the_same_changes_changes_nothing(week_of_changes, register):
    run_sync(week_of_changes)
    entries = Intelligence.objects.count()
    history = Service.history.count()
    notices = Notification.objects.count()
    counts = run_sync(week_of_changes, now=datetime(2026, 12, 5, 2, 0, tzinfo=UTC))
    assert counts["cqc_new_ratings"] == counts["cqc_deregistered"] == counts["cqc_linked"] == 0
    assert Intelligence.objects.count() == entries
    assert Service.history.count() == history
    assert Notification.objects.count() == notices


def test_each_run_asks_only_for_the_changes_since_the_last(week_of_changes, register):
    run_sync(week_of_changes)
    state = CqcSyncState.objects.get()
    assert state.synced_until == NOW
    assert state.last_error == ""
    week_of_changes.requests.clear()
    later = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    run_sync(week_of_changes, now=later)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(week_of_changes.requests[0][0]).query)
    assert query["startTimestamp"] == ["2026-12-04T02:00:00Z"]
    assert query["endTimestamp"] == ["2026-12-05T02:00:00Z"]


def test_a_first_run_reads_the_last_seven_days(week_of_changes, register):
    run_sync(week_of_changes)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(week_of_changes.requests[0][0]).query)
    assert query["startTimestamp"] == ["2026-11-27T02:00:00Z"]


def test_a_location_cqc_no_longer_has_is_skipped_with_a_note(week_of_changes, register):
    week_of_changes.add(
        f"/locations/{OAK}", (404, {}, {"statusCode": 404, "message": "Resource not found"})
    )
    counts = run_sync(week_of_changes)
    assert counts["cqc_not_found"] == 1
    assert counts["cqc_new_ratings"] == 1  # the others are still read
    state = CqcSyncState.objects.get()
    assert "404" in state.last_error
    assert state.synced_until == NOW  # a 404 will not come right by asking again


def test_a_location_that_fails_is_asked_for_again_next_run(week_of_changes, register):
    week_of_changes.add(f"/locations/{OAK}", (200, {}, b"not json"))
    counts = run_sync(week_of_changes)
    assert counts["cqc_failed"] == 1
    state = CqcSyncState.objects.get()
    assert state.synced_until is None
    assert "not JSON" in state.last_error
    register["oak"].refresh_from_db()
    assert register["oak"].deregistered_on is None


def test_a_changes_feed_that_is_not_json_fails_the_run_and_moves_nothing_on(cqc_server, register):
    cqc_server.add("/changes/location?page=1", (200, {}, b"{not json"))
    with pytest.raises(CqcApiError, match="not JSON"):
        run_sync(cqc_server)
    state = CqcSyncState.objects.get()
    assert state.synced_until is None
    assert "not JSON" in state.last_error


def test_a_location_registered_again_loses_its_flag_and_one_without_a_status_keeps_it(
    cqc_server, register
):
    oak = register["oak"]
    Service.objects.filter(pk=oak.pk).update(deregistered_on=date(2026, 11, 30))
    cqc_server.json("/changes/location?page=1", {"totalPages": 1, "changes": [OAK]})
    cqc_server.json(f"/locations/{OAK}", {"locationId": OAK, "name": "Oak Lodge"})
    run_sync(cqc_server)
    oak.refresh_from_db()
    assert oak.deregistered_on == date(2026, 11, 30)
    cqc_server.json(f"/locations/{OAK}", {"locationId": OAK, "registrationStatus": "Registered"})
    run_sync(cqc_server, now=datetime(2026, 12, 5, 2, 0, tzinfo=UTC))
    oak.refresh_from_db()
    assert oak.deregistered_on is None


def test_a_change_the_register_refuses_is_noted_and_the_run_goes_on(week_of_changes, register):
    detail = recorded("location_rated")
    detail["currentRatings"]["overall"]["reportDate"] = "1900-01-01"  # not a plausible date
    week_of_changes.json(f"/locations/{SUNRISE}", detail)
    counts = run_sync(week_of_changes)
    assert counts["cqc_refused"] == 1
    assert counts["cqc_deregistered"] == 1
    register["sunrise"].refresh_from_db()
    assert register["sunrise"].regulator_rating == RegulatorRating.GOOD  # all or nothing
    assert "Sunrise House (1-3000000001) was refused" in CqcSyncState.objects.get().last_error


def test_a_successor_alone_in_the_feed_is_linked_to_its_predecessor(cqc_server, register):
    cqc_server.json("/changes/location?page=1", {"totalPages": 1, "changes": [OAK_NEW]})
    cqc_server.json(f"/locations/{OAK_NEW}", recorded("location_successor"))
    counts = run_sync(cqc_server)
    assert counts["cqc_linked"] == 1
    register["oak_new"].refresh_from_db()
    assert register["oak_new"].predecessor == register["oak"]
    assert register["oak_new"].regulator_rating == RegulatorRating.NOT_RATED  # none published


def test_read_location_leaves_out_what_it_cannot_read():
    detail = copy.deepcopy(recorded("location_rated"))
    detail["currentRatings"]["overall"]["rating"] = "Excellent"  # not a CQC rating
    detail["currentRatings"]["overall"]["reportDate"] = "2027-01-01"  # in the future
    detail["lastInspection"] = {"date": "not a date"}
    facts = cqc_sync.read_location(detail, TODAY)
    assert "regulator_rating" not in facts.ratings
    assert facts.ratings["rating_safe"] == RegulatorRating.INADEQUATE
    assert facts.report_date == TODAY
    assert facts.last_inspection is None
    assert not facts.deregistered


def test_a_deregistration_without_a_date_is_dated_today():
    detail = {"locationId": OAK, "registrationStatus": "Deregistered"}
    facts = cqc_sync.read_location(detail, TODAY)
    assert facts.deregistered and facts.deregistered_on == TODAY


def test_a_link_that_would_make_a_loop_is_not_made(week_of_changes, register):
    # Oak Lodge already follows Oak Lodge Care Home (set by hand by mistake): the feed's link
    # the other way round would make a loop, so it is left.
    Service.objects.filter(pk=register["oak"].pk).update(predecessor=register["oak_new"])
    run_sync(week_of_changes)
    register["oak_new"].refresh_from_db()
    assert register["oak_new"].predecessor is None


# --- Running it ------------------------------------------------------------------------------


def test_the_nightly_job_syncs_first_with_its_own_counts(cqc_on, week_of_changes, register):
    run = run_nightly(TODAY)
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.counts["cqc_new_ratings"] == 1
    assert run.counts["cqc_deregistered"] == 1
    assert run.counts["cqc_linked"] == 1
    assert "services" in run.counts or len(run.counts) > 6  # the re-rating ran after it
    register["sunrise"].refresh_from_db()
    assert register["sunrise"].regulator_rating == RegulatorRating.REQUIRES_IMPROVEMENT


def test_a_failure_of_cqcs_api_does_not_fail_the_nightly_re_rating(cqc_on, cqc_server, register):
    cqc_server.add("/changes/location?page=1", (200, {}, b"<html>Down for maintenance</html>"))
    run = run_nightly(TODAY)
    assert run.status == JobRun.Status.SUCCEEDED
    assert "not JSON" in run.counts["cqc_sync_error"]
    assert ServiceRisk.objects.filter(service=register["sunrise"]).exists()
    assert "not JSON" in CqcSyncState.objects.get().last_error


def test_the_nightly_skips_the_sync_while_a_run_by_hand_holds_its_lock(
    cqc_on, week_of_changes, register
):
    from django.db import connections

    from risk.jobs import CQC_SYNC, LOCK_IDS

    # Another session (a run by hand in the worker) holds the CQC sync's lock.
    other = connections.create_connection("default")
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_IDS[CQC_SYNC]])
    try:
        run = run_nightly(TODAY)
    finally:
        other.close()
    assert run.status == JobRun.Status.SUCCEEDED
    assert "in progress" in run.counts["cqc_sync_error"]
    assert week_of_changes.requests == []


def test_the_command_syncs_by_hand(cqc_on, week_of_changes, register, capsys):
    call_command("sync_cqc")
    assert "new ratings: 1" in capsys.readouterr().out
    run = JobRun.objects.get(name="cqc_sync")
    assert run.status == JobRun.Status.SUCCEEDED


def test_the_command_says_why_a_run_failed(cqc_on, cqc_server, register):
    cqc_server.add("/changes/location?page=1", (403, {}, {"statusCode": 403, "message": "Bad key"}))
    with pytest.raises(CommandError, match="refused .* with 403"):
        call_command("sync_cqc")


def test_managers_run_it_now_from_the_jobs_page(
    cqc_on, manager_maya, officer_olivia, client_for, django_capture_on_commit_callbacks
):
    from unittest import mock

    with mock.patch("providers.tasks.cqc_sync.delay") as delay:
        client = client_for(officer_olivia)
        assert client.post(reverse("providers:cqc_sync_run")).status_code == 403
        client = client_for(manager_maya)
        page = client.get(reverse("risk:jobs")).content.decode()
        assert "Run CQC sync now" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("providers:cqc_sync_run"))
        assert response.status_code == 302
    delay.assert_called_once_with(triggered_by_id=manager_maya.pk)


def test_the_jobs_page_says_how_to_turn_the_sync_on(manager_maya, client_for):
    page = client_for(manager_maya).get(reverse("risk:jobs")).content.decode()
    assert "The CQC change sync is off" in page
    assert "Run CQC sync now" not in page
    response = client_for(manager_maya).post(reverse("providers:cqc_sync_run"), follow=True)
    assert "The CQC change sync is off" in response.content.decode()


# --- Review fixes: a feed read in full, a run with a time budget ---------------------------


def _pages_without(field: str) -> list[dict]:
    pages = [recorded(f"changes_page_{page}") for page in (1, 2, 3)]
    for page in pages:
        page.pop(field)
    return pages


def test_a_next_link_without_a_page_count_is_followed_to_the_end(cqc_server):
    for number, page in enumerate(_pages_without("totalPages"), 1):
        cqc_server.json(f"/changes/location?page={number}", page)
    client = client_for_test(cqc_server.url)
    ids = list(client.changed_locations(NOW, NOW, per_page=2))
    assert ids == [SUNRISE, "1-9000000001", OAK, "1-9000000002", OAK_NEW]


def test_a_page_count_without_next_links_still_reads_every_page(cqc_server):
    for number, page in enumerate(_pages_without("nextPageUri"), 1):
        cqc_server.json(f"/changes/location?page={number}", page)
    ids = list(client_for_test(cqc_server.url).changed_locations(NOW, NOW, per_page=2))
    assert ids[-1] == OAK_NEW and len(ids) == 5


def test_a_next_link_past_the_page_count_is_followed(cqc_server):
    # CQC's count said 2 pages but page 2 links to a third: the third is read.
    pages = [recorded(f"changes_page_{page}") for page in (1, 2, 3)]
    for number, page in enumerate(pages, 1):
        page["totalPages"] = 2
        cqc_server.json(f"/changes/location?page={number}", page)
    ids = list(client_for_test(cqc_server.url).changed_locations(NOW, NOW, per_page=2))
    assert OAK_NEW in ids


def test_a_feed_that_does_not_end_is_an_unfinished_run(cqc_server, register, monkeypatch):
    monkeypatch.setattr("providers.cqc_api.MAX_PAGES", 2)
    for page in (1, 2, 3):
        cqc_server.json(f"/changes/location?page={page}", recorded(f"changes_page_{page}"))
    with pytest.raises(CqcApiError, match="not read in full"):
        run_sync(cqc_server)
    assert CqcSyncState.objects.get().synced_until is None


class Clock:
    """A clock that moves on ``step`` seconds each time it is read."""

    def __init__(self, step: float):
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        value = self.now
        self.now += self.step
        return value


def test_a_run_out_of_time_stops_and_the_next_resumes_where_it_stopped(
    week_of_changes, register, settings
):
    assert settings.QAF_CQC_SYNC_BUDGET_SECONDS == 15 * 60
    client = client_for_test(week_of_changes.url)
    # Read at the start, then before each location: 0, 400, 800, 1200 (past 900).
    counts = cqc_sync.sync(now=NOW, today=TODAY, client=client, clock=Clock(400))
    assert counts["cqc_matched"] == 2 and counts["cqc_unfinished"] == 1
    state = CqcSyncState.objects.get()
    assert state.synced_until is None  # not read in full: the period is not done
    assert "Out of time" in state.last_error
    register["sunrise"].refresh_from_db()
    assert register["sunrise"].regulator_rating == RegulatorRating.REQUIRES_IMPROVEMENT
    week_of_changes.requests.clear()
    later = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    counts = run_sync(week_of_changes, now=later)
    # The same period, and only the location not read yet.
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(week_of_changes.requests[0][0]).query)
    assert query["endTimestamp"] == ["2026-12-04T02:00:00Z"]
    asked = [path for path, _ in week_of_changes.requests if "/locations/" in path]
    assert asked == [f"/public/v1/locations/{OAK_NEW}"]
    assert counts["cqc_matched"] == 1 and "cqc_unfinished" not in counts
    state.refresh_from_db()
    assert state.synced_until == NOW and state.resume_until is None
    assert state.last_error == ""
    # The run after that reads on from there.
    week_of_changes.requests.clear()
    run_sync(week_of_changes, now=later)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(week_of_changes.requests[0][0]).query)
    assert query["startTimestamp"] == ["2026-12-04T02:00:00Z"]
    assert query["endTimestamp"] == ["2026-12-05T02:00:00Z"]


# --- Review fixes: a rating inherited from the location replaced ---------------------------


def test_a_rating_inherited_from_the_location_replaced_is_copied_not_logged_as_new(
    week_of_changes, register
):
    week_of_changes.json(f"/locations/{OAK_NEW}", recorded("location_inherited"))
    oak_new = register["oak_new"]
    counts = run_sync(week_of_changes)
    oak_new.refresh_from_db()
    assert oak_new.regulator_rating == RegulatorRating.GOOD
    assert oak_new.rating_safe == RegulatorRating.GOOD
    assert oak_new.rating_published_on == date(2024, 3, 14)
    assert counts["cqc_new_ratings"] == 1  # Sunrise House's only
    assert counts["cqc_inherited_ratings"] == 1
    entry = Intelligence.objects.get(service=oak_new)
    assert "new rating" not in entry.summary
    assert entry.summary == (
        "This location carries the CQC rating of Oak Lodge (1-3000000002), the location it "
        "replaced, published on 14 March 2024: Good overall; Safe Good; Effective Good; "
        "Caring Good; Responsive Good; Well-led Good."
    )
    assert entry.severity == Severity.LOW
    assert entry.date == date(2024, 3, 14)


def test_a_rating_awarded_to_the_location_itself_is_a_new_rating():
    detail = recorded("location_inherited")
    detail["currentRatings"]["overall"]["organisationId"] = OAK_NEW
    facts = cqc_sync.read_location(detail, TODAY)
    assert facts.rated_at is None
    facts = cqc_sync.read_location(recorded("location_inherited"), TODAY)
    assert facts.rated_at == OAK


# --- Review fixes: the sync and the ratings import never undo each other -------------------


def ratings_file(*rows: tuple[str, str, str, str]):
    from tests.providers.test_imports import ratings

    return ratings(
        *([location, "A home", question, rating, day] for location, question, rating, day in rows)
    )


def import_ratings(*rows):
    from providers.imports.cqc import import_cqc

    return import_cqc(ratings_file(*rows), today=TODAY)


def test_the_sync_does_not_replace_a_later_rating_from_the_ratings_file(week_of_changes, register):
    # The ratings file had Sunrise House's rating of 25 November; CQC's API is a day behind.
    result = import_ratings((SUNRISE, "Overall", "Outstanding", "25/11/2026"))
    assert result.saved and result.rating_changes == 1
    sunrise = register["sunrise"]
    sunrise.refresh_from_db()
    assert sunrise.rating_published_on == date(2026, 11, 25)
    counts = run_sync(week_of_changes)  # its rating was published on 20 November
    sunrise.refresh_from_db()
    assert sunrise.regulator_rating == RegulatorRating.OUTSTANDING
    assert sunrise.rating_safe == RegulatorRating.GOOD
    assert counts["cqc_new_ratings"] == 0
    assert not Intelligence.objects.filter(service=sunrise, summary__contains="new rating")


def test_an_older_ratings_file_does_not_undo_the_sync_nor_log_the_rating_again(
    week_of_changes, register
):
    run_sync(week_of_changes)
    sunrise = register["sunrise"]
    entries = Intelligence.objects.filter(service=sunrise).count()
    result = import_ratings(
        (SUNRISE, "Overall", "Good", "14/03/2024"),
        (SUNRISE, "Safe", "Good", "14/03/2024"),
    )
    assert result.saved and result.rating_changes == 0 and result.unchanged == 2
    assert "2 rows were older than the rating the register holds" in result.warning
    sunrise.refresh_from_db()
    assert sunrise.regulator_rating == RegulatorRating.REQUIRES_IMPROVEMENT
    assert sunrise.rating_safe == RegulatorRating.INADEQUATE
    assert Intelligence.objects.filter(service=sunrise).count() == entries
    # The same report in the file as the sync read: nothing logged twice.
    result = import_ratings((SUNRISE, "Overall", "Requires improvement", "20/11/2026"))
    assert result.rating_changes == 0
    assert Intelligence.objects.filter(service=sunrise).count() == entries


def test_a_later_ratings_file_is_applied_over_the_sync(week_of_changes, register):
    run_sync(week_of_changes)
    result = import_ratings((SUNRISE, "Overall", "Good", "01/12/2026"))
    assert result.rating_changes == 1
    sunrise = register["sunrise"]
    sunrise.refresh_from_db()
    assert sunrise.regulator_rating == RegulatorRating.GOOD
    assert sunrise.rating_published_on == date(2026, 12, 1)


def test_a_rating_of_the_same_day_that_differs_is_applied(week_of_changes, register):
    sunrise = register["sunrise"]
    Service.objects.filter(pk=sunrise.pk).update(rating_published_on=date(2026, 11, 20))
    counts = run_sync(week_of_changes)
    assert counts["cqc_new_ratings"] == 1
    sunrise.refresh_from_db()
    assert sunrise.regulator_rating == RegulatorRating.REQUIRES_IMPROVEMENT


def test_a_rating_without_a_date_does_not_replace_a_dated_one(week_of_changes, register):
    sunrise = register["sunrise"]
    Service.objects.filter(pk=sunrise.pk).update(rating_published_on=date(2024, 3, 14))
    detail = recorded("location_rated")
    del detail["currentRatings"]["overall"]["reportDate"]
    del detail["currentRatings"]["reportDate"]
    week_of_changes.json(f"/locations/{SUNRISE}", detail)
    assert run_sync(week_of_changes)["cqc_new_ratings"] == 0
    sunrise.refresh_from_db()
    assert sunrise.regulator_rating == RegulatorRating.GOOD


def test_the_ratings_import_holds_the_syncs_lock(register):
    from risk.jobs import CQC_SYNC, LOCK_IDS

    held = []

    def progress(done, total):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() AND objid = %s",
                [LOCK_IDS[CQC_SYNC]],
            )
            held.append(cursor.fetchone()[0])

    from providers.imports.cqc import import_cqc

    import_cqc(
        ratings_file((SUNRISE, "Overall", "Good", "14/03/2026")), today=TODAY, progress=progress
    )
    assert held and all(held)


def test_the_sync_compares_with_the_service_as_saved_not_as_it_was_read(register):
    # A ratings import saved a later rating after the run read its services.
    sunrise = register["sunrise"]
    Service.objects.filter(pk=sunrise.pk).update(
        regulator_rating=RegulatorRating.OUTSTANDING, rating_published_on=date(2026, 11, 25)
    )
    facts = cqc_sync.read_location(recorded("location_rated"), TODAY)
    effects = cqc_sync.apply_location(sunrise, facts, today=TODAY, now=NOW)  # the stale copy
    assert not effects.rated
    sunrise.refresh_from_db()
    assert sunrise.regulator_rating == RegulatorRating.OUTSTANDING
