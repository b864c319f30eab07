"""API tokens end (issue 8): after ``QAF_API_TOKEN_DAYS``, when their user revokes them (API or
page), and when their user signs out of QAF."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _token(username="olivia") -> dict:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": PASSWORD})
    assert response.status_code == 200
    return response.json()


def _with(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def test_a_token_works_for_the_configured_days_then_is_refused_with_a_reason(
    settings, officer_olivia
):
    settings.QAF_API_TOKEN_DAYS = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        issued = _token()
        assert _with(issued["token"]).get("/api/v1/services/").status_code == 200
    expires = issued["expires"]
    assert expires.startswith((start + timedelta(days=30)).date().isoformat())
    with time_machine.travel(start + timedelta(days=30, seconds=-1), tick=False):
        assert _with(issued["token"]).get("/api/v1/services/").status_code == 200
    with time_machine.travel(start + timedelta(days=30), tick=False):
        response = _with(issued["token"]).get("/api/v1/services/")
        assert response.status_code == 401
        assert "expired" in response.json()["detail"]
        # Asking again gives a new token that works.
        renewed = _token()
        assert renewed["token"] != issued["token"]
        assert _with(renewed["token"]).get("/api/v1/services/").status_code == 200
    # Until it expires, asking again gives the same token (one per user, as before).
    assert _token()["token"] == _token()["token"]


def test_a_user_revokes_their_own_token_through_the_api(officer_olivia, manager_maya):
    mine, theirs = _token("olivia")["token"], _token("maya")["token"]
    response = _with(mine).delete("/api/v1/auth/token/")
    assert response.status_code == 204
    assert _with(mine).get("/api/v1/services/").status_code == 401
    assert _with(theirs).get("/api/v1/services/").status_code == 200  # only one's own
    assert APIClient().delete("/api/v1/auth/token/").status_code == 401


def test_the_api_token_page_shows_the_token_and_revokes_it(client, officer_olivia):
    client.force_login(officer_olivia)
    page = client.get(reverse("api_token"))
    assert "You have no API token" in page.content.decode()
    assert 'href="/accounts/api-token/"' in client.get("/").content.decode()  # in the header
    token = _token()["token"]
    page = client.get(reverse("api_token")).content.decode()
    assert "works until" in page
    assert token not in page  # shown once, by the API, never on a page
    response = client.post(reverse("api_token"))
    assert response.status_code == 302
    assert not Token.objects.filter(user=officer_olivia).exists()
    assert _with(token).get("/api/v1/services/").status_code == 401


def test_signing_out_revokes_the_token(client, provider_pat):
    token = _token("pat")["token"]
    client.force_login(provider_pat)
    client.post(reverse("logout"))
    assert _with(token).get("/api/v1/services/").status_code == 401
