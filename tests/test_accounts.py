"""Signing in and out, lockout after repeated failures, password reset by email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_pages_ask_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("providers:service_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_sign_in_and_out(client, officer_olivia):
    response = _login(client, "olivia", PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get("/").status_code == 302


def test_a_wrong_password_is_told_without_saying_which_part_was_wrong(client, officer_olivia):
    response = _login(client, "olivia", "not-it")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_five_failures_lock_the_account_even_for_the_right_password(client, officer_olivia):
    for _ in range(5):
        _login(client, "olivia", "wrong-password")
    response = _login(client, "olivia", PASSWORD)
    assert response.status_code == 429
    assert "locked" in response.content.decode().lower()
    assert client.get("/").status_code == 302  # not signed in


def test_lockout_also_protects_the_api_token_endpoint(client, officer_olivia):
    for _ in range(5):
        client.post("/api/v1/auth/token/", {"username": "olivia", "password": "nope"})
    response = client.post("/api/v1/auth/token/", {"username": "olivia", "password": PASSWORD})
    assert response.status_code in (400, 403, 429)
    assert "token" not in response.content.decode()


def test_password_reset_by_email(client, officer_olivia):
    response = client.post(reverse("password_reset"), {"email": officer_olivia.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/reset/[^\s]+/", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0] if form.redirect_chain else path
    done = client.post(
        set_url,
        {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )
    assert done.status_code == 302
    assert _login(client, "olivia", "a-new-long-passphrase").status_code == 302


def test_password_reset_does_not_reveal_whether_an_address_exists(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0
