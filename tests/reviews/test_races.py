"""Races fought with real parallel requests: eight API calls of the same step, released at once
against a live server (each request on its own thread and database connection). Exactly one
wins, the others are told why (409), and the history has one row for the step; where every
call may win (a provider changing its answer), they are applied one after another and none is
lost.

Olivia (officer) shares a draft of Sunrise House's review (Owen, an officer too, saves the same
visit answer as she does, at the same moment); Maya and Mo are managers; Pat answers
an information request for Sunrise Care.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from rest_framework.authtoken.models import Token

from qaf.models import Document
from reviews import information as info
from reviews import services
from reviews.models import (
    Answer,
    InformationRequestItem,
    ItemStatus,
    Rag,
    Review,
    ReviewStatus,
)
from tests.factories import small_toolkit
from tests.support import send_in_parallel

PARALLEL = 8
LAYOUT = {"Safe": {"S1 Safeguarding": ["Do staff know how to report abuse?"]}}

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _post_in_parallel(url: str, token: str, bodies: list[dict]) -> list[int]:
    return send_in_parallel("POST", url, [token], bodies)


def _token(user) -> str:
    return Token.objects.create(user=user).key


@pytest.fixture
def shared(sunrise_house, officer_olivia, provider_pat) -> Review:
    """A draft shared with Sunrise Care, which has no further comments: ready to finalise."""
    review = services.plan_review(
        sunrise_house, actor=officer_olivia, toolkit=small_toolkit(LAYOUT)
    )
    question = services.questions_of(review).get()
    services.save_answer(review, question, actor=officer_olivia, expected_version=0, score="3")
    services.record_visit(review, actor=officer_olivia)
    services.prepare_draft(review, actor=officer_olivia, rating=Rag.GREEN)
    services.share_draft(review, actor=officer_olivia)
    return services.no_further_comments(review, actor=provider_pat)


def _rows_where(review: Review, **values) -> int:
    """History rows of the review in which the step's field first took ``values``."""
    rows = list(review.history.order_by("history_id").values(*values))
    return sum(
        1
        for before, after in zip([{}, *rows], rows, strict=False)
        if all(after[k] == v for k, v in values.items())
        and not all(before.get(k) == v for k, v in values.items())
    )


def _api(live_server, path: str) -> str:
    return f"{live_server.url}/api/v1/{path}"


@pytest.mark.parametrize(
    ("step", "field", "value"),
    [
        ("request-manager-review", "manager_review_requested", True),
        ("finalise", "status", ReviewStatus.FINAL),
    ],
)
def test_one_of_eight_parallel_calls_of_a_step_wins(
    live_server, shared, officer_olivia, step, field, value
):
    url = _api(live_server, f"reviews/{shared.pk}/{step}/")
    statuses = _post_in_parallel(url, _token(officer_olivia), [{}] * PARALLEL)
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    assert _rows_where(shared, **{field: value}) == 1
    if step == "finalise":
        assert Document.objects.filter(kind="qa_report_final", source_id=shared.pk).count() == 1


def test_one_manager_records_the_review_when_two_click_at_once(
    live_server, shared, officer_olivia, manager_maya, manager_mo
):
    services.request_manager_review(shared, actor=officer_olivia)
    url = _api(live_server, f"reviews/{shared.pk}/manager-reviewed/")
    results: list[int] = []

    def as_manager(token: str) -> None:
        results.extend(_post_in_parallel(url, token, [{}] * (PARALLEL // 2)))

    threads = [
        threading.Thread(target=as_manager, args=(_token(manager),))
        for manager in (manager_maya, manager_mo)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == [200] + [409] * (PARALLEL - 1)
    shared.refresh_from_db()
    assert shared.manager_reviewed_by in (manager_maya, manager_mo)
    assert _rows_where(shared, manager_reviewed_by_id=shared.manager_reviewed_by_id) == 1


def test_sending_to_the_regulator_is_recorded_once(live_server, shared, officer_olivia):
    services.finalise(shared, actor=officer_olivia)
    url = _api(live_server, f"reviews/{shared.pk}/sent-to-regulator/")
    statuses = _post_in_parallel(url, _token(officer_olivia), [{}] * PARALLEL)
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    shared.refresh_from_db()
    assert _rows_where(shared, sent_to_regulator_on=shared.sent_to_regulator_on) == 1


# --- Information request items --------------------------------------------------------------


@pytest.fixture
def sent_request(sunrise_house, officer_olivia):
    req = info.create_request(sunrise_house, actor=officer_olivia, items=["Fire risk assessment"])
    return info.send_request(req, actor=officer_olivia)


def test_one_of_eight_parallel_reviews_of_an_answer_wins(
    live_server, sent_request, officer_olivia, provider_pat
):
    item = sent_request.items.get()
    info.answer_item(item, actor=provider_pat, response="Attached in the library")
    item.refresh_from_db()
    url = _api(live_server, f"information-requests/{sent_request.pk}/items/{item.pk}/review/")
    bodies = [{"status": "needs_more", "comment": f"Comment {n}"} for n in range(PARALLEL - 1)] + [
        {"status": "accepted"}
    ]
    statuses = _post_in_parallel(url, _token(officer_olivia), bodies)
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    item.refresh_from_db()
    assert item.status in (ItemStatus.ACCEPTED, ItemStatus.NEEDS_MORE)
    reviewed = item.history.exclude(status=ItemStatus.ANSWERED).exclude(status=ItemStatus.OPEN)
    assert reviewed.count() == 1  # no later comment overwrote the first


def test_an_accept_never_lands_on_an_answer_the_officer_did_not_read(
    sent_request, officer_olivia, provider_pat, client_for
):
    item = sent_request.items.get()
    info.answer_item(item, actor=provider_pat, response="Attached in the library")
    item.refresh_from_db()
    read = item.version
    info.answer_item(item, actor=provider_pat, response="Sorry, wrong file: here is the right one")
    with pytest.raises(services.NotNow, match="changed this answer after you opened it"):
        info.review_item(item, actor=officer_olivia, status="accepted", version=read)
    item.refresh_from_db()
    assert item.status == ItemStatus.ANSWERED


def test_eight_parallel_answers_are_applied_one_after_another(
    live_server, sent_request, provider_pat
):
    item = sent_request.items.get()
    url = _api(live_server, f"information-requests/{sent_request.pk}/items/{item.pk}/answer/")
    bodies = [{"response": f"Answer {n}"} for n in range(PARALLEL)]
    statuses = _post_in_parallel(url, _token(provider_pat), bodies)
    assert statuses == [200] * PARALLEL
    item = InformationRequestItem.objects.get(pk=item.pk)
    assert item.version == 1 + PARALLEL  # every write counted: none read a stale version
    answers = list(
        item.history.exclude(response="").order_by("history_id").values_list("response", flat=True)
    )
    assert sorted(answers) == sorted(b["response"] for b in bodies)
    assert item.response == answers[-1]


def test_answering_and_closing_at_once_never_answers_a_closed_request(
    live_server, sent_request, officer_olivia, provider_pat
):
    item = sent_request.items.get()
    answer_url = _api(
        live_server, f"information-requests/{sent_request.pk}/items/{item.pk}/answer/"
    )
    close_url = _api(live_server, f"information-requests/{sent_request.pk}/close/")
    results: dict[str, list[int]] = {}

    def run(name, url, token, bodies):
        results[name] = _post_in_parallel(url, token, bodies)

    threads = [
        threading.Thread(
            target=run,
            args=("answer", answer_url, _token(provider_pat), [{"response": "Here"}] * 4),
        ),
        threading.Thread(target=run, args=("close", close_url, _token(officer_olivia), [{}] * 4)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results["close"]) == [200, 409, 409, 409]
    closed_at = sent_request.history.filter(status="closed").get().history_date
    for answered in item.history.filter(status=ItemStatus.ANSWERED):
        assert answered.history_date < closed_at


# --- Two officers saving the same visit answer at once --------------------------------------


def test_two_officers_saving_the_same_answer_at_once_one_is_told_and_nothing_is_lost(
    sunrise_house, officer_olivia, officer_owen
):
    """Both opened the visit at version 0 and press save together, each on a connection of its
    own. One save lands; the other is refused with both copies to choose from (409), and the
    answer holds exactly the winner's words: no half of one and half of the other."""
    review = services.plan_review(
        sunrise_house, actor=officer_olivia, toolkit=small_toolkit(LAYOUT)
    )
    question = services.questions_of(review).get()
    url = reverse("reviews:visit_answer", args=[review.pk, question.pk])
    notes = {officer_olivia: "Olivia: the log is complete", officer_owen: "Owen: no log kept"}
    scores = {officer_olivia: "3", officer_owen: "2"}
    barrier = threading.Barrier(2)
    responses = {}

    def save(user) -> None:
        client = Client()
        client.force_login(user)
        data = {
            f"q{question.pk}-version": 0,
            f"q{question.pk}-score": scores[user],
            f"q{question.pk}-notes": notes[user],
        }
        try:
            barrier.wait(timeout=30)
            responses[user] = client.post(url, data, HTTP_HX_REQUEST="true")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(user,)) for user in notes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(r.status_code for r in responses.values()) == [200, 409]
    winner = next(user for user, r in responses.items() if r.status_code == 200)
    loser = next(user for user, r in responses.items() if r.status_code == 409)
    refused = responses[loser]
    assert refused["X-Visit-Outcome"] == "conflict"
    panel = refused.content.decode()
    assert escape(notes[winner]) in panel and escape(notes[loser]) in panel
    answer = Answer.objects.get(review=review, question=question)
    assert (answer.score, answer.notes, answer.version) == (scores[winner], notes[winner], 1)
    assert answer.updated_by == winner
    assert answer.history.count() == 1  # one write, the winner's
