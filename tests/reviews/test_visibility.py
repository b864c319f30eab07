"""What a provider user may see of a review, and which reports wait for a manager: each rule
decided once on the model (one review) and once as its queryset twin (lists, downloads),
held here to the same answers; the pages and the API use them."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from django.urls import reverse

from reviews.models import Review, ReviewStatus
from tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db


def _every_kind_of_review(service, officer):
    rows = []
    for status, announced, recorded in itertools.product(
        ReviewStatus.values, (True, False), (True, False)
    ):
        final = status == ReviewStatus.FINAL
        rows.append(
            ReviewFactory(
                service=service,
                status=status,
                rating="amber",
                completed_on=date(2026, 9, 1) if final else None,
                cancelled_reason="Merged" if status == ReviewStatus.CANCELLED else "",
                announced=announced,
                visit_date=date(2026, 8, 1),
                visit_recorded_at="2026-08-01T10:00Z" if recorded else None,
                manager_review_requested=announced,  # a mix of asked and not asked
                manager_reviewed_by=officer if recorded and not announced else None,
            )
        )
    return rows


@pytest.mark.parametrize("viewer", ["provider_pat", "officer_olivia", "partner_pia"])
def test_the_annotation_says_what_the_model_methods_say(request, viewer, sunrise_house):
    user = request.getfixturevalue(viewer)
    officer = request.getfixturevalue("officer_olivia")
    reviews = _every_kind_of_review(sunrise_house, officer)
    annotated = {r.pk: r for r in Review.objects.with_visibility(user)}
    for review in reviews:
        row = annotated[review.pk]
        assert row.rating_visible == review.rating_visible_to(user), review.status
        assert row.visit_date_visible == review.visit_date_visible_to(user), review.status
    shared = {r.status for r in reviews if r.rating_visible_to(user)}
    if viewer == "provider_pat":
        assert shared == {ReviewStatus.WITH_PROVIDER, ReviewStatus.FINAL}
    else:
        assert shared == set(ReviewStatus.values)


def test_waiting_for_manager_the_queryset_and_the_review_agree(sunrise_house, officer_olivia):
    reviews = _every_kind_of_review(sunrise_house, officer_olivia)
    waiting = set(Review.objects.waiting_for_manager().values_list("pk", flat=True))
    assert waiting == {r.pk for r in reviews if r.waiting_for_manager}
    assert {r.status for r in reviews if r.pk in waiting} == {
        ReviewStatus.DRAFT,
        ReviewStatus.WITH_PROVIDER,
    }


def test_the_service_page_shows_a_provider_the_rating_only_once_shared(
    client_for, provider_pat, officer_olivia, sunrise_house
):
    ReviewFactory(service=sunrise_house, status="draft", rating="red", completed_on=None)
    url = reverse("providers:service_detail", args=[sunrise_house.pk])
    tag = "qaf-rag--red"
    assert tag in client_for(officer_olivia).get(url).content.decode()
    assert tag not in client_for(provider_pat).get(url).content.decode()
    Review.objects.update(status="with_provider")
    assert tag in client_for(provider_pat).get(url).content.decode()


def test_the_service_page_hides_an_unannounced_visit_date_from_the_provider(
    client_for, provider_pat, officer_olivia, sunrise_house
):
    ReviewFactory(
        service=sunrise_house,
        status="planned",
        rating="",
        completed_on=None,
        announced=False,
        visit_date=date(2026, 12, 9),
    )
    url = reverse("providers:service_detail", args=[sunrise_house.pk])
    assert "9 Dec 2026" in client_for(officer_olivia).get(url).content.decode()
    page = client_for(provider_pat).get(url).content.decode()
    assert "9 Dec 2026" not in page and "Unannounced" in page


def test_the_api_hides_the_rating_until_shared(api_for, provider_pat, sunrise_house):
    review = ReviewFactory(service=sunrise_house, status="draft", rating="red", completed_on=None)
    url = f"/api/v1/reviews/{review.pk}/"
    assert api_for(provider_pat).get(url).json()["rating"] is None
    Review.objects.update(status="with_provider")
    assert api_for(provider_pat).get(url).json()["rating"] == "red"
