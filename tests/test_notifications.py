"""Notifications (qaf.notifications): about any object, of any registered kind, created once,
emailed once from one sender, shown on the home page and marked read; and the move of the
existing notices from risk to qaf keeping every row."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.urls import reverse

from qaf import notifications
from qaf.models import Notification
from tests.factories import ServiceFactory
from tests.support import latest_migrations, migrate_to

DUE = date(2026, 12, 1)


@pytest.fixture
def escalation_kind():
    """A kind a new workflow registers: no migration, no change in qaf."""
    kind = notifications.register_kind("test_suspension_review", "Suspension review due")
    yield kind.name
    del notifications._KINDS[kind.name]


@pytest.mark.django_db
def test_a_notice_about_any_object_is_created_once(officer_olivia, sunrise, escalation_kind):
    # About a provider (no service): what escalation cases will do.
    assert notifications.notify(
        officer_olivia, escalation_kind, about=sunrise, due=DUE, message="Review the suspension"
    )
    assert not notifications.notify(
        officer_olivia, escalation_kind, about=sunrise, due=DUE, message="Again"
    )
    notice = Notification.objects.get()
    assert notice.about == sunrise and notice.service is None
    assert notice.kind_label == "Suspension review due"
    assert notice.get_absolute_url() == sunrise.get_absolute_url()
    # Another due date is another notice.
    assert notifications.notify(
        officer_olivia, escalation_kind, about=sunrise, due=date(2027, 1, 1), message="Later"
    )


@pytest.mark.django_db
def test_a_notice_about_a_service_or_its_object_records_the_service(officer_olivia, sunrise_house):
    notifications.notify(
        officer_olivia, "review_overdue", about=sunrise_house, due=DUE, message="Overdue"
    )
    assert Notification.objects.get().service == sunrise_house


@pytest.mark.django_db
def test_an_unregistered_kind_is_refused(officer_olivia, sunrise):
    with pytest.raises(ValueError, match="Unknown notification kind"):
        notifications.notify(officer_olivia, "made_up", about=sunrise, due=DUE, message="x")
    with pytest.raises(ValueError, match="already registered differently"):
        notifications.register_kind("review_overdue", "Something else")
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_emailed_once_in_one_message_per_user(officer_olivia, officer_owen, sunrise_house):
    other = ServiceFactory(name="Oak Lodge Annexe")
    for service in (sunrise_house, other):
        notifications.notify(
            officer_olivia, "review_overdue", about=service, due=DUE, message=f"{service.name}"
        )
    officer_owen.email = ""
    officer_owen.save()
    notifications.notify(officer_owen, "review_overdue", about=other, due=DUE, message="No mail")

    assert notifications.send_pending() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [officer_olivia.email]
    assert sunrise_house.name in mail.outbox[0].body and other.name in mail.outbox[0].body
    assert notifications.send_pending() == 0  # claimed: never again
    assert len(mail.outbox) == 1
    # Without an email address: on the home page only, never claimed.
    assert Notification.objects.get(user=officer_owen).emailed_at is None


@pytest.mark.django_db
def test_a_failed_email_leaves_the_notices_for_the_next_run(
    monkeypatch, officer_olivia, sunrise_house
):
    notifications.notify(
        officer_olivia, "review_overdue", about=sunrise_house, due=DUE, message="Overdue"
    )

    def down(**kwargs):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr(notifications, "send_mail", down)
    with pytest.raises(ConnectionRefusedError):
        notifications.send_pending()
    assert Notification.objects.get().emailed_at is None
    monkeypatch.undo()
    assert notifications.send_pending() == 1


@pytest.mark.django_db
def test_a_claimed_notice_is_not_claimed_again(officer_olivia, sunrise_house):
    notifications.notify(
        officer_olivia, "review_overdue", about=sunrise_house, due=DUE, message="Overdue"
    )
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert notifications._send_to(officer_olivia, now=now)
    # A second sender that read the same pending list a moment earlier claims nothing.
    assert not notifications._send_to(officer_olivia, now=now)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_home_page_lists_my_unread_notices_linked_to_what_they_are_about(
    client_for, officer_olivia, officer_owen, sunrise_house, sunrise, escalation_kind
):
    notifications.notify(
        officer_olivia, "review_overdue", about=sunrise_house, due=DUE, message="Overdue House"
    )
    notifications.notify(
        officer_olivia, escalation_kind, about=sunrise, due=DUE, message="Suspension of Sunrise"
    )
    client = client_for(officer_olivia)
    page = client.get("/").content.decode()
    assert "Needs your attention" in page
    assert f'href="{sunrise_house.get_absolute_url()}">Overdue House' in page
    assert f'href="{sunrise.get_absolute_url()}">Suspension of Sunrise' in page

    notice = Notification.objects.get(kind="review_overdue")
    owen = client_for(officer_owen).post(reverse("notification_read", args=[notice.pk]))
    assert owen.status_code == 404  # nobody marks another user's notice
    client = client_for(officer_olivia)
    response = client.post(
        reverse("notification_read", args=[notice.pk]), headers={"HX-Request": "true"}
    )
    assert "marked as read" in response.content.decode()
    page = client.get("/").content.decode()
    assert "Overdue House" not in page and "Suspension of Sunrise" in page


# --- the move from risk to qaf ------------------------------------------------------------------

BEFORE = [("qaf", "0002_issued_documents"), ("risk", "0004_notification_request_overdue")]
# The move itself: qaf's new table filled, then risk's dropped. (Checked at this state, not the
# latest: stepping back from the latest renders every later migration's state, which is what
# makes a migration test slow; going back and forth over these two costs little.)
MOVED = [("qaf", "0003_notification"), ("risk", "0005_notification_moved_to_qaf")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrating_keeps_every_notice_and_points_request_notices_at_their_request(
    officer_olivia, sunrise_house
):
    from reviews import information as info

    request = info.create_request(sunrise_house, actor=officer_olivia, items=["Rota"])
    info.send_request(request, actor=officer_olivia, today=date(2026, 10, 1))
    request.refresh_from_db()
    latest = latest_migrations()
    try:
        old = migrate_to(BEFORE)
        OldNotification = old.get_model("risk", "Notification")
        common = {"user_id": officer_olivia.pk, "service_id": sunrise_house.pk}
        overdue = OldNotification.objects.create(
            **common, kind="review_overdue", due_date=DUE, message="Review overdue"
        )
        emailed = datetime(2026, 11, 1, 2, tzinfo=UTC)
        late = OldNotification.objects.create(
            **common,
            kind="request_overdue",
            due_date=request.due_date,
            message="Request overdue",
            emailed_at=emailed,
            read_at=emailed,
        )

        new = migrate_to(MOVED)
        Moved = new.get_model("qaf", "Notification")
        types = new.get_model("contenttypes", "ContentType").objects
        service_type = types.get(app_label="providers", model="service").pk
        request_type = types.get(app_label="reviews", model="informationrequest").pk
        moved = {n.pk: n for n in Moved.objects.all()}
        assert set(moved) == {overdue.pk, late.pk}  # same ids: old links still work
        about = {pk: (n.content_type_id, n.object_id, n.service_id) for pk, n in moved.items()}
        assert about[overdue.pk] == (service_type, sunrise_house.pk, sunrise_house.pk)
        assert about[late.pk] == (request_type, request.pk, sunrise_house.pk)  # its request
        assert (moved[late.pk].emailed_at, moved[late.pk].read_at) == (emailed, emailed)
        # The sequence goes on after the copied ids.
        fresh = Moved.objects.create(
            user_id=officer_olivia.pk,
            kind="follow_up_overdue",
            content_type_id=service_type,
            object_id=sunrise_house.pk,
            service_id=sunrise_house.pk,
            due_date=DUE,
            message="New",
        )
        assert fresh.pk > late.pk
        fresh.delete()

        # And back: risk's table has them again.
        old = migrate_to(BEFORE)
        back = old.get_model("risk", "Notification").objects.order_by("pk")
        assert [(n.pk, n.kind) for n in back][:2] == [
            (overdue.pk, "review_overdue"),
            (late.pk, "request_overdue"),
        ]
    finally:
        migrate_to(latest)
