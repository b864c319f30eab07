"""Every answer to a signed-in user says ``Cache-Control: no-store, private`` (issue 8): pages,
HTMX partials, API answers (session and token), CSV and Excel downloads, issued PDFs, evidence
files and error pages. Static files and what anonymous visitors see keep their own headers."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


def test_what_a_signed_in_user_is_sent_is_never_stored_by_a_cache(
    files, sunrise_house, officer_olivia, provider_pat
):
    client = Client()
    client.force_login(officer_olivia)
    token = Token.objects.create(user=officer_olivia)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    answers = {
        "page": client.get(reverse("providers:service_list")),
        "detail page": client.get(sunrise_house.get_absolute_url()),
        "htmx partial": client.get(reverse("providers:service_list"), HTTP_HX_REQUEST="true"),
        "csv download": client.get(reverse("providers:service_list"), {"_export": "csv"}),
        "xlsx download": client.get(reverse("providers:service_list"), {"_export": "xlsx"}),
        "dashboard download": client.get(
            reverse("risk:dashboard"), {"_export": "xlsx", "export_table": "by_type"}
        ),
        "issued pdf": client.get(files["document"].get_absolute_url()),
        "evidence (page)": client.get(
            reverse("providers:evidence_download", args=[files["evidence"].pk])
        ),
        "api with session": client.get("/api/v1/services/"),
        "api with token": api.get(f"/api/v1/services/{sunrise_house.pk}/"),
        "evidence (api)": api.get(f"/api/v1/evidence/{files['evidence'].pk}/download/"),
        "not found": client.get("/services/999999/"),
    }
    provider = Client()
    provider.force_login(provider_pat)
    answers["provider's page"] = provider.get("/")
    answers["provider's pdf"] = provider.get(files["document"].get_absolute_url())
    for what, response in answers.items():
        assert response.status_code in (200, 404), (what, response.status_code)
        if what.endswith("download"):
            assert response.get("Content-Disposition", "").startswith("attachment"), (
                what,
                response.status_code,
                response.get("Content-Type"),
            )
        assert _no_store(response), (what, response.get("Cache-Control"))

    # Static files and an anonymous visitor's public page may be cached.
    anonymous = Client()
    assert not _no_store(anonymous.get(reverse("accessibility")))
    static = anonymous.get("/static/css/pdf.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")
