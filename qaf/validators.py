"""Validators shared by the models' fields (and so by their forms and the API)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

# A date someone types (a visit, a due date, an inspection, a contract's start, the date of a
# piece of evidence or intelligence) falls between 1 January, 100 years ago, and 31 December,
# 10 years ahead. Outside that it is a slip (0001-01-01 for 2001-01-01) or a probe (9999-12-31,
# which also broke the schedules' date arithmetic).
YEARS_BACK = 100
YEARS_AHEAD = 10


def plausible_date_range(today: date) -> tuple[date, date]:
    return date(today.year - YEARS_BACK, 1, 1), date(today.year + YEARS_AHEAD, 12, 31)


def validate_plausible_date(value: date | None) -> None:
    if not value:
        return
    earliest, latest = plausible_date_range(timezone.localdate())
    if not earliest <= value <= latest:
        raise ValidationError(
            "Enter a date between %(earliest)s and %(latest)s",
            code="date_out_of_range",
            params={
                "earliest": earliest.strftime("%-d/%-m/%Y"),
                "latest": latest.strftime("%-d/%-m/%Y"),
            },
        )
