"""The early-warning rule (risk.early_warning.decide): plain data, every boundary, no database."""

from __future__ import annotations

from fractions import Fraction

import pytest

from providers.models import IntelligenceKind as K
from providers.models import ServiceType
from risk.early_warning import (
    Counts,
    Thresholds,
    decide,
    describe_kinds,
    own_rate,
    peer_rate,
    size_band,
)

RULES = Thresholds(min_entries=3, own_percent=200, peer_percent=150, min_history_days=180)
YEAR = 365


def counts(recent=None, previous=0, history_days=YEAR, peers=0, peer_entries=0, peer_days=0):
    return Counts(
        recent=recent if recent is not None else {},
        previous=previous,
        history_days=history_days,
        peers=peers,
        peer_entries=peer_entries,
        peer_days=peer_days,
        service_type=ServiceType.CARE_HOME,
        size_band="medium",
    )


def complaints(n):
    return {K.COMPLAINT: n}


# --- The minimum number of entries -------------------------------------------------------


def test_no_entries_no_flag():
    decision = decide(counts(), RULES)
    assert not decision.flagged
    assert decision.reason.startswith("No complaints, safeguarding concerns or notices")


def test_one_below_the_minimum_is_no_flag_even_with_no_history():
    decision = decide(counts(complaints(2)), RULES)
    assert not decision.flagged
    assert "fewer than the 3 that can raise a flag" in decision.reason


def test_exactly_the_minimum_with_none_before_flags():
    decision = decide(counts(complaints(3)), RULES)
    assert decision.flagged
    assert decision.reason.startswith("3 complaints in the last 90 days, against none")


# --- The service's own rate --------------------------------------------------------------

# 365 days at 4 a year: (4 * 90 / 365) ~ 0.99 per 90 days; at 200%, 1.97: 3 is above.
# 12 a year: 2.96 per 90 days; 200% is 5.92: 6 flags, 5 does not.


def test_own_rate_is_per_90_days():
    assert own_rate(counts(previous=365, history_days=YEAR), RULES) == 90


def test_exactly_at_the_own_threshold_flags():
    # previous 730 over 365 days = 180 per 90 days; 200% = 360.
    assert decide(counts(complaints(360), previous=730), RULES).flagged


def test_one_below_the_own_threshold_is_no_flag():
    decision = decide(counts(complaints(359), previous=730), RULES)
    assert not decision.flagged
    assert "not above the service's own rate" in decision.reason
    assert "360.0" in decision.reason


def test_a_steady_service_is_not_getting_worse():
    # 12 a year is 3 a quarter: 3 in the last 90 days is its usual.
    decision = decide(counts(complaints(3), previous=12), RULES)
    assert not decision.flagged


def test_new_service_without_enough_history_skips_its_own_rate():
    assert own_rate(counts(history_days=179), RULES) is None
    decision = decide(counts(complaints(3), previous=50, history_days=179), RULES)
    assert decision.flagged  # no own rate, no peers: the minimum decides
    assert "too little history of its own" in decision.reason


def test_exactly_the_minimum_history_uses_the_own_rate():
    # 180 days with 40 entries: 20 per 90 days; 3 is not above.
    assert own_rate(counts(previous=40, history_days=180), RULES) == 20
    assert not decide(counts(complaints(3), previous=40, history_days=180), RULES).flagged


def test_no_history_at_all():
    decision = decide(counts(complaints(4), history_days=0), RULES)
    assert decision.flagged
    assert decision.own_rate is None


# --- Services of the same type and size ---------------------------------------------------


def test_zero_peers_compares_with_itself_only():
    decision = decide(counts(complaints(3), peers=0), RULES)
    assert decision.flagged
    assert decision.peer_rate is None
    assert "too few other care homes without nursing of this size" in decision.reason


def test_one_peer_short_of_the_minimum_is_not_compared():
    c = counts(complaints(3), peers=2, peer_entries=1000, peer_days=2 * YEAR)
    assert peer_rate(c, RULES) is None
    assert decide(c, RULES).flagged


def test_exactly_at_the_peer_threshold_flags():
    # 3 peers, 4 entries each over the year: 12 * 90 / 1095 per 90 days; 150% of it.
    c = counts(complaints(3), peers=3, peer_entries=2 * 1095, peer_days=1095 * 90)
    # peer rate = 2190 * 90 / (1095 * 90) = 2; 150% = 3: 3 flags.
    assert peer_rate(c, RULES) == 2
    assert decide(c, RULES).flagged


def test_one_below_the_peer_threshold_is_no_flag():
    c = counts(complaints(3), peers=3, peer_entries=3 * 1095, peer_days=1095 * 120)
    # peer rate = 3285 * 90 / 131400 = 2.25; 150% = 3.375: 3 is below.
    assert peer_rate(c, RULES) == Fraction(9, 4)
    decision = decide(c, RULES)
    assert not decision.flagged
    assert "usual for care homes without nursing of this size" in decision.reason


def test_both_comparisons_in_the_reason():
    c = counts(
        {K.COMPLAINT: 3, K.SAFEGUARDING_CONCERN: 2},
        previous=5,
        peers=9,
        peer_entries=29,
        peer_days=9 * YEAR,
    )
    decision = decide(c, RULES)
    assert decision.flagged
    assert decision.reason == (
        "3 complaints and 2 safeguarding concerns in the last 90 days, against 1.2 per 90 days "
        "over the year before and 0.8 for other care homes without nursing of this size "
        "(11 to 40 places)."
    )


def test_above_the_peers_but_usual_for_itself_is_no_flag():
    c = counts(complaints(6), previous=24, peers=5, peer_entries=5, peer_days=5 * YEAR)
    assert not decide(c, RULES).flagged


# --- Thresholds come from the policy ------------------------------------------------------


def test_thresholds_from_the_policy_values():
    values = {
        "early_warning_min_entries": 5,
        "early_warning_own_percent": 300,
        "early_warning_peer_percent": 120,
        "early_warning_min_history_days": 90,
        "early_warning_min_peers": 4,
    }
    assert Thresholds.from_policy(values) == Thresholds(5, 300, 120, 90, 4)


def test_a_higher_minimum_from_the_policy_holds_the_flag():
    assert not decide(counts(complaints(3)), Thresholds(min_entries=4)).flagged


# --- Words and bands -----------------------------------------------------------------------


def test_kinds_in_words():
    assert describe_kinds({K.COMPLAINT: 1}) == "1 complaint"
    assert (
        describe_kinds({K.WHISTLEBLOWING: 1, K.COMPLAINT: 2, K.CONTRACT_DEFAULT_NOTICE: 1})
        == "2 complaints, 1 whistleblowing report and 1 contract default notice"
    )


@pytest.mark.parametrize(
    ("capacity", "funded", "band"),
    [
        (10, 0, "small"),
        (11, 0, "medium"),
        (40, 0, "medium"),
        (41, 0, "large"),
        (None, 12, "medium"),
        (None, 0, "unknown"),
        (0, 0, "unknown"),
    ],
)
def test_size_bands(capacity, funded, band):
    assert size_band(capacity, funded) == band
