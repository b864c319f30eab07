"""Evidence, traceable (issue 12): where each file was used, its versions, its review-by date.

Pat (Sunrise Care) answers Olivia's information request with Sunrise's infection control policy,
comments on the draft report with it and appeals a suspension with it; Olivia links it to her
visit record. The file's page lists each use with when and who. Pat then uploads a new version:
the old one keeps its uses. Quinn (Oak Lodge) sees, fetches and replaces none of Sunrise's files,
by any id, in the pages or the API.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from escalation import revocation_services
from escalation import services as suspensions
from providers import services, uses
from providers.evidence import Evidence, EvidenceUse
from qaf.rag import Rag
from qaf.workflow import NotNow
from reviews import information as info
from reviews import services as reviews
from reviews.models import Answer, InformationRequestItem, ReportComment, ReviewStatus
from tests.escalation.revocation_support import PLANS, board_decides, with_board
from tests.factories import EvidenceFactory, ReviewFactory, small_toolkit
from tests.providers.test_evidence import pdf

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.QAF_VIRUS_SCANNER = "none"
    return tmp_path


@pytest.fixture
def policy(sunrise, provider_pat) -> Evidence:
    return EvidenceFactory(
        provider=sunrise, uploaded_by=provider_pat, title="Infection control policy"
    )


@pytest.fixture
def oak_file(oak_lodge, provider_quinn) -> Evidence:
    return EvidenceFactory(provider=oak_lodge, uploaded_by=provider_quinn, title="Oak policy")


def _uses(evidence) -> list[tuple[str, int, object]]:
    return sorted(
        (use.content_type.model, use.object_id, use.used_by)
        for use in EvidenceUse.objects.filter(evidence=evidence).select_related("content_type")
    )


def _upload(name="policy-v2.pdf", content=None):
    return SimpleUploadedFile(name, content or pdf(), content_type="application/pdf")


# --- Every link to Evidence is tracked -----------------------------------------------------------


def test_every_many_to_many_field_to_evidence_is_tracked():
    tracked = {model._meta.label for model in uses.linking_models()}
    assert {
        "reviews.InformationRequestItem",
        "reviews.Answer",
        "reviews.ReportComment",
        "escalation.Appeal",
        "escalation.RevocationAppeal",
    } <= tracked


@pytest.fixture
def sent_request(sunrise_house, officer_olivia, django_capture_on_commit_callbacks):
    review = ReviewFactory(
        service=sunrise_house, status=ReviewStatus.PLANNED, rating="", completed_on=None
    )
    draft = info.create_request(
        sunrise_house,
        actor=officer_olivia,
        items=["Infection control policy"],
        title="Annual return 2026",
        review=review,
    )
    with django_capture_on_commit_callbacks(execute=True):
        return info.send_request(draft, actor=officer_olivia, today=TODAY)


def test_answering_a_request_records_the_use_with_when_and_who(
    sent_request, policy, provider_pat, officer_olivia
):
    item = sent_request.items.get()
    at = timezone.now()
    info.answer_item(item, actor=provider_pat, response="Attached", evidence=[policy])
    use = EvidenceUse.objects.get(evidence=policy)
    assert (use.used_object, use.used_by) == (item, provider_pat)
    assert at <= use.used_at <= timezone.now()
    what, url = uses.describe_one(item)
    assert what == "\u201cAnnual return 2026\u201d: Infection control policy"
    assert url == sent_request.get_absolute_url()
    # Answered again without the file (needs more, say): the use goes with the link.
    info.review_item(item, actor=officer_olivia, status="needs_more", comment="Dated copy please")
    item.refresh_from_db()
    info.answer_item(item, actor=provider_pat, response="See the text", evidence=[])
    assert not EvidenceUse.objects.filter(evidence=policy).exists()


@pytest.fixture
def toolkit(db):
    return small_toolkit({"Safe": {"S1 Safeguarding": ["Do staff know how to report abuse?"]}})


@pytest.fixture
def review(sunrise_house, officer_olivia, toolkit):
    return reviews.plan_review(sunrise_house, actor=officer_olivia, toolkit=toolkit)


def test_a_visit_answer_link_and_unlink(review, toolkit, policy, officer_olivia, officer_owen):
    question = toolkit.domains.get().standards.get().questions.get()
    reviews.link_evidence(review, question, actor=officer_owen, add=[policy])
    answer = Answer.objects.get(review=review, question=question)
    assert _uses(policy) == [("answer", answer.pk, officer_owen)]
    # Linked again by Olivia: the first use stands (when and who it was first used).
    reviews.link_evidence(review, question, actor=officer_olivia, add=[policy])
    assert _uses(policy) == [("answer", answer.pk, officer_owen)]
    reviews.link_evidence(review, question, actor=officer_olivia, remove=[policy])
    assert _uses(policy) == []


def test_a_report_comment_with_evidence(review, toolkit, policy, officer_olivia, provider_pat):
    question = toolkit.domains.get().standards.get().questions.get()
    reviews.save_answer(review, question, actor=officer_olivia, expected_version=0, score="3")
    reviews.record_visit(review, actor=officer_olivia)
    reviews.prepare_draft(review, actor=officer_olivia, rating=Rag.GREEN)
    reviews.share_draft(review, actor=officer_olivia)
    reviews.add_comment(review, actor=provider_pat, text="See our policy", evidence=[policy])
    comment = ReportComment.objects.get(review=review)
    assert _uses(policy) == [("reportcomment", comment.pk, provider_pat)]
    # Deleting the comment (an administrator's clean-up) takes its uses with it.
    comment.delete()
    assert _uses(policy) == []


def test_suspension_and_revocation_appeals(
    sunrise_house, policy, provider_pat, officer_olivia, manager_maya, board_bea
):
    proposed = suspensions.propose(
        sunrise_house,
        actor=officer_olivia,
        restriction="no_new_placements",
        reasons=["regulator_rating"],
        actions_required="Send the fire risk assessment.",
    )
    in_force = suspensions.approve(proposed, actor=manager_maya, today=TODAY)
    appeal = suspensions.appeal(in_force, actor=provider_pat, text="Done.", evidence=[policy])
    revocation = with_board(sunrise_house, officer_olivia)
    board_decides(revocation, "revoke", bea=board_bea, maya=manager_maya)
    revoked = revocation_services.revoke(revocation, actor=manager_maya, **PLANS)
    second = revocation_services.appeal(
        revoked, actor=provider_pat, text="Closed.", evidence=[policy]
    )
    assert _uses(policy) == sorted(
        [("appeal", appeal.pk, provider_pat), ("revocationappeal", second.pk, provider_pat)]
    )
    # No describe method of their own: their name, and a link to what they appeal against.
    assert uses.describe_one(appeal) == (
        f"Appeal against {in_force}",
        in_force.get_absolute_url(),
    )


def test_a_reverse_clear_and_a_model_with_two_fields(sent_request, policy, provider_pat):
    item = sent_request.items.get()
    item._history_user = provider_pat
    item.evidence.add(policy)
    item.evidence.clear()
    assert _uses(policy) == []


def test_the_signed_in_user_is_the_actor_when_no_service_names_one(
    sent_request, policy, provider_pat, client_for
):
    """A link made by a page without an actor on the object: the request's user (history's
    middleware), not nobody."""
    from simple_history.models import HistoricalRecords

    class Request:
        user = provider_pat

    item = InformationRequestItem.objects.get(request=sent_request)
    HistoricalRecords.context.request = Request()
    try:
        item.evidence.add(policy)
    finally:
        del HistoricalRecords.context.request
    assert _uses(policy) == [("informationrequestitem", item.pk, provider_pat)]


# --- The evidence page and its uses --------------------------------------------------------------


def test_the_evidence_page_lists_where_it_was_used(
    client_for, sent_request, policy, provider_pat, officer_olivia
):
    item = sent_request.items.get()
    info.answer_item(item, actor=provider_pat, response="Attached", evidence=[policy])
    page = client_for(provider_pat).get(policy.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert "Where this file was used" in html
    assert "Annual return 2026" in html and sent_request.get_absolute_url() in html
    assert escape(provider_pat.get_full_name()) in html
    assert "This is the only version of this file." in html


def test_the_empty_state(client_for, policy, provider_pat):
    html = client_for(provider_pat).get(policy.get_absolute_url()).content.decode()
    assert "This file has not been used yet" in html


def test_a_provider_user_sees_only_uses_on_what_they_can_see(
    review, toolkit, policy, officer_olivia, provider_pat, api_for
):
    """Olivia links Sunrise's file to her visit record: the review is not shared with Sunrise
    yet, so Pat does not see that use; Olivia does."""
    question = toolkit.domains.get().standards.get().questions.get()
    reviews.link_evidence(review, question, actor=officer_olivia, add=[policy])
    url = reverse("api:evidence-uses", args=[policy.pk])
    assert api_for(provider_pat).get(url).json()["results"] == []
    rows = api_for(officer_olivia).get(url).json()["results"]
    assert [(r["kind"], r["url"]) for r in rows] == [("Visit record", review.get_absolute_url())]
    assert rows[0]["used_by"] == str(officer_olivia)


def test_the_uses_list_does_not_grow_in_queries_with_its_rows(
    client_for, sunrise, provider_pat, officer_olivia, django_assert_max_num_queries
):
    def linked(n):
        evidence = EvidenceFactory(provider=sunrise, uploaded_by=provider_pat)
        for _ in range(n):
            request = info.create_request(
                sunrise.services.first(), actor=officer_olivia, items=["A document"]
            )
            info.send_request(request, actor=officer_olivia, today=TODAY)
            info.answer_item(
                request.items.get(), actor=provider_pat, response="x", evidence=[evidence]
            )
        return evidence

    from tests.factories import ServiceFactory

    ServiceFactory(provider=sunrise)
    one, many = linked(1), linked(6)
    client = client_for(provider_pat)
    client.get(one.get_absolute_url())  # warm the content type cache
    with django_assert_max_num_queries(30) as one_run:
        client.get(one.get_absolute_url())
    with django_assert_max_num_queries(len(one_run.captured_queries)):
        assert client.get(many.get_absolute_url()).status_code == 200


# --- Versions ------------------------------------------------------------------------------------


def test_a_new_version_keeps_the_old_one_and_its_uses(
    client_for, sent_request, policy, provider_pat
):
    item = sent_request.items.get()
    info.answer_item(item, actor=provider_pat, response="Attached", evidence=[policy])
    client = client_for(provider_pat)
    url = reverse("providers:evidence_new_version", args=[policy.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Infection control policy" in page.content.decode()
    answer = client.post(
        url,
        {
            "title": "Infection control policy 2026",
            "evidence_date": "1/3/2026",
            "review_by": "1/3/2027",
            "file": _upload(),
        },
    )
    new = Evidence.objects.get(previous_version=policy)
    assert answer.status_code == 302 and answer["Location"] == new.get_absolute_url()
    assert (new.version, new.provider, new.title) == (
        2,
        policy.provider,
        "Infection control policy 2026",
    )
    assert (new.evidence_date, new.review_by) == (date(2026, 3, 1), date(2027, 3, 1))
    policy.refresh_from_db()
    assert not policy.is_current and new.is_current
    assert _uses(policy) == [("informationrequestitem", item.pk, provider_pat)]
    # The library lists the current version only, as version 2; both pages show the chain.
    library = client.get(reverse("providers:evidence_library")).content.decode()
    assert new.get_absolute_url() in library and "(version 2)" in library
    assert f'href="{policy.get_absolute_url()}"' not in library
    old_page = client.get(policy.get_absolute_url()).content.decode()
    assert "it has been replaced by" in old_page and "Annual return 2026" in old_page
    assert "Upload a new version" not in old_page
    # Replacing the old one again is refused: it already has a newer version.
    again = client.get(url, follow=True)
    assert "already has a newer version" in again.content.decode()


def test_two_new_versions_at_once_the_second_is_told(policy, provider_pat):
    services.add_new_version(
        previous=policy,
        title="v2",
        evidence_date=TODAY,
        upload=_upload(),
        actor=provider_pat,
    )
    with pytest.raises(NotNow, match="already has a newer version"):
        services.add_new_version(
            previous=policy,
            title="v2 again",
            evidence_date=TODAY,
            upload=_upload(),
            actor=provider_pat,
        )
    assert Evidence.objects.filter(previous_version=policy).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database says so too
        EvidenceFactory(provider=policy.provider, previous_version=policy)


def test_a_refused_new_version_saves_nothing(client_for, policy, provider_pat, media):
    response = client_for(provider_pat).post(
        reverse("providers:evidence_new_version", args=[policy.pk]),
        {"title": "v2", "evidence_date": "1/3/2026", "file": _upload("x.pdf", b"MZ\x90 not a pdf")},
    )
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert not Evidence.objects.filter(previous_version=policy).exists()


def test_the_api_uploads_a_new_version(api_for, policy, provider_pat, partner_pia):
    url = reverse("api:evidence-new-version", args=[policy.pk])
    body = {"title": "v2", "evidence_date": "2026-03-01", "file": _upload()}
    assert api_for(partner_pia).post(url, body, format="multipart").status_code == 403
    refused = api_for(provider_pat).post(
        url, {**body, "file": _upload("x.pdf", b"MZ\x90 not a pdf")}, format="multipart"
    )
    assert refused.status_code == 400 and "file" in refused.json()
    dates = api_for(provider_pat).post(
        url, {**body, "file": _upload(), "review_by": "2026-02-01"}, format="multipart"
    )
    assert dates.status_code == 400 and "review_by" in dates.json()
    made = api_for(provider_pat).post(url, {**body, "file": _upload()}, format="multipart")
    assert made.status_code == 201, made.content
    data = made.json()
    assert (data["previous_version"], data["version"], data["is_current"]) == (policy.pk, 2, True)
    assert data["scan_status"] == "pending"
    old = api_for(provider_pat).get(reverse("api:evidence-detail", args=[policy.pk])).json()
    assert old["is_current"] is False
    conflict = api_for(provider_pat).post(url, {**body, "file": _upload()}, format="multipart")
    assert conflict.status_code == 409 and "newer version" in conflict.json()["detail"]


# --- Review-by ---------------------------------------------------------------------------------


def test_review_by_is_not_before_the_evidence_date(policy):
    policy.review_by = policy.evidence_date - timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        policy.full_clean()
    assert "review_by" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.filter(pk=policy.pk).update(
            review_by=policy.evidence_date - timedelta(days=1)
        )
    policy.review_by = policy.evidence_date  # the same day is fine
    policy.full_clean()


def test_the_upload_form_refuses_a_review_by_before_the_date(client_for, provider_pat, media):
    response = client_for(provider_pat).post(
        reverse("providers:evidence_library"),
        {
            "title": "Fire policy",
            "evidence_date": "1/3/2026",
            "review_by": "1/2/2026",
            "file": _upload(),
        },
    )
    assert response.status_code == 200
    assert "review-by date cannot be before" in response.content.decode()
    assert not Evidence.objects.exists()
    assert not list(media.rglob("*.pdf"))  # and no file left behind


@pytest.mark.parametrize(
    ("today", "asked"),
    [(date(2026, 6, 29), False), (date(2026, 6, 30), False), (date(2026, 7, 1), True)],
)
def test_the_portal_asks_from_the_day_after_review_by(policy, today, asked):
    policy.review_by = date(2026, 6, 30)
    policy.save()
    assert policy.review_due(today) is asked
    assert Evidence.objects.review_due(today).exists() is asked


def test_a_newer_version_stops_the_asking(policy, provider_pat):
    policy.review_by = date(2026, 6, 30)
    policy.save()
    services.add_new_version(
        previous=policy, title="v2", evidence_date=TODAY, upload=_upload(), actor=provider_pat
    )
    policy.refresh_from_db()
    assert not policy.review_due(date(2026, 7, 1))
    assert not Evidence.objects.review_due(date(2026, 7, 1)).exists()


def test_home_library_and_page_flag_a_file_past_review(
    client_for, policy, provider_pat, provider_quinn
):
    policy.review_by = date(2026, 6, 30)
    policy.save()
    client = client_for(provider_pat)
    with time_machine.travel(date(2026, 6, 30), tick=False):
        assert "Evidence to update" not in client.get("/").content.decode()
    with time_machine.travel(date(2026, 7, 1), tick=False):
        home = client.get("/").content.decode()
        assert "Evidence to update" in home and policy.get_absolute_url() in home
        library = client.get(reverse("providers:evidence_library")).content.decode()
        assert "Review due" in library and "past its review-by date" in library
        assert (
            "due for review by 30 June 2026"
            in client.get(policy.get_absolute_url()).content.decode()
        )
        assert "Evidence to update" not in client_for(provider_quinn).get("/").content.decode()


# --- Scoping: nothing of Sunrise's for Quinn ------------------------------------------------------


def test_quinn_gets_404_for_everything_of_sunrises(client_for, api_for, policy, provider_quinn):
    client = client_for(provider_quinn)
    for name in ("evidence_detail", "evidence_new_version", "evidence_download"):
        assert client.get(reverse(f"providers:{name}", args=[policy.pk])).status_code == 404
    new_version = client.post(
        reverse("providers:evidence_new_version", args=[policy.pk]),
        {"title": "x", "evidence_date": "1/3/2026", "file": _upload()},
    )
    assert new_version.status_code == 404
    api = api_for(provider_quinn)
    for name in ("evidence-detail", "evidence-uses", "evidence-download"):
        assert api.get(reverse(f"api:{name}", args=[policy.pk])).status_code == 404
    posted = api.post(
        reverse("api:evidence-new-version", args=[policy.pk]),
        {"title": "x", "evidence_date": "2026-03-01", "file": _upload()},
        format="multipart",
    )
    assert posted.status_code == 404
    assert not Evidence.objects.filter(previous_version=policy).exists()


def test_quinn_cannot_attach_sunrises_file_by_id(sent_request, policy, provider_pat, oak_file):
    from providers.forms import AttachEvidenceForm

    form = AttachEvidenceForm(data={"evidence": [policy.pk]}, provider_id=oak_file.provider_id)
    assert not form.is_valid() and "evidence" in form.errors
    # Nor Sunrise's request with Oak Lodge's file.
    from qaf.workflow import Forbidden

    with pytest.raises(Forbidden):
        info.answer_item(
            sent_request.items.get(), actor=provider_pat, response="x", evidence=[oak_file]
        )
    assert not EvidenceUse.objects.exists()


# --- The backfill --------------------------------------------------------------------------------


def test_the_backfill_dates_existing_links_by_their_row(sent_request, policy, provider_pat):
    from importlib import import_module

    from django.apps import apps as global_apps

    item = sent_request.items.get()
    info.answer_item(item, actor=provider_pat, response="Attached", evidence=[policy])
    InformationRequestItem.objects.filter(pk=item.pk).update(
        answered_at=timezone.now() - timedelta(days=40)
    )
    EvidenceUse.objects.all().delete()
    migration = import_module("providers.migrations.0010_backfill_evidence_uses")
    migration.backfill(global_apps, None)
    migration.backfill(global_apps, None)  # twice: no harm
    item.refresh_from_db()
    use = EvidenceUse.objects.get()
    assert (use.object_id, use.used_at, use.used_by) == (item.pk, item.answered_at, provider_pat)
    assert use.content_type == ContentType.objects.get_for_model(InformationRequestItem)
    migration.forget(global_apps, None)
    assert not EvidenceUse.objects.exists()


def test_pat_sees_the_visit_record_use_once_the_draft_is_shared(
    review, toolkit, policy, officer_olivia, provider_pat, api_for
):
    question = toolkit.domains.get().standards.get().questions.get()
    reviews.link_evidence(review, question, actor=officer_olivia, add=[policy])
    reviews.save_answer(review, question, actor=officer_olivia, expected_version=0, score="3")
    reviews.record_visit(review, actor=officer_olivia)
    reviews.prepare_draft(review, actor=officer_olivia, rating=Rag.GREEN)
    url = reverse("api:evidence-uses", args=[policy.pk])
    assert api_for(provider_pat).get(url).json()["results"] == []
    reviews.share_draft(review, actor=officer_olivia)
    assert len(api_for(provider_pat).get(url).json()["results"]) == 1


def test_a_replaced_version_is_no_longer_offered_for_new_links(policy, provider_pat):
    new = services.add_new_version(
        previous=policy, title="v2", evidence_date=TODAY, upload=_upload(), actor=provider_pat
    )
    Evidence.objects.filter(pk=new.pk).update(scan_status="clean")
    assert list(Evidence.objects.linkable_for(policy.provider_id)) == [new]


def test_the_api_lists_current_versions_on_request(api_for, policy, provider_pat):
    new = services.add_new_version(
        previous=policy, title="v2", evidence_date=TODAY, upload=_upload(), actor=provider_pat
    )
    api = api_for(provider_pat)
    url = reverse("api:evidence-list")
    assert {r["id"] for r in api.get(url).json()["results"]} == {policy.pk, new.pk}
    assert [r["id"] for r in api.get(url, {"is_current": "true"}).json()["results"]] == [new.pk]
    assert [r["id"] for r in api.get(url, {"is_current": "false"}).json()["results"]] == [policy.pk]
