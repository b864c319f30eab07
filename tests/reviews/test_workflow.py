"""A whole review through its pages: plan, visit, draft, share, provider comment, answer,
final report; PDFs produced and checked for the scores and the override reason."""

from __future__ import annotations

import io

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone

from qaf.models import Document
from qaf.pdf import render_document
from reviews import services
from reviews.models import Domain, Question, Review, Standard, Toolkit

pytestmark = pytest.mark.django_db


@pytest.fixture
def toolkit(db):
    kit = Toolkit.objects.create(
        name="Test toolkit", version=1, status="published", published_at=timezone.now()
    )
    for d, title in enumerate(["Safe", "Caring"]):
        domain = Domain.objects.create(toolkit=kit, order=d, title=title)
        for s in range(2):
            standard = Standard.objects.create(
                domain=domain, order=s, code=f"{title[0]}{s + 1}", title=f"{title} standard {s + 1}"
            )
            for q in range(2):
                Question.objects.create(standard=standard, order=q, text=f"Question {q + 1}")
    return kit


def _pdf_text(document: Document) -> str:
    render_document(document)
    document.refresh_from_db()
    assert document.status == "ready"
    reader = pypdf.PdfReader(io.BytesIO(document.file.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_a_whole_review(
    client,
    officer_olivia,
    provider_pat,
    provider_quinn,
    sunrise_house,
    toolkit,
    django_capture_on_commit_callbacks,
):
    client.force_login(officer_olivia)
    # Plan it from the service page.
    page = client.get(sunrise_house.get_absolute_url()).content.decode()
    assert "Plan a review" in page
    response = client.post(
        reverse("reviews:review_plan", args=[sunrise_house.pk]),
        {
            "kind": "full",
            "officer": officer_olivia.pk,
            "announced": "no",
            "visit_date": "03/12/2026",
        },
    )
    review = Review.objects.get()
    assert response["Location"] == review.get_absolute_url()
    assert review.toolkit == toolkit and not review.announced

    # The unannounced date is not shown to the provider.
    client.force_login(provider_pat)
    provider_page = client.get(review.get_absolute_url()).content.decode()
    assert "3 December 2026" not in provider_page and "Unannounced" in provider_page
    client.force_login(provider_quinn)
    assert client.get(review.get_absolute_url()).status_code == 404

    # The visit: scores that suggest Amber; the officer chooses Red with a reason.
    client.force_login(officer_olivia)
    assert (
        client.post(reverse("reviews:review_step", args=[review.pk, "record-visit"])).status_code
        == 302
    )
    review.refresh_from_db()
    for question in services.questions_of(review):
        score = "2" if question.standard.code == "C2" else "3"
        services.save_answer(
            review, question, actor=officer_olivia, expected_version=0, score=score, notes="Seen"
        )
    draft_url = reverse("reviews:review_step", args=[review.pk, "prepare-draft"])
    refused = client.post(draft_url, {"rating": "red", "summary": "x"})
    assert "Explain why the rating differs" in refused.content.decode()
    client.post(
        draft_url,
        {
            "rating": "red",
            "override_reason": "Medicines errors seen.",
            "summary": "Caring staff; medicines problems.",
            "actions_required": "Audit medicines weekly.",
        },
    )
    review.refresh_from_db()
    assert (review.status, review.suggested_rating, review.rating) == ("draft", "amber", "red")

    # Share the draft: a DRAFT PDF goes to the provider.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reviews:review_step", args=[review.pk, "share-draft"]))
    review.refresh_from_db()
    assert review.status == "with_provider"
    draft = Document.objects.get(kind="qa_report_draft")
    text = _pdf_text(draft)
    assert "DRAFT" in text
    assert "Medicines errors seen." in text
    assert "2.00" in text and "3.00" in text

    # The provider comments; the officer cannot finalise until it is answered.
    client.force_login(provider_pat)
    assert draft.title in client.get(review.get_absolute_url()).content.decode()
    client.post(
        reverse("reviews:review_step", args=[review.pk, "comment"]),
        {"text": "The medicines audit was done on 1 December."},
    )
    client.force_login(officer_olivia)
    blocked = client.post(reverse("reviews:review_step", args=[review.pk, "finalise"]), follow=True)
    assert "Answer every comment" in blocked.content.decode()
    comment = review.comments.get()
    client.post(
        reverse("reviews:review_step", args=[review.pk, "answer-comment"]),
        {"comment": comment.pk, "response": "not_accepted", "reason": ""},
    )
    comment.refresh_from_db()
    assert comment.response == ""  # a refusal without a reason is refused
    client.post(
        reverse("reviews:review_step", args=[review.pk, "answer-comment"]),
        {
            "comment": comment.pk,
            "response": "not_accepted",
            "reason": "The audit did not cover controlled drugs.",
        },
    )

    # The provider's 14 days are kept: the final report waits until the provider says it
    # has no further comments (or the deadline passes).
    finalise_url = reverse("reviews:review_step", args=[review.pk, "finalise"])
    blocked = client.post(finalise_url, follow=True)
    assert "The provider may comment until" in blocked.content.decode()
    client.force_login(provider_pat)
    assert "We have no further comments" in client.get(review.get_absolute_url()).content.decode()
    client.post(reverse("reviews:review_step", args=[review.pk, "no-further-comments"]))
    client.force_login(officer_olivia)

    # Final report: issued, PDF without the watermark, service re-rated.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reviews:review_step", args=[review.pk, "finalise"]))
    review.refresh_from_db()
    assert review.status == "final" and review.completed_on
    final_text = _pdf_text(Document.objects.get(kind="qa_report_final"))
    assert "Final quality assurance report" in final_text
    assert "DRAFT" not in final_text
    assert sunrise_house.risk.factors[5]["rag"] == "red"  # review outcome
    client.post(reverse("reviews:review_step", args=[review.pk, "sent-to-regulator"]))
    review.refresh_from_db()
    assert review.sent_to_regulator_on

    # The provider downloads the final report; another provider cannot.
    final = Document.objects.get(kind="qa_report_final")
    client.force_login(provider_pat)
    download = client.get(final.get_absolute_url())
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    client.force_login(provider_quinn)
    assert client.get(final.get_absolute_url()).status_code == 404


def test_partner_and_board_cannot_act_on_reviews(
    client, partner_pia, board_bea, sunrise_house, toolkit, officer_olivia
):
    review = services.plan_review(sunrise_house, actor=officer_olivia)
    for user in (partner_pia, board_bea):
        client.force_login(user)
        assert client.get(review.get_absolute_url()).status_code == 200
        assert (
            client.post(
                reverse("reviews:review_step", args=[review.pk, "cancel"]), {"reason": "x"}
            ).status_code
            == 403
        )
        assert (
            client.get(reverse("reviews:review_plan", args=[sunrise_house.pk])).status_code == 403
        )


def test_review_list_filters_and_hides_unannounced_dates(
    client, officer_olivia, provider_pat, sunrise_house, toolkit
):
    services.plan_review(
        sunrise_house,
        actor=officer_olivia,
        announced=False,
        visit_date=__import__("datetime").date(2026, 12, 3),
    )
    client.force_login(officer_olivia)
    page = client.get(reverse("reviews:review_list"), {"status": "planned"}).content.decode()
    assert "3 Dec 2026" in page
    client.force_login(provider_pat)
    page = client.get(reverse("reviews:review_list")).content.decode()
    assert "3 Dec 2026" not in page and "Unannounced" in page


def test_a_focused_review_needs_its_standards(client, officer_olivia, sunrise_house, toolkit):
    client.force_login(officer_olivia)
    response = client.post(
        reverse("reviews:review_plan", args=[sunrise_house.pk]),
        {"kind": "focused", "officer": officer_olivia.pk, "announced": "yes"},
    )
    assert "Choose the standards a focused review looks at" in response.content.decode()
    assert not Review.objects.exists()


def test_the_plan_form_offers_only_officers_and_managers_and_plausible_dates(
    client, officer_olivia, board_bea, partner_pia, manager_maya, sunrise_house, toolkit
):
    client.force_login(officer_olivia)
    url = reverse("reviews:review_plan", args=[sunrise_house.pk])
    offered = client.get(url).context["form"].fields["officer"].queryset
    assert set(offered) == {officer_olivia, manager_maya}
    for outsider in (board_bea, partner_pia):
        response = client.post(url, {"kind": "full", "officer": outsider.pk, "announced": "yes"})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    response = client.post(
        url,
        {"kind": "full", "officer": officer_olivia.pk, "announced": "yes", "visit_date": "1/1/1"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["visit_date"]
    assert not Review.objects.exists()


def test_an_information_request_due_date_must_be_plausible(client, officer_olivia, sunrise_house):
    client.force_login(officer_olivia)
    response = client.post(
        reverse("reviews:request_create", args=[sunrise_house.pk]),
        {"title": "Policies", "items": "Fire risk assessment", "due_date": "31/12/9999"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["due_date"]
    from reviews.models import InformationRequest

    assert not InformationRequest.objects.exists()
