"""The Managed Placements Memo's rules (SPEC §6; source 003 §2.6 and its "Managed Placements
Memo" template), as pure functions of plain data: no database, tested with plain entries.

The memo is in three parts, each grouped by the geographical area the service is in:

- RED: services the council is not placing with (a suspension of new placements in force);
- AMBER: services it places with under restrictions (a restricted-placements suspension);
- GREEN: services that were RED or AMBER in the previous issued memo, are in neither part now
  and are open to placements again ("restrictions removed since the last published list").

``escalation.memo_services`` gathers the entries from the database and issues the memo.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date

RED, AMBER, GREEN = "red", "amber", "green"
PART_KEYS = (RED, AMBER, GREEN)
# The parts a suspension in force puts a service in; GREEN is worked out from the last issue.
LISTED = frozenset({RED, AMBER})

NOT_RECORDED = "Area not recorded"
OUT_OF_AREA = "out of area"

TITLE = "Managed Placements"
CONFIDENTIAL = "CONFIDENTIAL"
# Source 003, "Managed Placements Memo" template, with "SCC" made "the council".
STATEMENT = (
    "This document is a confidential memo shared only between Local Authority and Health staff "
    "involved in supporting people to find care and support in the community and in care "
    "settings."
)
INTRODUCTION = (
    "The Managed Placements Memo is in three parts. The names of providers where safeguarding "
    "and/or quality concerns have been identified are listed under the geographical area in "
    "which they are situated and the type of restriction applied:"
)
CONTACT_FIRST = (
    "Red and Amber: staff must first contact the named manager before making contact with the "
    "provider so that they can be fully aware of issues, enabling them to have discussions with "
    "the people they support where appropriate."
)
REMOVAL = (
    "When the quality and/or safeguarding issues have been resolved the named manager will ask "
    "the quality team to change or remove the provider's entry, and the memo will be issued "
    "again."
)
COLUMNS = (
    "Type of Service",
    "Name and Address of Service Provider",
    "Council Contact Name and Telephone Number",
    "Date Added",
)


def texts() -> dict:
    """The memo's fixed words, for the page and the PDF alike."""
    return {
        "confidential": CONFIDENTIAL,
        "statement": STATEMENT,
        "introduction": INTRODUCTION,
        "contact_first": CONTACT_FIRST,
        "removal": REMOVAL,
        "columns": COLUMNS,
        "abbreviations": ABBREVIATIONS,
        "parts": PARTS,
    }


@dataclass(frozen=True)
class PartInfo:
    key: str
    heading: str
    explanation: str


PARTS: Mapping[str, PartInfo] = {
    RED: PartInfo(
        RED,
        "RED – not currently placing",
        "Providers where the council is not currently agreeing new placements.",
    ),
    AMBER: PartInfo(
        AMBER,
        "AMBER – placing with restrictions",
        "Providers where the council has put certain restrictions on placements.",
    ),
    GREEN: PartInfo(
        GREEN,
        "GREEN – restrictions removed, now placing",
        "Providers where restrictions have been removed since the last published list and the "
        "council is now placing.",
    ),
}

# Source 003's key. Service types without an abbreviation are spelt out.
ABBREVIATIONS = {
    "RC": "Residential Care",
    "NC": "Nursing Care",
    "SRC": "Specialist Residential Care",
    "DCA": "Domiciliary Care Agency",
    "SL": "Supported Living",
}
TYPE_ABBREVIATIONS = {
    "care_home": "RC",
    "care_home_nursing": "NC",
    "domiciliary_care": "DCA",
    "supported_living": "SL",
}
QUALITY_TEAM = "The quality team"


def title_for(updated: date) -> str:
    """ "Managed Placements (Updated 3 December 2026)": the issue date, or today's for a draft."""
    return f"{TITLE} (Updated {updated.day} {updated:%B %Y})"


def type_of_service(service_type: str, label: str = "") -> str:
    """The seed's abbreviation where one fits the service type, else its name."""
    return TYPE_ABBREVIATIONS.get(service_type) or label or service_type.replace("_", " ")


def part_for(restriction: str) -> str:
    """RED for no new placements, AMBER for placing with restrictions."""
    return RED if restriction == "no_new_placements" else AMBER


def contact(officer_name: str, officer_phone: str, team_phone: str) -> tuple[str, str]:
    """Who staff call first (source 003 §2.6: "the named manager on the Memo"): the service's
    lead officer, with their number or else the team's; without a lead officer, the team."""
    officer_name = officer_name.strip()
    phone = officer_phone.strip() or team_phone.strip()
    return (officer_name or QUALITY_TEAM, phone)


def area_label(area: str, out_of_area: bool = False) -> str:
    area = " ".join(area.split())
    if not area:
        return NOT_RECORDED
    return f"{area} ({OUT_OF_AREA})" if out_of_area else area


@dataclass(frozen=True)
class Entry:
    """One service on the memo, as the memo shows it (and as an issue stores it)."""

    service_id: int
    part: str
    name: str
    service_type: str
    type_label: str = ""
    provider: str = ""
    address: str = ""  # with the postcode
    area: str = NOT_RECORDED  # area_label()
    contact_name: str = QUALITY_TEAM
    contact_phone: str = ""
    date_added: date | None = None  # approved on; for GREEN, the day it ended
    restriction_details: str = ""
    suspension_id: int | None = None

    @property
    def type_of_service(self) -> str:
        return type_of_service(self.service_type, self.type_label)

    def as_json(self) -> dict:
        data = asdict(self)
        data["date_added"] = self.date_added.isoformat() if self.date_added else None
        return data

    @classmethod
    def from_json(cls, data: Mapping) -> Entry:
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in known}
        added = values.get("date_added")
        values["date_added"] = date.fromisoformat(added) if added else None
        return cls(**values)


@dataclass(frozen=True)
class AreaGroup:
    area: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Part:
    key: str
    heading: str
    explanation: str
    areas: tuple[AreaGroup, ...] = ()

    @property
    def count(self) -> int:
        return sum(len(group.entries) for group in self.areas)


@dataclass(frozen=True)
class Memo:
    """The whole memo: a draft (``number`` None) or an issue."""

    updated: date
    parts: tuple[Part, ...]
    number: int | None = None
    previous_number: int | None = None
    entries: tuple[Entry, ...] = field(default=(), repr=False)

    @property
    def is_draft(self) -> bool:
        return self.number is None

    @property
    def title(self) -> str:
        return title_for(self.updated)

    @property
    def count(self) -> int:
        return len(self.entries)


def green_entries(
    previous: Iterable[Entry], current: Iterable[Entry], open_again: Mapping[int, Entry]
) -> list[Entry]:
    """GREEN: the services RED or AMBER on the previous issue that are in neither part now and
    open to placements again. ``open_again`` holds each such service as it is now (its date the
    day its suspension ended); a service missing from it is not placing (decommissioned, say)
    and drops off the memo, as does one that was GREEN last time."""
    in_force = {entry.service_id for entry in current}
    green = {}
    for entry in previous:
        if entry.part not in LISTED or entry.service_id in in_force:
            continue
        now = open_again.get(entry.service_id)
        if now is not None:
            green[entry.service_id] = replace(now, part=GREEN, restriction_details="")
    return list(green.values())


def candidates_for_green(previous: Iterable[Entry], current: Iterable[Entry]) -> set[int]:
    """The services whose present state ``green_entries`` needs: listed last time, not now."""
    in_force = {entry.service_id for entry in current}
    return {e.service_id for e in previous if e.part in LISTED and e.service_id not in in_force}


def _area_key(label: str) -> tuple[bool, str]:
    # "Area not recorded" last; otherwise alphabetical, whatever the case typed.
    return (label == NOT_RECORDED, label.casefold())


def _entry_key(entry: Entry) -> tuple[str, int]:
    return (entry.name.casefold(), entry.service_id)


def group(entries: Iterable[Entry]) -> tuple[Part, ...]:
    """The three parts, always in order RED, AMBER, GREEN, each grouped by area (alphabetical,
    "Area not recorded" last) and sorted by name within an area."""
    by_part: dict[str, dict[str, list[Entry]]] = {key: {} for key in PART_KEYS}
    spelling: dict[str, str] = {}
    for entry in entries:
        key = entry.area.casefold()
        spelling.setdefault(key, entry.area)
        by_part[entry.part].setdefault(key, []).append(entry)
    parts = []
    for key in PART_KEYS:
        info = PARTS[key]
        areas = sorted(by_part[key].items(), key=lambda item: _area_key(spelling[item[0]]))
        parts.append(
            Part(
                key,
                info.heading,
                info.explanation,
                tuple(
                    AreaGroup(spelling[area], tuple(sorted(listed, key=_entry_key)))
                    for area, listed in areas
                ),
            )
        )
    return tuple(parts)


def build(
    current: Collection[Entry],
    previous: Collection[Entry] | None,
    open_again: Mapping[int, Entry],
    *,
    updated: date,
    number: int | None = None,
    previous_number: int | None = None,
) -> Memo:
    """The memo from the services in force now and the previous issue's entries (None when
    nothing was issued before: no GREEN part yet)."""
    entries = [*current, *green_entries(previous or (), current, open_again)]
    return from_entries(entries, updated=updated, number=number, previous_number=previous_number)


def from_entries(
    entries: Iterable[Entry],
    *,
    updated: date,
    number: int | None = None,
    previous_number: int | None = None,
) -> Memo:
    parts = group(entries)
    ordered = tuple(entry for part in parts for area in part.areas for entry in area.entries)
    return Memo(updated, parts, number, previous_number, ordered)
