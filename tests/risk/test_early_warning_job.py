"""The nightly early-warning step: counts from the database, stored decisions, notices once per
raise, and the nightly job running it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from providers.models import IntelligenceKind as K
from providers.models import IntelligenceStatus, ServiceType
from qaf.models import Notification
from risk.early_warning_job import compute, nightly
from risk.jobs import nightly_work
from risk.models import EarlyWarning, PolicyVersion
from risk.notices import GETTING_WORSE
from tests.factories import IntelligenceFactory, ServiceFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)
LONG_AGO = date(2020, 1, 1)


def _entries(service=None, *, days_ago, kind=K.COMPLAINT, n=1, provider=None):
    extra = {"status": IntelligenceStatus.OPEN} if kind == K.COMPLAINT else {}
    extra["confidential"] = kind in (K.SAFEGUARDING_CONCERN, K.WHISTLEBLOWING)
    for _ in range(n):
        IntelligenceFactory(
            service=service,
            provider=provider,
            kind=kind,
            date=TODAY - timedelta(days=days_ago),
            **extra,
        )


@pytest.fixture
def rising(sunrise_house, officer_olivia):
    """Sunrise House: 1 complaint in the year before, 4 entries in the last 90 days."""
    sunrise_house.registration_date = LONG_AGO
    sunrise_house.lead_officer = officer_olivia
    sunrise_house.save()
    _entries(sunrise_house, days_ago=200)
    _entries(sunrise_house, days_ago=89, n=2)  # the first day of the window
    _entries(sunrise_house, days_ago=0, kind=K.SAFEGUARDING_CONCERN, n=2)
    _entries(sunrise_house, days_ago=90, kind=K.CONTRACT_MEETING)  # not a concern
    return sunrise_house


def test_a_rising_service_is_flagged_with_its_reason(rising):
    compute(TODAY)
    warning = EarlyWarning.objects.get(service=rising)
    assert warning.flagged
    assert warning.flagged_since == TODAY
    assert warning.recent == 4
    assert warning.recent_by_kind == {"complaint": 2, "safeguarding_concern": 2}
    assert warning.previous == 1
    assert warning.reason.startswith(
        "2 complaints and 2 safeguarding concerns in the last 90 days, against 0.2 per 90 days"
    )
    assert warning.policy_version == PolicyVersion.current()
    assert len(warning.weekly) == 65
    assert sum(warning.weekly) == 5
    assert warning.weekly[-1] == 2  # today's two concerns


def test_an_entry_91_days_old_is_in_the_year_before(sunrise_house):
    sunrise_house.registration_date = LONG_AGO
    sunrise_house.save()
    _entries(sunrise_house, days_ago=90, n=3)
    compute(TODAY)
    warning = EarlyWarning.objects.get(service=sunrise_house)
    assert (warning.recent, warning.previous, warning.flagged) == (0, 3, False)


def test_provider_wide_entries_count_for_every_service(sunrise, sunrise_house, sunrise_lodge):
    _entries(provider=sunrise, days_ago=10, kind=K.WHISTLEBLOWING, n=3)
    compute(TODAY)
    for service in (sunrise_house, sunrise_lodge):
        warning = EarlyWarning.objects.get(service=service)
        assert warning.recent_by_kind == {"whistleblowing": 3}
        assert warning.flagged


def test_peers_of_the_same_type_and_size(sunrise_house):
    """Care homes of 11 to 40 places with 10 entries a year each (2.5 per 90 days): 3 is
    usual for them."""
    sunrise_house.registration_date = LONG_AGO
    sunrise_house.save()
    for _ in range(3):
        peer = ServiceFactory(registration_date=LONG_AGO)
        _entries(peer, days_ago=150, n=10)
    # A domiciliary care service is not a peer of a care home.
    ServiceFactory(service_type=ServiceType.DOMICILIARY_CARE, registration_date=LONG_AGO)
    _entries(sunrise_house, days_ago=5, n=3)
    compute(TODAY)
    warning = EarlyWarning.objects.get(service=sunrise_house)
    assert warning.peers == 3
    assert warning.peer_rate == Decimal("2.5")  # 10 * 90 / 365 = 2.47, to one decimal place
    assert not warning.flagged
    assert "usual for care homes without nursing of this size" in warning.reason


def test_history_row_only_when_the_decision_changes(sunrise_house):
    sunrise_house.registration_date = LONG_AGO
    sunrise_house.save()
    _entries(sunrise_house, days_ago=10, n=4)
    compute(TODAY)
    compute(TODAY)
    warning = EarlyWarning.objects.get(service=sunrise_house)
    assert warning.history.count() == 1
    compute(TODAY + timedelta(days=1))  # the window moves: the same decision
    assert warning.history.count() == 1
    moved = EarlyWarning.objects.get(service=sunrise_house)
    assert moved.computed_for == TODAY + timedelta(days=1)
    assert moved.weekly[-2] == 4  # the series moved with the day
    compute(TODAY + timedelta(days=81))  # the rise has left the window
    warning.refresh_from_db()
    assert not warning.flagged and warning.flagged_since is None
    assert warning.history.count() == 2


def test_the_lead_officer_is_told_once_per_raise(rising, officer_olivia):
    nightly(TODAY)
    nightly(TODAY)
    notices = Notification.objects.filter(user=officer_olivia, kind=GETTING_WORSE)
    assert notices.count() == 1
    assert notices.get().message.startswith("Sunrise House may be getting worse. 2 complaints")
    nightly(TODAY + timedelta(days=91))  # cleared
    _entries(rising, days_ago=-95, n=5)  # a new rise later on
    nightly(TODAY + timedelta(days=96))
    assert notices.count() == 2


def test_no_notice_without_a_lead_officer(sunrise_house):
    _entries(sunrise_house, days_ago=1, n=4)
    nightly(TODAY)
    assert EarlyWarning.objects.get(service=sunrise_house).flagged
    assert not Notification.objects.filter(kind=GETTING_WORSE).exists()


def test_the_nightly_job_runs_the_step(rising):
    counts = nightly_work(TODAY)
    assert counts["early_warning_flagged"] == 1
    assert counts["early_warning_raised"] == 1
    assert counts["early_warning_notifications"] == 1
    assert EarlyWarning.objects.get(service=rising).flagged


def test_a_new_policy_version_changes_the_decision(rising, admin_alex):
    compute(TODAY)
    current = PolicyVersion.current()
    stricter = PolicyVersion.objects.create(
        number=current.number + 1,
        matrix=current.matrix,
        schedules={**current.schedules, "early_warning_min_entries": 5},
    )
    compute(TODAY, policy=stricter)
    warning = EarlyWarning.objects.get(service=rising)
    assert not warning.flagged
    assert warning.policy_version == stricter
    assert "fewer than the 5 that can raise a flag" in warning.reason


def test_the_management_command(rising, capsys):
    call_command("early_warning", "--date", TODAY.isoformat())
    assert "1 flagged" in capsys.readouterr().out
    assert EarlyWarning.objects.get(service=rising).flagged


AS_OF = date(2026, 3, 1)


def _concern_raised(service, manager, on, level=2):
    from escalation import concern_services

    concern_services.decide(
        service, actor=manager, level=level, reason="Concerns rising.", today=on
    )


def _suspended(service, manager, on, status="active"):
    from escalation.models import Suspension

    Suspension.objects.create(
        service=service,
        status=status,
        restriction="no_new_placements",
        reasons=["other"],
        other_reason="Test",
        actions_required="Improve.",
        proposed_by=manager,
        decided_by=manager,
        decided_on=on,
    )


@pytest.fixture
def history(manager_maya):
    """Six care homes on a constructed history as of 1 March 2026, horizon 180 days: three
    whose entries rose in the 90 days before (flagged), three quiet ones."""
    from risk.models import RatingChange
    from tests.factories import ReviewFactory

    names = ("Rose", "Birch", "Cedar", "Dale", "Elm", "Fern")
    homes = {
        n: ServiceFactory(
            name=n, service_type=ServiceType.CARE_HOME, capacity=20, registration_date=LONG_AGO
        )
        for n in names
    }
    for n in ("Rose", "Birch", "Cedar"):
        for days_before in (200, 60, 30, 10, 0):
            IntelligenceFactory(
                service=homes[n],
                kind=K.COMPLAINT,
                status=IntelligenceStatus.CLOSED,
                date=AS_OF - timedelta(days=days_before),
            )
    after = lambda days: AS_OF + timedelta(days=days)  # noqa: E731
    # Rose: flagged, its concern level raised 30 days later: a true positive.
    _concern_raised(homes["Rose"], manager_maya, after(30))
    # Birch: flagged, a worse rating computed by a job (not a dated decision): a false positive.
    RatingChange.objects.create(
        service=homes["Birch"],
        date=after(10),
        from_rating="green",
        to_rating="red",
        policy_version=PolicyVersion.current(),
    )
    # Cedar: flagged, raised the day after the horizon: a false positive.
    _concern_raised(homes["Cedar"], manager_maya, after(181))
    # Dale: not flagged, suspended on the horizon's last day: a miss.
    _suspended(homes["Dale"], manager_maya, after(180))
    # Elm: not flagged, a review's final report rated Red: a miss.
    ReviewFactory(service=homes["Elm"], rating="red", completed_on=after(90))
    # Fern: not flagged; raised on the as-of day itself, an Amber review, a suspension not
    # approved: none of them counts.
    _concern_raised(homes["Fern"], manager_maya, AS_OF)
    ReviewFactory(service=homes["Fern"], rating="amber", completed_on=after(20))
    _suspended(homes["Fern"], manager_maya, after(20), status="rejected")
    return homes


def test_precision_counts_flags_followed_by_a_dated_turn_for_the_worse(history):
    from risk.early_warning_precision import precision

    result = precision(AS_OF, horizon=180)
    assert (result.services, result.flagged) == (6, 3)
    assert result.flagged_then_worse == 1  # Rose
    assert result.precision == pytest.approx(1 / 3)
    assert result.not_flagged_then_worse == 2  # Dale and Elm
    assert result.recall == pytest.approx(1 / 3)
    assert result.base_rate == pytest.approx(2 / 3)
    assert not EarlyWarning.objects.exists()  # a report: nothing stored


def test_the_precision_report_on_a_constructed_history(history, capsys):
    call_command("early_warning", "--precision", AS_OF.isoformat(), "--horizon", "180")
    out = capsys.readouterr().out
    assert "As of 2026-03-01: 6 services, 3 flagged." in out
    assert "1 of the 3 flagged got worse (precision 33%)" in out
    assert "2 of the 3 not flagged did (67%)" in out
    assert "1 of the 3 that got worse were flagged (recall 33%)" in out


def test_the_precision_report(rising, capsys):
    call_command("early_warning", "--precision", TODAY.isoformat())
    out = capsys.readouterr().out
    assert "1 flagged" in out
    assert "0 of the 1 flagged got worse (precision 0%)" in out
