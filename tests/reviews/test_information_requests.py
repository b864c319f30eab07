"""Information requests (SPEC §6): Olivia asks Sunrise Care for documents before a review; Pat
answers from Sunrise's evidence library; Quinn of Oak Lodge never sees it and cannot lend Oak
Lodge's files to it."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pypdf
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from providers.evidence import Evidence, ScanStatus
from reviews import information as info
from reviews.models import InformationRequest, ItemStatus, RequestStatus, ReviewStatus
from reviews.services import Forbidden, NotNow
from tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.QAF_VIRUS_SCANNER = "none"
    return tmp_path


def _evidence(provider, user, title="Infection control policy", clean=True) -> Evidence:
    return Evidence.objects.create(
        provider=provider,
        title=title,
        evidence_date=date(2026, 1, 5),
        file=f"evidence/{provider.pk}/{title}.pdf",
        original_name=f"{title}.pdf",
        content_type="application/pdf",
        extension=".pdf",
        size=10,
        sha256="0" * 64,
        scan_status=ScanStatus.CLEAN if clean else ScanStatus.PENDING,
        uploaded_by=user,
    )


@pytest.fixture
def planned_review(sunrise_house, officer_olivia):
    return ReviewFactory(
        service=sunrise_house, status=ReviewStatus.PLANNED, rating="", completed_on=None
    )


@pytest.fixture
def draft(sunrise_house, officer_olivia, planned_review):
    return info.create_request(
        sunrise_house,
        actor=officer_olivia,
        items=["Infection control policy", "  ", "Staff training matrix"],
        message="Before our visit",
        review=planned_review,
    )


@pytest.fixture
def sent(draft, officer_olivia, provider_pat, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return info.send_request(draft, actor=officer_olivia, today=TODAY)


# --- the service ---------------------------------------------------------------------------


def test_sending_emails_the_provider_sets_28_days_and_moves_the_review(
    sent, provider_pat, provider_quinn, planned_review
):
    assert sent.status == RequestStatus.SENT
    assert (sent.issued_on, sent.due_date) == (TODAY, TODAY + timedelta(days=28))
    assert [i.text for i in sent.items.all()] == [
        "Infection control policy",
        "Staff training matrix",
    ]
    planned_review.refresh_from_db()
    assert planned_review.status == ReviewStatus.INFORMATION_REQUESTED
    assert [m.to for m in mail.outbox] == [[provider_pat.email]]  # never Quinn
    assert "Sunrise House" in mail.outbox[0].subject


def test_sending_issues_the_request_as_a_letter(
    client_for, sent, provider_pat, provider_quinn, officer_olivia
):
    from qaf.models import Document
    from qaf.pdf import render_document

    letter = Document.objects.get(kind="information_request", source_id=sent.pk)
    assert letter.recipients == [provider_pat.email]
    assert (letter.service, letter.issued_by) == (sent.service, officer_olivia)
    render_document(letter)
    letter.refresh_from_db()
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in pypdf.PdfReader(io.BytesIO(letter.file.read())).pages
    )
    assert "Please answer by 30 March 2026" in text
    assert "Infection control policy" in text
    assert "Staff training matrix" in text
    # Pat finds it beside the request; Quinn does not see the request at all.
    assert (
        letter.get_absolute_url()
        in client_for(provider_pat).get(sent.get_absolute_url()).content.decode()
    )
    assert client_for(provider_quinn).get(letter.get_absolute_url()).status_code == 404


def test_a_draft_issues_no_letter(draft):
    from qaf.models import Document

    assert not Document.objects.filter(kind="information_request").exists()


def test_a_request_is_sent_only_once(sent, officer_olivia):
    with pytest.raises(NotNow):
        info.send_request(sent, actor=officer_olivia, today=TODAY)


def test_only_caseworkers_create_and_send(sunrise_house, provider_pat, partner_pia, draft):
    for user in (provider_pat, partner_pia):
        with pytest.raises(Forbidden):
            info.create_request(sunrise_house, actor=user, items=["x"])
        with pytest.raises(Forbidden):
            info.send_request(draft, actor=user)
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT


def test_drafts_are_invisible_to_providers(draft, provider_pat, officer_olivia):
    assert not InformationRequest.objects.visible_to(provider_pat).exists()
    assert InformationRequest.objects.visible_to(officer_olivia).get() == draft


def test_pat_answers_with_sunrise_evidence(sent, provider_pat, sunrise):
    policy = _evidence(sunrise, provider_pat)
    item = sent.items.first()
    info.answer_item(item, actor=provider_pat, response="Attached", evidence=[policy])
    item.refresh_from_db()
    assert (item.status, item.response, item.answered_by) == ("answered", "Attached", provider_pat)
    assert list(item.evidence.all()) == [policy]


def test_another_providers_evidence_is_refused_and_nothing_saved(
    sent, provider_pat, provider_quinn, sunrise, oak_lodge
):
    theirs = _evidence(oak_lodge, provider_quinn, "Oak Lodge policy")
    ours = _evidence(sunrise, provider_pat)
    item = sent.items.first()
    with pytest.raises(Forbidden):
        info.answer_item(item, actor=provider_pat, response="x", evidence=[ours, theirs])
    with pytest.raises(Forbidden):  # nor may Quinn answer Sunrise's request at all
        info.answer_item(item, actor=provider_quinn, response="x", evidence=[theirs])
    item.refresh_from_db()
    assert (item.status, item.response) == ("open", "")
    assert not item.evidence.exists()


def test_a_draft_cannot_be_answered(draft, provider_pat):
    with pytest.raises(NotNow):
        info.answer_item(draft.items.first(), actor=provider_pat, response="x")


def test_accept_and_needs_more(sent, provider_pat, officer_olivia):
    first, second = sent.items.all()
    for item in (first, second):
        info.answer_item(item, actor=provider_pat, response="Here")
    info.review_item(first, actor=officer_olivia, status=ItemStatus.ACCEPTED)
    with pytest.raises(NotNow):  # needs more says what is missing
        info.review_item(second, actor=officer_olivia, status=ItemStatus.NEEDS_MORE)
    info.review_item(
        second, actor=officer_olivia, status=ItemStatus.NEEDS_MORE, comment="Last year's too"
    )
    second.refresh_from_db()
    assert (second.status, second.officer_comment) == ("needs_more", "Last year's too")
    with pytest.raises(Forbidden):
        info.review_item(first, actor=provider_pat, status=ItemStatus.ACCEPTED)
    # Back with the provider: Pat answers again.
    info.answer_item(second, actor=provider_pat, response="Both years attached")
    second.refresh_from_db()
    assert second.status == ItemStatus.ANSWERED


def test_overdue(sent, provider_pat, officer_olivia):
    due = sent.due_date
    qs = InformationRequest.objects.filter(pk=sent.pk)
    assert not info.is_overdue(sent, today=due)
    assert info.is_overdue(sent, today=due + timedelta(days=1))
    assert info.with_overdue(qs, today=due + timedelta(days=1)).get().overdue
    for item in sent.items.all():
        info.answer_item(item, actor=provider_pat, response="Here")
    # Everything answered: the wait is now the officer's, not the provider's.
    assert not info.is_overdue(sent, today=due + timedelta(days=1))
    assert not info.with_overdue(qs, today=due + timedelta(days=1)).get().overdue


# --- the pages -----------------------------------------------------------------------------


def test_officer_creates_and_sends_from_the_pages(
    client_for, officer_olivia, sunrise_house, provider_pat, django_capture_on_commit_callbacks
):
    client = client_for(officer_olivia)
    response = client.post(
        f"/services/{sunrise_house.pk}/information-requests/new/",
        {"title": "Before the visit", "items": "Rota\r\n\r\nFire risk assessment", "message": ""},
    )
    req = InformationRequest.objects.get()
    assert response.status_code == 302 and response.url == req.get_absolute_url()
    assert req.items.count() == 2
    page = client.get(req.get_absolute_url())
    assert b"Send to the provider" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/information-requests/{req.pk}/send/")
    req.refresh_from_db()
    assert req.status == RequestStatus.SENT and len(mail.outbox) == 1


def test_pages_are_scoped(client_for, sent, draft, provider_pat, provider_quinn):
    quinn = client_for(provider_quinn)
    assert quinn.get(f"/information-requests/{sent.pk}/").status_code == 404
    item = sent.items.first()
    url = f"/information-requests/{sent.pk}/items/{item.pk}/answer/"
    assert quinn.post(url, {"response": "x"}).status_code == 404
    assert b"Before our visit" not in quinn.get("/information-requests/").content


def test_provider_sees_only_sent_requests_in_the_portal(
    client_for, sunrise_house, officer_olivia, provider_pat
):
    info.create_request(sunrise_house, actor=officer_olivia, items=["x"], title="Secret draft")
    client = client_for(provider_pat)
    assert b"Secret draft" not in client.get("/information-requests/").content
    assert b"Information requests" in client.get("/").content  # the nav item


def test_provider_answers_in_the_portal_with_library_and_upload(
    client_for, sent, provider_pat, provider_quinn, sunrise, oak_lodge
):
    ours = _evidence(sunrise, provider_pat)
    theirs = _evidence(oak_lodge, provider_quinn, "Oak Lodge policy")
    item = sent.items.first()
    url = f"/information-requests/{sent.pk}/items/{item.pk}/answer/"
    client = client_for(provider_pat)
    form = client.get(url)
    assert b"Infection control policy" in form.content and b"Oak Lodge policy" not in form.content
    # Oak Lodge's file is not a choice: the form refuses it and nothing is saved.
    refused = client.post(url, {"response": "x", "evidence": [theirs.pk]})
    assert refused.status_code == 200
    item.refresh_from_db()
    assert item.status == "open"
    response = client.post(
        url,
        {
            "response": "Policy and rota attached",
            "evidence": [ours.pk],
            "title": "Rota",
            "evidence_date": "2/3/2026",
            "file": SimpleUploadedFile("rota.txt", b"Mon: Amy\nTue: Ben\n"),
        },
    )
    assert response.status_code == 302, response.content
    item.refresh_from_db()
    assert item.status == "answered"
    assert sorted(e.title for e in item.evidence.all()) == ["Infection control policy", "Rota"]
    assert Evidence.objects.get(title="Rota").provider == sunrise


def test_officer_reviews_items_on_the_page(client_for, sent, provider_pat, officer_olivia):
    item = sent.items.first()
    info.answer_item(item, actor=provider_pat, response="Here")
    client = client_for(officer_olivia)
    url = f"/information-requests/{sent.pk}/items/{item.pk}/review/"
    client.post(url, {"status": "needs_more", "comment": ""})
    item.refresh_from_db()
    assert item.status == "answered"  # refused: a comment is needed
    client.post(url, {"status": "accepted"})
    item.refresh_from_db()
    assert item.status == "accepted"
    assert client_for(provider_pat).post(url, {"status": "accepted"}).status_code == 403


# --- the API -------------------------------------------------------------------------------

API = "/api/v1/information-requests/"


def test_api_create_send_answer_review(
    api_for,
    officer_olivia,
    provider_pat,
    sunrise,
    sunrise_house,
    planned_review,
    django_capture_on_commit_callbacks,
):
    officer = api_for(officer_olivia)
    created = officer.post(
        API,
        {"service": sunrise_house.pk, "review": planned_review.pk, "items": ["Rota", "Policy"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft" and len(body["items"]) == 2
    pat = api_for(provider_pat)
    assert pat.get(f"{API}{body['id']}/").status_code == 404  # a draft
    with django_capture_on_commit_callbacks(execute=True):
        sent = officer.post(f"{API}{body['id']}/send/")
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert officer.post(f"{API}{body['id']}/send/").status_code == 409
    assert len(mail.outbox) == 1
    item_id = body["items"][0]["id"]
    ours = _evidence(sunrise, provider_pat)
    answered = pat.post(
        f"{API}{body['id']}/items/{item_id}/answer/",
        {"response": "Attached", "evidence": [ours.pk]},
        format="json",
    )
    assert answered.status_code == 200, answered.json()
    assert answered.json()["items"][0]["evidence"] == [ours.pk]
    # The officer may not answer; the provider may not review.
    assert (
        officer.post(
            f"{API}{body['id']}/items/{item_id}/answer/", {"response": "x"}, format="json"
        ).status_code
        == 403
    )
    review_url = f"{API}{body['id']}/items/{item_id}/review/"
    assert pat.post(review_url, {"status": "accepted"}, format="json").status_code == 403
    assert officer.post(review_url, {"status": "needs_more"}, format="json").status_code == 409
    accepted = officer.post(review_url, {"status": "accepted"}, format="json")
    assert accepted.status_code == 200 and accepted.json()["items"][0]["status"] == "accepted"


def test_api_refusals(
    api_for, sent, provider_pat, provider_quinn, partner_pia, oak_lodge, sunrise_house
):
    theirs = _evidence(oak_lodge, provider_quinn, "Oak Lodge policy")
    item = sent.items.first()
    pat = api_for(provider_pat)
    refused = pat.post(
        f"{API}{sent.pk}/items/{item.pk}/answer/",
        {"response": "x", "evidence": [theirs.pk]},
        format="json",
    )
    assert refused.status_code == 403
    item.refresh_from_db()
    assert item.status == "open" and not item.evidence.exists()
    quinn = api_for(provider_quinn)
    assert quinn.get(f"{API}{sent.pk}/").status_code == 404
    assert quinn.get(API).json()["count"] == 0
    assert pat.get(API).json()["count"] == 1
    for user in (provider_pat, partner_pia):
        response = api_for(user).post(
            API, {"service": sunrise_house.pk, "items": ["x"]}, format="json"
        )
        assert response.status_code == 403
    assert api_for(partner_pia).post(f"{API}{sent.pk}/send/").status_code == 403


def test_every_answer_and_review_is_in_the_items_history(sent, provider_pat, officer_olivia):
    item = sent.items.order_by("order").first()
    info.answer_item(item, actor=provider_pat, response="Attached to our email")
    latest = item.history.latest()
    assert (latest.status, latest.response, latest.history_user) == (
        "answered",
        "Attached to our email",
        provider_pat,
    )
    info.review_item(item, actor=officer_olivia, status="needs_more", comment="Not received")
    latest = item.history.latest()
    assert (latest.status, latest.history_user) == ("needs_more", officer_olivia)
