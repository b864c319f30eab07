"""What waits for whom (issue 4 item 6 and the home pages): Olivia (officer) asks a manager to
review a disputed report; it waits in the managers' queue (Maya's and Mo's home pages, the review
list filter) until one of them records the review. Olivia's home page lists her reviews in
progress; Pat's (Sunrise Care) lists what waits for Sunrise: requests to answer, drafts to
comment on. Quinn (Oak Lodge) sees none of Sunrise's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from qaf.rag import Rag
from reviews import information as info
from reviews import services
from reviews.models import Review
from tests.factories import small_toolkit

pytestmark = pytest.mark.django_db

LAYOUT = {"Safe": {"S1 Safeguarding": ["Do staff know how to report abuse?"]}}


@pytest.fixture
def toolkit(db):
    return small_toolkit(LAYOUT)


@pytest.fixture
def shared(sunrise_house, officer_olivia, toolkit) -> Review:
    review = services.plan_review(sunrise_house, actor=officer_olivia, toolkit=toolkit)
    question = services.questions_of(review).get()
    services.save_answer(review, question, actor=officer_olivia, expected_version=0, score="2")
    services.record_visit(review, actor=officer_olivia)
    services.prepare_draft(
        review, actor=officer_olivia, rating=Rag.RED, override_reason="Two falls not reported."
    )
    return services.share_draft(review, actor=officer_olivia)


def _home(client) -> str:
    return client.get(reverse("home")).content.decode()


def test_a_disputed_report_waits_for_a_manager_until_one_reviews_it(
    client_for, shared, officer_olivia, manager_maya, manager_mo
):
    services.request_manager_review(shared, actor=officer_olivia)
    for manager in (manager_maya, manager_mo):
        assert "Reports waiting for a manager's review" in _home(client_for(manager))
    assert "Reports waiting for a manager's review" not in _home(client_for(officer_olivia))
    listed = client_for(manager_maya).get(
        reverse("reviews:review_list"), {"waiting_for_manager": "on"}
    )
    assert "Sunrise House" in listed.content.decode()

    services.record_manager_review(shared, actor=manager_maya)
    assert "Reports waiting for a manager's review" not in _home(client_for(manager_mo))
    listed = client_for(manager_mo).get(
        reverse("reviews:review_list"), {"waiting_for_manager": "on"}
    )
    assert "Sunrise House" not in listed.content.decode()


def test_manager_review_steps_are_audited_and_not_repeated(
    shared, officer_olivia, manager_maya, manager_mo
):
    services.request_manager_review(shared, actor=officer_olivia)
    with pytest.raises(services.NotNow, match="already been asked"):
        services.request_manager_review(shared, actor=officer_olivia)
    with pytest.raises(services.Forbidden):
        services.record_manager_review(shared, actor=officer_olivia)
    services.record_manager_review(shared, actor=manager_maya)
    with pytest.raises(services.NotNow, match="already reviewed"):
        services.record_manager_review(shared, actor=manager_mo)
    history = list(shared.history.order_by("history_date").values_list("history_user", flat=True))
    assert history[-2:] == [officer_olivia.pk, manager_maya.pk]
    shared.refresh_from_db()
    assert shared.manager_reviewed_by == manager_maya


def test_sent_to_regulator_is_recorded_once_with_its_actor(shared, officer_olivia):
    after_the_deadline = shared.comments_due + timedelta(days=1)
    review = services.finalise(shared, actor=officer_olivia, today=after_the_deadline)
    services.record_sent_to_regulator(review, actor=officer_olivia)
    assert review.history.latest().history_user == officer_olivia
    with pytest.raises(services.NotNow, match="recorded already"):
        services.record_sent_to_regulator(review, actor=officer_olivia)


def test_officers_see_their_reviews_in_progress(
    client_for, shared, officer_olivia, officer_owen, oak_lodge_home, toolkit
):
    services.plan_review(oak_lodge_home, actor=officer_owen, toolkit=toolkit)
    olivia = _home(client_for(officer_olivia))
    assert "My reviews in progress" in olivia
    assert "Sunrise House" in olivia
    assert "Oak Lodge" not in olivia.split("My reviews in progress")[1].split("</ul>")[0]


def test_the_provider_sees_what_waits_for_it(
    client_for, shared, sunrise_house, oak_lodge_home, officer_olivia, provider_pat, provider_quinn
):
    today = timezone.localdate()
    late = info.create_request(
        sunrise_house, actor=officer_olivia, items=["Fire drill record"], title="Fire safety"
    )
    info.send_request(late, actor=officer_olivia, today=today - timedelta(days=40))
    info.create_request(
        sunrise_house, actor=officer_olivia, items=["Not sent yet"], title="Still a draft"
    )
    oak = info.create_request(
        oak_lodge_home, actor=officer_olivia, items=["Rota"], title="Oak Lodge rota"
    )
    info.send_request(oak, actor=officer_olivia)

    pat = _home(client_for(provider_pat))
    waiting = pat.split("Waiting for you")[1]
    assert "Information request: Fire safety" in waiting
    assert "Overdue" in waiting
    assert "Draft QA report on Sunrise House" in waiting
    assert "Still a draft" not in pat
    assert "Oak Lodge rota" not in pat

    quinn = _home(client_for(provider_quinn))
    assert "Oak Lodge rota" in quinn
    assert "Sunrise House" not in quinn
    assert "Fire safety" not in quinn


def test_a_provider_with_nothing_waiting_is_told_so(client_for, provider_quinn):
    home = _home(client_for(provider_quinn))
    assert "Nothing: no information request, draft report or improvement plan" in home


def test_officers_see_their_requests_with_answers_or_overdue(
    client_for, sunrise_house, officer_olivia, officer_owen, provider_pat
):
    today = timezone.localdate()
    late = info.create_request(
        sunrise_house, actor=officer_olivia, items=["Fire drill record"], title="Fire safety"
    )
    info.send_request(late, actor=officer_olivia, today=today - timedelta(days=40))
    answered = info.create_request(
        sunrise_house, actor=officer_olivia, items=["Rota"], title="Staffing"
    )
    info.send_request(answered, actor=officer_olivia)
    quiet = info.create_request(
        sunrise_house, actor=officer_olivia, items=["Menu"], title="Nutrition"
    )
    info.send_request(quiet, actor=officer_olivia)
    info.answer_item(answered.items.get(), actor=provider_pat, response="Attached")

    olivia = _home(client_for(officer_olivia))
    needing = olivia.split("Information requests needing you")[1].split("</ul>")[0]
    assert "Fire safety" in needing
    assert "Overdue since" in needing
    assert "Staffing" in needing
    assert "Answers to review" in needing
    assert "Nutrition" not in needing  # sent, not due, nothing answered yet
    assert "Information requests needing you" not in _home(client_for(officer_owen))


def test_the_review_list_hides_an_unshared_rating_and_the_officer_from_providers(
    client_for, sunrise_house, officer_olivia, provider_pat, toolkit
):
    review = services.plan_review(sunrise_house, actor=officer_olivia, toolkit=toolkit)
    question = services.questions_of(review).get()
    services.save_answer(review, question, actor=officer_olivia, expected_version=0, score="1")
    services.record_visit(review, actor=officer_olivia)
    services.prepare_draft(review, actor=officer_olivia, rating=Rag.RED)
    url = reverse("reviews:review_list")
    staff = client_for(officer_olivia).get(url).content.decode()
    assert "Red" in staff
    assert "Olivia" in staff
    pat = client_for(provider_pat).get(url).content.decode()
    assert "Red" not in pat  # a draft not yet shared
    assert "Olivia" not in pat
    services.share_draft(review, actor=officer_olivia)
    assert "Red" in client_for(provider_pat).get(url).content.decode()


def test_the_review_page_shows_its_history_to_staff_only(
    client_for, shared, officer_olivia, manager_maya, provider_pat
):
    services.request_manager_review(shared, actor=officer_olivia)
    services.record_manager_review(shared, actor=manager_maya)
    page = client_for(officer_olivia).get(shared.get_absolute_url()).content.decode()
    history = page.split("History of the review")[1]
    assert "Maya" in history and "Olivia" in history
    assert "with provider" in history.lower()
    # Dates in en-GB words, people by name (the history holds an ISO date and an id).
    today = timezone.localdate()
    assert 'Draft shared on: <span class="qaf-history__old">(blank)</span>' in history
    assert f"{today.day} {today:%B %Y}" in history
    assert today.isoformat() not in history
    assert 'Manager reviewed by: <span class="qaf-history__old">(blank)</span>' in history
    assert escape(manager_maya.get_full_name()) in history  # O'Brien is O&#x27;Brien
    pat = client_for(provider_pat).get(shared.get_absolute_url()).content.decode()
    assert "History of the review" not in pat
