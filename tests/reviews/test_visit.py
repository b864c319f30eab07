"""The visit form (issue 4 item 3): Olivia scores Sunrise House's review on her tablet.

Olivia (officer) carries out the review; Owen (officer) helps on the same visit, so the two
sometimes save the same question: the later save is told, never silently lost. Maya (manager)
may help too. Pat (provider user at Sunrise Care), Quinn (Oak Lodge) and Pia (partner) never
reach the form: their roles do not record visits (403, before any lookup).

The toolkit is small: Safe has S1 (two questions) and S2 (one); Caring has C1 (two).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Answer, Question, Review, StandardNote
from tests.factories import small_toolkit

pytestmark = pytest.mark.django_db

LAYOUT = {
    "Safe": {
        "S1 Safeguarding": ["Do staff know how to report abuse?", "Are concerns learned from?"],
        "S2 Medicines": ["Are medicines given as prescribed?"],
    },
    "Caring": {"C1 Dignity": ["Are people treated with dignity?", "Is privacy respected?"]},
}


@pytest.fixture
def toolkit(db):
    return small_toolkit(LAYOUT)


@pytest.fixture
def review(sunrise_house, officer_olivia, toolkit) -> Review:
    return services.plan_review(sunrise_house, actor=officer_olivia, toolkit=toolkit)


def _question(toolkit, text: str) -> Question:
    return Question.objects.get(standard__domain__toolkit=toolkit, text=text)


@pytest.fixture
def q(toolkit):
    """The questions by short name: s1a, s1b, s2, c1a, c1b."""
    texts = [t for standards in LAYOUT.values() for qs in standards.values() for t in qs]
    names = ["s1a", "s1b", "s2", "c1a", "c1b"]
    return {name: _question(toolkit, text) for name, text in zip(names, texts, strict=True)}


def _page(review) -> str:
    return reverse("reviews:review_visit", args=[review.pk])


def _answer_url(review, question) -> str:
    return reverse("reviews:visit_answer", args=[review.pk, question.pk])


def _note_url(review, standard) -> str:
    return reverse("reviews:visit_note", args=[review.pk, standard.pk])


def _post_answer(client, review, question, *, version=0, score=None, notes=None):
    """What the page's htmx sends for one question: its own fields only."""
    data = {f"q{question.pk}-version": version}
    if score is not None:
        data[f"q{question.pk}-score"] = score
    if notes is not None:
        data[f"q{question.pk}-notes"] = notes
    return client.post(_answer_url(review, question), data, HTTP_HX_REQUEST="true")


# --- The page --------------------------------------------------------------------------------


def test_the_page_shows_the_reviews_questions_by_standard(client_for, officer_olivia, review, q):
    response = client_for(officer_olivia).get(_page(review))
    assert response.status_code == 200
    page = response.content.decode()
    for question in q.values():
        assert question.text in page
        assert f'name="q{question.pk}-notes"' in page
    # Another toolkit's questions (the default one, loaded by a migration) are not there.
    other = Question.objects.exclude(standard__domain__toolkit=review.toolkit).first()
    if other is not None:
        assert f'name="q{other.pk}-score"' not in page
    # The scores, guidance and evidence prompts, findings and people spoken to.
    for label in ["Excellent (4)", "Good (3)", "Requires improvement (2)", "Poor (1)"]:
        assert label in page
    assert "Not applicable" in page
    assert "How to judge it" in page and "What to look at or ask for" in page
    assert "Findings" in page and "People spoken to" in page
    # The side list of standards, the progress and the script, only on this page.
    assert page.count('class="qaf-visit__nav-item"') == 3
    assert "0 of 3 standards scored" in page
    assert "js/visit" in page
    # Each question posts its own fields only: one small request.
    s1a = q["s1a"].pk
    assert f'hx-params="q{s1a}-score,q{s1a}-notes,q{s1a}-version"' in page


def test_a_focused_review_shows_only_its_focus_standards(
    client_for, officer_olivia, sunrise_house, toolkit, q
):
    focused = services.plan_review(
        sunrise_house,
        actor=officer_olivia,
        toolkit=toolkit,
        kind="focused",
        focus_standards=[q["s2"].standard],
    )
    page = client_for(officer_olivia).get(_page(focused)).content.decode()
    assert q["s2"].text in page
    assert q["s1a"].text not in page and q["c1a"].text not in page
    assert "0 of 1 standard scored" in page
    # A question outside the focus cannot be saved through this review.
    assert _post_answer(client_for(officer_olivia), focused, q["s1a"], score="3").status_code == 404


def test_the_page_shows_what_was_saved(client_for, officer_olivia, officer_owen, review, q):
    services.save_answer(
        review, q["s1a"], actor=officer_owen, expected_version=0, score="2", notes="Log missing"
    )
    page = client_for(officer_olivia).get(_page(review)).content.decode()
    assert f'id="q{q["s1a"].pk}-score-2" name="q{q["s1a"].pk}-score" type="radio" value="2"' in (
        page
    )
    assert "Log missing</textarea>" in page
    assert f'name="q{q["s1a"].pk}-version" value="1"' in page
    assert "by Owen" in page


def test_the_page_queries_do_not_grow_with_the_toolkit(
    client_for, officer_olivia, officer_owen, review, q, django_assert_max_num_queries
):
    for question in q.values():
        services.save_answer(review, question, actor=officer_owen, expected_version=0, score="3")
    client = client_for(officer_olivia)
    # Session, user, review; answers, their linked evidence, notes, questions (with their
    # standards and domains).
    with django_assert_max_num_queries(7):
        response = client.get(_page(review), HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"


# --- Saving one answer: one small request, a small fragment ----------------------------------


@pytest.mark.parametrize(
    ("scores", "mean", "rag"),
    [
        (["3", "2"], "2.50", "Amber"),
        (["4", "3"], "3.50", "Green"),
        (["1", "na"], "1.00", "Red"),
        (["na", "3"], "3.00", "Green"),
    ],
)
def test_saving_an_answer_answers_the_recomputed_standard(
    client_for, officer_olivia, review, q, scores, mean, rag
):
    client = client_for(officer_olivia)
    for question, score in zip([q["s1a"], q["s1b"]], scores, strict=True):
        response = _post_answer(client, review, question, score=score)
        assert response.status_code == 200
    assert response["X-Visit-Outcome"] == "saved"
    assert response["X-Visit-Version"] == "1"
    fragment = response.content.decode()
    standard = q["s1a"].standard
    # The status text, then the standard's score, its side-list entry and the summary,
    # out of band: not the page.
    assert re.match(r"Saved \d\d:\d\d<input", fragment)
    assert f'id="standard-{standard.pk}-score" hx-swap-oob="true"' in fragment
    assert f"<strong>{mean}</strong>" in fragment
    assert f'qaf-rag--{rag.lower()}">{rag}</strong>' in fragment
    assert f'id="nav-standard-{standard.pk}" hx-swap-oob="true"' in fragment
    assert "1 of 3 standards scored" in fragment
    assert f'Suggested review rating: <strong class="govuk-tag qaf-rag qaf-rag--{rag.lower()}' in (
        fragment
    )
    assert f'name="q{q["s1b"].pk}-version" value="1"' in fragment
    assert "<html" not in fragment and len(fragment) < 3000
    saved = {a.question_id: a.score for a in review.answers.all()}
    assert saved == {q["s1a"].pk: scores[0], q["s1b"].pk: scores[1]}


def test_all_not_applicable_leaves_the_standard_unscored(client_for, officer_olivia, review, q):
    client = client_for(officer_olivia)
    _post_answer(client, review, q["s1a"], score="na")
    fragment = _post_answer(client, review, q["s1b"], score="na").content.decode()
    assert "<strong>Not scored</strong>" in fragment
    assert "2 not applicable (left out of the mean)" in fragment
    assert "Suggested review rating: not yet scored" in fragment


def test_the_suggested_rating_is_the_worst_standard(client_for, officer_olivia, review, q):
    client = client_for(officer_olivia)
    _post_answer(client, review, q["s1a"], score="4")
    fragment = _post_answer(client, review, q["c1a"], score="1").content.decode()
    assert 'Suggested review rating: <strong class="govuk-tag qaf-rag qaf-rag--red">' in fragment


def test_notes_alone_keep_the_score(client_for, officer_olivia, review, q):
    client = client_for(officer_olivia)
    _post_answer(client, review, q["s1a"], score="3")
    response = _post_answer(client, review, q["s1a"], version=1, notes="Seen the log.\r\nGood.")
    assert response.status_code == 200 and response["X-Visit-Version"] == "2"
    answer = Answer.objects.get(review=review, question=q["s1a"])
    # Stored as the tablet shows it (LF), so both copies of the same text compare equal.
    assert (answer.score, answer.notes, answer.updated_by) == (
        "3",
        "Seen the log.\nGood.",
        (officer_olivia),
    )


def test_a_save_that_changes_nothing_writes_nothing(client_for, officer_olivia, review, q):
    client = client_for(officer_olivia)
    _post_answer(client, review, q["s1a"], score="3", notes="Seen")
    history = Answer.history.count()
    # The tablet sends it again: the first answer was lost on the way back (version 0 still).
    again = _post_answer(client, review, q["s1a"], version=0, score="3", notes="Seen")
    assert again.status_code == 200 and again["X-Visit-Version"] == "1"
    same = _post_answer(client, review, q["s1a"], version=1, score="3", notes="Seen")
    assert same.status_code == 200 and same["X-Visit-Version"] == "1"
    assert Answer.history.count() == history


def test_a_bad_score_is_refused(client_for, officer_olivia, review, q):
    response = _post_answer(client_for(officer_olivia), review, q["s1a"], score="5")
    assert response.status_code == 400 and response["X-Visit-Outcome"] == "invalid"
    assert not Answer.objects.exists()


def test_saving_the_findings_and_people_spoken_to(client_for, officer_olivia, review, q):
    standard = q["s1a"].standard
    response = client_for(officer_olivia).post(
        _note_url(review, standard),
        {
            f"s{standard.pk}-findings": "Staff knew the procedure.",
            f"s{standard.pk}-people_spoken_to": "The manager; two carers",
            f"s{standard.pk}-version": 0,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and response["X-Visit-Version"] == "1"
    note = StandardNote.objects.get(review=review, standard=standard)
    assert (note.findings, note.people_spoken_to) == (
        "Staff knew the procedure.",
        "The manager; two carers",
    )


def test_one_answer_save_is_one_small_request_with_its_server_time(
    client_for, officer_olivia, review, q, django_assert_max_num_queries
):
    """Issue 4: saving a question answer is one request (its time is measured by
    bench/bench_visit_save.py, from the Server-Timing header this checks is there)."""
    client = client_for(officer_olivia)
    response = _post_answer(client, review, q["s1a"], version=0, notes="Note")
    assert response.status_code == 200
    assert response["Server-Timing"].startswith("app;dur=")
    assert float(response["Server-Timing"].removeprefix("app;dur=")) > 0
    # Only the fragment comes back, never the page.
    assert b"<html" not in response.content
    assert len(response.content) < 4000
    # Session, user, review, question, answer; then the service: the question check, the locked
    # get-or-create of the row with its history, the foreign-key check, the write and its
    # history with its evidence links, and two savepoints; then the recomputed scores (answers,
    # questions). The same for a toolkit of any size.
    with django_assert_max_num_queries(20):
        _post_answer(client, review, q["s1b"], score="3")


# --- Two officers on the same visit: the later save is told ---------------------------------


def test_a_stale_save_is_refused_with_both_copies(
    client_for, officer_olivia, officer_owen, review, q
):
    # Both opened the page at version 0. Owen saves first.
    owen = client_for(officer_owen)
    assert _post_answer(owen, review, q["s1a"], score="2", notes="Owen: no log").status_code == 200
    olivia = client_for(officer_olivia)
    response = _post_answer(olivia, review, q["s1a"], version=0, score="3", notes="Olivia: log ok")
    assert response.status_code == 409
    assert response["X-Visit-Outcome"] == "conflict"
    assert response["X-Visit-Version"] == "1"
    panel = response.content.decode()
    assert "Someone saved a different version at" in panel and "Owen" in panel
    assert "Owen: no log" in panel and "Olivia: log ok" in panel
    assert "Requires improvement" in panel and "Good" in panel
    assert "Keep mine" in panel and "Use theirs" in panel
    assert f'hx-swap-oob="innerHTML:#q{q["s1a"].pk}-conflict"' in panel
    # Nothing was overwritten.
    answer = Answer.objects.get(review=review, question=q["s1a"])
    assert (answer.score, answer.notes, answer.version) == ("2", "Owen: no log", 1)
    # "Keep mine": saved again against the version now on the server.
    kept = _post_answer(olivia, review, q["s1a"], version=1, score="3", notes="Olivia: log ok")
    assert kept.status_code == 200 and kept["X-Visit-Version"] == "2"
    answer.refresh_from_db()
    assert (answer.score, answer.notes, answer.updated_by) == (
        "3",
        "Olivia: log ok",
        (officer_olivia),
    )


def test_a_stale_note_shows_both_copies(client_for, officer_olivia, officer_owen, review, q):
    standard = q["s2"].standard
    services.save_standard_note(
        review,
        standard,
        actor=officer_owen,
        expected_version=0,
        findings="Owen's findings",
        people_spoken_to="The nurse",
    )
    response = client_for(officer_olivia).post(
        _note_url(review, standard),
        {f"s{standard.pk}-findings": "Olivia's findings", f"s{standard.pk}-version": 0},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    panel = response.content.decode()
    assert "Owen&#x27;s findings" in panel and "Olivia&#x27;s findings" in panel
    assert "The nurse" in panel
    assert StandardNote.objects.get(review=review, standard=standard).findings == "Owen's findings"


# --- Without JavaScript: a form per standard ------------------------------------------------


def _section_data(review, standard, **fields):
    """The whole section's form as the browser sends it: every question's fields."""
    data = {
        "standard": standard.pk,
        f"s{standard.pk}-findings": "",
        f"s{standard.pk}-people_spoken_to": "",
        f"s{standard.pk}-version": 0,
    }
    for question in standard.questions.all():
        data[f"q{question.pk}-notes"] = ""
        data[f"q{question.pk}-version"] = 0
    data.update(fields)
    return data


def test_without_javascript_a_section_saves_and_comes_back(client_for, officer_olivia, review, q):
    standard = q["s1a"].standard
    s1a = q["s1a"].pk
    data = _section_data(
        review,
        standard,
        **{
            f"q{s1a}-score": "4",
            f"q{s1a}-notes": "Very good",
            f"s{standard.pk}-findings": "Strong",
        },
    )
    response = client_for(officer_olivia).post(_page(review), data)
    assert response.status_code == 302
    assert response["Location"] == f"{_page(review)}?saved={standard.pk}#standard-{standard.pk}"
    answer = Answer.objects.get(review=review, question=q["s1a"])
    assert (answer.score, answer.notes) == ("4", "Very good")
    assert StandardNote.objects.get(review=review, standard=standard).findings == "Strong"
    # The untouched question wrote nothing.
    assert not Answer.objects.filter(question=q["s1b"]).exists()
    page = client_for(officer_olivia).get(response["Location"]).content.decode()
    assert "S1 saved" in page


def test_without_javascript_a_stale_section_shows_the_conflict(
    client_for, officer_olivia, officer_owen, review, q
):
    standard = q["s1a"].standard
    s1a, s1b = q["s1a"].pk, q["s1b"].pk
    # Owen saves both S1 questions while Olivia has the page open (all at version 0).
    for question in (q["s1a"], q["s1b"]):
        services.save_answer(
            review, question, actor=officer_owen, expected_version=0, score="2", notes="Owen's note"
        )
    # Olivia changed only the first question; the second she left as it was.
    data = _section_data(review, standard, **{f"q{s1a}-score": "4", f"q{s1a}-notes": "Mine"})
    response = client_for(officer_olivia).post(_page(review), data)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Not everything was saved" in page
    assert f'href="#q{s1a}-conflict"' in page and f'href="#q{s1b}-conflict"' not in page
    # Her text stays in the field; the version is now the server's, so "Keep mine" saves it.
    assert "Mine</textarea>" in page
    assert f'name="q{s1a}-version" value="1"' in page
    assert "Owen&#x27;s note" in page
    answer = Answer.objects.get(review=review, question=q["s1a"])
    assert (answer.score, answer.notes) == ("2", "Owen's note")

    keep = _section_data(
        review,
        standard,
        **{
            f"q{s1a}-score": "4",
            f"q{s1a}-notes": "Mine",
            f"q{s1a}-version": 1,
            f"q{s1b}-version": 1,
            f"q{s1b}-score": "2",
            f"q{s1b}-notes": "Owen's note",
            "keep": f"q{s1a}",
        },
    )
    assert client_for(officer_olivia).post(_page(review), keep).status_code == 302
    answer.refresh_from_db()
    assert (answer.score, answer.notes) == ("4", "Mine")


def test_without_javascript_use_theirs_discards_mine(
    client_for, officer_olivia, officer_owen, review, q
):
    standard = q["s2"].standard
    s2 = q["s2"].pk
    services.save_answer(review, q["s2"], actor=officer_owen, expected_version=0, notes="Owen's")
    data = _section_data(
        review, standard, **{f"q{s2}-notes": "Mine", f"q{s2}-version": 1, "use_theirs": f"q{s2}"}
    )
    assert client_for(officer_olivia).post(_page(review), data).status_code == 302
    assert Answer.objects.get(review=review, question=q["s2"]).notes == "Owen's"


# --- Who may use it -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("officer_olivia", 200),
        ("officer_owen", 200),  # any caseworker can help with a visit
        ("manager_maya", 200),
        ("partner_pia", 403),
        ("board_bea", 403),
        ("admin_alex", 403),
        ("provider_pat", 403),  # the reviewed provider: refused by role, before any lookup
        ("provider_quinn", 403),  # another provider: the same (role first)
    ],
)
def test_who_may_use_the_visit_form(request, client_for, review, q, who, expected):
    client = client_for(request.getfixturevalue(who))
    assert client.get(_page(review)).status_code == expected
    saved = _post_answer(client, review, q["s1a"], score="3")
    assert saved.status_code == expected
    assert Answer.objects.exists() == (expected == 200)


def test_signed_out_users_are_sent_to_sign_in(client, review, q):
    assert client.get(_page(review)).status_code == 302
    assert _post_answer(client, review, q["s1a"], score="3").status_code == 302
    assert not Answer.objects.exists()


def test_a_review_that_does_not_exist_is_404(client_for, officer_olivia, review, q):
    client = client_for(officer_olivia)
    assert client.get(reverse("reviews:review_visit", args=[review.pk + 1000])).status_code == 404
    url = reverse("reviews:visit_answer", args=[review.pk + 1000, q["s1a"].pk])
    assert client.post(url, {f"q{q['s1a'].pk}-version": 0}).status_code == 404


# --- Once the draft is shared: read only ----------------------------------------------------


def test_after_sharing_the_visit_is_read_only(client_for, officer_olivia, review, q):
    services.save_answer(
        review, q["s1a"], actor=officer_olivia, expected_version=0, score="3", notes="Seen the log"
    )
    Review.objects.filter(pk=review.pk).update(status="with_provider")
    client = client_for(officer_olivia)
    page = client.get(_page(review)).content.decode()
    assert "Read only" in page and "shared with the provider" in page
    assert "<textarea" not in page and 'type="radio"' not in page and "js/visit" not in page
    assert "Seen the log" in page and "Good" in page

    response = _post_answer(client, review, q["s1a"], version=1, notes="Changed later")
    assert response.status_code == 409
    assert response["X-Visit-Outcome"] == "refused"
    assert "can no longer change" in response.content.decode()
    assert Answer.objects.get(question=q["s1a"]).notes == "Seen the log"
    section = client.post(_page(review), _section_data(review, q["s1a"].standard))
    assert section.status_code == 302


def test_a_review_without_questions_says_so(client_for, officer_olivia, sunrise_house):
    # A review recorded before QAF (or a focused one without standards) has no toolkit.
    from tests.factories import ReviewFactory

    review = ReviewFactory(service=sunrise_house, officer=officer_olivia, toolkit=None)
    response = client_for(officer_olivia).get(_page(review))
    assert response.status_code == 200
    assert "This review has no questions to score" in response.content.decode()


def test_a_stale_version_for_a_question_never_answered_is_a_conflict_not_an_error(
    client_for, officer_olivia, review, q
):
    """The page expected a saved answer (version 3) that the server never had: the save is
    refused with the server's (empty) copy to choose from, and nothing is saved."""
    client = client_for(officer_olivia)
    response = _post_answer(client, review, q["s1a"], version=3, score="3", notes="Mine")
    assert response.status_code == 409
    assert response["X-Visit-Outcome"] == "conflict"
    assert response["X-Visit-Version"] == "0"
    assert "Nothing is saved here yet" in response.content.decode()
    assert not Answer.objects.filter(review=review, question=q["s1a"]).exists()
    # Without JavaScript, the section form says the same.
    data = _section_data(review, q["s1a"].standard)
    data[f"q{q['s1a'].pk}-version"] = 3
    data[f"q{q['s1a'].pk}-score"] = "3"
    assert client.post(_page(review), data).status_code == 409
    assert not Answer.objects.filter(review=review, question=q["s1a"]).exists()
