"""Issued documents on the service page (issue 4 item 5, SPEC §7): every report issued about a
service is listed there with its date, and for staff its recipients; Pat (Sunrise Care) sees
Sunrise's issued reports once produced, Quinn (Oak Lodge) never sees them."""

from __future__ import annotations

import pytest

from qaf.models import Document
from qaf.pdf import render_document
from qaf.rag import Rag
from reviews import services
from tests.factories import small_toolkit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def shared(sunrise_house, officer_olivia, provider_pat):
    toolkit = small_toolkit({"Safe": {"S1 Safeguarding": ["Do staff report abuse?"]}})
    review = services.plan_review(sunrise_house, actor=officer_olivia, toolkit=toolkit)
    question = services.questions_of(review).get()
    services.save_answer(review, question, actor=officer_olivia, expected_version=0, score="3")
    services.record_visit(review, actor=officer_olivia)
    services.prepare_draft(review, actor=officer_olivia, rating=Rag.GREEN)
    return services.share_draft(review, actor=officer_olivia)


def _service_page(client, service) -> str:
    return client.get(service.get_absolute_url()).content.decode()


def test_staff_see_every_issued_document_with_its_recipients(
    client_for, shared, sunrise_house, officer_olivia, provider_pat
):
    page = _service_page(client_for(officer_olivia), sunrise_house)
    assert "Draft QA report – Sunrise House" in page
    assert "Being produced" in page
    assert provider_pat.email in page
    render_document(Document.objects.get(source_id=shared.pk))
    page = _service_page(client_for(officer_olivia), sunrise_house)
    document = Document.objects.get(source_id=shared.pk)
    assert document.get_absolute_url() in page


def test_the_provider_sees_its_reports_once_produced_and_no_recipients(
    client_for, shared, sunrise_house, provider_pat, provider_quinn
):
    pat = client_for(provider_pat)
    assert "Draft QA report" not in _service_page(pat, sunrise_house)
    document = Document.objects.get(source_id=shared.pk)
    render_document(document)
    page = _service_page(pat, sunrise_house)
    assert document.get_absolute_url() in page
    assert "Sent to" not in page
    assert client_for(provider_quinn).get(sunrise_house.get_absolute_url()).status_code == 404
    assert client_for(provider_quinn).get(document.get_absolute_url()).status_code == 404


def test_a_service_without_documents_says_so(client_for, officer_olivia, oak_lodge_home):
    page = _service_page(client_for(officer_olivia), oak_lodge_home)
    assert "No report or letter has been issued about this service yet." in page


def test_the_report_has_the_chart_of_standard_scores(shared):
    from reviews.documents import report_context

    chart = report_context(shared)["chart"]
    assert chart.startswith("<svg") and 'role="img"' in chart
    assert "S1 Safeguarding: 3.00, Green." in chart


def test_the_report_sums_up_each_domain_by_its_standards(sunrise_house, officer_olivia, client_for):
    toolkit = small_toolkit(
        {"Safe": {"S1 Abuse": ["Q1"], "S2 Medicines": ["Q2"], "S3 Falls": ["Q3"]}}
    )
    review = services.plan_review(sunrise_house, actor=officer_olivia, toolkit=toolkit)
    q1, q2, _ = services.questions_of(review)
    services.save_answer(review, q1, actor=officer_olivia, expected_version=0, score="4")
    services.save_answer(review, q2, actor=officer_olivia, expected_version=0, score="2")
    from reviews.documents import report_context

    (safe,) = report_context(review)["domains"]
    assert safe["counts"] == {"green": 1, "amber": 1, "red": 0}
    assert (safe["not_scored"], safe["lowest"]) == (1, "amber")


def test_the_review_page_draws_the_scores_for_staff_only(
    client_for, shared, officer_olivia, provider_pat
):
    staff = client_for(officer_olivia).get(shared.get_absolute_url()).content.decode()
    assert 'id="review-scores-title"' in staff and "3.00 Green" in staff
    pat = client_for(provider_pat).get(shared.get_absolute_url()).content.decode()
    assert "review-scores" not in pat
