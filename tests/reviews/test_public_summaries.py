"""Public summaries of final reviews (issue 14 item 5).

Olivia (officer) publishes a plain-language summary of Sunrise House's final review; Maya
(manager) withdraws it when Sunrise Care asks, with the reason. The public reads the published
ones at /public/ without signing in: never Olivia's, Maya's or Pat's (Sunrise's user) name.
Bea (board) and Pia (partner) read the staff list but publish nothing; Pat gets none of the
staff pages.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from providers.models import ServiceType
from reviews import public, services
from reviews.models import (
    SUMMARY_MAX_LENGTH,
    PublishedSummary,
    Rag,
    ReviewStatus,
    SummaryState,
)
from tests.factories import ReviewFactory, ServiceFactory, small_toolkit
from tests.support import send_in_parallel

pytestmark = pytest.mark.django_db

TEXT = "The home is clean and friendly. Medicines are well managed. Activities need to improve."
LAYOUT = {
    "Safe": {"S1 Safeguarding": ["Do staff report abuse?"], "S2 Medicines": ["Stored safely?"]},
    "Caring": {"C1 Dignity": ["Are people treated with dignity?"]},
}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def final_review(sunrise_house, officer_olivia):
    return ReviewFactory(
        service=sunrise_house, officer=officer_olivia, completed_on=date(2026, 10, 2)
    )


@pytest.fixture
def published(final_review, officer_olivia) -> PublishedSummary:
    return public.publish(final_review, actor=officer_olivia, summary=TEXT)


def _scored_final(service, olivia, pat):
    """A review carried out through every step: scored Green, Amber and Red by standard."""
    review = services.plan_review(service, actor=olivia, toolkit=small_toolkit(LAYOUT))
    for question, score in zip(services.questions_of(review), ("3", "2", "1"), strict=True):
        services.save_answer(review, question, actor=olivia, expected_version=0, score=score)
    services.record_visit(review, actor=olivia)
    services.prepare_draft(review, actor=olivia, rating=Rag.RED, summary="Findings")
    services.share_draft(review, actor=olivia)
    services.no_further_comments(review, actor=pat)
    return services.finalise(review, actor=olivia)


# --- Publishing and withdrawing: the rules --------------------------------------------------


def test_an_officer_publishes_a_final_review_with_what_the_public_sees(published, final_review):
    assert published.state == SummaryState.PUBLISHED
    assert published.summary == TEXT
    assert published.service_name == "Sunrise House"
    assert published.service_type == ServiceType.CARE_HOME
    assert published.area == "Northfield"
    assert published.review_date == date(2026, 10, 2)
    assert published.rating == Rag.GREEN
    assert published.published_by.username == "olivia"
    # Audited like every step: created, then published, each with who did it.
    history = list(published.history.order_by("history_id"))
    assert [h.state for h in history] == ["draft", "published"]
    assert {h.history_user.username for h in history} == {"olivia"}


def test_domain_and_standard_ratings_are_copied_from_the_scores(
    client, sunrise_house, officer_olivia, provider_pat
):
    review = _scored_final(sunrise_house, officer_olivia, provider_pat)
    row = public.publish(review, actor=officer_olivia, summary=TEXT)
    assert row.rating == Rag.RED
    assert row.domains == [
        {
            "title": "Safe",
            "rating": "amber",  # the lowest of its standards
            "standards": [
                {"code": "S1", "title": "Safeguarding", "rating": "green"},
                {"code": "S2", "title": "Medicines", "rating": "amber"},
            ],
        },
        {
            "title": "Caring",
            "rating": "red",
            "standards": [{"code": "C1", "title": "Dignity", "rating": "red"}],
        },
    ]
    page = client.get(row.get_public_url()).content.decode()
    assert "Safe: Amber" in page and "Caring: Red" in page
    assert "S2 Medicines" in page


def test_the_staff_page_shows_the_history_of_a_scored_summary(
    client, sunrise_house, officer_olivia, provider_pat, board_bea
):
    review = _scored_final(sunrise_house, officer_olivia, provider_pat)
    row = public.publish(review, actor=officer_olivia, summary=TEXT)
    client.force_login(board_bea)
    page = client.get(row.get_absolute_url())
    assert page.status_code == 200
    assert b"2 entries" in page.content  # the domains' ratings, in the history
    assert b"Dignity" in page.content


@pytest.mark.parametrize(
    "status",
    [s for s in ReviewStatus.values if s != ReviewStatus.FINAL],
)
def test_only_a_final_review_is_published(sunrise_house, officer_olivia, status):
    review = ReviewFactory(
        service=sunrise_house, status=status, rating="", completed_on=None, cancelled_reason="x"
    )
    with pytest.raises(public.NotNow, match="Only a final review"):
        public.publish(review, actor=officer_olivia, summary=TEXT)
    assert not PublishedSummary.objects.exists()


def test_a_review_is_published_only_once(published, final_review, manager_maya):
    with pytest.raises(public.NotNow, match="published already"):
        public.publish(final_review, actor=manager_maya, summary="Another")
    published.refresh_from_db()
    assert published.summary == TEXT
    assert PublishedSummary.objects.count() == 1


def test_a_withdrawn_summary_is_not_published_again(published, final_review, manager_maya):
    public.withdraw(published, actor=manager_maya, reason="The provider asked")
    with pytest.raises(public.NotNow, match="withdrawn"):
        public.publish(final_review, actor=manager_maya, summary="Again")
    with pytest.raises(public.NotNow):
        public.withdraw(published, actor=manager_maya, reason="Twice")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Write the plain-language summary"),
        ("   \n ", "Write the plain-language summary"),
        ("x" * (SUMMARY_MAX_LENGTH + 1), f"{SUMMARY_MAX_LENGTH:,} characters or fewer"),
    ],
)
def test_the_summary_is_required_and_limited(final_review, officer_olivia, text, reason):
    with pytest.raises(public.NotNow, match=reason):
        public.publish(final_review, actor=officer_olivia, summary=text)
    assert not PublishedSummary.objects.exists()


@pytest.mark.parametrize("who", ["officer_olivia", "manager_mo", "provider_pat"])
def test_a_summary_naming_staff_or_the_providers_users_is_refused(
    request, final_review, officer_olivia, who
):
    person = request.getfixturevalue(who)
    # Any case and spacing: "OLIVIA   lewis".
    written = f"{person.first_name.upper()}   {person.last_name.lower()} was very helpful."
    with pytest.raises(public.NotNow, match="A public summary names nobody"):
        public.publish(final_review, actor=officer_olivia, summary=written)
    assert not PublishedSummary.objects.exists()


def test_a_first_name_alone_or_another_providers_user_is_not_refused(
    final_review, officer_olivia, provider_quinn
):
    text = f"Olivia visited. {provider_quinn.get_full_name()} works elsewhere."
    assert public.publish(final_review, actor=officer_olivia, summary=text).state == "published"


def test_names_in_finds_staff_and_the_providers_users_in_any_text(
    sunrise, officer_olivia, manager_mo, provider_pat, provider_quinn
):
    """The same check, for other code (the shared outcomes export) to run on its own text."""
    olivia, pat = officer_olivia.get_full_name(), provider_pat.get_full_name()
    text = (
        f"{olivia.upper()} met\n{pat.replace(' ', '   ')}; Mo and "
        f"{provider_quinn.get_full_name()} did not come."
    )
    assert public.names_in(text, sunrise) == sorted([olivia, pat])
    assert public.names_in(text, sunrise.pk) == sorted([olivia, pat])
    assert public.names_in(text, None) == [olivia]  # staff only
    assert public.names_in("The manager was helpful.", sunrise) == []
    assert public.names_in("", sunrise) == []


def test_the_preview_says_when_the_summary_names_someone(client, final_review, officer_olivia):
    client.force_login(officer_olivia)
    url = reverse("summaries:publish", args=[final_review.pk])
    preview = client.post(url, {"summary": f"{officer_olivia.get_full_name()} came", "preview": 1})
    assert b"A public summary names nobody" in preview.content
    assert not PublishedSummary.objects.exists()


def test_the_longest_summary_allowed_is_published(final_review, officer_olivia):
    row = public.publish(final_review, actor=officer_olivia, summary="x" * SUMMARY_MAX_LENGTH)
    assert row.state == SummaryState.PUBLISHED


def test_withdrawing_needs_a_reason(published, manager_maya):
    with pytest.raises(public.NotNow, match="Say why"):
        public.withdraw(published, actor=manager_maya, reason="  ")
    published.refresh_from_db()
    assert published.state == SummaryState.PUBLISHED
    public.withdraw(published, actor=manager_maya, reason="Sunrise Care asked: it is sold")
    published.refresh_from_db()
    assert published.state == SummaryState.WITHDRAWN
    assert published.withdrawn_by == manager_maya
    assert published.withdrawal_reason == "Sunrise Care asked: it is sold"
    assert published.history.first().history_user == manager_maya


@pytest.mark.parametrize("who", ["board_bea", "partner_pia", "admin_alex", "provider_pat"])
def test_only_officers_and_managers_publish_and_withdraw(request, final_review, published, who):
    user = request.getfixturevalue(who)
    other = ReviewFactory(service=final_review.service)
    with pytest.raises(public.Forbidden):
        public.publish(other, actor=user, summary=TEXT)
    with pytest.raises(public.Forbidden):
        public.withdraw(published, actor=user, reason="No")


# --- The public pages: no sign-in, no personal data --------------------------------------


def test_the_public_pages_need_no_sign_in(client, published):
    index = client.get(reverse("public:index"))
    assert index.status_code == 200
    assert b"Sunrise House" in index.content
    page = client.get(reverse("public:summary", args=[published.pk]))
    assert page.status_code == 200
    assert TEXT.encode() in page.content
    assert b"Green" in page.content
    assert b"2 October 2026" in page.content
    assert b"Care home without nursing" in page.content
    data = client.get(reverse("public:json")).json()
    assert data["count"] == 1
    assert data["results"][0]["summary"] == TEXT


def test_no_personal_data_on_the_public_pages(
    client, sunrise_house, officer_olivia, manager_maya, provider_pat, safeguarding_at_sunrise
):
    # Surnames no page has as a word (random ones can be Green, Page or Foster: "fostering").
    for person, surname in (
        (officer_olivia, "Quennell"),
        (manager_maya, "Abernethy"),
        (provider_pat, "Pevensey"),
    ):
        person.last_name = surname
        person.save(update_fields=["last_name"])
    review = _scored_final(sunrise_house, officer_olivia, provider_pat)
    row = public.publish(review, actor=officer_olivia, summary=TEXT)
    public.withdraw(row, actor=manager_maya, reason="Pat asked on behalf of Sunrise")
    other = public.publish(
        ReviewFactory(service=sunrise_house, officer=officer_olivia),
        actor=manager_maya,
        summary=TEXT,
    )
    pages = [
        client.get(reverse("public:index")),
        client.get(reverse("public:summary", args=[other.pk])),
        client.get(reverse("public:summary", args=[row.pk])),
        client.get(reverse("public:json")),
    ]
    names = [
        officer_olivia.get_full_name(),
        officer_olivia.last_name,
        manager_maya.get_full_name(),
        manager_maya.last_name,
        provider_pat.get_full_name(),
        provider_pat.last_name,
        "olivia",
        "maya",
        "Findings",  # the report's own summary of findings (staff and provider)
        safeguarding_at_sunrise.summary,
        "Pat asked",  # the reason for withdrawing
        "Sunrise Care Ltd",  # the provider: the public page is about the service
    ]
    for page in pages:
        body = page.content.decode()
        for name in names:
            assert name.lower() not in body.lower(), (page.request["PATH_INFO"], name)


def test_a_withdrawn_summary_is_gone_and_leaves_the_index(client, published, manager_maya):
    public.withdraw(published, actor=manager_maya, reason="The provider asked")
    page = client.get(reverse("public:summary", args=[published.pk]))
    assert page.status_code == 410
    assert b"This summary has been withdrawn" in page.content
    assert TEXT.encode() not in page.content
    assert b"Sunrise House" not in page.content
    index = client.get(reverse("public:index"))
    assert b"Sunrise House" not in index.content
    assert b"No summaries are published yet" in index.content
    assert client.get(reverse("public:json")).json()["count"] == 0


def test_an_unknown_summary_is_not_found(client, published):
    assert client.get(reverse("public:summary", args=[published.pk + 1])).status_code == 404


def test_a_draft_is_never_public(client, final_review):
    draft = PublishedSummary.objects.create(review=final_review, summary=TEXT)
    assert client.get(reverse("public:summary", args=[draft.pk])).status_code == 404
    assert b"Sunrise House" not in client.get(reverse("public:index")).content


def _publish_at(service, olivia, when):
    review = ReviewFactory(service=service, completed_on=when.date())
    row = public.publish(review, actor=olivia, summary=f"Summary of {service.name}")
    PublishedSummary.objects.filter(pk=row.pk).update(published_at=when)
    return row


def test_the_index_is_newest_first_filtered_and_paged(client, sunrise, officer_olivia):
    start = timezone.now() - timedelta(days=100)
    for n in range(23):
        service = ServiceFactory(
            provider=sunrise, name=f"Home {n:02d}", local_authority_area="East"
        )
        _publish_at(service, officer_olivia, start + timedelta(days=n))
    west = ServiceFactory(
        provider=sunrise,
        name="Riverside Care",
        service_type=ServiceType.DOMICILIARY_CARE,
        local_authority_area="West",
    )
    _publish_at(west, officer_olivia, start - timedelta(days=1))
    first = client.get(reverse("public:index")).content.decode()
    assert "24 summaries, newest first" in first
    assert first.index("Home 22") < first.index("Home 21")
    assert "Riverside Care" not in first  # the oldest: on page 2
    second = client.get(reverse("public:index"), {"page": 2}).content.decode()
    assert "Riverside Care" in second and "Home 02" in second and "Home 03" not in second
    by_type = client.get(reverse("public:index"), {"service_type": "domiciliary_care"})
    assert "1 summary," in by_type.content.decode()
    assert "Riverside Care" in by_type.content.decode()
    by_area = client.get(reverse("public:index"), {"area": "West"}).content.decode()
    assert "Riverside Care" in by_area and "Home 01" not in by_area
    by_name = client.get(reverse("public:index"), {"q": "home 1"}).content.decode()
    assert "Home 10" in by_name and "Home 01" not in by_name
    none = client.get(reverse("public:index"), {"q": "Nowhere"}).content.decode()
    assert "No summaries match your search" in none


@pytest.mark.parametrize(
    "query",
    [{"service_type": "spaceship"}, {"area": "Atlantis"}, {"page": "abc"}, {"page": "99"}],
)
def test_bad_filters_are_not_an_error(client, published, query):
    response = client.get(reverse("public:index"), query)
    assert response.status_code == 200


def test_public_pages_are_cached_and_seen_at_once_after_a_change(
    client, published, final_review, manager_maya, django_assert_max_num_queries
):
    index = reverse("public:index")
    page = reverse("public:summary", args=[published.pk])
    for url in (index, page):
        response = client.get(url)
        assert response["Cache-Control"] == f"public, max-age={public.PUBLIC_MAX_AGE}"
        assert "Set-Cookie" not in response
        with django_assert_max_num_queries(1):  # the stamp only: the page is cached
            assert client.get(url).content == response.content
    public.withdraw(published, actor=manager_maya, reason="The provider asked")
    assert client.get(page).status_code == 410
    assert b"Sunrise House" not in client.get(index).content


def test_a_withdrawal_stamped_earlier_than_the_latest_change_is_seen_at_once(
    client, published, sunrise, officer_olivia, manager_maya
):
    """A web machine whose clock is behind (or a withdrawal committed after a later-stamped
    publish) writes an updated_at earlier than the latest: the public pages change anyway."""
    later = public.publish(
        ReviewFactory(service=ServiceFactory(provider=sunrise, name="Oak View")),
        actor=officer_olivia,
        summary=TEXT,
    )
    page = reverse("public:summary", args=[published.pk])
    index = reverse("public:index")
    assert client.get(page).status_code == 200
    assert b"Sunrise House" in client.get(index).content
    assert client.get(reverse("public:json")).json()["count"] == 2
    latest = PublishedSummary.objects.get(pk=later.pk).updated_at
    public.withdraw(published, actor=manager_maya, reason="The provider asked")
    PublishedSummary.objects.filter(pk=published.pk).update(
        updated_at=latest - timedelta(minutes=5)
    )
    assert client.get(page).status_code == 410
    assert b"Sunrise House" not in client.get(index).content
    assert client.get(reverse("public:json")).json()["count"] == 1


def test_a_signed_in_visitor_gets_the_same_page_not_kept_by_a_cache(
    client, published, officer_olivia
):
    anonymous = client.get(reverse("public:summary", args=[published.pk])).content
    client.force_login(officer_olivia)
    signed_in = client.get(reverse("public:summary", args=[published.pk]))
    assert signed_in.content == anonymous
    assert "no-store" in signed_in["Cache-Control"]
    assert b"Sign out" not in signed_in.content


def test_the_index_costs_the_same_queries_for_few_or_many(
    client, sunrise, officer_olivia, django_assert_max_num_queries
):
    for _n in range(25):
        row = public.publish(
            ReviewFactory(service=ServiceFactory(provider=sunrise)),
            actor=officer_olivia,
            summary=TEXT,
        )
    # The stamp, the areas, the count and the page (the page's rows need nothing more).
    with django_assert_max_num_queries(4):
        assert client.get(reverse("public:index")).status_code == 200
    with django_assert_max_num_queries(2):
        assert client.get(reverse("public:summary", args=[row.pk])).status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(reverse("public:json")).status_code == 200


def test_public_pages_have_no_inline_script(client, published):
    for url in (reverse("public:index"), reverse("public:summary", args=[published.pk])):
        body = client.get(url).content
        assert b"<script" not in body
        assert b"nonce" not in body
        assert b"csrfmiddlewaretoken" not in body


# --- Staff pages -------------------------------------------------------------------------


def test_an_officer_previews_then_publishes_from_the_review(client, final_review, officer_olivia):
    client.force_login(officer_olivia)
    detail = client.get(final_review.get_absolute_url()).content.decode()
    url = reverse("summaries:publish", args=[final_review.pk])
    assert url in detail
    form = client.get(url)
    assert b"Do not name anyone" in form.content
    preview = client.post(url, {"summary": TEXT, "preview": "1"})
    assert preview.status_code == 200
    assert b"Preview: what the public will see" in preview.content
    assert TEXT.encode() in preview.content
    assert not PublishedSummary.objects.exists()
    done = client.post(url, {"summary": TEXT, "publish": "1"})
    row = PublishedSummary.objects.get()
    assert done["Location"] == row.get_absolute_url()
    assert row.state == SummaryState.PUBLISHED
    # The review's page now links to the summary, and offers no second one.
    detail = client.get(final_review.get_absolute_url()).content.decode()
    assert row.get_absolute_url() in detail
    assert url not in detail


def test_the_form_says_what_is_wrong(client, final_review, officer_olivia):
    client.force_login(officer_olivia)
    url = reverse("summaries:publish", args=[final_review.pk])
    empty = client.post(url, {"summary": "", "publish": "1"})
    assert b"Write the plain-language summary the public will read" in empty.content
    long = client.post(url, {"summary": "x" * (SUMMARY_MAX_LENGTH + 1), "publish": "1"})
    assert f"{SUMMARY_MAX_LENGTH:,} characters or fewer".encode() in long.content
    assert not PublishedSummary.objects.exists()


def test_a_review_not_final_says_why_it_cannot_be_published(client, sunrise_house, officer_olivia):
    review = ReviewFactory(service=sunrise_house, status="planned", rating="", completed_on=None)
    client.force_login(officer_olivia)
    page = client.get(reverse("summaries:publish", args=[review.pk]))
    assert b"Only a final review has a public summary" in page.content
    client.post(reverse("summaries:publish", args=[review.pk]), {"summary": TEXT})
    assert not PublishedSummary.objects.exists()


def test_a_manager_withdraws_on_a_confirmation_page(client, published, manager_maya):
    client.force_login(manager_maya)
    detail = client.get(published.get_absolute_url()).content.decode()
    url = reverse("summaries:step", args=[published.pk, "withdraw"])
    assert url in detail
    missing = client.post(url, {"reason": ""})
    assert b"Say why the summary is withdrawn" in missing.content
    done = client.post(url, {"reason": "Sunrise Care asked"})
    assert done["Location"] == published.get_absolute_url()
    published.refresh_from_db()
    assert published.state == SummaryState.WITHDRAWN
    page = client.get(published.get_absolute_url()).content.decode()
    assert "Sunrise Care asked" in page
    assert url not in page  # nothing more to withdraw


def test_the_staff_list(client, published, board_bea, provider_pat):
    client.force_login(board_bea)
    page = client.get(reverse("summaries:list"))
    assert b"Sunrise House" in page.content
    assert b"Withdraw" not in client.get(published.get_absolute_url()).content
    client.force_login(provider_pat)
    assert client.get(reverse("summaries:list")).status_code == 403


def test_the_staff_list_when_there_are_none(client, officer_olivia):
    client.force_login(officer_olivia)
    page = client.get(reverse("summaries:list"))
    assert b"No summaries are published yet" in page.content


# --- API --------------------------------------------------------------------------------


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_api_publish_list_and_withdraw(final_review, officer_olivia, manager_maya):
    url = reverse("api:public-summary-list")
    made = _api(officer_olivia).post(url, {"review": final_review.pk, "summary": TEXT})
    assert made.status_code == 201, made.content
    assert made.json()["state"] == "published"
    assert made.json()["published_by"] == officer_olivia.get_full_name()
    again = _api(manager_maya).post(url, {"review": final_review.pk, "summary": TEXT})
    assert again.status_code == 409
    assert "published already" in again.json()["detail"]
    assert _api(manager_maya).get(url).json()["count"] == 1
    withdraw = reverse("api:public-summary-withdraw", args=[made.json()["id"]])
    assert _api(manager_maya).post(withdraw, {}).status_code == 400
    gone = _api(manager_maya).post(withdraw, {"reason": "Asked"})
    assert gone.status_code == 200
    assert gone.json()["state"] == "withdrawn"
    assert _api(manager_maya).post(withdraw, {"reason": "Again"}).status_code == 409


def test_api_refusals(sunrise_house, oak_lodge_home, officer_olivia, provider_pat):
    url = reverse("api:public-summary-list")
    planned = ReviewFactory(service=sunrise_house, status="planned", rating="", completed_on=None)
    not_final = _api(officer_olivia).post(url, {"review": planned.pk, "summary": TEXT})
    assert not_final.status_code == 409
    empty = _api(officer_olivia).post(url, {"review": planned.pk, "summary": ""})
    assert empty.status_code == 400
    bad_id = _api(officer_olivia).post(url, {"review": 1.5, "summary": TEXT})
    assert bad_id.status_code == 400
    oak = ReviewFactory(service=oak_lodge_home)
    assert _api(provider_pat).post(url, {"review": oak.pk, "summary": TEXT}).status_code == 403


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_of_eight_parallel_publishes_wins(live_server, final_review, officer_olivia):
    token = Token.objects.create(user=officer_olivia).key
    url = f"{live_server.url}{reverse('api:public-summary-list')}"
    bodies = [{"review": final_review.pk, "summary": f"{TEXT} ({n})"} for n in range(8)]
    statuses = send_in_parallel("POST", url, [token], bodies)
    assert sorted(statuses) == [201] + [409] * 7
    row = PublishedSummary.objects.get()
    assert row.history.filter(state="published").count() == 1
