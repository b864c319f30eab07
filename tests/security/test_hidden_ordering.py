"""A field a provider user may not see cannot be sorted or filtered on either: the order of
the rows would show where the hidden values fall (issue 8: an unannounced visit's date placed
between the announced ones by ``?ordering=visit_date``)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from tests.factories import ReviewFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def visits(sunrise, sunrise_house, sunrise_lodge, officer_olivia):
    """Three of Sunrise's reviews, made in an order that is neither their visits' order nor
    its reverse: an unannounced visit on 10 March (its date hidden from the provider), an
    announced one on 20 March with a draft rating (hidden too), an announced one on 1 March."""
    third = ServiceFactory(provider=sunrise, name="Sunrise Court")
    open_review = {"completed_on": None, "officer": officer_olivia, "rating": ""}
    unannounced = ReviewFactory(
        service=sunrise_house,
        status="planned",
        announced=False,
        visit_date=date(2027, 3, 10),
        **open_review,
    )
    draft = ReviewFactory(
        service=third,
        status="draft",
        announced=True,
        visit_date=date(2027, 3, 20),
        **{**open_review, "rating": "red", "suggested_rating": "red"},
    )
    announced = ReviewFactory(
        service=sunrise_lodge,
        status="planned",
        announced=True,
        visit_date=date(2027, 3, 1),
        **open_review,
    )
    return [unannounced, draft, announced]


HIDDEN_FROM_PROVIDERS = ["visit_date", "rating", "suggested_rating", "officer"]


def _api_order(api, params=None) -> list[int]:
    response = api.get("/api/v1/reviews/", params or {})
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


def test_a_provider_user_cannot_order_or_filter_api_lists_by_a_field_hidden_from_them(
    visits, api_for, provider_pat, officer_olivia
):
    api = api_for(provider_pat)
    unordered = _api_order(api)
    for field in HIDDEN_FROM_PROVIDERS:
        for term in (field, f"-{field}"):
            assert _api_order(api, {"ordering": term}) == unordered, term
    # Filters on hidden facts do not exist for them either (``staff_only_filters``): the count
    # is everything theirs, whatever the value.
    for resource, params in {
        "services": {"risk_rating": "red", "review_overdue": "true"},
        "reviews": {"visit_date": "2027-03-10", "rating": "red", "officer": officer_olivia.pk},
    }.items():
        everything = api.get(f"/api/v1/{resource}/").json()["count"]
        for name, value in params.items():
            response = api.get(f"/api/v1/{resource}/", {name: value})
            assert response.json()["count"] == everything, (resource, name)
    # Staff still order by the visit date.
    by_date = [r.pk for r in sorted(visits, key=lambda r: r.visit_date)]
    staff = api_for(officer_olivia)
    assert _api_order(staff, {"ordering": "visit_date"}) == by_date
    assert _api_order(staff, {"ordering": "-visit_date"}) == by_date[::-1]


def _page_order(client, url, params=None) -> list[str]:
    response = client.get(url, params or {})
    assert response.status_code == 200
    return re.findall(r'href="(/(?:reviews|services)/\d+/)"', response.content.decode())


# Every list page a provider user sees, with the columns hidden from them (wholly or on some
# rows): the council's working facts on reviews, its risk rating of services.
HIDDEN_COLUMNS = {
    "reviews:review_list": HIDDEN_FROM_PROVIDERS,
    "providers:service_list": ["risk", "next_review_due"],
}


def test_a_provider_user_cannot_sort_a_list_by_a_column_hidden_from_them(
    visits, client, provider_pat, officer_olivia
):
    client.force_login(provider_pat)
    for url_name, columns in HIDDEN_COLUMNS.items():
        url = reverse(url_name)
        unsorted = _page_order(client, url)
        page = client.get(url).content.decode()
        for column in columns:
            assert f"sort={column}" not in page, (url, column)  # not offered for sorting
            for term in (column, f"-{column}"):
                assert _page_order(client, url, {"sort": term}) == unsorted, (url, term)
    # Staff still sort by the visit date.
    client.force_login(officer_olivia)
    order = _page_order(client, reverse("reviews:review_list"), {"sort": "visit_date"})
    assert order == [r.get_absolute_url() for r in sorted(visits, key=lambda r: r.visit_date)]
