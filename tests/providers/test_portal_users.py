"""A provider's own administrator manages its portal users (issue 12).

Pat is Sunrise Care's administrator; Sam works at Sunrise too (not an administrator). Quinn is
Oak Lodge's administrator. Olivia (officer) manages any provider's users; Bea (board) none.
Pat invites Robin, whose email's link sets a password once and works for 7 days.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from providers import portal_users
from providers.invitations import Invitation, hash_secret
from qaf.models import Role, User
from qaf.workflow import Forbidden, NotNow
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-passphrase"  # noqa: S105
LINK = re.compile(r"https?://[^/\s]+(/invitations/([A-Za-z0-9_-]+)/)")
ROBIN = {"first_name": "Robin", "last_name": "Hood", "email": "Robin.Hood@Sunrise.example"}


@pytest.fixture(autouse=True)
def _emails_sent_at_once(monkeypatch):
    """The invitation's email waits for the commit, which a test's transaction never makes:
    here it goes at once (the page's test below, and the rollback test, use the real hook)."""
    monkeypatch.setattr(portal_users, "_after_commit", lambda send: send())


@pytest.fixture
def admin_pat(provider_pat):
    provider_pat.provider_admin = True
    provider_pat.save()
    return provider_pat


@pytest.fixture
def admin_quinn(provider_quinn):
    provider_quinn.provider_admin = True
    provider_quinn.save()
    return provider_quinn


@pytest.fixture
def sam_of_sunrise(sunrise):
    return UserFactory(
        username="sam", first_name="Sam", last_name="Lee", roles=[], provider=sunrise
    )


def _invite(provider, actor, **fields):
    return portal_users.invite(
        provider, actor=actor, base_url="http://testserver/", **(ROBIN | fields)
    )


def _last_link() -> tuple[str, str]:
    """The path and the secret of the link in the last email."""
    match = LINK.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1), match.group(2)


def _users_url(provider) -> str:
    return reverse("providers:provider_users", args=[provider.pk])


def _signs_in(username: str, password: str) -> bool:
    """Through the sign-in page (django-axes counts the attempt), as a person does."""
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def _accept_by_page(path: str, password: str = NEW_PASSWORD):
    return Client().post(path, {"new_password1": password, "new_password2": password})


# --- Inviting and accepting -----------------------------------------------------------------------


def test_an_invitation_link_works_once(
    client_for, admin_pat, sunrise, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.undo()  # the email waits for the commit, as in production
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_pat).post(
            reverse("providers:provider_user_invite", args=[sunrise.pk]),
            ROBIN | {"administrator": "on"},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["robin.hood@sunrise.example"]
    path, secret = _last_link()
    invitation = Invitation.objects.get()
    # Only the hash is kept: the database alone does not let anyone in.
    assert invitation.token_hash == hash_secret(secret) != secret
    assert invitation.expires_at == invitation.sent_at + timedelta(days=7)

    page = Client().get(path)
    assert page.status_code == 200
    assert "Choose your password" in page.content.decode()
    assert _accept_by_page(path).status_code == 302

    robin = User.objects.get(username="robin.hood@sunrise.example")
    assert robin.provider == sunrise and robin.provider_admin and robin.is_active
    assert robin.roles == [] and robin.check_password(NEW_PASSWORD)
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.user == robin
    # Robin signs in and sees the portal.
    home = Client()
    signed_in = home.post(
        reverse("login"), {"username": robin.username, "password": NEW_PASSWORD}, follow=True
    )
    assert signed_in.context["user"] == robin
    assert "Sunrise Care Ltd" in signed_in.content.decode()

    # The link is used up: a clear page, nothing written.
    again = _accept_by_page(path, "another-long-passphrase-2")
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert Client().get(path).status_code == 410
    assert User.objects.filter(provider=sunrise).count() == 2
    robin.refresh_from_db()
    assert robin.check_password(NEW_PASSWORD)


def test_no_email_for_an_invitation_rolled_back(admin_pat, sunrise, monkeypatch):
    monkeypatch.undo()
    with transaction.atomic():
        _invite(sunrise, admin_pat)
        transaction.set_rollback(True)
    assert mail.outbox == [] and not Invitation.objects.exists()


def test_the_link_works_until_it_expires_and_not_a_second_later(admin_pat, sunrise):
    sent = timezone.now().replace(microsecond=0)
    with time_machine.travel(sent, tick=False):
        _invite(sunrise, admin_pat)
    secret = _last_link()[1]
    invitation = Invitation.objects.get()
    assert invitation.expires_at == sent + timedelta(days=7)
    with time_machine.travel(invitation.expires_at, tick=False):
        assert portal_users.find(secret) == invitation
        assert (
            Client().get(reverse("providers:accept_invitation", args=[secret])).status_code == 200
        )
    with time_machine.travel(invitation.expires_at + timedelta(seconds=1), tick=False):
        with pytest.raises(portal_users.LinkRefused, match="expired"):
            portal_users.find(secret)
        page = Client().get(reverse("providers:accept_invitation", args=[secret]))
        assert page.status_code == 410
        text = page.content.decode()
        assert "This invitation has expired" in text
        assert "ask your organisation&#x27;s administrator to invite you again" in text.lower()
        with pytest.raises(portal_users.LinkRefused):
            portal_users.accept(secret, password=NEW_PASSWORD)
    assert not User.objects.filter(email=ROBIN["email"].lower()).exists()


def test_resending_makes_a_new_link_and_the_old_one_stops_working(admin_pat, sunrise):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        invitation = _invite(sunrise, admin_pat)
    old_path, old_secret = _last_link()
    later = start + timedelta(days=5)
    with time_machine.travel(later, tick=False):
        portal_users.resend(invitation, actor=admin_pat, base_url="http://testserver/")
        new_path, new_secret = _last_link()
        assert new_secret != old_secret and len(mail.outbox) == 2
        invitation.refresh_from_db()
        assert invitation.expires_at == later + timedelta(days=7)
        refused = Client().get(old_path)
        assert refused.status_code == 410
        assert "newer invitation has replaced it" in refused.content.decode()
        assert Client().get(new_path).status_code == 200


def test_withdrawing_stops_the_link_and_allows_a_new_invitation(admin_pat, sunrise):
    invitation = _invite(sunrise, admin_pat)
    path, secret = _last_link()
    portal_users.withdraw(invitation, actor=admin_pat)
    page = Client().get(path)
    assert page.status_code == 410 and "withdrew" in page.content.decode()
    with pytest.raises(NotNow, match="withdrawn"):
        portal_users.withdraw(invitation, actor=admin_pat)
    with pytest.raises(NotNow, match="withdrawn"):
        portal_users.resend(invitation, actor=admin_pat, base_url="http://testserver/")
    again = _invite(sunrise, admin_pat)
    assert again.pk != invitation.pk


def test_duplicates_are_refused_with_a_reason(
    client_for, admin_pat, sunrise, sam_of_sunrise, provider_quinn
):
    _invite(sunrise, admin_pat)
    page = client_for(admin_pat)
    url = reverse("providers:provider_user_invite", args=[sunrise.pk])
    # The same person again while the link works: send it again instead.
    response = page.post(url, ROBIN | {"email": "robin.hood@sunrise.example"})
    assert response.status_code == 200
    assert "Send it again from the list" in response.content.decode()
    # A colleague with an account already.
    response = page.post(url, ROBIN | {"email": sam_of_sunrise.email.upper()})
    assert "already has an account" in response.content.decode()
    # A deactivated colleague: reactivate them instead.
    portal_users.deactivate(sam_of_sunrise, actor=admin_pat)
    response = page.post(url, ROBIN | {"email": sam_of_sunrise.email})
    assert "reactivate it from the list" in response.content.decode()
    # Someone of another organisation: no more than that the address has an account.
    response = page.post(url, ROBIN | {"email": provider_quinn.email})
    text = response.content.decode()
    assert "already has a QAF account" in text and "Oak Lodge" not in text
    # Nothing typed: each field says what to do.
    response = page.post(url, {"email": "not-an-address"})
    text = response.content.decode()
    assert "Enter their first name" in text and "Enter an email address in the correct" in text
    # An address that cannot be a username (the username is the address).
    response = page.post(url, ROBIN | {"email": "o'brien@sunrise.example"})
    assert "cannot be a username" in response.content.decode()
    assert Invitation.objects.count() == 1


def test_an_expired_invitation_is_replaced_by_a_new_one(admin_pat, sunrise):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = _invite(sunrise, admin_pat)
    with time_machine.travel(start + timedelta(days=8), tick=False):
        second = _invite(sunrise, admin_pat)
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None


def test_the_database_allows_one_open_invitation_per_address(admin_pat, sunrise):
    first = _invite(sunrise, admin_pat)
    clone = Invitation(
        **{
            f.attname: getattr(first, f.attname)
            for f in Invitation._meta.concrete_fields
            if not f.primary_key
        }
    )
    clone.token_hash = "0" * 64
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_a_password_the_validators_refuse_writes_nothing(admin_pat, sunrise):
    _invite(sunrise, admin_pat)
    path, _secret = _last_link()
    response = Client().post(path, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Your password must be 10 characters or more" in text
    response = Client().post(path, {"new_password1": NEW_PASSWORD, "new_password2": "other"})
    assert "didn’t match" in response.content.decode()
    assert not User.objects.filter(email="robin.hood@sunrise.example").exists()
    assert Invitation.objects.get().accepted_at is None


def test_a_signed_in_user_is_told_to_sign_out_first(client_for, admin_pat, sunrise):
    _invite(sunrise, admin_pat)
    response = client_for(admin_pat).get(_last_link()[0])
    assert response.status_code == 409
    assert "sign out first" in response.content.decode()


def test_an_unknown_link_is_a_clear_page(client):
    response = client.get(reverse("providers:accept_invitation", args=["nonsense-secret"]))
    assert response.status_code == 410
    assert "This invitation link does not work" in response.content.decode()


# --- Deactivating, reactivating, administrators -----------------------------------------------


def test_deactivation_asks_first_then_stops_sign_in_and_the_api_token(
    client_for, admin_pat, sunrise, sam_of_sunrise
):
    token = Token.objects.create(user=sam_of_sunrise)
    sams_browser = Client()
    sams_browser.force_login(sam_of_sunrise)
    assert sams_browser.get(reverse("home")).status_code == 200
    url = reverse(
        "providers:provider_user_step", args=[sunrise.pk, sam_of_sunrise.pk, "deactivate"]
    )
    page = client_for(admin_pat)
    confirm = page.get(url)
    assert confirm.status_code == 200
    assert "Deactivate Sam Lee" in confirm.content.decode()
    sam_of_sunrise.refresh_from_db()
    assert sam_of_sunrise.is_active  # looking at the page changes nothing

    assert page.post(url).status_code == 302
    sam_of_sunrise.refresh_from_db()
    assert not sam_of_sunrise.is_active
    assert not _signs_in("sam", PASSWORD)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(reverse("api:service-list")).status_code == 401
    assert not Token.objects.filter(user=sam_of_sunrise).exists()
    # Sam's open session ends at the next click.
    assert sams_browser.get(reverse("home")).status_code == 302
    listing = page.get(_users_url(sunrise)).content.decode()
    assert "Deactivated" in listing

    url = reverse(
        "providers:provider_user_step", args=[sunrise.pk, sam_of_sunrise.pk, "reactivate"]
    )
    assert page.post(url).status_code == 302
    assert _signs_in("sam", PASSWORD)
    # Twice is refused with the reason, not a 500.
    again = page.post(url)
    assert again.status_code == 409 and "already active" in again.content.decode()


def test_nobody_deactivates_themself(client_for, admin_pat, sunrise, api_for):
    url = reverse("providers:provider_user_step", args=[sunrise.pk, admin_pat.pk, "deactivate"])
    response = client_for(admin_pat).post(url)
    assert response.status_code == 403
    assert "cannot deactivate your own account" in response.content.decode()
    api = api_for(admin_pat)
    response = api.post(reverse("api:provider-user-deactivate", args=[admin_pat.pk]))
    assert response.status_code == 403 and "own account" in response.json()["detail"]
    admin_pat.refresh_from_db()
    assert admin_pat.is_active


def test_the_last_administrator_stays_unless_the_council_removes_them(
    client_for, admin_pat, sunrise, sam_of_sunrise, officer_olivia
):
    url = reverse(
        "providers:provider_user_step", args=[sunrise.pk, admin_pat.pk, "remove-administrator"]
    )
    response = client_for(admin_pat).post(url)
    assert response.status_code == 409
    assert "only active administrator" in response.content.decode()
    # With a second administrator, Pat may step down.
    portal_users.set_administrator(sam_of_sunrise, True, actor=admin_pat)
    portal_users.set_administrator(admin_pat, False, actor=admin_pat)
    # Sam is now the last one; Pat (no longer an administrator) may manage nothing.
    with pytest.raises(Forbidden):
        portal_users.set_administrator(sam_of_sunrise, False, actor=admin_pat)
    with pytest.raises(NotNow, match="only active administrator"):
        portal_users.set_administrator(sam_of_sunrise, False, actor=sam_of_sunrise)
    # The council's staff may (the person left; staff manage the organisation meanwhile).
    portal_users.set_administrator(sam_of_sunrise, False, actor=officer_olivia)
    assert not portal_users.active_admins(sunrise.pk).exists()


def test_a_deactivated_user_cannot_be_made_an_administrator(admin_pat, sam_of_sunrise):
    portal_users.deactivate(sam_of_sunrise, actor=admin_pat)
    with pytest.raises(NotNow, match="reactivate them first"):
        portal_users.set_administrator(sam_of_sunrise, True, actor=admin_pat)


def test_staff_are_not_managed_here(admin_alex, officer_olivia):
    with pytest.raises(NotNow, match="Only provider users"):
        portal_users.deactivate(officer_olivia, actor=admin_alex)


def test_the_database_refuses_a_staff_administrator(officer_olivia):
    officer_olivia.provider_admin = True
    with pytest.raises(IntegrityError), transaction.atomic():
        officer_olivia.save()


# --- Who sees what ------------------------------------------------------------------------------


def test_the_list_shows_administrators_status_and_last_sign_in(
    client_for, admin_pat, sunrise, sam_of_sunrise
):
    page = client_for(admin_pat)  # signing in sets last_login: set it after
    User.objects.filter(pk=admin_pat.pk).update(
        last_login=timezone.make_aware(timezone.datetime(2026, 11, 2, 9, 5))
    )
    _invite(sunrise, admin_pat)
    text = page.get(_users_url(sunrise)).content.decode()
    assert "Your organisation's users" in text
    assert "2 November 2026 09:05" in text
    assert "Never" in text  # Sam has not signed in
    assert "Robin Hood" in text and "Resend" in text and "Withdraw" in text
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", text, re.S)
    pat_row = next(row for row in rows if "(you)" in row)
    assert "Yes" in pat_row and "Deactivate" not in pat_row


def test_staff_reach_any_provider_s_users_from_its_page(
    client_for, officer_olivia, sunrise, admin_pat
):
    page = client_for(officer_olivia).get(reverse("providers:provider_detail", args=[sunrise.pk]))
    assert _users_url(sunrise) in page.content.decode()
    assert client_for(officer_olivia).get(_users_url(sunrise)).status_code == 200


def test_the_administrator_s_home_and_menu_link_to_the_users(client_for, admin_pat, sunrise):
    text = client_for(admin_pat).get(reverse("home")).content.decode()
    assert "Your organisation's users" in text
    assert f'href="{_users_url(sunrise)}"' in text
    assert "Our users" in text


def test_a_provider_user_who_is_not_an_administrator_gets_403(
    client_for, sam_of_sunrise, sunrise, admin_pat, api_for
):
    invitation = _invite(sunrise, admin_pat)
    page = client_for(sam_of_sunrise)
    assert page.get(_users_url(sunrise)).status_code == 403
    step = reverse("providers:invitation_step", args=[sunrise.pk, invitation.pk, "withdraw"])
    assert page.post(step).status_code == 403
    assert "Our users" not in page.get(reverse("home")).content.decode()
    api = api_for(sam_of_sunrise)
    assert api.get(reverse("api:provider-user-list")).status_code == 403
    assert api.get(reverse("api:invitation-list")).status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_another_organisation_s_users_and_invitations_are_not_found(
    client_for, api_for, admin_quinn, admin_pat, sam_of_sunrise, sunrise
):
    invitation = _invite(sunrise, admin_pat)
    page = client_for(admin_quinn)
    urls = [
        _users_url(sunrise),
        reverse("providers:provider_user_invite", args=[sunrise.pk]),
        reverse("providers:provider_user_step", args=[sunrise.pk, sam_of_sunrise.pk, "deactivate"]),
        reverse("providers:invitation_step", args=[sunrise.pk, invitation.pk, "withdraw"]),
        # Quinn's own organisation in the address, Sunrise's person or invitation after it.
        reverse(
            "providers:provider_user_step",
            args=[admin_quinn.provider_id, sam_of_sunrise.pk, "deactivate"],
        ),
        reverse(
            "providers:invitation_step", args=[admin_quinn.provider_id, invitation.pk, "resend"]
        ),
    ]
    for url in urls:
        assert page.get(url).status_code == 404, url
        assert page.post(url).status_code == 404, url
    api = api_for(admin_quinn)
    for name, pk in (
        ("api:provider-user-detail", sam_of_sunrise.pk),
        ("api:provider-user-deactivate", sam_of_sunrise.pk),
        ("api:invitation-detail", invitation.pk),
        ("api:invitation-withdraw", invitation.pk),
    ):
        method = api.get if name.endswith("detail") else api.post
        assert method(reverse(name, args=[pk])).status_code == 404, name
    listed = api.get(reverse("api:provider-user-list")).json()["results"]
    assert [row["id"] for row in listed] == [admin_quinn.pk]
    assert api.get(reverse("api:invitation-list")).json()["results"] == []
    # An invitation to Sunrise by its id: "does not exist", a 400 on the field.
    response = api.post(
        reverse("api:invitation-list"), ROBIN | {"provider": sunrise.pk}, format="json"
    )
    assert response.status_code == 400 and "provider" in response.json()
    sam_of_sunrise.refresh_from_db()
    invitation.refresh_from_db()
    assert sam_of_sunrise.is_active and invitation.revoked_at is None
    assert Invitation.objects.count() == 1


# --- The API ----------------------------------------------------------------------------------


def test_the_api_invites_resends_and_withdraws(api_for, admin_pat, sunrise, officer_olivia):
    api = api_for(admin_pat)
    response = api.post(reverse("api:invitation-list"), ROBIN, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["provider"] == sunrise.pk and body["state"] == "pending"
    assert body["email"] == "robin.hood@sunrise.example" and "token_hash" not in body
    assert len(mail.outbox) == 1
    again = api.post(reverse("api:invitation-list"), ROBIN, format="json")
    assert again.status_code == 400 and "email" in again.json()
    resent = api.post(reverse("api:invitation-resend", args=[body["id"]]))
    assert resent.status_code == 200 and len(mail.outbox) == 2
    withdrawn = api.post(reverse("api:invitation-withdraw", args=[body["id"]]))
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    refused = api.post(reverse("api:invitation-withdraw", args=[body["id"]]))
    assert refused.status_code == 409 and "withdrawn" in refused.json()["detail"]
    # Staff name the provider.
    staff = api_for(officer_olivia)
    missing = staff.post(reverse("api:invitation-list"), ROBIN, format="json")
    assert missing.status_code == 400 and "provider" in missing.json()
    listed = staff.get(reverse("api:invitation-list"), {"state": "withdrawn"}).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]


def test_the_api_lists_and_steps_users(api_for, admin_pat, sunrise, sam_of_sunrise):
    api = api_for(admin_pat)
    rows = api.get(reverse("api:provider-user-list")).json()["results"]
    assert {row["username"] for row in rows} == {"pat", "sam"}
    assert next(r for r in rows if r["username"] == "pat")["administrator"] is True
    made = api.post(reverse("api:provider-user-make-administrator", args=[sam_of_sunrise.pk]))
    assert made.status_code == 200 and made.json()["administrator"] is True
    off = api.post(reverse("api:provider-user-deactivate", args=[sam_of_sunrise.pk]))
    assert off.status_code == 200 and off.json()["active"] is False
    assert api.get(reverse("api:provider-user-list"), {"active": "false"}).json()["count"] == 1


# --- History --------------------------------------------------------------------------------------


def test_every_change_is_in_the_history_with_who_made_it(
    admin_pat, sunrise, sam_of_sunrise, officer_olivia
):
    invitation = _invite(sunrise, admin_pat)
    portal_users.resend(invitation, actor=officer_olivia, base_url="http://testserver/")
    portal_users.withdraw(invitation, actor=admin_pat)
    records = list(invitation.history.order_by("history_id"))
    assert [(r.history_type, r.history_user) for r in records] == [
        ("+", admin_pat),
        ("~", officer_olivia),
        ("~", admin_pat),
    ]
    portal_users.deactivate(sam_of_sunrise, actor=officer_olivia)
    portal_users.reactivate(sam_of_sunrise, actor=admin_pat)
    portal_users.set_administrator(sam_of_sunrise, True, actor=admin_pat)
    latest = list(sam_of_sunrise.history.order_by("-history_id")[:3])
    assert [(r.is_active, r.provider_admin, r.history_user) for r in latest] == [
        (True, True, admin_pat),
        (True, False, admin_pat),
        (False, False, officer_olivia),
    ]


def test_the_accepted_account_is_in_the_history(admin_pat, sunrise):
    _invite(sunrise, admin_pat)
    robin = portal_users.accept(_last_link()[1], password=NEW_PASSWORD)
    created = robin.history.get()
    assert created.history_type == "+" and created.history_user == admin_pat
    assert "Accepted the invitation" in created.history_change_reason
    accepted = Invitation.objects.get().history.order_by("-history_id").first()
    assert accepted.history_user == robin and accepted.accepted_at is not None


# --- Two tabs at once ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_tabs_accepting_at_once_make_one_account(sunrise, provider_pat):
    provider_pat.provider_admin = True
    provider_pat.save()
    _invite(sunrise, provider_pat)
    secret = _last_link()[1]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def accept(password: str) -> None:
        try:
            barrier.wait(timeout=10)
            portal_users.accept(secret, password=password)
            results.append("accepted")
        except portal_users.LinkRefused as exc:
            results.append(exc.title)
        finally:
            connection.close()

    tabs = [
        threading.Thread(target=accept, args=(p,))
        for p in ("first-long-passphrase", "second-long-passphrase")
    ]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join(timeout=30)
    assert sorted(results) == ["This invitation has already been used", "accepted"]
    assert User.objects.filter(username="robin.hood@sunrise.example").count() == 1


def test_roles_of_a_provider_administrator(admin_pat, sam_of_sunrise, board_bea):
    from qaf.scoping import can

    assert can(admin_pat, "change", portal_users.POLICY_NAME)
    assert not can(sam_of_sunrise, "view", portal_users.POLICY_NAME)
    assert not can(board_bea, "view", portal_users.POLICY_NAME)
    assert can(UserFactory(username="mia", roles=[Role.MANAGER]), "add", portal_users.POLICY_NAME)


def test_the_list_reads_as_many_queries_for_many_people_as_for_few(client_for, admin_pat, sunrise):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    page = client_for(admin_pat)

    def queries() -> int:
        with CaptureQueriesContext(db) as captured:
            assert page.get(_users_url(sunrise)).status_code == 200
        return len(captured)

    _invite(sunrise, admin_pat)
    few = queries()
    for n in range(10):
        UserFactory(username=f"carer{n}", roles=[], provider=sunrise)
        _invite(sunrise, admin_pat, email=f"new{n}@sunrise.example")
    assert queries() == few
