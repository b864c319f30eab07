"""The service and provider timeline (issue 14 item 1): every kind of record in date order,
newest first, filtered by kind and period, scoped as everywhere, as a page, a PDF and in the API.

Sunrise House (Sunrise Care Ltd) has one of everything; Pat works for Sunrise and sees only
what is Sunrise's and not confidential; Quinn (Oak Lodge Ltd) sees none of it.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time

import pypdf
import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escalation.models import (
    Appeal,
    BoardDecision,
    BoardMeeting,
    CaseMove,
    ConcernDecision,
    EscalationCase,
    ImprovementPlan,
    PlanAction,
    PlanIssue,
    PlanUpdate,
    QualityImprovementMeeting,
    Revocation,
    Suspension,
)
from providers.models import IntelligenceKind
from providers.timeline import SOURCES, Period, Subject, TimelineQuery, timeline
from qaf.models import Document
from reviews import services as review_services
from reviews.models import (
    InformationRequest,
    InformationRequestItem,
    PublishedSummary,
    SummaryState,
)
from risk.models import EarlyWarning, PolicyVersion, RatingChange
from tests.factories import IntelligenceFactory, ReviewFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _stamp(model, pk, field, day):
    model.objects.filter(pk=pk).update(**{field: _at(day)})


def everything(service, officer, manager, provider_user) -> dict[str, str]:
    """One record of each kind on ``service``, on its own day of 2026; returns kind -> title
    (the words the timeline shows for it)."""
    ReviewFactory(service=service, completed_on=date(2026, 1, 10), summary="All standards met")
    IntelligenceFactory(service=service, date=date(2026, 1, 20), summary="Quarterly meeting")
    IntelligenceFactory(
        service=service,
        kind=IntelligenceKind.WHISTLEBLOWING,
        confidential=True,
        date=date(2026, 1, 25),
        summary="Night staff asleep on shift",
    )
    req = InformationRequest.objects.create(
        service=service,
        title="Staffing rotas",
        status="sent",
        issued_on=date(2026, 2, 1),
        due_date=date(2026, 2, 15),
        created_by=officer,
    )
    InformationRequestItem.objects.create(
        request=req,
        text="Rotas for March",
        status="answered",
        answered_by=provider_user,
        answered_at=_at(date(2026, 2, 10)),
    )
    doc = Document.objects.create(
        kind="letter",
        title="Letter about the rotas",
        provider=service.provider,
        service=service,
        template="letters/letter_pdf.html",
        status=Document.Status.READY,
        visible_to_provider=True,
    )
    _stamp(Document, doc.pk, "issued_at", date(2026, 2, 20))
    RatingChange.objects.create(
        service=service,
        date=date(2026, 3, 1),
        from_rating="green",
        to_rating="amber",
        changed_factors=["intelligence"],
        policy_version=PolicyVersion.current(),
    )
    s = Suspension.objects.create(
        service=service,
        status="lifted",
        restriction="no_new_placements",
        reasons=["serious_complaint"],
        actions_required="Resolve the complaint",
        proposed_by=officer,
        decided_by=manager,
        decided_on=date(2026, 3, 10),
        ended_on=date(2026, 4, 10),
    )
    _stamp(Suspension, s.pk, "created_at", date(2026, 3, 5))
    appeal = Appeal.objects.create(
        suspension=s, text="We have resolved it", submitted_by=provider_user, status="refused"
    )
    _stamp(Appeal, appeal.pk, "submitted_at", date(2026, 3, 20))
    case = EscalationCase.objects.create(
        service=service,
        stage="formal",
        stage_entered_on=date(2026, 4, 20),
        opened_on=date(2026, 4, 15),
        opened_by=officer,
        concerns="Falls",
    )
    CaseMove.objects.create(
        case=case, action="open", to_stage="informal", actor=officer, on=date(2026, 4, 15)
    )
    CaseMove.objects.create(
        case=case,
        action="advance",
        from_stage="informal",
        to_stage="formal",
        reason="No improvement after the call",
        actor=officer,
        on=date(2026, 4, 20),
    )
    QualityImprovementMeeting.objects.create(
        case=case,
        starts_at=_at(date(2026, 4, 25), 14),
        venue="At the home",
        chair=manager,
        status="invited",
        invitation_issued_on=date(2026, 4, 21),
        created_by=officer,
    )
    QualityImprovementMeeting.objects.create(
        case=case,
        follow_up=True,
        starts_at=_at(date(2026, 4, 28), 14),
        venue="At the home",
        chair=manager,
        created_by=officer,
    )
    ConcernDecision.objects.create(
        service=service,
        kind="decided",
        from_level=1,
        to_level=2,
        reason="Moderate concerns",
        decided_by=manager,
        decided_on=date(2026, 5, 1),
    )
    revocation = Revocation.objects.create(
        service=service,
        status="not_revoked",
        reasons=["safeguarding"],
        details="Repeated falls",
        options_exhausted="Suspension",
        proposed_by=officer,
        proposed_on=date(2026, 5, 10),
        decided_on=date(2026, 6, 1),
    )
    meeting = BoardMeeting.objects.create(starts_at=_at(date(2026, 5, 28)), created_by=manager)
    BoardDecision.objects.create(
        meeting=meeting,
        subject_type=ContentType.objects.get_for_model(Revocation),
        subject_id=revocation.pk,
        outcome="do_not_revoke",
        reason="Assurance given",
        recorded_by=manager,
    )
    plan = ImprovementPlan.objects.create(
        service=service,
        requested_on=date(2026, 6, 10),
        requested_by=officer,
        submit_due=date(2026, 6, 24),
    )
    issue = PlanIssue.objects.create(plan=plan, text="Falls management", created_by=officer)
    _stamp(PlanIssue, issue.pk, "created_at", date(2026, 6, 11))
    act = PlanAction.objects.create(
        plan=plan,
        issue=issue,
        what="Falls training for all staff",
        success_measure="Records",
        responsible="Manager",
        due_on=date(2026, 7, 31),
        created_by=provider_user,
    )
    _stamp(PlanAction, act.pk, "created_at", date(2026, 6, 12))
    update = PlanUpdate.objects.create(
        action=act, text="Half the staff trained", status="in_progress", author=provider_user
    )
    _stamp(PlanUpdate, update.pk, "created_at", date(2026, 7, 1))
    PublishedSummary.objects.create(
        review=service.reviews.get(),
        state=SummaryState.WITHDRAWN,
        summary="Clean and friendly",
        rating="green",
        published_at=_at(date(2026, 6, 15)),
        published_by=officer,
        withdrawn_at=_at(date(2026, 6, 16)),
        withdrawn_by=manager,
        withdrawal_reason="The provider asked for it to come down",
    )
    warning = EarlyWarning.objects.create(
        service=service,
        flagged=True,
        flagged_since=date(2026, 6, 20),
        reason="4 complaints in the last 90 days, against none in the year before",
        size_band="small",
        computed_for=date(2026, 6, 20),
        policy_version=PolicyVersion.current(),
    )
    warning.history.update(history_date=_at(date(2026, 6, 20)))
    return {
        "public_summary": "Public summary of the review published",
        "public_summary_withdrawn": "Public summary withdrawn",
        "early_warning": "Early warning: getting worse",
        "reviews": "Full review: final report, rated Green",
        "intelligence": "Contract meeting",
        "confidential": "Whistleblowing",
        "information": "Information request sent: Staffing rotas",
        "answer": "Answer to “Staffing rotas”",
        "documents": "Letter about the rotas",
        "ratings": "Risk rating Green to Amber",
        "suspension_proposed": "Suspension proposed: ",
        "suspensions": "Suspension in force: ",
        "appeal": "Appeal against the suspension",
        "cases": "Escalation case moved from informal to formal: quality improvement",
        "meetings": "Quality Improvement Meeting: invitation issued",
        "planned_meeting": "Follow-up QIM: planned",
        "concern": "Concern level 1 to 2",
        "revocation_proposed": "Revocation proposed",
        "revocations": "The board decided not to revoke",
        "board": "Board decision on the revocation: do not revoke",
        "plans": "Improvement plan asked for",
        "plan_update": "Update on an action: in progress",
    }


@pytest.fixture
def story(sunrise_house, officer_olivia, manager_maya, provider_pat):
    return everything(sunrise_house, officer_olivia, manager_maya, provider_pat)


def _entries(user, service, **period):
    entries, _ = timeline(
        TimelineQuery(user, Subject(service.provider_id, service.pk), Period(**period))
    )
    return entries


def _page(client, service, query=""):
    return client.get(reverse("providers:service_timeline", args=[service.pk]) + query)


# --- What it shows, in which order -----------------------------------------------------------


def test_every_source_appears_for_staff_newest_first(story, sunrise_house, officer_olivia):
    entries = _entries(officer_olivia, sunrise_house)
    titles = [e.title for e in entries]
    for words in story.values():
        assert any(t.startswith(words) for t in titles), words
    assert {e.kind for e in entries} == {s.kind for s in SOURCES}
    keys = [e.sort_key for e in entries]
    assert keys == sorted(keys, reverse=True)
    assert entries[0].title == story["plan_update"]  # 1 July 2026, the newest


def test_each_entry_links_to_its_record(story, sunrise_house, officer_olivia):
    entries = {e.title: e for e in _entries(officer_olivia, sunrise_house)}
    review = sunrise_house.reviews.get()
    assert entries[story["reviews"]].url == review.get_absolute_url()
    assert entries[story["ratings"]].url.endswith("#risk-heading")
    assert entries[story["documents"]].url == reverse(
        "document_download", args=[sunrise_house.documents.get().pk]
    )


def test_the_page_shows_the_entries_with_dates_and_tags(
    client_for, story, sunrise_house, officer_olivia
):
    response = _page(client_for(officer_olivia), sunrise_house)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Wednesday 1 July 2026" in html
    assert "Night staff asleep on shift" in html
    assert "Not shown to the provider" in html
    assert html.index("Update on an action") < html.index("Full review: final report")


def test_service_and_provider_pages_link_to_their_timelines(
    client_for, sunrise_house, officer_olivia
):
    client = client_for(officer_olivia)
    page = client.get(sunrise_house.get_absolute_url()).content.decode()
    assert reverse("providers:service_timeline", args=[sunrise_house.pk]) in page
    page = client.get(sunrise_house.provider.get_absolute_url()).content.decode()
    assert reverse("providers:provider_timeline", args=[sunrise_house.provider_id]) in page


def test_the_provider_timeline_has_every_service_with_its_name(
    client_for, story, sunrise_house, sunrise_lodge, oak_lodge_home, officer_olivia
):
    IntelligenceFactory(service=sunrise_lodge, date=date(2026, 8, 1), summary="Lodge meeting")
    IntelligenceFactory(service=oak_lodge_home, date=date(2026, 8, 2), summary="Oak meeting")
    url = reverse("providers:provider_timeline", args=[sunrise_house.provider_id])
    html = client_for(officer_olivia).get(url).content.decode()
    assert "Lodge meeting" in html and "Quarterly meeting" in html
    assert "Sunrise Lodge" in html and "Sunrise House" in html
    assert "Oak meeting" not in html


def test_an_empty_timeline_says_what_to_do(client_for, sunrise_house, officer_olivia):
    html = _page(client_for(officer_olivia), sunrise_house).content.decode()
    assert "Nothing has been recorded about this service yet" in html


# --- Filters ----------------------------------------------------------------------------------


def test_filter_by_kind(client_for, story, sunrise_house, officer_olivia):
    html = _page(client_for(officer_olivia), sunrise_house, "?kind=intelligence").content.decode()
    assert "Quarterly meeting" in html
    assert "Staffing rotas" not in html and "Full review" not in html


def test_filter_by_several_kinds(story, sunrise_house, officer_olivia):
    entries, _ = timeline(
        TimelineQuery(officer_olivia, Subject(sunrise_house.provider_id, sunrise_house.pk)),
        ["ratings", "concern"],
    )
    assert {e.kind for e in entries} == {"ratings", "concern"}


def test_the_period_includes_both_of_its_days(story, sunrise_house, officer_olivia):
    on_the_day = _entries(
        officer_olivia, sunrise_house, start=date(2026, 3, 1), end=date(2026, 3, 1)
    )
    assert [e.title for e in on_the_day] == [story["ratings"]]
    after = _entries(officer_olivia, sunrise_house, start=date(2026, 3, 2), end=date(2026, 3, 4))
    assert after == []
    # Only the suspension's lifting falls in April's first half, not its proposal or approval.
    april = _entries(officer_olivia, sunrise_house, start=date(2026, 4, 1), end=date(2026, 4, 10))
    assert [e.title for e in april] == ["Suspension lifted: No new placements"]


def test_a_cancelled_review_is_on_the_day_it_was_cancelled(sunrise_house, officer_olivia):
    with time_machine.travel(_at(date(2026, 3, 2)), tick=False):
        review = ReviewFactory(
            service=sunrise_house, status="planned", completed_on=None, rating=""
        )
    with time_machine.travel(_at(date(2026, 3, 9), 22), tick=False):  # 10pm: still 9 March
        review_services.cancel(review, actor=officer_olivia, reason="The home closed")
    with time_machine.travel(_at(date(2026, 4, 20)), tick=False):
        review.refresh_from_db()
        review.save()  # a later save (a correction, say) is not when it was cancelled
    [entry] = _entries(officer_olivia, sunrise_house)
    assert entry.title == "Full review: cancelled" and entry.on == date(2026, 3, 9)
    assert _entries(officer_olivia, sunrise_house, start=date(2026, 3, 9), end=date(2026, 3, 9))
    assert not _entries(officer_olivia, sunrise_house, start=date(2026, 4, 1))


def test_a_late_evening_record_is_on_its_uk_day(sunrise_house, officer_olivia):
    """23:30 in London on a summer day is 22:30 UTC the same day, and 23:30 in winter is
    23:30 UTC: each is on its London day, for the period as for the heading."""
    for day in (date(2026, 6, 20), date(2026, 12, 20)):
        doc = Document.objects.create(
            kind="letter",
            title=f"Letter of {day}",
            provider=sunrise_house.provider,
            service=sunrise_house,
            template="letters/letter_pdf.html",
        )
        Document.objects.filter(pk=doc.pk).update(issued_at=_at(day, 23).replace(minute=30))
        entries = _entries(officer_olivia, sunrise_house, start=day, end=day)
        assert [(e.on, e.title) for e in entries] == [(day, f"Letter of {day}")]


def test_the_page_filters_by_en_gb_dates(client_for, story, sunrise_house, officer_olivia):
    html = _page(
        client_for(officer_olivia), sunrise_house, "?date_from=1/3/2026&date_to=01/03/2026"
    ).content.decode()
    assert "Risk rating Green to Amber" in html
    assert "Quarterly meeting" not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?date_from=31/2/2026", "From must be a real date, like 27/3/2026"),
        ("?date_to=yesterday", "To must be a real date, like 27/3/2026"),
        ("?date_from=1/1/0001", "Enter a date between"),
        ("?date_from=2/3/2026&date_to=1/3/2026", "To must be the same as or after From"),
        ("?kind=nonsense", "Select a valid choice"),
    ],
)
def test_bad_filters_say_what_is_wrong(
    client_for, story, sunrise_house, officer_olivia, query, message
):
    response = _page(client_for(officer_olivia), sunrise_house, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and message in html
    assert "Quarterly meeting" not in html


def test_past_the_limit_the_newest_are_shown_and_it_says_so(sunrise_house, officer_olivia):
    for n in range(4):
        IntelligenceFactory(service=sunrise_house, date=date(2026, 1, 1 + n), summary=f"N{n}")
    subject = Subject(sunrise_house.provider_id, sunrise_house.pk)
    entries, more = timeline(TimelineQuery(officer_olivia, subject, limit=3), ["intelligence"])
    assert [e.detail for e in entries] == ["N3", "N2", "N1"] and more
    entries, more = timeline(TimelineQuery(officer_olivia, subject, limit=4), ["intelligence"])
    assert len(entries) == 4 and not more


def test_a_page_number_beyond_the_last_shows_the_last(
    client_for, story, sunrise_house, officer_olivia
):
    response = _page(client_for(officer_olivia), sunrise_house, "?page=999")
    assert response.status_code == 200


# --- Scope ------------------------------------------------------------------------------------


def test_a_provider_user_sees_only_what_is_theirs_and_not_confidential(
    story, sunrise_house, provider_pat
):
    titles = [e.title for e in _entries(provider_pat, sunrise_house)]
    for shown in (
        "reviews",
        "intelligence",
        "information",
        "answer",
        "documents",
        "suspensions",
        "meetings",
        "public_summary",
    ):
        assert any(t.startswith(story[shown]) for t in titles), shown
    for hidden in (
        "confidential",
        "ratings",
        "suspension_proposed",
        "cases",
        "planned_meeting",
        "concern",
        "revocation_proposed",
        "board",
        "public_summary_withdrawn",
        "early_warning",
    ):
        assert not any(t.startswith(story[hidden]) for t in titles), hidden
    assert not any(e.confidential for e in _entries(provider_pat, sunrise_house))


def test_a_provider_user_page_hides_confidential_entries(
    client_for, story, sunrise_house, provider_pat
):
    response = _page(client_for(provider_pat), sunrise_house)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Night staff asleep on shift" not in html
    assert "Risk rating changes" not in html  # not even a filter for the council's records
    assert "Quarterly meeting" in html


@pytest.mark.parametrize(
    "url_name",
    [
        "providers:service_timeline",
        "providers:service_timeline_pdf",
        "providers:provider_timeline",
        "providers:provider_timeline_pdf",
    ],
)
def test_another_organisation_is_not_found(client_for, sunrise_house, provider_quinn, url_name):
    pk = sunrise_house.pk if "service" in url_name else sunrise_house.provider_id
    response = client_for(provider_quinn).get(reverse(url_name, args=[pk]))
    assert response.status_code == 404


def test_drafts_are_the_councils_until_sent(sunrise_house, officer_olivia, provider_pat):
    InformationRequest.objects.create(
        service=sunrise_house, title="Menus", created_by=officer_olivia
    )
    assert [e.title for e in _entries(officer_olivia, sunrise_house)] == ["Draft request: Menus"]
    assert _entries(provider_pat, sunrise_house) == []


def _more_the_provider_does_not_see(service, officer):
    """An unannounced visit still to come, a draft information request and a cancelled
    review: records staff see and the provider's users do not."""
    ReviewFactory(
        service=service,
        status="planned",
        announced=False,
        visit_date=date(2026, 8, 3),
        completed_on=None,
        rating="",
    )
    InformationRequest.objects.create(service=service, title="Menus", created_by=officer)
    ReviewFactory(
        service=service,
        kind="focused",
        status="cancelled",
        cancelled_reason="Merged",
        completed_on=None,
        rating="",
    )


def _event(entry) -> tuple:
    return (entry.kind, entry.on, entry.title, entry.url)


@pytest.mark.parametrize("on_provider", [False, True])
def test_every_entry_staff_see_unmarked_the_provider_sees_too(
    story, sunrise_house, officer_olivia, provider_pat, on_provider
):
    _more_the_provider_does_not_see(sunrise_house, officer_olivia)
    subject = Subject(sunrise_house.provider_id, None if on_provider else sunrise_house.pk)
    staff, _ = timeline(TimelineQuery(officer_olivia, subject))
    provider, _ = timeline(TimelineQuery(provider_pat, subject))
    theirs = {_event(e) for e in provider}
    unmarked = [e for e in staff if not e.confidential]
    assert unmarked and all(_event(e) in theirs for e in unmarked)


def test_what_the_provider_does_not_see_is_marked_for_staff(story, sunrise_house, officer_olivia):
    _more_the_provider_does_not_see(sunrise_house, officer_olivia)
    marked = {e.title for e in _entries(officer_olivia, sunrise_house) if e.confidential}
    for title in (
        "Full review: visit planned",  # unannounced
        "Draft request: Menus",
        "Focused review: cancelled",
        "Whistleblowing",
        story["ratings"],
        story["concern"],
        story["board"],
        story["planned_meeting"],
        story["revocation_proposed"],
        story["public_summary_withdrawn"],
        story["early_warning"],
    ):
        assert any(t.startswith(title) for t in marked), title
    assert any(t.startswith("Escalation case") for t in marked)
    assert any(t.startswith(story["suspension_proposed"]) for t in marked)
    assert not any(t.startswith(story["intelligence"]) for t in marked)
    assert not any(t.startswith(story["public_summary"]) for t in marked)  # it is public


def test_an_announced_visit_to_come_is_not_marked(sunrise_house, officer_olivia):
    ReviewFactory(
        service=sunrise_house,
        status="planned",
        announced=True,
        visit_date=date(2026, 8, 3),
        completed_on=None,
        rating="",
    )
    [entry] = _entries(officer_olivia, sunrise_house)
    assert entry.title == "Full review: visit planned" and not entry.confidential


# --- PDF --------------------------------------------------------------------------------------


def test_the_pdf_has_the_same_filters(client_for, story, sunrise_house, officer_olivia):
    url = reverse("providers:service_timeline_pdf", args=[sunrise_house.pk])
    response = client_for(officer_olivia).get(url + "?kind=ratings&date_from=1/1/2026")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]


def _pdf_text(response) -> str:
    pages = pypdf.PdfReader(io.BytesIO(response.content)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def test_the_pdf_lists_what_the_page_lists(client_for, story, sunrise_house, officer_olivia):
    url = reverse("providers:service_timeline_pdf", args=[sunrise_house.pk])
    text = _pdf_text(client_for(officer_olivia).get(url + "?date_from=1/1/2026&date_to=31/1/2026"))
    assert "Timeline: Sunrise House" in text
    assert "From 1 January 2026 to 31 January 2026" in text
    assert "Night staff asleep on shift" in text and "Quarterly meeting" in text
    assert "Staffing rotas" not in text
    assert "Entries marked “Not shown to the provider”" in text
    assert text.count("Not shown to the provider") == 2  # the warning, and the whistleblowing


def test_a_provider_users_pdf_has_nothing_confidential(
    client_for, story, sunrise_house, provider_pat
):
    url = reverse("providers:provider_timeline_pdf", args=[sunrise_house.provider_id])
    text = _pdf_text(client_for(provider_pat).get(url))
    assert "Quarterly meeting" in text and "Sunrise House" in text
    assert "Night staff asleep" not in text
    assert "Risk rating" not in text and "Concern level" not in text


def test_a_pdf_with_bad_filters_is_refused_with_the_reason(
    client_for, sunrise_house, officer_olivia
):
    url = reverse("providers:provider_timeline_pdf", args=[sunrise_house.provider_id])
    response = client_for(officer_olivia).get(url + "?date_from=32/1/2026")
    assert response.status_code == 400
    assert b"From must be a real date" in response.content


def test_the_page_links_to_the_pdf_with_its_filters(client_for, sunrise_house, officer_olivia):
    html = _page(client_for(officer_olivia), sunrise_house, "?kind=plans").content.decode()
    assert (
        reverse("providers:service_timeline_pdf", args=[sunrise_house.pk]) + "?kind=plans" in html
    )


# --- API --------------------------------------------------------------------------------------


def test_the_api_gives_the_timeline_with_filters(api_for, story, sunrise_house, officer_olivia):
    url = f"/api/v1/services/{sunrise_house.pk}/timeline/"
    body = api_for(officer_olivia).get(url, {"kind": ["ratings", "concern"]}).json()
    assert [r["title"] for r in body["results"]] == [story["concern"], story["ratings"]]
    first = body["results"][0]
    assert first["on"] == "2026-05-01" and first["kind"] == "concern" and first["confidential"]
    assert first["service"] == sunrise_house.pk


def test_the_api_says_when_the_limit_left_older_entries_out(
    api_for, sunrise_house, officer_olivia, monkeypatch
):
    for n in range(4):
        IntelligenceFactory(service=sunrise_house, date=date(2026, 1, 1 + n), summary=f"N{n}")
    url = f"/api/v1/services/{sunrise_house.pk}/timeline/"
    api = api_for(officer_olivia)
    monkeypatch.setattr("providers.api.timeline.LIMIT", 3)
    body = api.get(url).json()
    assert body["truncated"] is True and body["count"] == 3
    assert [r["detail"] for r in body["results"]] == ["N3", "N2", "N1"]
    monkeypatch.setattr("providers.api.timeline.LIMIT", 4)
    body = api.get(url).json()
    assert body["truncated"] is False and body["count"] == 4


def test_the_api_schema_describes_truncated():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paged = schema["components"]["schemas"]["PaginatedTimelineEntryList"]
    assert paged["properties"]["truncated"]["type"] == "boolean"
    assert "truncated" in paged["required"]
    operation = schema["paths"]["/api/v1/services/{id}/timeline/"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedTimelineEntryList"
    }


def test_the_api_provider_timeline_names_the_services(api_for, story, sunrise_house, provider_pat):
    url = f"/api/v1/providers/{sunrise_house.provider_id}/timeline/"
    body = (
        api_for(provider_pat).get(url, {"date_from": "2026-01-01", "date_to": "2026-01-31"}).json()
    )
    assert [(r["title"], r["service_name"]) for r in body["results"]] == [
        ("Contract meeting", "Sunrise House"),
        (story["reviews"], "Sunrise House"),
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "31/01/2026"}, "date_from"),
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_to"),
        ({"kind": "nonsense"}, "kind"),
    ],
)
def test_the_api_refuses_bad_filters_with_the_reason(
    api_for, sunrise_house, officer_olivia, params, field
):
    response = api_for(officer_olivia).get(f"/api/v1/services/{sunrise_house.pk}/timeline/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_api_is_not_found_for_another_organisation(api_for, sunrise_house, provider_quinn):
    api = api_for(provider_quinn)
    assert api.get(f"/api/v1/services/{sunrise_house.pk}/timeline/").status_code == 404
    assert api.get(f"/api/v1/providers/{sunrise_house.provider_id}/timeline/").status_code == 404


# --- Queries ----------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url_name", ["providers:provider_timeline", "providers:service_timeline"])
def test_the_number_of_queries_does_not_grow_with_the_entries(
    client_for, sunrise, officer_olivia, manager_maya, provider_pat, url_name
):
    service = ServiceFactory(provider=sunrise, name="Sunrise House")
    everything(service, officer_olivia, manager_maya, provider_pat)
    pk = service.pk if url_name == "providers:service_timeline" else sunrise.pk
    client = client_for(officer_olivia)
    url = reverse(url_name, args=[pk])
    few = _queries(client, url)
    if url_name == "providers:provider_timeline":
        everything(ServiceFactory(provider=sunrise), officer_olivia, manager_maya, provider_pat)
    for n in range(10):
        IntelligenceFactory(service=service, date=date(2026, 9, 1 + n))
        ReviewFactory(service=service, completed_on=date(2026, 9, 1 + n))
    assert _queries(client, url) == few


def test_an_early_warning_raised_and_cleared_is_on_the_timeline_each_time(
    sunrise_house, officer_olivia
):
    """The flag's history keeps a row when the decision changes: raised, cleared, raised
    again are three entries (not one per night)."""
    warning = EarlyWarning.objects.create(
        service=sunrise_house,
        flagged=True,
        reason="Rising",
        size_band="small",
        computed_for=date(2026, 3, 1),
        policy_version=PolicyVersion.current(),
    )
    for flagged, reason in ((False, "Back to usual"), (True, "Rising again")):
        warning.flagged, warning.reason = flagged, reason
        warning.save()
    titles = [e.title for e in _entries(officer_olivia, sunrise_house) if e.kind == "early_warning"]
    assert titles == [
        "Early warning: getting worse",
        "Early warning cleared",
        "Early warning: getting worse",
    ]


def test_a_published_summary_links_to_its_public_page(story, sunrise_house, provider_pat):
    (entry,) = [e for e in _entries(provider_pat, sunrise_house) if e.kind == "public_summaries"]
    summary = PublishedSummary.objects.get(review__service=sunrise_house)
    assert entry.url == summary.get_public_url()
    assert entry.detail == "Overall rating Green."
