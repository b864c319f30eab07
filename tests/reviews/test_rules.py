"""Issue 9's review rules, each as the seeds and SPEC §5-§6 say, on its boundary days:

- the provider's 14 days for comments are kept (000 §6, SPEC §5): no final report before the
  deadline has passed, unless every comment is answered and the provider has said it has no
  more; a manager may issue it earlier with a reason;
- the suggested rating is never stale: recomputed at every step and on the review page;
- a draft needs every question scored or marked not applicable;
- an information request is due 28 days after it is sent (003 §1.3), and a due date no longer
  ahead when it is sent is refused.

Olivia (officer) reviews Sunrise House; Maya is a manager; Pat works for Sunrise Care, Quinn for
Oak Lodge. The draft is shared on 2 March 2026, so the provider may comment until 16 March.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from reviews import information as info
from reviews import services
from reviews.models import Rag, Review, ReviewStatus
from tests.factories import small_toolkit

pytestmark = pytest.mark.django_db

LAYOUT = {
    "Safe": {"S1 Safeguarding": ["Do staff know how to report abuse?", "Are concerns learned?"]},
    "Caring": {"C1 Dignity": ["Are people treated with dignity?"]},
}
SHARED_ON = date(2026, 3, 2)
DEADLINE = date(2026, 3, 16)  # 14 days after sharing: the last day for comments


@pytest.fixture
def review(sunrise_house, officer_olivia) -> Review:
    return services.plan_review(sunrise_house, actor=officer_olivia, toolkit=small_toolkit(LAYOUT))


def _score(review, officer, scores: dict[str, str]) -> None:
    """Score questions by their label (S1.1, S1.2, C1.1), each against its current version."""
    from reviews.models import Answer
    from reviews.queries import question_labels

    by_label = {label: pk for pk, label in question_labels(review).items()}
    for label, score in scores.items():
        question = services.questions_of(review).get(pk=by_label[label])
        saved = Answer.objects.filter(review=review, question=question).first()
        services.save_answer(
            review,
            question,
            actor=officer,
            expected_version=saved.version if saved else 0,
            score=score,
        )


@pytest.fixture
def shared(review, officer_olivia) -> Review:
    _score(review, officer_olivia, {"S1.1": "3", "S1.2": "3", "C1.1": "4"})
    services.record_visit(review, actor=officer_olivia)
    services.prepare_draft(review, actor=officer_olivia, rating=Rag.GREEN)
    return services.share_draft(review, actor=officer_olivia, today=SHARED_ON)


# --- The provider's 14 days ---------------------------------------------------------------------


def test_the_draft_gives_the_provider_until_the_fourteenth_day(shared):
    assert shared.comments_due == DEADLINE


@pytest.mark.parametrize(
    ("today", "allowed"),
    [(SHARED_ON, False), (DEADLINE, False), (DEADLINE + timedelta(days=1), True)],
    ids=["the day it is shared", "the last day for comments", "the day after"],
)
def test_no_final_report_until_the_deadline_has_passed(shared, officer_olivia, today, allowed):
    if allowed:
        services.finalise(shared, actor=officer_olivia, today=today)
        assert shared.status == ReviewStatus.FINAL
    else:
        with pytest.raises(services.NotNow, match="The provider may comment until 16 March 2026"):
            services.finalise(shared, actor=officer_olivia, today=today)
        shared.refresh_from_db()
        assert shared.status == ReviewStatus.WITH_PROVIDER


def test_the_provider_may_end_its_time_early_once_every_comment_is_answered(
    shared, officer_olivia, provider_pat, time_machine
):
    time_machine.move_to(date(2026, 3, 5))
    comment = services.add_comment(shared, actor=provider_pat, text="The date is wrong.")
    services.no_further_comments(shared, actor=provider_pat)
    assert shared.no_more_comments_on == date(2026, 3, 5)
    assert shared.history.order_by("-history_id").first().history_user == provider_pat
    # No more comments from the provider after that.
    with pytest.raises(services.NotNow, match="no further comments"):
        services.add_comment(shared, actor=provider_pat, text="One more thing")
    # Its one comment still waits for the officer's answer.
    with pytest.raises(services.NotNow, match="Answer every comment"):
        services.finalise(shared, actor=officer_olivia)
    services.answer_comment(comment, actor=officer_olivia, response="accepted")
    services.finalise(shared, actor=officer_olivia)
    assert shared.status == ReviewStatus.FINAL


def test_only_the_providers_own_users_end_its_time_for_comments(
    shared, officer_olivia, manager_maya, provider_quinn
):
    for outsider in (officer_olivia, manager_maya, provider_quinn):
        with pytest.raises(services.Forbidden):
            services.no_further_comments(shared, actor=outsider, today=date(2026, 3, 5))
    shared.refresh_from_db()
    assert shared.no_more_comments_on is None


def test_a_manager_may_issue_the_final_report_early_with_a_reason(
    shared, officer_olivia, manager_maya
):
    with pytest.raises(services.Forbidden, match="Only a quality manager"):
        services.finalise_early(
            shared, actor=officer_olivia, reason="Urgent", today=date(2026, 3, 5)
        )
    with pytest.raises(services.NotNow, match="Give the reason"):
        services.finalise_early(shared, actor=manager_maya, reason=" ", today=date(2026, 3, 5))
    services.finalise_early(
        shared,
        actor=manager_maya,
        reason="The provider agreed the draft at the feedback meeting.",
        today=date(2026, 3, 5),
    )
    assert shared.status == ReviewStatus.FINAL
    assert shared.finalised_early_reason == "The provider agreed the draft at the feedback meeting."
    last = shared.history.order_by("-history_id").first()
    assert (last.history_user, last.status) == (manager_maya, ReviewStatus.FINAL)


def test_finalising_early_is_not_needed_once_the_deadline_has_passed(shared, manager_maya):
    with pytest.raises(services.NotNow, match="time for comments is over"):
        services.finalise_early(
            shared, actor=manager_maya, reason="Late", today=DEADLINE + timedelta(days=1)
        )


def test_the_api_and_the_page_say_why_the_final_report_waits(
    shared, officer_olivia, provider_pat, api_for, client_for, time_machine
):
    time_machine.move_to(date(2026, 3, 5))
    refused = api_for(officer_olivia).post(f"/api/v1/reviews/{shared.pk}/finalise/")
    assert refused.status_code == 409
    assert "The provider may comment until 16 March 2026" in refused.json()["detail"]
    page = client_for(officer_olivia).get(shared.get_absolute_url()).content.decode()
    assert "Issue the final report</strong> is not possible yet" in page
    ended = api_for(provider_pat).post(f"/api/v1/reviews/{shared.pk}/no-further-comments/")
    assert ended.status_code == 200
    assert ended.json()["no_more_comments_on"] == "2026-03-05"
    done = api_for(officer_olivia).post(f"/api/v1/reviews/{shared.pk}/finalise/")
    assert done.status_code == 200
    assert done.json()["status"] == "final"


# --- The suggested rating is never stale --------------------------------------------------------


def test_a_changed_answer_makes_the_draft_say_its_rating_again(review, officer_olivia, client_for):
    _score(review, officer_olivia, {"S1.1": "3", "S1.2": "3", "C1.1": "4"})
    services.record_visit(review, actor=officer_olivia)
    services.prepare_draft(review, actor=officer_olivia, rating=Rag.GREEN)
    _score(review, officer_olivia, {"S1.2": "1"})  # S1 now averages 2: Amber
    page = client_for(officer_olivia).get(review.get_absolute_url()).content.decode()
    assert "The scores now suggest Amber; the draft report says Green" in page
    with pytest.raises(services.NotNow, match="The scores now suggest Amber, not the draft"):
        services.share_draft(review, actor=officer_olivia)
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    # Written again with a reason for keeping Green, it goes; the stored suggestion is fresh.
    services.prepare_draft(
        review, actor=officer_olivia, rating=Rag.GREEN, override_reason="One-off lapse, fixed."
    )
    services.share_draft(review, actor=officer_olivia)
    assert (review.suggested_rating, review.rating) == (Rag.AMBER, Rag.GREEN)


def test_an_override_that_the_scores_now_agree_with_is_no_longer_an_override(
    review, officer_olivia
):
    _score(review, officer_olivia, {"S1.1": "3", "S1.2": "1", "C1.1": "4"})  # Amber
    services.record_visit(review, actor=officer_olivia)
    services.prepare_draft(
        review, actor=officer_olivia, rating=Rag.GREEN, override_reason="Fixed on the day."
    )
    _score(review, officer_olivia, {"S1.2": "3"})  # Green after all
    services.share_draft(review, actor=officer_olivia)
    assert (review.suggested_rating, review.rating, review.override_reason) == (
        Rag.GREEN,
        Rag.GREEN,
        "",
    )


# --- Every question answered before the draft ---------------------------------------------------


def test_a_draft_needs_every_question_scored_or_not_applicable(review, officer_olivia, client_for):
    _score(review, officer_olivia, {"S1.1": "3"})
    services.record_visit(review, actor=officer_olivia)
    page = (
        client_for(officer_olivia)
        .get(reverse("reviews:review_visit", args=[review.pk]))
        .content.decode()
    )
    assert "2 questions left to score or mark not applicable" in page
    assert ">S1.2</a>" in page and ">C1.1</a>" in page
    with pytest.raises(services.NotNow, match=r"2 questions left \(S1.2, C1.1\)"):
        services.prepare_draft(review, actor=officer_olivia, rating=Rag.GREEN)
    _score(review, officer_olivia, {"S1.2": "na", "C1.1": "4"})
    services.prepare_draft(review, actor=officer_olivia, rating=Rag.GREEN)
    assert review.status == ReviewStatus.DRAFT
    page = (
        client_for(officer_olivia)
        .get(reverse("reviews:review_visit", args=[review.pk]))
        .content.decode()
    )
    assert "Every question is scored or marked not applicable" in page


# --- Information requests are due from the day they are sent ------------------------------------


@pytest.fixture
def draft_request(sunrise_house, officer_olivia):
    return info.create_request(sunrise_house, actor=officer_olivia, items=["Fire risk assessment"])


def test_a_request_is_due_twenty_eight_days_after_it_is_sent(draft_request, officer_olivia):
    info.send_request(draft_request, actor=officer_olivia, today=date(2026, 3, 20))
    assert (draft_request.issued_on, draft_request.due_date) == (
        date(2026, 3, 20),
        date(2026, 4, 17),
    )


@pytest.mark.parametrize(
    ("due", "refused"),
    [(date(2026, 3, 10), True), (date(2026, 3, 20), True), (date(2026, 3, 21), False)],
    ids=["passed", "the day it is sent", "the day after"],
)
def test_a_due_date_no_longer_ahead_is_refused_when_sending(
    sunrise_house, officer_olivia, due, refused
):
    req = info.create_request(sunrise_house, actor=officer_olivia, items=["Rota"], due_date=due)
    if refused:
        with pytest.raises(services.NotNow, match="is not after today"):
            info.send_request(req, actor=officer_olivia, today=date(2026, 3, 20))
        req.refresh_from_db()
        assert req.status == "draft" and req.issued_on is None
    else:
        info.send_request(req, actor=officer_olivia, today=date(2026, 3, 20))
        assert req.due_date == due


def test_the_send_page_takes_a_new_due_date_or_the_usual_period(
    sunrise_house, officer_olivia, client_for, time_machine
):
    time_machine.move_to(date(2026, 3, 20))
    req = info.create_request(
        sunrise_house, actor=officer_olivia, items=["Rota"], due_date=date(2026, 3, 10)
    )
    client = client_for(officer_olivia)
    url = reverse("reviews:request_step", args=[req.pk, "send"])
    refused = client.post(url, {"due_date": "10/3/2026"})
    assert refused.status_code == 200
    assert "is not after today" in refused.content.decode()
    client.post(url, {"due_date": ""})
    req.refresh_from_db()
    assert (req.status, req.due_date) == ("sent", date(2026, 4, 17))
