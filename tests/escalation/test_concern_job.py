"""The nightly step that suggests concern levels (escalation.concern_job): once per service
and level, withdrawn when the triggers stop supporting it, never again after a dismissal with
the same reasons, a fixed number of reads, and a second run that writes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation import concern_services as concern
from escalation.concern_job import suggest_levels
from escalation.models import ConcernSuggestion, SuggestionStatus, Suspension
from providers.models import IntelligenceKind, IntelligenceStatus
from risk.jobs import run_nightly
from risk.models import JobRun
from tests.factories import IntelligenceFactory, ServiceFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)
W = SuggestionStatus


def _rated(service, rating, **key_questions):
    service.regulated, service.regulator, service.regulator_rating = True, "CQC", rating
    for name, value in key_questions.items():
        setattr(service, f"rating_{name}", value)
    service.save()
    return service


def _waiting(service) -> ConcernSuggestion | None:
    return ConcernSuggestion.objects.waiting().filter(service=service).first()


def _suspend(service, approved: date, *, proposer, approver) -> Suspension:
    return Suspension.objects.create(
        service=service,
        status="active",
        restriction="no_new_placements",
        reasons=["other"],
        other_reason="Staffing",
        actions_required="Recruit",
        proposed_by=proposer,
        decided_by=approver,
        decided_on=approved,
    )


def test_a_suggestion_is_made_once_and_a_second_run_writes_nothing(sunrise_house, oak_lodge_home):
    _rated(sunrise_house, "requires_improvement")
    _rated(oak_lodge_home, "inadequate")
    counts = suggest_levels(TODAY)
    assert counts["concern_suggested"] == 2
    assert counts["concern_waiting"] == 2
    first = _waiting(sunrise_house)
    assert (first.level, first.from_level, first.created_for) == (2, 1, TODAY)
    assert first.reasons == ["The regulator's overall rating is Requires improvement."]
    assert first.triggers == ["regulator_requires_improvement"]
    assert _waiting(oak_lodge_home).level == 3

    again = suggest_levels(TODAY + timedelta(days=1))
    assert again == {
        "concern_services": 2,
        "concern_suggested": 0,
        "concern_withdrawn": 0,
        "concern_reasons_updated": 0,
        "concern_waiting": 2,
    }
    assert _waiting(sunrise_house) == first
    assert ConcernSuggestion.objects.count() == 2


def test_nothing_is_suggested_when_the_level_already_matches(sunrise_house, manager_maya):
    _rated(sunrise_house, "requires_improvement")
    concern.decide(sunrise_house, actor=manager_maya, level=2, reason="Warning notice")
    assert suggest_levels(TODAY)["concern_suggested"] == 0
    # The triggers gone, level 1 is suggested (de-escalation), in plain words.
    _rated(sunrise_house, "good")
    suggest_levels(TODAY)
    down = _waiting(sunrise_house)
    assert (down.level, down.from_level) == (1, 2)
    assert down.reasons == ["None of the triggers for level 2 or 3 applies now."]


def test_a_suggestion_the_triggers_no_longer_support_is_withdrawn(sunrise_house):
    _rated(sunrise_house, "requires_improvement")
    suggest_levels(TODAY)
    suggestion = _waiting(sunrise_house)
    _rated(sunrise_house, "good")
    counts = suggest_levels(TODAY + timedelta(days=1))
    assert counts["concern_withdrawn"] == 1
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.closed_on) == (W.WITHDRAWN, TODAY + timedelta(days=1))
    assert _waiting(sunrise_house) is None


def test_a_new_level_replaces_the_waiting_suggestion_and_new_reasons_update_it(sunrise_house):
    _rated(sunrise_house, "requires_improvement")
    suggest_levels(TODAY)
    level_2 = _waiting(sunrise_house)
    IntelligenceFactory(
        service=sunrise_house,
        kind=IntelligenceKind.CONTRACT_DEFAULT_NOTICE,
        date=TODAY - timedelta(days=3),
    )
    counts = suggest_levels(TODAY)
    assert counts["concern_reasons_updated"] == 1 and counts["concern_suggested"] == 0
    level_2.refresh_from_db()
    assert level_2.status == W.WAITING
    assert level_2.triggers == ["regulator_requires_improvement", "default_notice"]
    # An open safeguarding enquiry on top makes it level 3: a new suggestion, the old withdrawn.
    IntelligenceFactory(
        service=sunrise_house,
        kind=IntelligenceKind.SAFEGUARDING_ENQUIRY,
        status=IntelligenceStatus.OPEN,
        confidential=True,
        date=TODAY - timedelta(days=1),
    )
    counts = suggest_levels(TODAY)
    assert (counts["concern_withdrawn"], counts["concern_suggested"]) == (1, 1)
    level_2.refresh_from_db()
    assert level_2.status == W.WITHDRAWN
    assert _waiting(sunrise_house).level == 3


def test_a_dismissed_suggestion_comes_back_only_when_its_reasons_change(
    sunrise_house, manager_maya
):
    _rated(sunrise_house, "requires_improvement")
    suggest_levels(TODAY)
    concern.dismiss(_waiting(sunrise_house), actor=manager_maya, reason="Rating under appeal")
    assert suggest_levels(TODAY + timedelta(days=1))["concern_suggested"] == 0
    IntelligenceFactory(
        service=sunrise_house, kind=IntelligenceKind.CONTRACT_DEFAULT_NOTICE, date=TODAY
    )
    assert suggest_levels(TODAY + timedelta(days=1))["concern_suggested"] == 1


def test_provider_wide_intelligence_reaches_every_service(sunrise, sunrise_house, sunrise_lodge):
    IntelligenceFactory(
        service=None,
        provider=sunrise,
        kind=IntelligenceKind.SAFEGUARDING_ENQUIRY,
        status=IntelligenceStatus.OPEN,
        confidential=True,
        date=date(2026, 10, 3),
    )
    suggest_levels(TODAY)
    for service in (sunrise_house, sunrise_lodge):
        assert _waiting(service).reasons == [
            "An organisational safeguarding enquiry on its provider (for all its services) has "
            "been open since 3 October 2026."
        ]


@pytest.mark.parametrize(("approved", "level"), [(date(2026, 8, 25), 2), (date(2026, 8, 24), 3)])
def test_a_suspension_in_force_for_3_months_and_a_day_suggests_level_3(
    sunrise_house, manager_maya, manager_mo, approved, level
):
    _suspend(sunrise_house, approved, proposer=manager_maya, approver=manager_mo)
    suggest_levels(TODAY)
    assert _waiting(sunrise_house).level == level


def test_a_decommissioned_service_gets_no_suggestion(sunrise_house):
    _rated(sunrise_house, "inadequate")
    sunrise_house.commissioning_status = "decommissioned"
    sunrise_house.save()
    assert suggest_levels(TODAY)["concern_suggested"] == 0


def test_the_reads_do_not_grow_with_the_number_of_services(sunrise):
    def add(n):
        for i in range(n):
            service = _rated(ServiceFactory(provider=sunrise), "inadequate" if i % 2 else "good")
            IntelligenceFactory(
                service=service, kind=IntelligenceKind.CONTRACT_DEFAULT_NOTICE, date=TODAY
            )

    def queries(day):
        with CaptureQueriesContext(connection) as ctx:
            suggest_levels(day)
        return len(ctx.captured_queries)

    add(5)
    queries(TODAY)
    few = queries(TODAY)  # nothing to write
    add(45)
    queries(TODAY)
    assert queries(TODAY) == few


def test_the_nightly_job_suggests_and_counts_them(sunrise_house):
    _rated(sunrise_house, "inadequate")
    run = run_nightly(TODAY)
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.counts["concern_suggested"] == 1
    assert run.counts["concern_waiting"] == 1


def test_the_command_runs_the_step_alone(sunrise_house, capsys):
    _rated(sunrise_house, "inadequate")
    call_command("suggest_concern_levels", "--today", "2026-11-25")
    assert "concern suggested: 1" in capsys.readouterr().out
    run = JobRun.objects.get(name="concern_levels")
    assert (run.status, run.for_date) == (JobRun.Status.SUCCEEDED, TODAY)
