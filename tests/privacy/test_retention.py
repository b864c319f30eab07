"""The retention rule on its boundary days, without a database (qaf.privacy.retention)."""

from __future__ import annotations

from datetime import date

import pytest

from qaf.privacy.retention import RECORD_TYPES, cutoff, describe, expired

SIX_YEARS = {"years": 6}
NINETY_DAYS = {"days": 90}


@pytest.mark.parametrize(
    ("anchor", "period", "kept_on", "purged_on"),
    [
        (date(2020, 3, 1), SIX_YEARS, date(2026, 2, 28), date(2026, 3, 1)),
        (date(2020, 12, 31), SIX_YEARS, date(2026, 12, 30), date(2026, 12, 31)),
        # A record of 29 February: six years later there is none; it goes on 1 March.
        (date(2020, 2, 29), SIX_YEARS, date(2026, 2, 28), date(2026, 3, 1)),
        (date(2026, 1, 1), NINETY_DAYS, date(2026, 3, 31), date(2026, 4, 1)),
    ],
)
def test_a_record_is_kept_the_day_before_its_period_ends_and_purged_on_the_day(
    anchor, period, kept_on, purged_on
):
    assert not expired(anchor, period, kept_on)
    assert expired(anchor, period, purged_on)
    assert cutoff(purged_on, period) >= anchor > cutoff(kept_on, period)


def test_every_record_type_has_a_period_in_the_settings_and_words_for_the_page():
    for record_type in RECORD_TYPES:
        (unit, n), *rest = record_type.period.items()
        assert unit in {"years", "days"} and n >= 1 and not rest, record_type.name
        assert record_type.label and record_type.runs_from and record_type.kept_while
    assert describe({"years": 1}) == "1 year" and describe(NINETY_DAYS) == "90 days"
