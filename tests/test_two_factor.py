"""Staff two-factor sign-in (SPEC §10): Olivia, a quality officer, gives a code from her
authenticator app after her password; Pat, a provider user, is never asked.

The feature is off in the test settings (QAF_STAFF_2FA); these tests turn it on.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from qaf import twofactor
from qaf.models import Role
from tests.factories import PASSWORD, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

SETUP = "/accounts/two-factor/setup/"
VERIFY = "/accounts/two-factor/"
MANAGE = "/accounts/two-factor/manage/"
TOKEN = "/api/v1/auth/token/"
NOON = datetime(2026, 3, 27, 12, 0, 0, tzinfo=UTC)


def code_for(device, *, later: int = 0) -> str:
    """What the authenticator app shows now (or ``later`` seconds from now)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + later
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture(autouse=True)
def two_factor_on(settings):
    settings.QAF_STAFF_2FA = True


@pytest.fixture
def olivia_app(officer_olivia):
    """Olivia has set up her app and has her ten recovery codes."""
    device = TOTPDevice.objects.create(user=officer_olivia, name="Phone", confirmed=True)
    codes = twofactor.new_recovery_codes(officer_olivia)
    return device, codes


def _sign_in(client, username, next_url=""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    response = client.post(reverse("login"), data)
    assert response.status_code == 302, "the password sign-in failed"
    return response


def _verified(client, user, device):
    client.force_login(user)
    response = client.post(VERIFY, {"code": code_for(device)})
    assert response.status_code == 302, response.content.decode()
    return client


# --- Being asked -------------------------------------------------------------------------------


def test_staff_without_an_app_are_sent_to_set_up_from_any_page(client, officer_olivia):
    services = reverse("providers:service_list")
    response = _sign_in(client, "olivia", next_url=services)
    assert response["Location"] == services
    for path in (services, "/", reverse("providers:provider_list")):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"{SETUP}?next={quote(path, safe='')}"


def test_no_service_menu_until_the_code_is_given(client, olivia_app):
    device, _ = olivia_app
    _sign_in(client, "olivia")
    page = client.get(VERIFY).content.decode()
    assert reverse("risk:dashboard") not in page
    assert reverse("providers:service_list") not in page
    _verified(client, device.user, device)
    assert reverse("risk:dashboard") in client.get("/").content.decode()


def test_staff_with_an_app_are_sent_to_verify(client, olivia_app):
    _sign_in(client, "olivia")
    response = client.get(reverse("providers:service_list"))
    assert response["Location"] == f"{VERIFY}?next=%2Fservices%2F"


def test_setting_up_reaches_the_page_asked_for(client, officer_olivia, caplog):
    caplog.set_level(logging.INFO, logger="qaf.twofactor")
    client.force_login(officer_olivia)
    page = client.get(SETUP, {"next": "/services/"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and 'role="img"' in html
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    device = TOTPDevice.objects.get(user=officer_olivia)
    assert not device.confirmed
    assert page.context["key"].replace(" ", "") in html.replace(" ", "")
    # A reload shows the same key: the unconfirmed device is reused.
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=officer_olivia).count() == 1

    code = code_for(device)
    done = client.post(SETUP, {"code": code, "next": "/services/"})
    assert done.status_code == 200
    html = done.content.decode()
    assert "Save your recovery codes" in html
    shown = [c.replace(" ", "") for c in done.context["codes"]]
    assert len(shown) == 10 and len(set(shown)) == 10
    assert sorted(shown) == sorted(
        StaticToken.objects.filter(device__user=officer_olivia).values_list("token", flat=True)
    )
    assert 'href="/services/"' in html and "I have saved these codes" in html
    assert done["Cache-Control"].startswith("max-age=0")
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/services/").status_code == 200
    # Audit: the set-up is logged, without the key or any code.
    assert f"set up for user {officer_olivia.pk}" in caplog.text
    assert device.key not in caplog.text and code not in caplog.text
    assert not any(c in caplog.text for c in shown)


def test_recovery_codes_are_shown_once(client, officer_olivia):
    client.force_login(officer_olivia)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=officer_olivia)
    codes = client.post(SETUP, {"code": code_for(device)}).context["codes"]
    for path in (MANAGE, SETUP, "/"):
        html = client.get(path).content.decode()
        assert not any(code in html for code in codes), path


def test_a_wrong_code_at_set_up_is_refused_with_the_message(client, officer_olivia):
    client.force_login(officer_olivia)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=officer_olivia)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(SETUP, {"code": wrong})
    assert response.status_code == 200
    html = response.content.decode()
    assert twofactor.WRONG_CODE in html
    assert "govuk-error-summary" in html and "govuk-error-message" in html
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticToken.objects.filter(device__user=officer_olivia).exists()
    assert client.get("/").status_code == 302


def test_verifying_with_the_app_reaches_the_page_asked_for(client, olivia_app):
    device, _ = olivia_app
    _sign_in(client, "olivia")
    response = client.post(VERIFY, {"code": code_for(device), "next": "/services/"})
    assert response.status_code == 302
    assert response["Location"] == "/services/"
    assert client.get("/services/").status_code == 200
    assert "Two-factor sign-in" in client.get("/").content.decode()  # the header link


def test_a_wrong_code_is_refused_and_logged(client, olivia_app, caplog):
    device, _ = olivia_app
    client.force_login(device.user)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 200
    assert twofactor.WRONG_CODE in response.content.decode()
    assert client.get("/").status_code == 302
    assert any(
        r.levelno == logging.WARNING and "refused for user" in r.getMessage()
        for r in caplog.records
    )
    assert wrong not in caplog.text


def test_each_recovery_code_works_once(client, olivia_app):
    device, codes = olivia_app
    user = device.user
    client.force_login(user)
    first = f"{codes[0][:5]} {codes[0][5:]}"  # typed as shown, with the space
    response = client.post(VERIFY, {"code": first, "next": "/services/"})
    assert response["Location"] == "/services/"
    assert "You used a recovery code. You have 9 left" in client.get("/").content.decode()

    client.post(reverse("logout"))
    client.force_login(user)
    again = client.post(VERIFY, {"code": codes[0]})
    assert again.status_code == 200
    assert twofactor.WRONG_CODE_OR_RECOVERY in again.content.decode()
    # Past django-otp's one-second throttle, another code still works.
    with time_machine.travel(timedelta(seconds=2)):
        assert client.post(VERIFY, {"code": codes[1]}).status_code == 302
    assert StaticToken.objects.filter(device__user=user).count() == 8


def test_repeated_wrong_codes_are_throttled(client, olivia_app):
    device, _ = olivia_app
    client.force_login(device.user)
    with time_machine.travel(NOON, tick=False) as clock:
        wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
        assert twofactor.WRONG_CODE in client.post(VERIFY, {"code": wrong}).content.decode()
        # At once again: even the right code waits.
        refused = client.post(VERIFY, {"code": code_for(device)})
        assert "Too many wrong codes: wait 1 second" in refused.content.decode()
        # Each wrong code in a row doubles the wait: 1, 2, 4 seconds.
        clock.shift(1)
        client.post(VERIFY, {"code": wrong})
        clock.shift(2)
        client.post(VERIFY, {"code": wrong})
        message = client.post(VERIFY, {"code": wrong}).content.decode()
        assert "Too many wrong codes: wait 4 seconds" in message
        clock.shift(4)
        assert client.post(VERIFY, {"code": code_for(device)}).status_code == 302


def test_staff_with_an_app_cannot_swap_it_without_a_code(client, olivia_app):
    device, _ = olivia_app
    client.force_login(device.user)
    response = client.get(SETUP)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=device.user).count() == 1


def test_provider_users_are_never_asked(client, provider_pat):
    _sign_in(client, "pat")
    assert client.get("/").status_code == 200
    assert client.get(reverse("providers:service_list")).status_code == 200
    assert client.get(SETUP).status_code == 403
    response = APIClient().post(TOKEN, {"username": "pat", "password": PASSWORD})
    assert response.status_code == 200 and response.json()["token"]


def test_htmx_requests_get_hx_redirect(client, olivia_app):
    client.force_login(olivia_app[0].user)
    response = client.get(
        reverse("providers:service_list"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/services/?page=2"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{VERIFY}?next=%2Fservices%2F%3Fpage%3D2"


def test_healthz_logout_and_password_reset_still_work(client, officer_olivia):
    client.force_login(officer_olivia)
    assert client.get("/healthz").status_code == 200
    assert client.get(reverse("password_reset")).status_code == 200
    assert client.get(reverse("accessibility")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get("/").status_code == 302


def test_administrators_need_a_code_for_django_admin_too(client, olivia_app):
    admin = UserFactory(username="alex", roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/")["Location"].startswith(SETUP)


def test_an_administrator_resets_a_colleagues_app_in_django_admin(client, olivia_app):
    device, _ = olivia_app
    admin = UserFactory(username="alex", roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    admin_app = TOTPDevice.objects.create(user=admin, name="Phone", confirmed=True)
    _verified(client, admin, admin_app)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=device.user).exists()

    client.post(reverse("logout"))
    client.force_login(device.user)
    assert client.get("/")["Location"].startswith(SETUP)


# --- Managing ----------------------------------------------------------------------------------


def test_manage_page_shows_status_and_makes_new_recovery_codes(client, olivia_app, caplog):
    caplog.set_level(logging.INFO, logger="qaf.twofactor")
    device, old_codes = olivia_app
    _verified(client, device.user, device)
    page = client.get(MANAGE)
    assert page.status_code == 200
    assert "10 of 10 left" in page.content.decode()
    assert "Make new recovery codes" in page.content.decode()

    confirm = client.get(reverse("two_factor_new_codes"))
    assert confirm.status_code == 200
    assert StaticToken.objects.filter(device__user=device.user).count() == 10
    made = client.post(reverse("two_factor_new_codes"))
    assert made.status_code == 200
    new_codes = [c.replace(" ", "") for c in made.context["codes"]]
    stored = set(
        StaticToken.objects.filter(device__user=device.user).values_list("token", flat=True)
    )
    assert stored == set(new_codes)
    assert not stored & set(old_codes)
    assert f"Recovery codes replaced for user {device.user.pk}" in caplog.text


def test_setting_up_a_new_app_replaces_the_old_one(client, olivia_app):
    old, _ = olivia_app
    user = old.user
    _verified(client, user, old)
    assert client.get(reverse("two_factor_new_app")).status_code == 200
    response = client.post(reverse("two_factor_new_app"))
    assert response["Location"] == f"{SETUP}?next=%2Faccounts%2Ftwo-factor%2Fmanage%2F"
    page = client.get(response["Location"])
    assert "Set up a new authenticator app" in page.content.decode()
    new = TOTPDevice.objects.get(user=user, confirmed=False)
    # Until the new app gives a code, the old one is kept.
    assert TOTPDevice.objects.filter(pk=old.pk).exists()
    client.post(SETUP, {"code": code_for(new), "next": MANAGE})
    assert list(TOTPDevice.objects.filter(user=user)) == [new]
    assert client.get("/").status_code == 200  # still verified, now with the new app


def test_manage_pages_need_a_code_first(client, olivia_app):
    client.force_login(olivia_app[0].user)
    for url in (MANAGE, reverse("two_factor_new_codes"), reverse("two_factor_new_app")):
        assert client.get(url)["Location"].startswith(VERIFY)
        assert client.post(url)["Location"].startswith(VERIFY)
    assert StaticToken.objects.filter(device__user=olivia_app[0].user).count() == 10


# --- API ---------------------------------------------------------------------------------------


def test_token_endpoint_asks_staff_for_their_code(olivia_app):
    device, _ = olivia_app
    api = APIClient()
    missing = api.post(TOKEN, {"username": "olivia", "password": PASSWORD})
    assert missing.status_code == 400
    assert "otp_token" in missing.json()
    wrong_code = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    wrong = api.post(TOKEN, {"username": "olivia", "password": PASSWORD, "otp_token": wrong_code})
    assert wrong.status_code == 400
    assert wrong.json()["otp_token"] == [twofactor.WRONG_CODE_OR_RECOVERY]
    with time_machine.travel(timedelta(seconds=2)):
        right = api.post(
            TOKEN, {"username": "olivia", "password": PASSWORD, "otp_token": code_for(device)}
        )
    assert right.status_code == 200 and right.json()["token"]
    # A wrong password is still told as before, code or not.
    bad = api.post(TOKEN, {"username": "olivia", "password": "nope", "otp_token": "123456"})
    assert bad.status_code == 400 and "token" not in bad.json()


def test_token_endpoint_tells_staff_without_an_app_to_set_it_up(officer_olivia):
    response = APIClient().post(TOKEN, {"username": "olivia", "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [twofactor.SET_UP_FIRST]


def test_session_api_requests_wait_for_the_code(client, olivia_app):
    device, _ = olivia_app
    ServiceFactory()
    client.force_login(device.user)
    refused = client.get("/api/v1/services/")
    assert refused.status_code == 403
    assert "Two-factor sign-in is not complete" in refused.json()["detail"]
    client.post(VERIFY, {"code": code_for(device)})
    assert client.get("/api/v1/services/").status_code == 200


def test_a_token_from_the_endpoint_works_without_a_session(olivia_app):
    device, _ = olivia_app
    api = APIClient()
    token = api.post(
        TOKEN, {"username": "olivia", "password": PASSWORD, "otp_token": code_for(device)}
    ).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/services/").status_code == 200


# --- Off -----------------------------------------------------------------------------------------


def test_with_the_setting_off_nothing_changes(client, settings, officer_olivia):
    settings.QAF_STAFF_2FA = False
    _sign_in(client, "olivia")
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/services/").status_code == 200
    assert "Two-factor sign-in" not in client.get("/").content.decode()
    assert client.get(SETUP).status_code == 404
    assert client.get(VERIFY).status_code == 404
    response = APIClient().post(TOKEN, {"username": "olivia", "password": PASSWORD})
    assert response.status_code == 200
