"""The automatic sustainability review (source 003 Appendix 4: "Where a provider comes out of
'final warning' route due to evidenced improvement, the Board will expect an automatic review
in six months to demonstrate sustainability"): the service's next full review is due no later
than the case's ``sustainability_review_due``, until a final review since the case left final
warning answers it. A pure rule of ``risk.schedules`` and the recompute that feeds it."""

from __future__ import annotations

from datetime import date

import pytest

from escalation import case_services as cases
from escalation.models import Stage
from qaf.rag import GREEN
from risk.models import ServiceRisk
from risk.recompute import recompute
from risk.schedules import ScheduleFacts, schedule
from tests.escalation.case_support import at_stage, seated
from tests.factories import ReviewFactory

LEFT = date(2026, 8, 31)
DUE = date(2027, 2, 28)


def _facts(**kwargs) -> ScheduleFacts:
    return ScheduleFacts(
        registered_on=date(2020, 1, 1),
        overall_rating=GREEN,
        latest_full_review_date=date(2026, 6, 1),
        latest_review_date=date(2026, 6, 1),
        latest_review_rating=GREEN,
        **kwargs,
    )


def test_without_a_sustainability_review_the_usual_interval_applies():
    plan = schedule(_facts(), {}, date(2026, 9, 1))
    assert plan.next_review_due == date(2028, 6, 1)  # Green: 24 months


def test_the_sustainability_review_brings_the_next_review_forward():
    plan = schedule(
        _facts(sustainability_review_due=DUE, left_final_warning_on=LEFT), {}, date(2026, 9, 1)
    )
    assert plan.next_review_due == DUE
    assert not plan.review_overdue
    assert not schedule(
        _facts(sustainability_review_due=DUE, left_final_warning_on=LEFT), {}, DUE
    ).review_overdue
    assert schedule(
        _facts(sustainability_review_due=DUE, left_final_warning_on=LEFT), {}, date(2027, 3, 1)
    ).review_overdue


def test_an_earlier_due_review_stays_earlier():
    facts = ScheduleFacts(
        registered_on=date(2020, 1, 1),
        overall_rating="red",
        latest_full_review_date=date(2026, 6, 1),
        latest_review_date=date(2026, 6, 1),
        sustainability_review_due=DUE,
        left_final_warning_on=LEFT,
    )
    assert schedule(facts, {}, date(2026, 9, 1)).next_review_due == date(2026, 12, 1)


def test_a_review_since_leaving_final_warning_answers_it():
    facts = ScheduleFacts(
        registered_on=date(2020, 1, 1),
        overall_rating=GREEN,
        latest_full_review_date=LEFT,  # the day it left: counts
        latest_review_date=LEFT,
        sustainability_review_due=DUE,
        left_final_warning_on=LEFT,
    )
    assert schedule(facts, {}, date(2026, 9, 1)).next_review_due == date(2028, 8, 31)


def test_an_out_of_area_service_gets_the_sustainability_review_as_its_due_date():
    facts = ScheduleFacts(
        registered_on=date(2020, 1, 1),
        overall_rating=GREEN,
        out_of_area=True,
        sustainability_review_due=DUE,
        left_final_warning_on=LEFT,
    )
    assert schedule(facts, {}, date(2026, 9, 1)).next_review_due == DUE


@pytest.mark.django_db
def test_leaving_final_warning_makes_the_services_review_due_by_then(
    sunrise_house,
    officer_olivia,
    manager_maya,
    board_bea,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    settings.MEDIA_ROOT = tmp_path
    members = seated(board_bea, manager_maya)
    ReviewFactory(service=sunrise_house, status="final", kind="full", completed_on=date(2026, 8, 1))
    case = at_stage(
        Stage.FINAL_WARNING,
        sunrise_house,
        officer_olivia,
        manager_maya,
        members,
        start=date(2026, 5, 1),
    )
    recompute([sunrise_house.pk], today=date(2026, 8, 30))
    before = ServiceRisk.objects.get(service=sunrise_house).next_review_due
    assert before > DUE
    with django_capture_on_commit_callbacks(execute=True):
        cases.de_escalate(case, actor=officer_olivia, reason="Improvement evidenced", today=LEFT)
    assert case.sustainability_review_due == DUE
    # Re-rated on the commit, and by every nightly run after it.
    assert ServiceRisk.objects.get(service=sunrise_house).next_review_due == DUE
    recompute(today=date(2026, 9, 1))
    assert ServiceRisk.objects.get(service=sunrise_house).next_review_due == DUE
