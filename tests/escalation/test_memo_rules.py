"""The Managed Placements Memo's rules with plain data (escalation.memo): the abbreviations,
the contact, the areas, the grouping and order, and GREEN worked out from the last issue on
each boundary case. No database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from escalation import memo
from escalation.memo import AMBER, GREEN, NOT_RECORDED, RED, Entry

LIFTED_ON = date(2026, 11, 20)


def entry(service_id: int, part: str = RED, name: str = "", area: str = "Mendip", **kw) -> Entry:
    return Entry(
        service_id=service_id,
        part=part,
        name=name or f"Service {service_id}",
        service_type="care_home",
        area=area,
        date_added=date(2026, 9, 1),
        **kw,
    )


def open_again(*entries: Entry) -> dict[int, Entry]:
    """Services open to placements now, dated the day their suspension ended."""
    return {e.service_id: replace(e, part=GREEN, date_added=LIFTED_ON) for e in entries}


# --- Words -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service_type", "label", "shown"),
    [
        ("care_home", "Care home without nursing", "RC"),
        ("care_home_nursing", "Care home with nursing", "NC"),
        ("domiciliary_care", "Domiciliary care", "DCA"),
        ("supported_living", "Supported living", "SL"),
        ("extra_care", "Extra care", "Extra care"),
        ("childrens_home", "Children's home", "Children's home"),
        ("other", "", "other"),
    ],
)
def test_the_type_of_service_is_the_seeds_abbreviation_where_one_fits(service_type, label, shown):
    assert memo.type_of_service(service_type, label) == shown
    assert Entry(1, RED, "A", service_type, type_label=label).type_of_service == shown


def test_every_abbreviation_used_is_in_the_key():
    assert set(memo.TYPE_ABBREVIATIONS.values()) <= set(memo.ABBREVIATIONS)
    assert list(memo.ABBREVIATIONS) == ["RC", "NC", "SRC", "DCA", "SL"]


@pytest.mark.parametrize(
    ("officer", "phone", "team", "expected"),
    [
        ("Olivia Okafor", "01234 567890", "01234 000000", ("Olivia Okafor", "01234 567890")),
        ("Olivia Okafor", "", "01234 000000", ("Olivia Okafor", "01234 000000")),
        ("Olivia Okafor", "  ", "", ("Olivia Okafor", "")),
        ("", "", "01234 000000", ("The quality team", "01234 000000")),
        ("", "", "", ("The quality team", "")),
    ],
)
def test_the_contact_is_the_lead_officer_else_the_quality_team(officer, phone, team, expected):
    assert memo.contact(officer, phone, team) == expected


@pytest.mark.parametrize(
    ("area", "out_of_area", "label"),
    [
        ("Mendip", False, "Mendip"),
        ("  South   Somerset ", False, "South Somerset"),
        ("", False, NOT_RECORDED),
        ("   ", True, NOT_RECORDED),
        ("Wiltshire", True, "Wiltshire (out of area)"),
    ],
)
def test_the_area(area, out_of_area, label):
    assert memo.area_label(area, out_of_area) == label


def test_the_title_is_updated_with_the_issue_date():
    made = memo.from_entries([], updated=date(2026, 12, 3))
    assert made.title == "Managed Placements (Updated 3 December 2026)"
    assert memo.from_entries([], updated=date(2027, 3, 1)).title.endswith("(Updated 1 March 2027)")
    assert made.is_draft and made.count == 0


# --- Grouping ------------------------------------------------------------------------------------


def test_three_parts_always_in_order_even_when_empty():
    parts = memo.group([])
    assert [p.key for p in parts] == [RED, AMBER, GREEN]
    assert [p.heading for p in parts] == [
        "RED – not currently placing",
        "AMBER – placing with restrictions",
        "GREEN – restrictions removed, now placing",
    ]
    assert all(p.areas == () and p.count == 0 for p in parts)


def test_areas_alphabetical_whatever_the_case_not_recorded_last_names_sorted_within():
    entries = [
        entry(1, RED, "Willow House", "taunton"),
        entry(2, RED, "ash court", "Taunton"),
        entry(3, RED, "Beech Lodge", NOT_RECORDED),
        entry(4, RED, "Cedar View", "Mendip"),
        entry(5, AMBER, "Alder Care", "Mendip"),
        entry(6, RED, "Ash Court", "Taunton"),  # the same name: the older service first
    ]
    red, amber, green = memo.group(entries)
    assert [(g.area, [e.service_id for e in g.entries]) for g in red.areas] == [
        ("Mendip", [4]),
        ("taunton", [2, 6, 1]),  # one area, spelt as first met
        (NOT_RECORDED, [3]),
    ]
    assert red.count == 5 and amber.count == 1 and green.count == 0
    assert [g.area for g in amber.areas] == ["Mendip"]


def test_the_memo_lists_its_entries_in_the_order_it_shows_them():
    made = memo.from_entries(
        [entry(1, GREEN, "B"), entry(2, RED, "Z"), entry(3, AMBER, "A"), entry(4, RED, "A")],
        updated=date(2026, 12, 3),
        number=4,
        previous_number=3,
    )
    assert [e.service_id for e in made.entries] == [4, 2, 3, 1]
    assert not made.is_draft and made.number == 4 and made.previous_number == 3


# --- GREEN from the previous issue ----------------------------------------------------------------


def test_no_previous_issue_no_green():
    current = [entry(1, RED)]
    made = memo.build(current, None, open_again(entry(2)), updated=date(2026, 12, 3))
    assert [p.count for p in made.parts] == [1, 0, 0]


def test_red_or_amber_last_time_and_lifted_since_is_green_dated_the_day_it_ended():
    previous = [entry(1, RED), entry(2, AMBER, restriction_details="Only respite")]
    green = memo.green_entries(previous, [], open_again(entry(1), entry(2)))
    assert [(e.service_id, e.part, e.date_added) for e in green] == [
        (1, GREEN, LIFTED_ON),
        (2, GREEN, LIFTED_ON),
    ]
    assert green[1].restriction_details == ""  # nothing restricts it any more


def test_still_in_force_is_not_green_whatever_its_part_now():
    previous = [entry(1, RED), entry(2, AMBER), entry(3, RED)]
    current = [entry(1, RED), entry(2, RED), entry(3, AMBER)]  # 2 and 3 changed restriction
    candidates = open_again(*previous)  # even were they reported open
    assert memo.green_entries(previous, current, candidates) == []
    assert memo.candidates_for_green(previous, current) == set()


def test_green_last_time_drops_off():
    previous = [entry(1, GREEN)]
    assert memo.green_entries(previous, [], open_again(entry(1))) == []
    assert memo.candidates_for_green(previous, []) == set()


def test_lifted_but_not_placing_now_drops_off():
    """Listed last time, no longer suspended, but not open to placements (decommissioned):
    not "now placing", so not GREEN."""
    previous = [entry(1, RED), entry(2, RED)]
    assert memo.candidates_for_green(previous, []) == {1, 2}
    green = memo.green_entries(previous, [], open_again(entry(2)))
    assert [e.service_id for e in green] == [2]


def test_suspended_and_lifted_between_two_issues_is_never_listed():
    """Never on a published list: nothing to tell staff."""
    previous = [entry(1, RED)]
    assert memo.green_entries(previous, [entry(1, RED)], open_again(entry(9))) == []


def test_green_shows_the_service_as_it_is_now():
    previous = [entry(1, RED, "Old Name", "Mendip")]
    now = entry(1, RED, "New Name", "Taunton", contact_name="Mo Hughes")
    (green,) = memo.green_entries(previous, [], open_again(now))
    assert (green.name, green.area, green.contact_name) == ("New Name", "Taunton", "Mo Hughes")


def test_build_puts_current_and_green_together():
    previous = [entry(1, RED), entry(2, AMBER), entry(3, GREEN)]
    current = [entry(2, AMBER), entry(4, RED, area="Taunton")]
    made = memo.build(
        current,
        previous,
        open_again(entry(1), entry(3)),
        updated=date(2026, 12, 3),
        previous_number=7,
    )
    red, amber, green = made.parts
    assert [e.service_id for g in red.areas for e in g.entries] == [4]
    assert [e.service_id for g in amber.areas for e in g.entries] == [2]
    assert [e.service_id for g in green.areas for e in g.entries] == [1]
    assert made.previous_number == 7


def test_an_entry_survives_its_json_copy_and_ignores_unknown_keys():
    original = entry(1, AMBER, restriction_details="Respite only", suspension_id=12)
    data = original.as_json()
    assert data["date_added"] == "2026-09-01"
    assert Entry.from_json({**data, "added_in_a_later_version": 1}) == original
    assert Entry.from_json({**data, "date_added": None}).date_added is None
