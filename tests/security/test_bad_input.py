"""Bad input is a 4xx with a reason (API) or a page saying what is wrong, never a 500 and
never half-saved (issue 8, the outside probe). Each class is swept over every operation of the
OpenAPI schema, or every page, not only the example the probe found."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from providers.models import Provider, Service
from qaf.models import Document
from qaf.pdf import issue_document
from reviews import information as info
from reviews.documents import issue_report
from risk.models import PolicyVersion
from tests.factories import PASSWORD, ReviewFactory
from tests.security.schema_tools import (
    body_properties,
    fill_path,
    load_schema,
    operations,
    raw_client,
)

pytestmark = pytest.mark.django_db

WRITES = {"post", "put", "patch"}


# --- Versions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["1e309", "-1", "1.5", "99999999999999999999", "2147483648", '"abc"', "true", "[]", "{}"],
)
def test_a_version_that_is_not_a_version_is_a_400_on_every_update(api_world, officer_olivia, raw):
    api = raw_client(officer_olivia)
    updates = [
        (path, method)
        for path, method, _ in operations(load_schema())
        if method in {"put", "patch"} and path.endswith("{id}/")
    ]
    assert len(updates) >= 8
    for path, method in updates:
        url = fill_path(path, api_world)
        before = api.get(url).json()["version"]
        response = getattr(api, method)(
            url, f'{{"version": {raw}, "name": "Changed"}}', content_type="application/json"
        )
        assert response.status_code == 400, (method, url, response.content[:300])
        assert "version" in response.content.decode(), (method, url)
        assert api.get(url).json()["version"] == before


# --- Text that nothing can store --------------------------------------------------------------


def _first_reason(response) -> str:
    return json.dumps(response.json())


@pytest.mark.parametrize("bad", ["\ud800", "\udfff", "\x00"])
def test_unstorable_text_in_any_body_field_is_a_400_naming_it(
    api_world, officer_olivia, manager_maya, provider_pat, admin_alex, bad
):
    """A lone surrogate in a choice field made DRF quote it back in an error it could not
    encode; in a text field it reached PostgreSQL. NUL is refused by PostgreSQL in text."""
    schema = load_schema()
    # Each write reaches its body's validation as one of them (a manager's decisions too).
    users = [officer_olivia, manager_maya, provider_pat, admin_alex, None]
    checked = 0
    for path, method, operation in operations(schema):
        if method not in WRITES:
            continue
        media_type, fields = body_properties(schema, operation)
        if media_type == "multipart/form-data" and bad != "\x00":
            continue  # a form post cannot carry a surrogate (it is sent as UTF-8)
        for name, spec in fields.items():
            if spec.get("readOnly"):
                continue
            refused = []
            for user in users:
                api = raw_client(user)
                url = fill_path(path, api_world)
                if media_type == "application/json":
                    response = getattr(api, method)(
                        url, json.dumps({name: bad}), content_type="application/json"
                    )
                else:
                    response = getattr(api, method)(url, {name: bad}, format="multipart")
                assert response.status_code < 500, (method, url, name, response.content[:300])
                if response.status_code == 400:
                    refused.append(_first_reason(response))
            assert any(name in r and ("NUL" in r or "surrogate" in r) for r in refused), (
                method,
                path,
                name,
                refused,
            )
            checked += 1
    assert checked >= 60


def test_unstorable_text_deep_in_a_body_is_refused_before_anything_is_saved(
    api_world, officer_olivia, sunrise_house
):
    api = raw_client(officer_olivia)
    response = api.post(
        "/api/v1/information-requests/",
        json.dumps({"service": sunrise_house.pk, "items": ["Rota", "Fire \ud83d risk"]}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "items[1]" in response.json()["detail"]
    response = api.post(
        "/api/v1/intelligence/",
        json.dumps(
            {
                "service": sunrise_house.pk,
                "kind": "contract_meeting",
                "date": "2026-11-01",
                "summary": "Met the manager \ud800",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "summary" in response.json()["detail"]
    assert not sunrise_house.intelligence.filter(summary__startswith="Met the manager").exists()


def test_nul_in_any_query_parameter_is_a_400(api_world, officer_olivia):
    schema = load_schema()
    api = raw_client(officer_olivia)
    checked = 0
    for path, method, operation in operations(schema):
        if method != "get":
            continue
        for param in operation.get("parameters", []):
            if param["in"] != "query":
                continue
            url = fill_path(path, api_world)
            response = api.get(url, {param["name"]: "a\x00b"})
            assert response.status_code == 400, (url, param["name"], response.content[:200])
            assert param["name"] in response.json()["detail"]
            checked += 1
    assert checked >= 30


def _page_urls(ids: dict) -> list[str]:
    """Every page's URL (not the API, admin or static files), its ids filled in."""

    def walk(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern, route)
            elif isinstance(pattern, URLPattern):
                yield route

    urls = []
    for route in walk(get_resolver()):
        if route.startswith(("api/", "admin/", "^")) or "logout" in route:
            continue
        urls.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids.get(m[1], 1)), route))
    return urls


@pytest.fixture
def page_ids(api_world):
    return {
        "pk": api_world["reviews"],
        "service_pk": api_world["services"],
        "step": "report",
        "uidb64": "MQ",
        "token": "set-password",
    }


def test_nul_in_any_form_post_or_query_string_of_a_page_is_a_400_and_saves_nothing(
    page_ids, admin_alex, officer_olivia, provider_pat
):
    counts = (Provider.objects.count(), Service.objects.count(), Document.objects.count())
    urls = _page_urls(page_ids)
    assert len(urls) > 60
    for user in (admin_alex, officer_olivia, provider_pat, None):
        client = Client(raise_request_exception=False)
        for url in urls:
            if user is not None:
                client.force_login(user)
            names = {"name", "title", "username", "summary", "based_on", "kind", "q", "items"}
            page = client.get(url)
            if page.status_code == 200 and page.get("Content-Type", "").startswith("text/html"):
                names |= set(re.findall(r'name="([^"]+)"', page.content.decode()))
            names.discard("csrfmiddlewaretoken")
            response = client.post(url, dict.fromkeys(names, "x\x00y"))
            assert response.status_code == 400, (url, response.status_code)
            assert "NUL" in response.content.decode()
            response = client.get(url, {"q": "x\x00y"})
            assert response.status_code == 400, (url, response.status_code)
    assert counts == (Provider.objects.count(), Service.objects.count(), Document.objects.count())


def test_a_lone_surrogate_in_form_data_is_refused_too(rf, officer_olivia):
    """A browser's form post arrives as UTF-8, where a surrogate cannot be: but a page must not
    rely on that (another parser, a test client, a proxy)."""
    from django.http import HttpResponse, QueryDict

    from qaf.inputs import BadInputMiddleware

    request = rf.post("/intelligence/new/")
    request.user = officer_olivia
    request._post = QueryDict(mutable=True)
    request._post["summary"] = "Met \ud800 the manager"
    request._files = {}
    response = BadInputMiddleware(lambda r: HttpResponse("saved"))(request)
    assert response.status_code == 400
    assert "summary contains a lone surrogate" in response.content.decode()


# --- Titles of issued documents ------------------------------------------------------------


def test_a_long_title_is_shortened_with_an_ellipsis_when_a_document_is_issued(
    sunrise_house, officer_olivia
):
    review = ReviewFactory(service=sunrise_house)
    document = issue_document(
        review, kind="letter", title="L" * 255, template="pdf/base.html", actor=officer_olivia
    )
    document.refresh_from_db()
    limit = Document._meta.get_field("title").max_length
    assert len(document.title) == limit
    assert document.title == "L" * (limit - 1) + "…"


def test_a_request_letter_and_a_report_for_a_long_named_service_are_issued(sunrise, officer_olivia):
    """The longest service name and request title the forms take: the letter's title is
    "Information request – <service> – <title>", 400 characters before the fix."""
    longest = Service._meta.get_field("name").max_length
    service = Service.objects.create(provider=sunrise, name="S" * longest, service_type="other")
    req = info.create_request(service, actor=officer_olivia, items=["Rota"], title="T" * 200)
    info.send_request(req, actor=officer_olivia)
    letter = Document.objects.get(source_id=req.pk, kind__contains="request")
    assert letter.title.startswith("Information request – SSS")
    assert letter.title.endswith("…")
    report = issue_report(ReviewFactory(service=service), final=True, actor=officer_olivia)
    assert len(report.title) <= Document._meta.get_field("title").max_length


# --- User names longer than any column ---------------------------------------------------------


def test_a_user_name_longer_than_any_account_is_refused_at_sign_in_and_still_counted(client):
    long_name = "x" * 300
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": long_name, "password": "guess"})
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()
    response = client.post(reverse("login"), {"username": long_name, "password": "guess"})
    assert response.status_code == 429  # locked out: the failures were counted


def test_a_user_name_longer_than_any_account_is_a_400_at_the_token_endpoint_and_counted(
    officer_olivia,
):
    api = raw_client()
    long_name = "olivia" + "x" * 300
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = api.post("/api/v1/auth/token/", {"username": long_name, "password": "guess"})
        assert response.status_code == 400
        assert "credentials" in response.content.decode()
    response = api.post("/api/v1/auth/token/", {"username": long_name, "password": "guess"})
    assert response.status_code in (400, 403, 429)
    assert "token" not in response.json()
    # The real account is not locked by someone else's overlong guesses.
    response = api.post("/api/v1/auth/token/", {"username": "olivia", "password": PASSWORD})
    assert response.status_code == 200


# --- Ids that are not ids ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["abc", "-1", "1e3", "٣", "99999999999999999999"])
def test_an_id_that_is_not_an_id_is_a_404_on_every_api_route(
    api_world, officer_olivia, provider_pat, bad
):
    schema = load_schema()
    checked = 0
    for user in (officer_olivia, provider_pat):
        api = raw_client(user)
        for path, method, _ in operations(schema):
            for name in re.findall(r"\{(\w+)\}", path):
                url = fill_path(path, api_world, **{name: bad})
                response = getattr(api, method)(url, {}, format="json")
                # 403 when the role may not do it at all (that is asked before the id).
                assert response.status_code in (403, 404), (method, url, response.status_code)
                if user is officer_olivia and method == "get":
                    assert response.status_code == 404, (method, url)
                checked += 1
    assert checked >= 40


# --- Numbers in page parameters ------------------------------------------------------------------


def test_a_page_parameter_that_is_not_a_number_is_never_a_500(page_ids, admin_alex):
    """``?based_on=abc`` on the risk policy page, and the same junk in every parameter the
    pages read as a number, on every page."""
    client = Client(raise_request_exception=False)
    junk = ["abc", "1.5", "99999999999999999999"]
    params = ["based_on", "page", "provider", "service", "review", "sort", "page_size", "saved"]
    for url in _page_urls(page_ids):
        client.force_login(admin_alex)
        for value in junk:
            response = client.get(url, dict.fromkeys(params, value))
            assert response.status_code < 500, (url, value)
            response = client.post(url, dict.fromkeys(params, value))
            assert response.status_code < 500, (url, value)


def test_the_risk_policy_edit_refuses_an_unknown_starting_version_with_a_message(
    client, admin_alex
):
    client.force_login(admin_alex)
    current = PolicyVersion.current()
    assert client.get(reverse("risk:policy_edit"), {"based_on": "abc"}).status_code == 200
    for value in ("abc", "99999999999999999999", "-3", ""):
        response = client.post(reverse("risk:policy_edit"), {"based_on": value, "note": "x"})
        assert response.status_code == 200
        assert "version you started from" in response.content.decode()
    assert PolicyVersion.objects.latest("pk") == current
