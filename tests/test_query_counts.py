"""Queries per list page and list endpoint do not grow with the number of rows (STYLE habit 7)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ContractFactory, IntelligenceFactory, ProviderFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def _add_rows(n):
    for _ in range(n):
        provider = ProviderFactory()
        service = ServiceFactory(provider=provider)
        ContractFactory(provider=provider, services=[service])
        IntelligenceFactory(service=service)
        IntelligenceFactory(service=None, provider=provider)


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


URLS = [
    reverse("providers:provider_list"),
    reverse("providers:service_list"),
    reverse("providers:contract_list"),
    reverse("providers:intelligence_list"),
    reverse("providers:service_list") + "?_export=csv",
    "/api/v1/providers/",
    "/api/v1/services/",
    "/api/v1/contracts/",
    "/api/v1/intelligence/",
    "/",
]


@pytest.mark.parametrize("url", URLS)
def test_same_number_of_queries_for_5_and_50_rows(client, officer_olivia, url):
    client.force_login(officer_olivia)
    _add_rows(5)
    few = _queries(client, url)
    _add_rows(45)
    many = _queries(client, url)
    assert many == few, f"{url}: {few} queries for 5 rows, {many} for 50"


@pytest.mark.parametrize("url", URLS[:4])
def test_same_number_of_queries_for_a_provider_user(client, provider_pat, sunrise, url):
    client.force_login(provider_pat)
    IntelligenceFactory(service=ServiceFactory(provider=sunrise))
    few = _queries(client, url)
    for _ in range(20):
        service = ServiceFactory(provider=sunrise)
        IntelligenceFactory(service=service)
    _add_rows(5)
    assert _queries(client, url) == few
