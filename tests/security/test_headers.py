"""Every kind of answer carries the Content Security Policy and the Permissions-Policy (issue 13),
besides the security headers QAF already sent: full pages, htmx partials, API JSON (session and
token), the API documentation, file downloads, error pages, the sign-in page and the public
pages. The policy allows no inline script or style without the request's nonce, no eval, no
other origin; and QAF's own HTML has no inline handler or style attribute it would block.
(tests/browser fail on any violation a real browser reports.)"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

NEVER_USED = ("camera", "microphone", "geolocation", "payment", "usb")
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)([^>]*)>", re.IGNORECASE)
# An attribute a CSP without 'unsafe-inline' refuses: style="..." or onclick="...".
INLINE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\s(style|on[a-z]+)\s*=", re.IGNORECASE)


def policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    directives = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in directives}


def nonce_of(csp: dict[str, list[str]]) -> str | None:
    for source in csp.get("script-src", []):
        if source.startswith("'nonce-"):
            return source[len("'nonce-") : -1]
    return None


def check_headers(what: str, response) -> None:
    csp = policy(response)
    assert csp, f"{what}: no Content-Security-Policy"
    if "sandbox" in csp:
        # An evidence file sets a stricter policy of its own (providers/views.py): nothing at
        # all may load or run if a browser ever renders it; the general one does not replace it.
        assert csp["default-src"] == ["'none'"], what
        csp = {}
    else:
        assert csp["default-src"] == ["'self'"], what
    _check_policy(what, csp)
    _check_other_headers(what, response)


def _check_policy(what: str, csp: dict[str, list[str]]) -> None:
    if not csp:
        return
    for directive in ("script-src", "style-src"):
        sources = csp[directive]
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, (what, csp)
        assert all(s == "'self'" or s.startswith("'nonce-") for s in sources), (what, csp)
    assert csp["object-src"] == ["'none'"], what
    assert csp["base-uri"] == ["'none'"], what
    assert csp["frame-ancestors"] == ["'none'"], what
    assert csp["form-action"] == ["'self'"], what


def _check_other_headers(what: str, response) -> None:
    features = dict(
        item.strip().split("=", 1) for item in response.get("Permissions-Policy", "").split(",")
    )
    for feature in NEVER_USED:
        assert features.get(feature) == "()", (what, feature, response.get("Permissions-Policy"))

    # The headers QAF sent before the CSP, kept.
    assert response["X-Frame-Options"] == "DENY", what
    assert response["X-Content-Type-Options"] == "nosniff", what
    assert response["Referrer-Policy"] == "same-origin", what


def check_html(what: str, response) -> None:
    """Inline scripts carry this answer's nonce; no inline handlers or style attributes."""
    html = response.content.decode()
    nonce = nonce_of(policy(response))
    for attributes in INLINE_SCRIPT.findall(html):
        if 'type="application/json"' in attributes:
            continue  # data, never run
        assert nonce and f'nonce="{nonce}"' in attributes, (what, attributes, nonce)
    blocked = INLINE_ATTRIBUTE.search(html)
    assert blocked is None, f"{what}: {blocked.group(0) if blocked else ''}"


def test_every_kind_of_answer_has_the_policy_headers(
    files,
    sunrise_house,
    officer_olivia,
    provider_pat,
):
    staff = Client()
    staff.force_login(officer_olivia)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=officer_olivia).key}")
    provider = Client()
    provider.force_login(provider_pat)
    anonymous = Client()
    evidence = files["evidence"]
    pages = {
        "page": staff.get(reverse("providers:service_list")),
        "detail page": staff.get(sunrise_house.get_absolute_url()),
        "dashboard": staff.get(reverse("risk:dashboard")),
        "change password page": staff.get(reverse("password_change")),
        "provider's home": provider.get("/"),
        "403 page": provider.get(reverse("risk:dashboard")),
        "404 page": staff.get("/services/999999/"),
        "login page": anonymous.get(reverse("login")),
        "public page": anonymous.get(reverse("accessibility")),
        "password reset page": anonymous.get(reverse("password_reset")),
        "API docs": anonymous.get(reverse("api-docs")),
    }
    others = {
        "htmx partial": staff.get(reverse("providers:service_list"), HTTP_HX_REQUEST="true"),
        "api with session": staff.get("/api/v1/services/"),
        "api with token": api.get(f"/api/v1/services/{sunrise_house.pk}/"),
        "api 404": api.get("/api/v1/services/abc/"),
        "api schema": anonymous.get(reverse("schema")),
        "evidence download": staff.get(reverse("providers:evidence_download", args=[evidence.pk])),
        "pdf download": provider.get(files["document"].get_absolute_url()),
        "csv download": staff.get(reverse("providers:service_list"), {"_export": "csv"}),
        "health check": anonymous.get(reverse("healthz")),
        "keep-alive": staff.get(reverse("session_keepalive")),
    }
    expected_status = {"403 page": 403, "404 page": 404, "api 404": 404}
    for what, response in {**pages, **others}.items():
        assert response.status_code == expected_status.get(what, 200), (what, response)
        check_headers(what, response)
    for what, response in pages.items():
        check_html(what, response)


def test_each_answer_has_a_nonce_of_its_own_only_when_it_needs_one(officer_olivia):
    client = Client()
    client.force_login(officer_olivia)
    first = nonce_of(policy(client.get("/")))
    second = nonce_of(policy(client.get("/")))
    assert first and second and first != second
    # The docs page's inline script (Swagger UI's settings and the CSRF token) has its nonce.
    docs = client.get(reverse("api-docs"))
    assert f'<script nonce="{nonce_of(policy(docs))}">' in docs.content.decode()
    # A partial has no inline script, so its policy allows none.
    partial = client.get(reverse("providers:service_list"), HTTP_HX_REQUEST="true")
    assert nonce_of(policy(partial)) is None


def test_htmx_is_configured_for_the_policy(officer_olivia):
    client = Client()
    client.force_login(officer_olivia)
    html = client.get("/").content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'", html).group(1)
    for setting in ('"includeIndicatorStyles": false', '"allowEval": false'):
        assert setting in config
    # htmx gives a script it runs from swapped content no nonce unless told one: the CSP
    # refuses it. (Scripts stay allowed in swaps: the visit form's JSON data is one.)
    assert "inlineScriptNonce" not in config
