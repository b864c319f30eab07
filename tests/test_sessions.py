"""Sessions (issue 13): a new session key at every sign-in (password, and the staff's code),
signed out after QAF_SESSION_IDLE_MINUTES without activity (30) and after 8 hours whatever
the activity, and ended for good at sign-out and at a password change: an old session cookie
replayed afterwards is refused. Password rules are the NCSC's, in words a user can act on.

Olivia is a quality officer; Pat works for Sunrise Care Ltd.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD
from tests.test_two_factor import code_for

pytestmark = pytest.mark.django_db

NINE = datetime(2026, 3, 27, 9, 0, 0, tzinfo=UTC)
LOGIN = reverse("login")
KEEPALIVE = reverse("session_keepalive")
NEW_PASSWORD = "three random words here"


def _key(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _sign_in(client, username, **extra):
    response = client.post(LOGIN, {"username": username, "password": PASSWORD, **extra})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def _replay(key: str) -> Client:
    """Another browser that holds a copy of the cookie."""
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = key
    return thief


def _signed_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200 and b"Sign out" in response.content


# --- A new key at sign-in ----------------------------------------------------------------------


def test_signing_in_gives_the_session_a_new_key(client, officer_olivia):
    # A session that existed before signing in (a planted cookie: session fixation).
    session = client.session
    session["seen"] = True
    session.save()
    before = _key(client)

    _sign_in(client, "olivia")

    assert _key(client) != before
    assert not Session.objects.filter(session_key=before).exists()
    assert not _signed_in(_replay(before))
    assert _signed_in(client)


def test_the_staff_code_gives_the_session_another_new_key(client, settings, officer_olivia):
    settings.QAF_STAFF_2FA = True
    device = TOTPDevice.objects.create(user=officer_olivia, name="Phone", confirmed=True)
    _sign_in(client, "olivia")
    after_password = _key(client)

    response = client.post(reverse("two_factor_verify"), {"code": code_for(device)})

    assert response.status_code == 302
    assert _key(client) != after_password
    assert not Session.objects.filter(session_key=after_password).exists()
    # The half-signed-in session's cookie does not carry the code's trust.
    assert not _signed_in(_replay(after_password))
    assert _signed_in(client)


def test_setting_up_the_app_gives_the_session_a_new_key(client, settings, officer_olivia):
    settings.QAF_STAFF_2FA = True
    _sign_in(client, "olivia")
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=officer_olivia)
    after_password = _key(client)

    response = client.post(reverse("two_factor_setup"), {"code": code_for(device)})

    assert response.status_code == 200  # the recovery codes, shown once
    assert _key(client) != after_password
    assert _signed_in(client)


# --- Inactivity ----------------------------------------------------------------------------------


def test_a_session_ends_after_30_minutes_without_activity(client, officer_olivia):
    with time_machine.travel(NINE, tick=False) as clock:
        _sign_in(client, "olivia")
        clock.shift(timedelta(minutes=29))
        assert _signed_in(client)  # activity: the clock starts again
        clock.shift(timedelta(minutes=29))
        assert _signed_in(client)
        key = _key(client)
        clock.shift(timedelta(minutes=30, seconds=1))

        response = client.get("/services/?q=Sunrise")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/services/%3Fq%3DSunrise"
    assert not Session.objects.filter(session_key=key).exists()
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out because you had not used QAF for 30 minutes" in page


def test_the_idle_limit_is_a_setting(client, settings, officer_olivia):
    settings.QAF_SESSION_IDLE_MINUTES = 10
    with time_machine.travel(NINE, tick=False) as clock:
        _sign_in(client, "olivia")
        clock.shift(timedelta(minutes=10, seconds=1))
        assert not _signed_in(client)


def test_a_login_lasts_8_hours_at_most_however_busy(client, settings, officer_olivia):
    with time_machine.travel(NINE, tick=False) as clock:
        _sign_in(client, "olivia")
        for _ in range(19):  # a page every 25 minutes, until 16:55
            clock.shift(timedelta(minutes=25))
            assert _signed_in(client)
        clock.shift(timedelta(minutes=25))  # 17:20: 8 hours and 20 minutes after signing in
        assert not _signed_in(client)
        # The sign-in page says why: the day's limit, not inactivity.
        page = client.get(LOGIN).content.decode()
        assert "because you signed in 8 hours ago" in page
        assert "had not used QAF" not in page


# The import page's progress poll (htmx, X-QAF-Background) too: followed, a redirect would swap
# the sign-in page into the progress box.
@pytest.mark.parametrize("background", [{}, {"HTTP_X_QAF_BACKGROUND": "1"}], ids=["", "poll"])
def test_an_htmx_request_after_the_end_loads_the_sign_in_page(client, officer_olivia, background):
    with time_machine.travel(NINE, tick=False) as clock:
        _sign_in(client, "olivia")
        clock.shift(timedelta(minutes=31))
        response = client.get(
            "/services/",
            HTTP_HX_REQUEST="true",
            HTTP_HX_CURRENT_URL="http://testserver/reviews/7/visit/",
            **background,
        )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{LOGIN}?next=%2Freviews%2F7%2Fvisit%2F"


def test_background_requests_do_not_keep_a_session_alive(client, officer_olivia):
    with time_machine.travel(NINE, tick=False) as clock:
        _sign_in(client, "olivia")
        clock.shift(timedelta(minutes=20))
        # The warning script asks how long is left; the import page polls its progress.
        asked = client.get(KEEPALIVE, HTTP_X_QAF_BACKGROUND="1")
        assert asked.json() == {"seconds_left": 600, "warning_seconds": 120}
        clock.shift(timedelta(minutes=10, seconds=1))
        assert not _signed_in(client)


def test_stay_signed_in_restarts_the_clock(client, officer_olivia):
    with time_machine.travel(NINE, tick=False) as clock:
        _sign_in(client, "olivia")
        clock.shift(timedelta(minutes=28))
        stayed = client.post(KEEPALIVE)
        assert stayed.status_code == 200
        assert stayed.json()["seconds_left"] == 30 * 60
        clock.shift(timedelta(minutes=29))
        assert _signed_in(client)


def test_the_keep_alive_of_an_ended_session_sends_to_sign_in(client, officer_olivia):
    with time_machine.travel(NINE, tick=False) as clock:
        _sign_in(client, "olivia")
        clock.shift(timedelta(minutes=31))
        response = client.post(KEEPALIVE)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_api_tokens_keep_their_own_expiry(officer_olivia, sunrise_house):
    token = Token.objects.create(user=officer_olivia)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(hours=3), tick=False):
        assert api.get(f"/api/v1/services/{sunrise_house.pk}/").status_code == 200


def test_signed_in_pages_carry_the_warning_and_its_figures(client, officer_olivia):
    client.force_login(officer_olivia)
    page = client.get("/").content.decode()
    assert 'data-idle-seconds="1800"' in page
    assert 'data-warning-seconds="120"' in page
    assert "You will be signed out soon" in page
    assert "js/session-timeout.js" in page
    assert "session-timeout.js" not in Client().get(LOGIN).content.decode()


# --- Ended for good ------------------------------------------------------------------------------


def test_a_cookie_copied_before_signing_out_is_refused_after(client, officer_olivia):
    _sign_in(client, "olivia")
    copied = _key(client)
    assert _signed_in(_replay(copied))

    client.post(reverse("logout"))

    assert not _signed_in(_replay(copied))
    assert not Session.objects.filter(session_key=copied).exists()


def test_changing_the_password_ends_every_other_session(client, officer_olivia):
    _sign_in(client, "olivia")
    copied = _key(client)
    elsewhere = Client()
    _sign_in(elsewhere, "olivia")
    token = Token.objects.create(user=officer_olivia)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert _signed_in(client)  # this browser stays signed in, with a new key
    assert _key(client) != copied
    assert not _signed_in(_replay(copied))
    assert not _signed_in(elsewhere)
    assert not Token.objects.filter(pk=token.pk).exists()
    assert "Your password has been changed" in client.get(response["Location"]).content.decode()


# --- Password rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short one", "Your password must be 10 characters or more."),
        ("password123", "This password is too easy to guess"),
        ("qwertyuiop", "This password is too easy to guess"),
        ("2026032719", "Your password cannot be only numbers."),
        ("stephens123", "Your password is too like your last name"),
    ],
)
def test_the_password_rules_say_what_to_do(client, officer_olivia, password, message):
    officer_olivia.last_name = "Stephens"
    officer_olivia.save(update_fields=["last_name"])
    client.force_login(officer_olivia)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    officer_olivia.refresh_from_db()
    assert officer_olivia.check_password(PASSWORD)


def test_a_long_password_of_plain_words_is_enough(client, officer_olivia):
    """Length over complexity: no capital, digit or symbol is asked for."""
    client.force_login(officer_olivia)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    officer_olivia.refresh_from_db()
    assert officer_olivia.check_password(NEW_PASSWORD)


def test_the_change_password_page_explains_the_rules(client, officer_olivia):
    client.force_login(officer_olivia)
    page = client.get(reverse("password_change")).content.decode()
    assert "Use 10 characters or more" in page
    assert "Three random words" in page
    assert "Current password" in page
    wrong = client.post(
        reverse("password_change"),
        {"old_password": "not it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert "Your current password is not right" in wrong.content.decode()
