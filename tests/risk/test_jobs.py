"""The nightly job: a real Celery worker on the real Redis broker, the advisory lock,
notifications sent once, the jobs page, and the administrator's policy edit re-rating services."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from qaf.celery import app as celery_app
from qaf.models import Notification
from risk.jobs import LOCK_IDS, NIGHTLY, notify, run_nightly
from risk.models import JobRun, PolicyVersion, ServiceRisk
from risk.recompute import recompute
from tests.factories import ReviewFactory, ServiceFactory
from tests.support import LATE_SUMMER_EVENING, other_session, wait_until

TODAY = date(2026, 11, 25)


@pytest.fixture
def worker(transactional_db, django_db_serialized_rollback):
    """A real Celery worker thread consuming from the real Redis broker.

    Transactional (the worker's thread has its own connection), with serialized rollback so
    the rows that data migrations made (the risk policy, the default toolkit) come back for
    the tests that follow in this process."""
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
    ):
        yield


@contextmanager
def _another_session_holds_the_lock():
    """Another run of the nightly job, as far as the lock can tell: the session that holds it."""
    with other_session() as other:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_IDS[NIGHTLY]])
        yield other


def _someone_waits_for_the_lock(session) -> bool:
    # A bigint advisory key shows in pg_locks as classid (high half) and objid (low half).
    key = LOCK_IDS[NIGHTLY]
    with session.cursor() as cursor:
        cursor.execute(
            """
            SELECT EXISTS (
                SELECT 1 FROM pg_locks
                WHERE locktype = 'advisory' AND NOT granted
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND classid = %s AND objid = %s
            )
            """,
            [key >> 32, key & 0xFFFFFFFF],
        )
        return cursor.fetchone()[0]


def test_nightly_task_runs_in_a_real_worker_twice_without_changing_anything_the_second_time(
    worker, officer_olivia
):
    for i in range(5):
        ServiceFactory(lead_officer=officer_olivia, name=f"Home {i}")  # rated at once, today
    from risk.tasks import nightly

    later = timezone.localdate() + timedelta(days=30)  # never reviewed: overdue by then
    nightly.delay(today=later.isoformat())
    wait_until(lambda: JobRun.objects.filter(status="succeeded").count() == 1, "the first run")
    first = JobRun.objects.get()
    assert first.counts["services"] == 5
    assert first.counts["changed"] == 5
    assert ServiceRisk.objects.count() == 5
    snapshot = list(ServiceRisk.objects.order_by("pk").values())
    notices = Notification.objects.count()

    nightly.delay(today=later.isoformat())
    wait_until(lambda: JobRun.objects.filter(status="succeeded").count() == 2, "the second run")
    second = JobRun.objects.order_by("-pk").first()
    assert second.counts["changed"] == 0
    assert second.counts["rating_changes"] == 0
    assert second.counts["notifications"] == 0
    assert list(ServiceRisk.objects.order_by("pk").values()) == snapshot
    assert Notification.objects.count() == notices


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_second_concurrent_run_is_skipped_and_changes_nothing():
    ServiceFactory()
    before = list(ServiceRisk.objects.values())
    later = timezone.localdate() + timedelta(days=30)
    with _another_session_holds_the_lock():
        run = run_nightly(later)
    assert run.status == JobRun.Status.SKIPPED
    assert "in progress" in run.errors
    assert list(ServiceRisk.objects.values()) == before
    done = run_nightly(later)
    assert done.status == JobRun.Status.SUCCEEDED
    assert done.counts["changed"] == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_after_a_policy_edit_waits_for_the_lock_instead_of_skipping():
    ServiceFactory()
    result = {}

    def run_in_thread():
        try:
            result["run"] = run_nightly(TODAY, wait=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run_in_thread)
    with _another_session_holds_the_lock() as other:
        thread.start()
        # The server says when the run is queued behind the lock (or the thread died early).
        wait_until(
            lambda: _someone_waits_for_the_lock(other) or not thread.is_alive(),
            "the run asking for the lock",
        )
        assert thread.is_alive() and "run" not in result, result  # waiting, not skipped
    # The other session has ended, so its lock is released: the run goes ahead.
    thread.join(timeout=60)
    assert not thread.is_alive(), "the run did not finish once the lock was free"
    assert result["run"].status == JobRun.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_run_is_recorded_and_leaves_results_intact(monkeypatch):
    ServiceFactory()
    run_nightly(TODAY)
    before = list(ServiceRisk.objects.values())

    import risk.jobs as jobs

    def broken(today):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(jobs, "nightly_work", broken)
    run = run_nightly(TODAY + timedelta(days=400))
    assert run.status == JobRun.Status.FAILED
    assert "the database went away" in run.errors
    assert list(ServiceRisk.objects.values()) == before


@pytest.mark.django_db
def test_due_soon_and_overdue_notices_are_created_and_emailed_once(officer_olivia, officer_owen):
    due_soon = ServiceFactory(lead_officer=officer_olivia, name="Due Soon House")
    ReviewFactory(service=due_soon, rating="green", completed_on=date(2024, 12, 10))
    overdue = ServiceFactory(lead_officer=officer_olivia, name="Overdue House")
    ReviewFactory(service=overdue, rating="green", completed_on=date(2023, 1, 10))
    fine = ServiceFactory(lead_officer=officer_owen, name="Fine House")
    ReviewFactory(service=fine, rating="green", completed_on=date(2026, 6, 1))
    recompute(today=TODAY)
    # Green services with an Amber factor or two: make them Green so the 24-month rule applies.
    first = notify(TODAY)
    kinds = dict(Notification.objects.values_list("service__name", "kind"))
    assert kinds.get("Overdue House") == "review_overdue"
    assert "Fine House" not in kinds
    assert first["emails"] == 1
    assert mail.outbox[0].to == [officer_olivia.email]
    assert "Overdue House" in mail.outbox[0].body
    second = notify(TODAY)
    assert second == {"notifications": 0, "emails": 0}
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_home_page_shows_my_notices_and_marks_them_read(
    client_for, officer_olivia, any_time_of_day
):
    service = ServiceFactory(lead_officer=officer_olivia, name="Overdue House")
    tomorrow = timezone.localdate() + timedelta(days=1)  # never reviewed: overdue from tomorrow
    recompute(today=tomorrow)
    notify(tomorrow)
    client = client_for(officer_olivia)
    page = client.get("/").content.decode()
    assert "Needs your attention" in page
    assert "Overdue House" in page
    notice = Notification.objects.get(service=service)
    response = client.post(reverse("notification_read", args=[notice.pk]))
    assert response.status_code == 302
    assert "Needs your attention" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_nobody_marks_another_users_notice(
    client_for, officer_olivia, officer_owen, any_time_of_day
):
    service = ServiceFactory(lead_officer=officer_olivia)
    tomorrow = timezone.localdate() + timedelta(days=1)
    recompute(today=tomorrow)
    notify(tomorrow)
    notice = Notification.objects.get(service=service)
    response = client_for(officer_owen).post(reverse("notification_read", args=[notice.pk]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_late_on_a_summer_evening_the_job_works_to_londons_date(officer_olivia):
    """23:30 UTC on 1 July is 00:30 on 2 July in London: the council's day, not the machine's."""
    with time_machine.travel(LATE_SUMMER_EVENING, tick=False):
        assert date.today() == date(2026, 7, 1)  # the machine's date (its zone is UTC)
        service = ServiceFactory(lead_officer=officer_olivia, name="New House")
        run = run_nightly()
        assert run.for_date == date(2026, 7, 2)
        risk = ServiceRisk.objects.get(pk=service.pk)
        # Never reviewed: a review is due on the day it was registered, London's 2 July.
        assert (risk.next_review_due, risk.review_overdue) == (date(2026, 7, 2), False)
        assert not Notification.objects.filter(kind="review_overdue").exists()
        run_nightly(date(2026, 7, 3))
        assert Notification.objects.get(kind="review_overdue").service == service


@pytest.mark.django_db
def test_jobs_page_lists_runs_and_only_managers_run_now(
    client, officer_olivia, manager_maya, provider_pat
):
    run_nightly(TODAY)
    client.force_login(officer_olivia)
    page = client.get(reverse("risk:jobs"))
    assert page.status_code == 200
    assert "Succeeded" in page.content.decode()
    assert "Run now" not in page.content.decode()
    assert client.post(reverse("risk:run_job")).status_code == 403
    client.force_login(provider_pat)
    assert client.get(reverse("risk:jobs")).status_code == 403


def test_manager_runs_the_job_now_in_the_worker(worker, client, manager_maya):
    ServiceFactory()
    client.force_login(manager_maya)
    response = client.post(reverse("risk:run_job"))
    assert response.status_code == 302
    wait_until(lambda: JobRun.objects.filter(status="succeeded").exists(), "the run")
    assert JobRun.objects.get().triggered_by == manager_maya


def _policy_post(client, **changes):
    form = client.get(reverse("risk:policy_edit")).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    data.update(based_on=PolicyVersion.current().pk, note="Tighter inspection age", **changes)
    return client.post(reverse("risk:policy_edit"), data)


def test_administrator_edits_the_matrix_new_version_and_services_re_rated(
    worker, client, admin_alex
):
    today = timezone.localdate()
    service = ServiceFactory(last_inspection_date=today - timedelta(days=800))
    ReviewFactory(service=service, completed_on=today - timedelta(days=100))
    recompute()
    assert ServiceRisk.objects.get(pk=service.pk).factors[1]["rag"] == "green"
    client.force_login(admin_alex)
    response = _policy_post(client, inspection_age__amber_years=2)
    assert response.status_code == 302
    current = PolicyVersion.current()
    assert current.number == 2
    assert current.created_by == admin_alex
    assert current.matrix["inspection_age"]["amber_years"] == 2
    assert PolicyVersion.objects.get(number=1).matrix["inspection_age"]["amber_years"] == 3
    wait_until(
        lambda: ServiceRisk.objects.get(pk=service.pk).policy_version_id == current.pk,
        "the re-rating with the new version",
    )
    risk = ServiceRisk.objects.get(pk=service.pk)
    assert risk.factors[1] == {
        "factor": "inspection_age",
        "rag": "amber",
        "reason": (
            f"Last CQC inspection {service.last_inspection_date.day} "
            f"{service.last_inspection_date:%B %Y} is 2 years ago or more"
        ),
    }


@pytest.mark.django_db
def test_policy_edit_validation_and_permissions(client, admin_alex, officer_olivia):
    client.force_login(officer_olivia)
    assert client.get(reverse("risk:policy")).status_code == 200
    assert client.get(reverse("risk:policy_edit")).status_code == 403
    client.force_login(admin_alex)
    response = _policy_post(client, review_age__amber_years=5, review_age__red_years=4)
    assert response.status_code == 200
    assert "must be more years than the Amber threshold" in response.content.decode()
    unchanged = _policy_post(client)
    assert "Nothing has changed" in unchanged.content.decode()
    bad = _policy_post(client, inspection_age__weight_red="lots")
    assert "Enter a whole number" in bad.content.decode()
    assert PolicyVersion.objects.count() == 1


@pytest.mark.django_db
def test_two_administrators_editing_at_once_the_later_is_told(client, admin_alex):
    client.force_login(admin_alex)
    stale_form = client.get(reverse("risk:policy_edit")).context["form"]
    data = {name: stale_form[name].value() for name in stale_form.fields}
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    based_on = PolicyVersion.current().pk
    assert _policy_post(client, inspection_age__amber_years=2).status_code == 302
    data.update(based_on=based_on, note="Mine", inspection_age__amber_years=4)
    response = client.post(reverse("risk:policy_edit"), data)
    assert response.status_code == 200
    assert "after you opened this page" in response.content.decode()
    assert PolicyVersion.current().matrix["inspection_age"]["amber_years"] == 2


@pytest.mark.django_db
def test_an_overdue_information_request_tells_the_officer_who_sent_it_once(
    client_for, officer_olivia, officer_owen, sunrise_house, provider_pat
):
    from reviews import information as info

    late = info.create_request(
        sunrise_house, actor=officer_olivia, items=["Fire drill record"], title="Fire safety"
    )
    info.send_request(late, actor=officer_olivia, today=TODAY - timedelta(days=40))
    answered = info.create_request(
        sunrise_house, actor=officer_owen, items=["Rota"], title="Staffing"
    )
    info.send_request(answered, actor=officer_owen, today=TODAY - timedelta(days=40))
    info.answer_item(answered.items.get(), actor=provider_pat, response="Attached")
    on_time = info.create_request(
        sunrise_house, actor=officer_owen, items=["Menu"], title="Nutrition"
    )
    info.send_request(on_time, actor=officer_owen, today=TODAY)

    notify(TODAY)
    notices = Notification.objects.filter(kind="request_overdue")
    assert [(n.user, n.service, n.about) for n in notices] == [
        (officer_olivia, sunrise_house, late)
    ]
    assert "Fire safety" in notices.get().message
    assert any("Fire safety" in m.body for m in mail.outbox if m.to == [officer_olivia.email])
    assert notify(TODAY)["notifications"] == 0  # once only
    home = client_for(officer_olivia).get("/").content.decode()
    assert f'href="{late.get_absolute_url()}"' in home  # the notice links to what it is about
