"""Evidence linked to the review (issue 4 items 3 and 6): Olivia links files from Sunrise Care's
evidence library to the questions she scores; Pat attaches Sunrise files to his comments on the
draft report. Nobody links a file of another provider, or one the virus scan has not cleared.

Olivia and Owen (officers) work the same visit; Pat is Sunrise Care's user, Quinn Oak Lodge's.
"""

from __future__ import annotations

import io

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from providers.evidence import Evidence
from qaf.models import Document
from qaf.pdf import render_document
from qaf.rag import Rag
from reviews import services
from reviews.models import Answer, Question, ReportComment, Review
from tests.factories import EvidenceFactory, small_toolkit

pytestmark = pytest.mark.django_db

LAYOUT = {
    "Safe": {"S1 Safeguarding": ["Do staff know how to report abuse?", "Are concerns learned?"]},
    "Caring": {"C1 Dignity": ["Are people treated with dignity?"]},
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.QAF_VIRUS_SCANNER = "none"
    return tmp_path


@pytest.fixture
def toolkit(db):
    return small_toolkit(LAYOUT)


@pytest.fixture
def review(sunrise_house, officer_olivia, toolkit) -> Review:
    return services.plan_review(sunrise_house, actor=officer_olivia, toolkit=toolkit)


@pytest.fixture
def q(toolkit) -> dict[str, Question]:
    questions = Question.objects.filter(standard__domain__toolkit=toolkit)
    by_text = {question.text: question for question in questions}
    return {
        "s1a": by_text["Do staff know how to report abuse?"],
        "s1b": by_text["Are concerns learned?"],
        "c1": by_text["Are people treated with dignity?"],
    }


@pytest.fixture
def policy(sunrise, provider_pat):
    return EvidenceFactory(provider=sunrise, uploaded_by=provider_pat, title="Safeguarding policy")


@pytest.fixture
def rota(sunrise, provider_pat):
    return EvidenceFactory(provider=sunrise, uploaded_by=provider_pat, title="Staff rota")


@pytest.fixture
def oak_file(oak_lodge, provider_quinn):
    return EvidenceFactory(provider=oak_lodge, uploaded_by=provider_quinn, title="Oak policy")


@pytest.fixture
def unscanned(sunrise, provider_pat):
    return EvidenceFactory(
        provider=sunrise, uploaded_by=provider_pat, title="Just uploaded", scan_status="pending"
    )


def _linked(review, question) -> set[str]:
    answer = Answer.objects.filter(review=review, question=question).first()
    return {e.title for e in answer.evidence.all()} if answer else set()


def _evidence_url(review, question) -> str:
    return reverse("reviews:visit_evidence", args=[review.pk, question.pk])


# --- The service: links change one by one ------------------------------------------------------


def test_two_officers_linking_at_once_both_keep_theirs(
    review, q, policy, rota, officer_olivia, officer_owen
):
    services.link_evidence(review, q["s1a"], actor=officer_olivia, add=[policy])
    services.link_evidence(review, q["s1a"], actor=officer_owen, add=[rota])
    assert _linked(review, q["s1a"]) == {"Safeguarding policy", "Staff rota"}
    services.link_evidence(review, q["s1a"], actor=officer_olivia, remove=[policy])
    assert _linked(review, q["s1a"]) == {"Staff rota"}


def test_linking_keeps_the_answers_version_so_a_typed_note_still_saves(
    review, q, policy, officer_olivia
):
    services.link_evidence(review, q["s1a"], actor=officer_olivia, add=[policy])
    # The page still holds version 0 for the question: the officer's note is not refused.
    answer = services.save_answer(
        review, q["s1a"], actor=officer_olivia, expected_version=0, notes="Policy seen"
    )
    assert answer.notes == "Policy seen"
    assert _linked(review, q["s1a"]) == {"Safeguarding policy"}


def test_links_are_in_the_answers_history(review, q, policy, officer_olivia):
    services.link_evidence(review, q["s1a"], actor=officer_olivia, add=[policy])
    answer = Answer.objects.get(review=review, question=q["s1a"])
    latest = answer.history.latest()
    assert [e.evidence_id for e in latest.evidence.all()] == [policy.pk]
    assert latest.history_user == officer_olivia


@pytest.mark.parametrize("which", ["oak_file", "unscanned"])
def test_another_providers_file_or_an_unscanned_one_is_refused(
    request, review, q, officer_olivia, which
):
    file = request.getfixturevalue(which)
    with pytest.raises(services.NotNow, match="passed the virus scan"):
        services.link_evidence(review, q["s1a"], actor=officer_olivia, add=[file])
    assert not Answer.objects.filter(review=review).exists()


def test_no_links_once_the_draft_is_shared(review, q, policy, officer_olivia):
    for question in services.questions_of(review):
        services.save_answer(review, question, actor=officer_olivia, expected_version=0, score="3")
    services.record_visit(review, actor=officer_olivia)
    services.prepare_draft(review, actor=officer_olivia, rating=Rag.GREEN)
    services.share_draft(review, actor=officer_olivia)
    with pytest.raises(services.NotNow, match="shared"):
        services.link_evidence(review, q["s1a"], actor=officer_olivia, add=[policy])


def test_providers_do_not_link_evidence_to_the_visit(review, q, policy, provider_pat):
    with pytest.raises(services.Forbidden):
        services.link_evidence(review, q["s1a"], actor=provider_pat, add=[policy])


# --- The page: pick files from the provider's library ------------------------------------------


def test_the_page_offers_only_the_providers_clean_files(
    client_for, review, q, officer_olivia, policy, oak_file, unscanned
):
    page = client_for(officer_olivia).get(_evidence_url(review, q["s1a"])).content.decode()
    assert "Evidence for question S1.1" in page
    assert "Safeguarding policy" in page
    assert "Oak policy" not in page
    assert "Just uploaded" not in page


def test_ticking_and_unticking_changes_only_what_was_touched(
    client_for, review, q, officer_olivia, officer_owen, policy, rota
):
    client = client_for(officer_olivia)
    # Olivia's page was drawn with nothing linked; Owen links the rota meanwhile.
    services.link_evidence(review, q["s1a"], actor=officer_owen, add=[rota])
    response = client.post(_evidence_url(review, q["s1a"]), {"evidence": [policy.pk]})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/visit/#q{q['s1a'].pk}")
    assert _linked(review, q["s1a"]) == {"Safeguarding policy", "Staff rota"}
    # Unticking the policy (shown as linked) removes it, and only it.
    response = client.post(
        _evidence_url(review, q["s1a"]), {"shown": [policy.pk, rota.pk], "evidence": [rota.pk]}
    )
    assert _linked(review, q["s1a"]) == {"Staff rota"}


def test_an_id_the_page_did_not_offer_is_an_error_on_the_page(
    client_for, review, q, officer_olivia, oak_file, policy
):
    response = client_for(officer_olivia).post(
        _evidence_url(review, q["s1a"]), {"evidence": [oak_file.pk]}
    )
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    assert _linked(review, q["s1a"]) == set()


def test_an_empty_library_says_how_files_arrive(client_for, review, q, officer_olivia):
    page = client_for(officer_olivia).get(_evidence_url(review, q["s1a"])).content.decode()
    assert "has no files in its evidence library that can be linked yet" in page
    assert "Upload a file to Sunrise Care Ltd" in page


def test_the_visit_page_lists_linked_files(client_for, review, q, officer_olivia, policy):
    services.link_evidence(review, q["s1a"], actor=officer_olivia, add=[policy])
    page = client_for(officer_olivia).get(reverse("reviews:review_visit", args=[review.pk]))
    html = page.content.decode()
    assert policy.get_download_url() in html
    assert _evidence_url(review, q["s1b"]) in html


@pytest.mark.parametrize(("user", "status"), [("provider_pat", 403), ("partner_pia", 403)])
def test_the_page_is_for_caseworkers(request, client_for, review, q, user, status):
    client = client_for(request.getfixturevalue(user))
    assert client.get(_evidence_url(review, q["s1a"])).status_code == status


def test_another_teams_review_is_not_found(client_for, oak_lodge_home, officer_owen, q, toolkit):
    # Owen plans the Oak Lodge review; a question of another toolkit is not part of it.
    review = services.plan_review(oak_lodge_home, actor=officer_owen, toolkit=toolkit)
    other = small_toolkit({"X": {"X1 Other": ["Not in the review?"]}})
    question = Question.objects.get(standard__domain__toolkit=other)
    assert client_for(officer_owen).get(_evidence_url(review, question)).status_code == 404


# --- Comments on the draft, with evidence ------------------------------------------------------


@pytest.fixture
def shared(review, q, officer_olivia, policy):
    services.save_answer(review, q["s1a"], actor=officer_olivia, expected_version=0, score="2")
    services.save_answer(review, q["s1b"], actor=officer_olivia, expected_version=0, score="na")
    services.save_answer(review, q["c1"], actor=officer_olivia, expected_version=0, score="4")
    services.link_evidence(review, q["s1a"], actor=officer_olivia, add=[policy])
    services.record_visit(review, actor=officer_olivia)
    services.prepare_draft(
        review,
        actor=officer_olivia,
        rating=Rag.GREEN,
        override_reason="The manager fixed the reporting gap on the day.",
    )
    return services.share_draft(review, actor=officer_olivia)


def _comment_url(review) -> str:
    return reverse("reviews:review_step", args=[review.pk, "comment"])


def test_pat_attaches_a_library_file_and_a_new_upload(
    client_for, shared, q, provider_pat, rota, media
):
    from tests.providers.test_evidence import pdf

    upload = SimpleUploadedFile("minutes.pdf", pdf(), content_type="application/pdf")
    response = client_for(provider_pat).post(
        _comment_url(shared),
        {
            "standard": q["s1a"].standard_id,
            "text": "The staff meeting minutes show the training.",
            "evidence": [rota.pk],
            "title": "Staff meeting minutes",
            "evidence_date": "3/11/2026",
            "file": upload,
        },
    )
    assert response.status_code == 302
    comment = ReportComment.objects.get(review=shared)
    assert {e.title for e in comment.evidence.all()} == {"Staff rota", "Staff meeting minutes"}
    assert Evidence.objects.get(title="Staff meeting minutes").provider == provider_pat.provider


def test_a_refused_upload_leaves_no_comment(client_for, shared, provider_pat):
    upload = SimpleUploadedFile("run.pdf", b"MZ\x90\x00not a pdf", content_type="application/pdf")
    response = client_for(provider_pat).post(
        _comment_url(shared),
        {"text": "See file", "title": "Bad", "evidence_date": "3/11/2026", "file": upload},
    )
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    assert not ReportComment.objects.exists()
    assert not Evidence.objects.filter(title="Bad").exists()


def test_a_new_file_needs_a_title_and_date(client_for, shared, provider_pat):
    from tests.providers.test_evidence import pdf

    upload = SimpleUploadedFile("m.pdf", pdf(), content_type="application/pdf")
    response = client_for(provider_pat).post(
        _comment_url(shared), {"text": "See file", "file": upload}
    )
    page = response.content.decode()
    assert "Enter a title for the new file" in page
    assert "Enter the date of the new file" in page
    assert not ReportComment.objects.exists()


def test_a_comment_cannot_carry_another_providers_file(shared, provider_pat, oak_file):
    with pytest.raises(services.Forbidden):
        services.add_comment(shared, actor=provider_pat, text="See this", evidence=[oak_file])
    assert not ReportComment.objects.exists()


def test_the_officer_sees_the_comments_files(
    client_for, shared, provider_pat, rota, officer_olivia
):
    services.add_comment(shared, actor=provider_pat, text="See the rota", evidence=[rota])
    page = client_for(officer_olivia).get(shared.get_absolute_url()).content.decode()
    assert "Evidence sent with the comment" in page
    assert rota.get_download_url() in page


def test_the_final_report_lists_evidence_seen_and_the_comments(
    shared, q, provider_pat, officer_olivia, rota
):
    comment = services.add_comment(
        shared, actor=provider_pat, text="Training happened in May.", evidence=[rota]
    )
    services.answer_comment(
        comment, actor=officer_olivia, response="not_accepted", reason="No record of it seen."
    )
    services.no_further_comments(shared, actor=provider_pat)
    services.finalise(shared, actor=officer_olivia)
    final = Document.objects.get(kind="qa_report_final", source_id=shared.pk)
    render_document(final)
    final.refresh_from_db()
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in pypdf.PdfReader(io.BytesIO(final.file.read())).pages
    )
    assert "Evidence seen: Safeguarding policy (5 January 2026)" in text
    assert "Training happened in May." in text
    assert "Evidence sent: Staff rota" in text
    assert "Not accepted. No record of it seen." in text


# --- The API ---------------------------------------------------------------------------------


def _answers_url(review) -> str:
    return f"/api/v1/reviews/{review.pk}/answers/"


def test_api_saves_an_answer_and_tells_a_stale_edit(api_for, review, q, officer_olivia, policy):
    api = api_for(officer_olivia)
    body = {"question": q["s1a"].pk, "version": 0, "score": "3", "add_evidence": [policy.pk]}
    response = api.post(_answers_url(review), body, format="json")
    assert response.status_code == 200, response.data
    assert response.data["version"] == 1
    assert response.data["evidence"] == [policy.pk]
    stale = api.post(
        _answers_url(review), {"question": q["s1a"].pk, "version": 0, "notes": "x"}, format="json"
    )
    assert stale.status_code == 409
    assert stale.data["server"]["score"] == "3"
    assert Answer.objects.get(review=review, question=q["s1a"]).notes == ""
    listed = api.get(_answers_url(review)).data
    assert [(a["question"], a["score"]) for a in listed] == [(q["s1a"].pk, "3")]


def test_api_a_stale_version_for_a_question_never_answered_is_409_with_an_empty_copy(
    api_for, review, q, officer_olivia
):
    api = api_for(officer_olivia)
    body = {"question": q["s1a"].pk, "version": 4, "score": "3"}
    response = api.post(_answers_url(review), body, format="json")
    assert response.status_code == 409
    assert response.data["server"] == {
        "question": q["s1a"].pk,
        "score": "",
        "notes": "",
        "evidence": [],
        "version": 0,
        "updated_by": None,
        "updated_at": None,
    }
    assert not Answer.objects.filter(review=review).exists()
    # Nothing to change is not an error either: the (empty) answer as the server has it.
    nothing = api.post(_answers_url(review), {"question": q["s1a"].pk, "version": 0}, format="json")
    assert nothing.status_code == 200
    assert nothing.data["version"] == 0


def test_api_refuses_a_foreign_file_and_saves_nothing(api_for, review, q, officer_olivia, oak_file):
    body = {"question": q["s1a"].pk, "version": 0, "score": "3", "add_evidence": [oak_file.pk]}
    response = api_for(officer_olivia).post(_answers_url(review), body, format="json")
    assert response.status_code == 409
    assert not Answer.objects.filter(review=review).exists()


def test_api_answers_are_for_caseworkers(api_for, review, provider_pat, partner_pia):
    assert api_for(provider_pat).get(_answers_url(review)).status_code == 403
    assert api_for(partner_pia).get(_answers_url(review)).status_code == 403


def test_api_comment_and_answer(
    api_for, shared, q, provider_pat, provider_quinn, officer_olivia, rota
):
    url = f"/api/v1/reviews/{shared.pk}/comments/"
    body = {"standard": q["c1"].standard_id, "text": "Dignity was praised.", "evidence": [rota.pk]}
    created = api_for(provider_pat).post(url, body, format="json")
    assert created.status_code == 201, created.data
    assert created.data["evidence"] == [rota.pk]
    # Quinn does not see Sunrise's review at all; Olivia may not comment.
    assert api_for(provider_quinn).post(url, body, format="json").status_code == 404
    assert api_for(officer_olivia).post(url, body, format="json").status_code == 403
    answer_url = f"{url}{created.data['id']}/answer/"
    refused = api_for(officer_olivia).post(answer_url, {"response": "not_accepted"}, format="json")
    assert refused.status_code == 409
    assert "Say why" in refused.data["detail"]
    answered = api_for(officer_olivia).post(answer_url, {"response": "accepted"}, format="json")
    assert answered.status_code == 200
    assert answered.data["response"] == "accepted"
    assert api_for(provider_pat).post(answer_url, {"response": "accepted"}).status_code == 403
    listed = api_for(provider_pat).get(url).data
    assert [c["response"] for c in listed] == ["accepted"]


def test_api_comment_on_a_section_outside_the_report_is_a_400(api_for, shared, provider_pat):
    other = small_toolkit({"X": {"X1 Other": ["Not in the review?"]}})
    standard_id = Question.objects.get(standard__domain__toolkit=other).standard_id
    response = api_for(provider_pat).post(
        f"/api/v1/reviews/{shared.pk}/comments/",
        {"standard": standard_id, "text": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "standard" in response.data


def test_answering_a_comment_is_in_its_history(shared, provider_pat, officer_olivia):
    comment = services.add_comment(shared, actor=provider_pat, text="The date is wrong.")
    services.answer_comment(comment, actor=officer_olivia, response="accepted")
    latest = comment.history.latest()
    assert (latest.response, latest.history_user) == ("accepted", officer_olivia)
    with pytest.raises(services.NotNow, match="already been answered"):
        services.answer_comment(comment, actor=officer_olivia, response="accepted")
