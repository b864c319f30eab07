"""Shared outcomes between councils (issue 14 item 4): the export in the documented format, the
import that records another council's outcomes as intelligence on the matching service, and
a provider pointing this council at outcomes another council already holds."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from jsonschema import Draft202012Validator, FormatChecker

from providers.models import Intelligence, IntelligenceKind
from qaf.models import Notification
from reviews import shared_outcomes as shared
from reviews.models import Answer, Question, SharedOutcome, StandardNote
from tests.factories import (
    IntelligenceFactory,
    ReviewFactory,
    ServiceFactory,
    small_toolkit,
)

pytestmark = pytest.mark.django_db

OTHER_COUNCIL = override_settings(COUNCIL_NAME="Brookshire Council")


def _schema() -> dict:
    path = shared.SCHEMA_PATH
    assert path.name == "shared-outcomes.schema.json" and path.parent.name == "docs"
    return json.loads(path.read_text())


def _valid(document) -> list[str]:
    checker = Draft202012Validator(_schema(), format_checker=FormatChecker())
    return [f"{list(e.path)}: {e.message}" for e in checker.iter_errors(document)]


@pytest.fixture
def scored_review(sunrise_house, officer_olivia):
    """A final review of Sunrise House: Safe S1 Green (3, 4), S2 Red (1); Caring C1 Amber (2);
    the officer overrode the rating with a reason and noted who she spoke to."""
    kit = small_toolkit(
        {
            "Safe": {"S1 Safeguarding": ["Report abuse?", "Learn?"], "S2 Medicines": ["MAR?"]},
            "Caring": {"C1 Dignity": ["Privacy?"]},
        }
    )
    review = ReviewFactory(
        service=sunrise_house,
        toolkit=kit,
        officer=officer_olivia,
        visit_date=date(2026, 5, 2),
        completed_on=date(2026, 6, 10),
        suggested_rating="red",
        rating="amber",
        override_reason="Olivia Officer judged the medicines issue fixed on the day",
        summary="Medicines records were incomplete; people are treated with dignity.",
    )
    scores = {"Report abuse?": "3", "Learn?": "4", "MAR?": "1", "Privacy?": "2"}
    for q in Question.objects.filter(standard__domain__toolkit=kit):
        Answer.objects.create(
            review=review, question=q, score=scores[q.text], notes="Spoke to Mrs Jane Doe"
        )
    StandardNote.objects.create(
        review=review,
        standard=kit.domains.get(title="Safe").standards.get(code="S1"),
        findings="Fine",
        people_spoken_to="Mr John Smith, resident",
    )
    IntelligenceFactory(
        service=sunrise_house,
        kind=IntelligenceKind.WHISTLEBLOWING,
        confidential=True,
        summary="Whistleblower says night staff sleep on shift",
    )
    return review


def _document(*outcomes, council="Brookshire Council", version="1.0") -> dict:
    return {
        "format": "qaf-shared-outcomes",
        "format_version": version,
        "council": {"name": council},
        "generated_at": "2026-11-01T10:00:00+00:00",
        "outcomes": list(outcomes),
    }


def _outcome(regulator_id: str, review_id: str = "77", **overrides) -> dict:
    outcome = {
        "review_id": review_id,
        "service": {
            "regulator": "CQC",
            "regulator_id": regulator_id,
            "name": "Sunrise House",
            "provider_name": "Sunrise Care Ltd",
        },
        "kind": "full",
        "visit_date": "2026-09-01",
        "completed_on": "2026-09-20",
        "overall_rating": "amber",
        "domains": [
            {
                "title": "Safe",
                "rating": "amber",
                "standards": [{"code": "S1", "title": "Safeguarding", "rating": "amber"}],
            }
        ],
        "summary_of_findings": "Care plans were out of date.",
    }
    outcome.update(overrides)
    return outcome


# --- Export ---------------------------------------------------------------------------------


def test_the_export_validates_against_the_schema_in_docs(scored_review):
    document = shared.export_document(shared.outcomes_queryset())
    assert _valid(document) == []
    assert document["format_version"] == "1.1"
    assert document["council"] == {"name": "Avonmere Council"}
    [outcome] = document["outcomes"]
    service = scored_review.service
    assert outcome["service"] == {
        "regulator": "CQC",
        "regulator_id": service.regulator_id,
        "name": "Sunrise House",
        "provider_name": "Sunrise Care Ltd",
        "provider_regulator_id": service.provider.regulator_provider_id,
    }
    assert (outcome["review_id"], outcome["overall_rating"]) == (str(scored_review.pk), "amber")
    assert (outcome["visit_date"], outcome["completed_on"]) == ("2026-05-02", "2026-06-10")
    assert [(d["title"], d["rating"]) for d in outcome["domains"]] == [
        ("Safe", "red"),
        ("Caring", "amber"),
    ]
    assert outcome["domains"][0]["standards"] == [
        {"code": "S1", "title": "Safeguarding", "rating": "green", "mean_score": 3.5},
        {"code": "S2", "title": "Medicines", "rating": "red", "mean_score": 1.0},
    ]
    assert outcome["summary_of_findings"] == scored_review.summary


def test_the_export_reads_a_bounded_number_of_queries(
    scored_review, sunrise, django_assert_max_num_queries
):
    for n in range(5):
        ReviewFactory(
            service=ServiceFactory(provider=sunrise),
            toolkit=scored_review.toolkit,
            completed_on=date(2026, 7, n + 1),
        )
    # The reviews, their answers, the questions, the names their summaries must not hold.
    with django_assert_max_num_queries(4):
        document = shared.export_document(shared.outcomes_queryset())
    assert len(document["outcomes"]) == 6
    assert all(len(o["domains"]) == 2 for o in document["outcomes"])


def test_the_export_holds_no_personal_data_and_no_confidential_intelligence(scored_review):
    text = json.dumps(shared.export_document(shared.outcomes_queryset()))
    officer = scored_review.officer
    for secret in (
        officer.first_name,
        officer.last_name,
        officer.email,
        "Olivia",
        "override",
        "Jane Doe",
        "John Smith",
        "Whistleblower",
        "sleep on shift",
    ):
        assert secret not in text, secret
    for key in ("officer", "author", "notes", "people_spoken_to", "override_reason", "email"):
        assert f'"{key}"' not in text, key


def test_the_export_has_final_reviews_of_services_with_a_regulator_id_only(sunrise):
    unregulated = ServiceFactory(
        provider=sunrise,
        regulated=False,
        regulator="",
        regulator_id="",
        regulator_rating="not_rated",
    )
    ReviewFactory(service=unregulated)
    ReviewFactory(status="with_provider", rating="", completed_on=None)
    historic = ReviewFactory(historic=True, rating="red", completed_on=date(2024, 2, 1))
    document = shared.export_document(shared.outcomes_queryset())
    assert [o["review_id"] for o in document["outcomes"]] == [str(historic.pk)]
    # A review recorded with its rating only (historic, no toolkit) has no domains.
    assert document["outcomes"][0]["domains"] == []
    assert _valid(document) == []


def test_the_period_and_service_filters(sunrise_house, oak_lodge_home):
    first = ReviewFactory(service=sunrise_house, completed_on=date(2026, 3, 31))
    second = ReviewFactory(service=sunrise_house, completed_on=date(2026, 4, 1))
    other = ReviewFactory(service=oak_lodge_home, completed_on=date(2026, 4, 1))

    def ids(**filters):
        return [r.pk for r in shared.outcomes_queryset(**filters)]

    assert ids(date_from=date(2026, 4, 1)) == [second.pk, other.pk]
    assert ids(date_to=date(2026, 3, 31)) == [first.pk]
    assert ids(services=[oak_lodge_home]) == [other.pk]


# --- Import ---------------------------------------------------------------------------------


def test_round_trip_export_then_import_records_intelligence_on_the_matching_service(
    scored_review, manager_maya, django_capture_on_commit_callbacks
):
    document = json.loads(json.dumps(shared.export_document(shared.outcomes_queryset())))
    with OTHER_COUNCIL, django_capture_on_commit_callbacks(execute=True):
        report = shared.import_document(document, actor=manager_maya)
    assert report.counts["recorded"] == 1
    record = SharedOutcome.objects.get()
    assert record.service == scored_review.service
    assert (record.source_council, record.their_review_id) == (
        "Avonmere Council",
        str(scored_review.pk),
    )
    assert (record.completed_on, record.visit_date, record.rating) == (
        date(2026, 6, 10),
        date(2026, 5, 2),
        "amber",
    )
    assert record.ratings == document["outcomes"][0]["domains"]
    entry = record.intelligence
    assert entry.kind == IntelligenceKind.REGULATOR_INFORMATION
    assert (entry.service, entry.date, entry.source) == (
        scored_review.service,
        date(2026, 6, 10),
        "Avonmere Council",
    )
    assert not entry.confidential
    assert entry.summary.startswith(
        "Avonmere Council completed a full QA review of Sunrise House on 10 June 2026: "
        "overall Amber. Safe Red, Caring Amber."
    )
    assert "Medicines records were incomplete" in entry.summary
    assert record.history.count() == 1


def test_importing_the_same_outcome_twice_does_not_duplicate(sunrise_house):
    document = _document(_outcome(sunrise_house.regulator_id))
    assert shared.import_document(document).counts["recorded"] == 1
    again = shared.import_document(document)
    assert [row.status for row in again.rows] == ["already_recorded"]
    assert SharedOutcome.objects.count() == Intelligence.objects.count() == 1


def test_a_review_twice_in_one_file_is_recorded_once(sunrise_house):
    outcome = _outcome(sunrise_house.regulator_id)
    report = shared.import_document(_document(outcome, copy.deepcopy(outcome)))
    assert [row.status for row in report.rows] == ["recorded", "duplicate"]
    assert SharedOutcome.objects.count() == 1


def test_matching_is_by_regulator_and_regulator_id(sunrise_house):
    ofsted = _outcome(sunrise_house.regulator_id, "1")
    ofsted["service"]["regulator"] = "Ofsted"
    # Spaces around the id are not a different id; the name in the file does not matter.
    renamed = _outcome(f" {sunrise_house.regulator_id} ", "3")
    renamed["service"]["name"] = "Renamed House"
    report = shared.import_document(_document(_outcome("1-999999999", "2"), ofsted, renamed))
    assert [(r.status, r.service) for r in report.rows] == [
        ("unmatched", None),
        ("unmatched", None),
        ("recorded", sunrise_house.pk),
    ]
    assert "No service here has CQC id 1-999999999" in report.rows[0].message


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json at all", "The file is not JSON"),
        (b"\xff\xfe\x00", "not text in UTF-8"),
        (b"[1, 2]", "not a shared-outcomes file"),
        (b'{"format": "csv"}', "not a shared-outcomes file"),
        (json.dumps(_document(version="2.0")).encode(), "format version '2.0'"),
        (json.dumps(_document() | {"format_version": 1}).encode(), "format version 1"),
        (json.dumps(_document() | {"outcomes": {}}).encode(), "/outcomes: {} is not of type"),
        (json.dumps(_document() | {"council": {}}).encode(), "/council: 'name' is a required"),
        (json.dumps(_document(council="Avonmere Council")).encode(), "own outcomes"),
    ],
)
def test_a_bad_file_is_refused_with_its_reason_and_records_nothing(raw, message):
    with pytest.raises(shared.OutcomesFileError, match=None) as refused:
        shared.import_bytes(raw)
    assert message in str(refused.value)
    assert not SharedOutcome.objects.exists()


def test_an_outcome_against_the_schema_is_reported_with_its_path_and_the_rest_recorded(
    sunrise_house, sunrise_lodge
):
    bad = _outcome(sunrise_lodge.regulator_id, "9", overall_rating="purple")
    del bad["completed_on"]
    report = shared.import_document(_document(bad, _outcome(sunrise_house.regulator_id)))
    assert [row.status for row in report.rows] == ["invalid", "recorded"]
    assert "/outcomes/0/overall_rating: 'purple' is not one of" in report.rows[0].message
    assert "/outcomes/0: 'completed_on' is a required property" in report.rows[0].message
    assert report.rows[0].regulator_id == sunrise_lodge.regulator_id


@pytest.mark.parametrize(("completed_on", "ok"), [("2026-12-04", True), ("2026-12-05", False)])
def test_an_outcome_completed_after_today_is_invalid(sunrise_house, completed_on, ok, settings):
    import time_machine

    with time_machine.travel(date(2026, 12, 4), tick=False):
        report = shared.import_document(
            _document(_outcome(sunrise_house.regulator_id, completed_on=completed_on))
        )
    assert report.rows[0].status == ("recorded" if ok else "invalid")


def test_a_provider_records_outcomes_for_its_own_services_only(
    provider_pat, sunrise_house, oak_lodge_home, officer_olivia
):
    sunrise_house.lead_officer = officer_olivia
    sunrise_house.save()
    report = shared.import_document(
        _document(
            _outcome(sunrise_house.regulator_id, "1"),
            _outcome(oak_lodge_home.regulator_id, "2"),
            _outcome("1-999999999", "3"),
        ),
        actor=provider_pat,
    )
    # Another provider's service and one nobody has read alike: nothing is given away.
    assert [row.status for row in report.rows] == ["recorded", "not_yours", "not_yours"]
    assert report.rows[1].service is None
    assert "is not one of Sunrise Care Ltd's services here: ignored" in report.rows[1].message
    record = SharedOutcome.objects.get()
    assert record.service == sunrise_house and record.supplied_by == provider_pat.provider
    assert record.intelligence.source == "Brookshire Council, supplied by Sunrise Care Ltd"
    assert record.intelligence.author == provider_pat
    # The lead officer is told, once.
    [notice] = Notification.objects.filter(user=officer_olivia)
    assert notice.kind == "shared_outcome_supplied"
    assert notice.message.startswith("Sunrise Care Ltd sent in Brookshire Council's QA review")
    shared.import_document(_document(_outcome(sunrise_house.regulator_id, "1")), actor=provider_pat)
    assert Notification.objects.filter(user=officer_olivia).count() == 1


# --- Pages ----------------------------------------------------------------------------------


def _upload(document, name="outcomes.json") -> SimpleUploadedFile:
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    return SimpleUploadedFile(name, raw, content_type="application/json")


def test_an_officer_uploads_a_file_and_sees_what_happened_to_each_row(
    client_for, officer_olivia, sunrise_house
):
    document = _document(_outcome(sunrise_house.regulator_id), _outcome("1-999999999", "8"))
    response = client_for(officer_olivia).post(
        "/shared-outcomes/import/", {"file": _upload(document)}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Outcomes from Brookshire Council" in page
    assert "Recorded: 1" in page and "No matching service: 1" in page
    assert "No service here has CQC id 1-999999999." in page


def test_a_file_that_is_not_json_is_an_error_on_the_page(client_for, officer_olivia):
    response = client_for(officer_olivia).post(
        "/shared-outcomes/import/", {"file": _upload(b"name,rating\n")}
    )
    assert response.status_code == 200
    assert "The file is not JSON" in response.content.decode()
    assert "govuk-error-summary" in response.content.decode()
    response = client_for(officer_olivia).post(
        "/shared-outcomes/import/", {"file": _upload(_document(version="2.1"))}
    )
    assert "QAF reads version 1.x" in response.content.decode()


def test_the_service_page_shows_other_councils_outcomes_to_staff_and_its_provider(
    client_for, officer_olivia, provider_pat, sunrise_house
):
    shared.import_document(_document(_outcome(sunrise_house.regulator_id)))
    for user in (officer_olivia, provider_pat):
        page = client_for(user).get(sunrise_house.get_absolute_url()).content.decode()
        assert "Other councils' QA outcomes" in page
        assert "Brookshire Council: full review completed 20 September 2026" in page


def test_the_download_page_gives_the_json_file(client_for, partner_pia, scored_review):
    response = client_for(partner_pia).get(
        "/shared-outcomes/export/",
        {
            "download": "1",
            "date_from": "10/06/2026",
            "regulator_ids": scored_review.service.regulator_id,
        },
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="shared-outcomes-')
    document = json.loads(response.content)
    assert _valid(document) == [] and len(document["outcomes"]) == 1
    refused = client_for(partner_pia).get(
        "/shared-outcomes/export/",
        {
            "download": "1",
            "date_from": "11/06/2026",
            "date_to": "10/06/2026",
            "regulator_ids": "1-5",
        },
    )
    assert refused["Content-Type"].startswith("text/html")
    page = refused.content.decode()
    assert "The end of the period must be on or after its start" in page
    assert "No service has the regulator id 1-5" in page


def test_a_provider_answering_a_request_is_offered_the_upload(
    client_for, provider_pat, officer_olivia, sunrise_house
):
    from reviews import information as info

    req = info.send_request(
        info.create_request(sunrise_house, actor=officer_olivia, items=["Rota"]),
        actor=officer_olivia,
    )
    page = client_for(provider_pat).get(req.get_absolute_url()).content.decode()
    assert f"/shared-outcomes/import/?request={req.pk}" in page


# --- API ------------------------------------------------------------------------------------


def test_api_export_and_import(api_for, partner_pia, manager_maya, scored_review):
    exported = api_for(partner_pia).get("/api/v1/shared-outcomes/export/")
    assert exported.status_code == 200
    assert _valid(exported.json()) == []
    with OTHER_COUNCIL:
        imported = api_for(manager_maya).post(
            "/api/v1/shared-outcomes/import/", exported.json(), format="json"
        )
    assert imported.status_code == 200, imported.json()
    assert imported.json()["counts"]["recorded"] == 1
    listed = api_for(manager_maya).get("/api/v1/shared-outcomes/").json()
    assert [o["source"] for o in listed["results"]] == ["Avonmere Council"]


def test_api_bad_files_are_400s_with_reasons(api_for, officer_olivia):
    api = api_for(officer_olivia)
    wrong = api.post("/api/v1/shared-outcomes/import/", _document(version="3.0"), format="json")
    assert wrong.status_code == 400 and "format version '3.0'" in wrong.json()["detail"]
    upload = api.post(
        "/api/v1/shared-outcomes/import/", {"file": _upload(b"{oops")}, format="multipart"
    )
    assert upload.status_code == 400 and "not JSON" in upload.json()["file"][0]
    period = api.get("/api/v1/shared-outcomes/export/?date_from=2026-05-01&date_to=2026-04-01")
    assert period.status_code == 400 and "date_to" in period.json()
    assert not SharedOutcome.objects.exists()


def test_api_provider_sees_only_its_own_services_outcomes(
    api_for, provider_pat, provider_quinn, sunrise_house, oak_lodge_home
):
    shared.import_document(
        _document(
            _outcome(sunrise_house.regulator_id, "1"), _outcome(oak_lodge_home.regulator_id, "2")
        )
    )
    rows = api_for(provider_pat).get("/api/v1/shared-outcomes/").json()["results"]
    assert [r["service"] for r in rows] == [sunrise_house.pk]
    other = SharedOutcome.objects.get(service=oak_lodge_home)
    assert api_for(provider_pat).get(f"/api/v1/shared-outcomes/{other.pk}/").status_code == 404
    assert api_for(provider_pat).get("/api/v1/shared-outcomes/export/").status_code == 403


# --- Commands -------------------------------------------------------------------------------


def test_the_commands_export_and_import(tmp_path, scored_review, capsys):
    path = tmp_path / "outcomes.json"
    call_command("export_outcomes", "--from", "2026-06-10", "--output", str(path))
    document = json.loads(path.read_text())
    assert _valid(document) == [] and len(document["outcomes"]) == 1
    with OTHER_COUNCIL:
        call_command("import_outcomes", str(path))
        call_command("import_outcomes", str(path))
    out = capsys.readouterr().out
    assert "Recorded" in out and "Already recorded" in out
    assert SharedOutcome.objects.count() == 1
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "qaf-shared-outcomes", "format_version": "9.0"}')
    with pytest.raises(CommandError, match="format version '9.0'"):
        call_command("import_outcomes", str(bad))
    with pytest.raises(CommandError, match="not a date"):
        call_command("export_outcomes", "--from", "June")


@pytest.mark.parametrize(
    "url", ["/api/v1/shared-outcomes/import/", "/api/v1/information-requests/"]
)
def test_api_a_body_nested_too_deep_is_a_400_with_its_reason(api_for, officer_olivia, url):
    body = "[" * 100_000 + "]" * 100_000
    response = api_for(officer_olivia).post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deep" in response.json()["detail"]
    assert not SharedOutcome.objects.exists()


@pytest.mark.parametrize(("length", "refused"), [(16, False), (17, True), (22, True)])
def test_a_format_version_longer_than_16_characters_is_refused_with_its_reason(
    api_for, officer_olivia, sunrise_house, length, refused
):
    version = "1." + "0" * (length - 2)
    response = api_for(officer_olivia).post(
        "/api/v1/shared-outcomes/import/",
        _document(_outcome(sunrise_house.regulator_id), version=version),
        format="json",
    )
    if refused:
        assert response.status_code == 400
        assert "format_version" in response.json()["detail"]
        assert "16 characters" in response.json()["detail"]
        assert not SharedOutcome.objects.exists()
    else:
        assert response.status_code == 200, response.json()
        assert SharedOutcome.objects.get().format_version == version
    assert "maxLength" in _schema()["properties"]["format_version"]


def test_an_outcome_the_database_cannot_hold_is_an_invalid_row_and_the_rest_recorded(
    sunrise_house, sunrise_lodge, monkeypatch
):
    from django.db import DataError

    real = SharedOutcome.save

    def save(self, *args, **kwargs):
        if self.their_review_id == "bad":
            raise DataError("value too long for type character varying(16)")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SharedOutcome, "save", save)
    report = shared.import_document(
        _document(_outcome(sunrise_lodge.regulator_id, "bad"), _outcome(sunrise_house.regulator_id))
    )
    assert [row.status for row in report.rows] == ["invalid", "recorded"]
    assert "could not be stored" in report.rows[0].message
    assert SharedOutcome.objects.count() == Intelligence.objects.count() == 1


# --- A provider's copy and the council's own ------------------------------------------------


def test_a_provider_copy_never_blocks_the_councils_own_import_and_the_lead_is_told_they_differ(
    provider_pat, sunrise_house, officer_olivia, manager_maya, client_for
):
    sunrise_house.lead_officer = officer_olivia
    sunrise_house.save()
    forged = _outcome(sunrise_house.regulator_id, "77", overall_rating="green")
    shared.import_document(_document(forged, council="brookshire  council"), actor=provider_pat)
    provider_copy = SharedOutcome.objects.get()
    # The council's own file, imported by staff: recorded, and the provider's copy superseded.
    report = shared.import_document(
        _document(_outcome(sunrise_house.regulator_id, "77", overall_rating="red")),
        actor=manager_maya,
    )
    assert [row.status for row in report.rows] == ["recorded"]
    own = SharedOutcome.objects.get(supplied_by=None)
    assert own.rating == "red" and own.source_council == "Brookshire Council"
    provider_copy.refresh_from_db()
    assert provider_copy.superseded_by == own
    # The service page shows the council's copy only; the list marks the provider's.
    assert list(shared.service_outcomes(sunrise_house, officer_olivia)) == [own]
    listed = client_for(officer_olivia).get("/shared-outcomes/").content.decode()
    assert "Superseded by the council&#x27;s own copy" in listed or (
        "Superseded by the council's own copy" in listed
    )
    notice = Notification.objects.get(user=officer_olivia, kind="shared_outcome_differs")
    assert "differs from the copy Sunrise Care Ltd sent in" in notice.message
    assert "overall Red (Sunrise Care Ltd's copy: Green)" in notice.message
    # Importing the council's file again changes nothing; the provider sending it again neither.
    again = shared.import_document(
        _document(_outcome(sunrise_house.regulator_id, "77", overall_rating="red")),
        actor=manager_maya,
    )
    assert [row.status for row in again.rows] == ["already_recorded"]
    later = shared.import_document(
        _document(forged, council="BROOKSHIRE COUNCIL"), actor=provider_pat
    )
    assert [row.status for row in later.rows] == ["already_recorded"]
    assert SharedOutcome.objects.count() == 2


def test_the_same_copy_from_the_provider_and_the_council_tells_the_lead_nothing(
    provider_pat, sunrise_house, officer_olivia
):
    sunrise_house.lead_officer = officer_olivia
    sunrise_house.save()
    outcome = _outcome(sunrise_house.regulator_id, "77")
    shared.import_document(_document(outcome), actor=provider_pat)
    report = shared.import_document(_document(outcome, council=" Brookshire   Council "))
    assert [row.status for row in report.rows] == ["recorded"]
    assert SharedOutcome.objects.filter(superseded_by__isnull=False).count() == 1
    assert not Notification.objects.filter(kind="shared_outcome_differs").exists()


def test_council_names_match_case_folded_with_spaces_normalised(sunrise_house):
    shared.import_document(_document(_outcome(sunrise_house.regulator_id, "77")))
    again = shared.import_document(
        _document(_outcome(sunrise_house.regulator_id, "77"), council="brookshire  COUNCIL")
    )
    assert [row.status for row in again.rows] == ["already_recorded"]
    with pytest.raises(shared.OutcomesFileError, match="own outcomes"):
        shared.import_document(_document(council="avonmere   council"))


# --- Names in a summary of findings ---------------------------------------------------------


def _final(service, summary, **kwargs):
    return ReviewFactory(service=service, summary=summary, completed_on=date(2026, 7, 1), **kwargs)


def test_a_summary_naming_staff_or_the_providers_users_is_held_back_from_the_export(
    sunrise_house, oak_lodge_home, officer_olivia, provider_pat, provider_quinn
):
    staff = " ".join(officer_olivia.get_full_name().upper().split())
    pat = provider_pat.get_full_name().lower()
    quinn = provider_quinn.get_full_name()
    naming_staff = _final(sunrise_house, f"Good.  {staff.replace(' ', '  ')} saw the rota.")
    naming_pat = _final(sunrise_house, f"The manager, {pat}, was helpful.")
    # Quinn works for another provider: the name of someone at Oak Lodge's provider is checked
    # on Oak Lodge's reviews only. A first name alone is no full name.
    other_provider = _final(sunrise_house, f"We met {quinn} from another home.")
    first_only = _final(oak_lodge_home, "Olivia and Pat were kind.")
    document = shared.export_document(shared.outcomes_queryset())
    assert _valid(document) == []
    assert document["format_version"] == "1.1"
    by_id = {o["review_id"]: o for o in document["outcomes"]}
    for review in (naming_staff, naming_pat):
        held = by_id[str(review.pk)]
        assert held["summary_of_findings"] == "" and held["summary_withheld"] is True
        assert held["overall_rating"] == review.rating  # the outcome itself still goes
    for review in (other_provider, first_only):
        sent = by_id[str(review.pk)]
        assert sent["summary_of_findings"] == review.summary
        assert sent["summary_withheld"] is False
    assert "summary_withheld" in _schema()["$defs"]["outcome"]["properties"]


def test_the_export_page_lists_the_outcomes_whose_summary_is_held_back(
    client_for, partner_pia, sunrise_house, officer_olivia
):
    _final(sunrise_house, "Nothing of note.")
    named = _final(sunrise_house, f"{officer_olivia.get_full_name()} checked the MAR charts.")
    page = client_for(partner_pia).get("/shared-outcomes/export/").content.decode()
    assert "1 outcome goes without its summary of findings" in page
    assert f"/reviews/{named.pk}/" in page
    assert officer_olivia.get_full_name() in page


def test_the_export_page_says_when_no_summary_is_held_back(client_for, partner_pia):
    page = client_for(partner_pia).get("/shared-outcomes/export/").content.decode()
    assert "goes without its summary" not in page
