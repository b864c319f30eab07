"""Import the CQC care directory and the CQC ratings file (SPEC §9; issue 3 item 8).

``import_cqc(file)`` reads a CSV or XLSX file and tells the two apart by the header row, which
may sit below a title line. Column names are matched ignoring letter case, extra spaces and a
"(for office use only)" suffix, in any order; other columns are ignored.

**CQC care directory** (one row per location), as CQC publishes it:

=========================  ==========================================================
column                     becomes
=========================  ==========================================================
Name                       the service's ``name`` (required)
Also known as              ignored
Address                    ``address``
Postcode                   ``postcode`` (a UK postcode, or blank)
Phone number               ignored
Website                    ignored
Service types              ``service_type``: "Nursing homes" / "Care home service with
                           nursing" -> care_home_nursing; "Residential homes" / "Care home
                           service without nursing" -> care_home; "Extra Care housing
                           services" -> extra_care; "Supported living" -> supported_living;
                           "Homecare agencies" / "Domiciliary care service" ->
                           domiciliary_care; anything else -> other. Several types
                           (separated by ``|``, ``;`` or ``,``) take the first of that
                           order. "other" never replaces a type the council has chosen.
Date of latest check       ``last_inspection_date``: DD/MM/YYYY or YYYY-MM-DD; blank when
                           never inspected
Specialisms/services       ignored
Provider name              the name of a provider created for an unknown CQC provider id
Local authority            ``local_authority_area`` (required). When it is not
                           ``COUNCIL_AREA`` the service is ``out_of_area`` with this
                           ``host_authority``; an in-area service keeps a locality the
                           council has recorded.
Region                     ignored
Location URL               ignored
CQC Location ID            ``regulator_id`` with ``regulator`` CQC: the key of the upsert
                           (required, like 1-1000210669)
CQC Provider ID            the provider, by ``regulator_provider_id`` (required, like
                           1-101669890); created with "Provider name" when missing. An
                           existing service keeps its provider.
=========================  ==========================================================

Every service imported from the directory is ``regulated``.

**CQC ratings file** (one row per location and key question):

=========================  ==========================================================
Location ID                the service, by CQC location id (it must be on the register:
                           import the directory first)
Key Question (or Domain)   Overall, Safe, Effective, Caring, Responsive or Well-led
Latest Rating              Outstanding, Good, Requires improvement, Inadequate; "No
                           published rating", "Not rated" and "Insufficient evidence to
                           rate" mean not_rated
Publication Date           DD/MM/YYYY or YYYY-MM-DD (optional)
Service / Population Group optional: rows other than "Overall" (population groups of
                           GP practices) are ignored
=========================  ==========================================================

**CQC HSCA active locations file** (``HSCA_Active_Locations``, one row per location, with
CQC's many columns; only these are read):

=========================  ==========================================================
Location ID                the service, by CQC location id; rows of locations that are not
                           on the register are counted as ignored (the file lists all of
                           England)
Location HSCA start date   ``registration_date`` (required column; a blank cell leaves it)
Registered manager         optional column: a name means ``registered_manager`` yes, a
                           blank cell no (CQC has no registered manager on record)
=========================  ==========================================================

The care directory may carry the same two columns; when it does they are read the same way.

Every change of a rating (overall or per key question) is logged on the service as
``regulator_information`` intelligence ("CQC rating changed from Good to Requires improvement
(published 14 March 2026)").

Rows that cannot be imported are rejected, each with its row number and reason. A file with a
rejected row saves nothing unless ``partial=True``. Everything is written in one transaction
with set-based statements, and the services created or changed are re-rated when it commits
(``risk.signals.mark_services_dirty``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import timezone

from providers.imports import bulk
from providers.imports.files import (
    ImportFileError,
    ProgressCallback,
    Table,
    normalise_header,
    parse_date,
    read_table,
)
from providers.imports.result import ImportResult, import_lock, one_transaction
from providers.models import (
    POSTCODE_RE,
    Intelligence,
    IntelligenceKind,
    Provider,
    Regulator,
    RegulatorRating,
    Service,
    ServiceType,
    Severity,
    cqc_id_validator,
    normalise_postcode,
)

BATCH = 5000
PROGRESS_EVERY = 2000
SOURCE = "CQC"
CHANGE_REASON = "CQC import"

DIRECTORY_COLUMNS = (
    "Name",
    "Also known as",
    "Address",
    "Postcode",
    "Phone number",
    "Website",
    "Service types",
    "Date of latest check",
    "Specialisms/services",
    "Provider name",
    "Local authority",
    "Region",
    "Location URL",
    "CQC Location ID",
    "CQC Provider ID",
)
DIRECTORY_REQUIRED = (
    "Name",
    "Address",
    "Postcode",
    "Service types",
    "Date of latest check",
    "Provider name",
    "Local authority",
    "CQC Location ID",
    "CQC Provider ID",
)
RATINGS_REQUIRED = ("Location ID", "Key Question", "Latest Rating", "Publication Date")
LOCATIONS_REQUIRED = ("Location ID", "Location HSCA start date")
# Columns of the HSCA active locations file that the directory may carry too.
REGISTRATION_DATE = "location hsca start date"
REGISTERED_MANAGER = "registered manager"
# Column names CQC has used for the same thing.
ALIASES = {"domain": "key question"}
POPULATION_GROUP = "service / population group"

CQC_ID = re.compile(cqc_id_validator.regex.pattern)

# Service types, most specific first: a location listing several takes the first that applies.
SERVICE_TYPE_TERMS: list[tuple[str, tuple[str, ...]]] = [
    (
        ServiceType.CARE_HOME_NURSING,
        ("nursing homes", "nursing home", "care home service with nursing"),
    ),
    (
        ServiceType.CARE_HOME,
        ("residential homes", "residential home", "care home service without nursing"),
    ),
    (ServiceType.EXTRA_CARE, ("extra care housing services", "extra care housing")),
    (
        ServiceType.SUPPORTED_LIVING,
        ("supported living", "supported living service", "supported living services"),
    ),
    (
        ServiceType.DOMICILIARY_CARE,
        (
            "homecare agencies",
            "homecare agency",
            "home care agencies",
            "domiciliary care service",
            "domiciliary care",
        ),
    ),
]
_TERM_TYPE = {term: kind for kind, terms in SERVICE_TYPE_TERMS for term in terms}
_TYPE_ORDER = {kind: i for i, (kind, _) in enumerate(SERVICE_TYPE_TERMS)}

KEY_QUESTION_FIELDS = {
    "overall": "regulator_rating",
    "safe": "rating_safe",
    "effective": "rating_effective",
    "caring": "rating_caring",
    "responsive": "rating_responsive",
    "well-led": "rating_well_led",
    "well led": "rating_well_led",
}
KEY_QUESTION_LABELS = {
    "regulator_rating": "",
    "rating_safe": "Safe ",
    "rating_effective": "Effective ",
    "rating_caring": "Caring ",
    "rating_responsive": "Responsive ",
    "rating_well_led": "Well-led ",
}
RATINGS = {
    "outstanding": RegulatorRating.OUTSTANDING,
    "good": RegulatorRating.GOOD,
    "requires improvement": RegulatorRating.REQUIRES_IMPROVEMENT,
    "inadequate": RegulatorRating.INADEQUATE,
    "no published rating": RegulatorRating.NOT_RATED,
    "not rated": RegulatorRating.NOT_RATED,
    "not yet rated": RegulatorRating.NOT_RATED,
    "insufficient evidence to rate": RegulatorRating.NOT_RATED,
}
# How much a new rating matters to the team, for the intelligence entry's severity.
RATING_SEVERITY = {
    RegulatorRating.INADEQUATE: Severity.HIGH,
    RegulatorRating.REQUIRES_IMPROVEMENT: Severity.MEDIUM,
}

# The fields of a service the directory sets, in the order the import compares them.
DIRECTORY_FIELDS = (
    "name",
    "address",
    "postcode",
    "service_type",
    "regulated",
    "last_inspection_date",
    "local_authority_area",
    "out_of_area",
    "host_authority",
    "registration_date",
    "registered_manager",
)
_MAX = {name: Service._meta.get_field(name).max_length for name in ("name", "host_authority")}
_PROVIDER_NAME_MAX = Provider._meta.get_field("name").max_length


# --- Reading -----------------------------------------------------------------------------


def _columns(header: Iterable[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for i, name in enumerate(header):
        key = normalise_header(name)
        key = ALIASES.get(key, key)
        if key and key not in columns:
            columns[key] = i
    return columns


def _missing(columns: dict[str, int], required: Iterable[str]) -> list[str]:
    return [name for name in required if normalise_header(name) not in columns]


def _looks_like_header(cells: list[str]) -> bool:
    return "cqc location id" in cells or "location id" in cells


def detect(header: list[str]) -> str:
    """``"cqc_directory"``, ``"cqc_ratings"`` or ``"cqc_locations"`` from the header row; else
    an error that names the columns missing for each."""
    columns = _columns(header)
    directory_missing = _missing(columns, DIRECTORY_REQUIRED)
    ratings_missing = _missing(columns, RATINGS_REQUIRED)
    if not directory_missing:
        return "cqc_directory"
    if not ratings_missing:
        return "cqc_ratings"
    if not _missing(columns, LOCATIONS_REQUIRED):
        return "cqc_locations"
    if "cqc location id" in columns or "service types" in columns:
        raise ImportFileError(
            "The CQC care directory file is missing these columns: " + ", ".join(directory_missing)
        )
    if "location id" in columns:
        raise ImportFileError(
            "The CQC ratings file is missing these columns: " + ", ".join(ratings_missing)
        )
    raise ImportFileError(
        "The file is neither the CQC care directory (with columns "
        + ", ".join(DIRECTORY_REQUIRED)
        + "), the CQC ratings file (with columns "
        + ", ".join(RATINGS_REQUIRED)
        + ") nor the CQC HSCA active locations file (with columns "
        + ", ".join(LOCATIONS_REQUIRED)
        + ")"
    )


def check_columns(source: str | Path | IO[bytes], file_format: str | None = None) -> str:
    """The kind of CQC file, from its header only (the upload form's quick check)."""
    table = read_table(
        source, is_header=_looks_like_header, file_format=file_format, header_only=True
    )
    return detect(table.header)


def import_cqc(
    source: str | Path | IO[bytes],
    *,
    partial: bool = False,
    user=None,
    progress: ProgressCallback | None = None,
    today: date | None = None,
    file_format: str | None = None,
) -> ImportResult:
    """Import a CQC care directory or ratings file; see the module docstring."""
    today = today or timezone.localdate()
    table = read_table(source, is_header=_looks_like_header, file_format=file_format)
    kind = detect(table.header)
    with import_lock():
        if kind == "cqc_directory":
            return _DirectoryImport(table, partial, user, progress, today).run()
        if kind == "cqc_locations":
            return _LocationsImport(table, partial, user, progress, today).run()
        # The CQC change sync writes the same ratings: one at a time, each comparing with what
        # the other saved (risk.jobs' lock of the sync; a run of it is waited for).
        from risk.jobs import CQC_SYNC, advisory_lock

        with advisory_lock(CQC_SYNC, wait=True):
            return _RatingsImport(table, partial, user, progress, today).run()


def map_service_type(text: str) -> str:
    return _map_service_type(text.casefold())


_type_cache: dict[str, str] = {}


def _map_service_type(text: str) -> str:
    if text not in _type_cache:
        kinds = {
            _TERM_TYPE[part]
            for part in (p.strip() for p in re.split(r"[|;,\n]", text))
            if part in _TERM_TYPE
        }
        _type_cache[text] = (
            min(kinds, key=_TYPE_ORDER.__getitem__) if kinds else ServiceType.OTHER.value
        )
    return _type_cache[text]


def _published(day: date | None) -> str:
    return f" (published {day.day} {day:%B %Y})" if day else ""


# --- Shared machinery ----------------------------------------------------------------------


class _Import:
    file_kind = ""

    def __init__(self, table: Table, partial, user, progress, today: date):
        self.table = table
        self.columns = _columns(table.header)
        self.user = user
        self.progress = progress
        self.today = today
        self.now = timezone.now()
        self.result = ImportResult(self.file_kind, partial=partial, total=len(table.rows))
        self.result.columns = list(table.header)

    def cell(self, cells: list[Any], name: str) -> Any:
        index = self.columns.get(name)
        if index is None or index >= len(cells):
            return ""
        value = cells[index]
        return value.strip() if isinstance(value, str) else value

    def cqc_services(self, fields: tuple[str, ...]) -> dict[str, tuple[int, dict[str, Any]]]:
        """The CQC services on the register by location id: (pk, {field: value})."""
        return {
            row[0]: (row[1], dict(zip(fields, row[2:], strict=True)))
            for row in Service.objects.filter(regulator=Regulator.CQC)
            .exclude(regulator_id="")
            .values_list("regulator_id", "pk", *fields)
            .iterator(BATCH)
        }

    @staticmethod
    def location_problem(location: str, label: str, seen: dict | None = None) -> str | None:
        """Why ``location`` (the column ``label``) is not a usable CQC location id, if it is not:
        missing, malformed, or (given ``seen``) on an earlier row too."""
        if not location:
            return f"{label} is missing"
        if not CQC_ID.match(location):
            return f"{label} {location!r} is not like 1-1000210669"
        if seen is not None and location in seen:
            return f"{label} {location} is also on row {seen[location]}"
        return None

    def registration(self, cells: list[Any], errors: list[str]) -> dict[str, Any]:
        """``registration_date`` and ``registered_manager`` from the HSCA columns, each only
        when the file has the column (and, for the date, a value)."""
        values: dict[str, Any] = {}
        raw_date = self.cell(cells, REGISTRATION_DATE)
        if raw_date:
            try:
                registered = parse_date(raw_date)
            except ValueError:
                errors.append(
                    f"Location HSCA start date {raw_date!r} is not a date like 14/03/2026"
                )
            else:
                if registered > self.today:
                    errors.append(
                        f"Location HSCA start date {registered:%d/%m/%Y} is in the future"
                    )
                else:
                    values["registration_date"] = registered
        if REGISTERED_MANAGER in self.columns:
            # CQC lists the registered manager's name; a blank cell means none is on record.
            values["registered_manager"] = bool(str(self.cell(cells, REGISTERED_MANAGER)))
        return values

    def reject(self, number: int, cells: list[Any], reasons: list[str]) -> None:
        self.result.reject(number, "; ".join(reasons), self.table.header, cells)

    def report(self, done: int) -> None:
        if self.progress and (done % PROGRESS_EVERY == 0 or done == self.result.total):
            self.progress(done, self.result.total)

    def run(self) -> ImportResult:
        for done, (number, cells) in enumerate(self.table.rows, start=1):
            self.check_row(number, cells)
            self.report(done)
        if self.result.total == 0 and self.progress:
            self.progress(0, 0)
        if self.result.blocked:
            self.result.created = self.result.updated = self.result.unchanged = 0
            return self.result
        with one_transaction(self.result):
            service_ids = self.write()
            if service_ids:
                from risk.signals import mark_services_dirty

                mark_services_dirty(service_ids)
            self.result.saved = True
        return self.result

    def check_row(self, number: int, cells: list[Any]) -> None:
        raise NotImplementedError

    def write(self) -> list[int]:
        raise NotImplementedError

    def _save_changes(self, changes: dict[int, dict[str, Any]]) -> None:
        """Apply ``{service id: {field: value}}``, with a history row for each service."""
        bulk.copy_update(Service, changes, now=self.now)
        self._history(Service, list(changes), "~")

    def _history(self, model, pks: list[int], history_type: str) -> None:
        bulk.record_history(
            model,
            pks,
            history_type=history_type,
            user=self.user,
            reason=CHANGE_REASON,
            now=self.now,
        )


# --- Care directory ------------------------------------------------------------------------


class _DirectoryImport(_Import):
    file_kind = "cqc_directory"

    def __init__(self, *args):
        super().__init__(*args)
        self.area = settings.COUNCIL_AREA.strip().casefold()
        self.existing: dict[str, tuple] = {
            row[1]: row
            for row in Service.objects.filter(regulator=Regulator.CQC)
            .exclude(regulator_id="")
            .values_list("pk", "regulator_id", *DIRECTORY_FIELDS)
            .iterator(BATCH)
        }
        self.providers: dict[str, int] = dict(
            Provider.objects.exclude(regulator_provider_id="").values_list(
                "regulator_provider_id", "pk"
            )
        )
        self.new_providers: dict[str, str] = {}  # CQC provider id -> name
        self.seen: dict[str, int] = {}  # CQC location id -> row number
        self.creates: list[tuple[str, str, dict[str, Any]]] = []  # (location, provider, values)
        self.changes: dict[int, dict[str, Any]] = {}

    def check_row(self, number: int, cells: list[Any]) -> None:
        cell = self.cell
        errors: list[str] = []
        location = str(cell(cells, "cqc location id"))
        provider_id = str(cell(cells, "cqc provider id"))
        name = str(cell(cells, "name"))
        authority = str(cell(cells, "local authority"))
        if problem := self.location_problem(location, "CQC Location ID", self.seen):
            errors.append(problem)
        if not provider_id:
            errors.append("CQC Provider ID is missing")
        elif not CQC_ID.match(provider_id):
            errors.append(f"CQC Provider ID {provider_id!r} is not like 1-101669890")
        elif provider_id not in self.providers and provider_id not in self.new_providers:
            provider_name = str(cell(cells, "provider name"))
            if not provider_name:
                errors.append(f"Provider name is missing for the new provider {provider_id}")
            elif len(provider_name) > _PROVIDER_NAME_MAX:
                errors.append(f"Provider name is longer than {_PROVIDER_NAME_MAX} characters")
        if not name:
            errors.append("Name is missing")
        elif len(name) > _MAX["name"]:
            errors.append(f"Name is longer than {_MAX['name']} characters")
        postcode = normalise_postcode(str(cell(cells, "postcode")))
        if postcode and not POSTCODE_RE.match(postcode):
            errors.append(f"Postcode {postcode!r} is not a UK postcode")
        if not authority:
            errors.append("Local authority is missing")
        elif len(authority) > _MAX["host_authority"]:
            errors.append(f"Local authority is longer than {_MAX['host_authority']} characters")
        inspected = None
        raw_date = cell(cells, "date of latest check")
        if raw_date:
            try:
                inspected = parse_date(raw_date)
            except ValueError:
                errors.append(f"Date of latest check {raw_date!r} is not a date like 14/03/2026")
            else:
                if inspected > self.today:
                    errors.append(f"Date of latest check {inspected:%d/%m/%Y} is in the future")
        registration = self.registration(cells, errors)
        if errors:
            self.reject(number, cells, errors)
            return
        self.seen[location] = number
        out_of_area = authority.casefold() != self.area
        values = {
            "name": name,
            "address": str(cell(cells, "address")),
            "postcode": postcode,
            "service_type": _map_service_type(str(cell(cells, "service types")).casefold()),
            "regulated": True,
            "last_inspection_date": inspected,
            "local_authority_area": authority,
            "out_of_area": out_of_area,
            "host_authority": authority if out_of_area else "",
            **registration,
        }
        self.result.valid += 1
        old_row = self.existing.get(location)
        if old_row is None:
            if provider_id not in self.providers and provider_id not in self.new_providers:
                self.new_providers[provider_id] = str(cell(cells, "provider name"))
            self.creates.append((location, provider_id, values))
            self.result.created += 1
            return
        old = dict(zip(DIRECTORY_FIELDS, old_row[2:], strict=True))
        if values["service_type"] == ServiceType.OTHER and old["service_type"]:
            values["service_type"] = old["service_type"]
        if not out_of_area and old["local_authority_area"] and not old["out_of_area"]:
            values["local_authority_area"] = old["local_authority_area"]
        changed = {key: value for key, value in values.items() if old[key] != value}
        if changed:
            self.changes[old_row[0]] = changed
            self.result.updated += 1
        else:
            self.result.unchanged += 1

    def write(self) -> list[int]:
        if self.new_providers:
            provider_ids = bulk.copy_insert(
                Provider,
                [
                    {"name": name, "regulator_provider_id": cqc_id}
                    for cqc_id, name in self.new_providers.items()
                ],
                now=self.now,
            )
            self._history(Provider, provider_ids, "+")
            self.providers.update(zip(self.new_providers, provider_ids, strict=True))
        ids = bulk.copy_insert(
            Service,
            [
                {
                    "provider_id": self.providers[provider_id],
                    "regulator": Regulator.CQC.value,
                    "regulator_id": location,
                    **values,
                }
                for location, provider_id, values in self.creates
            ],
            now=self.now,
        )
        self._history(Service, ids, "+")
        self._save_changes(self.changes)
        return ids + list(self.changes)


# --- Ratings -------------------------------------------------------------------------------


class _RatingsImport(_Import):
    file_kind = "cqc_ratings"

    def __init__(self, *args):
        super().__init__(*args)
        self.existing = self.cqc_services((*KEY_QUESTION_LABELS, "rating_published_on"))
        self.seen: dict[tuple[str, str], int] = {}
        self.older = 0  # rows older than the rating the register holds
        self.changes: dict[int, dict[str, Any]] = {}
        self.entries: list[dict[str, Any]] = []

    def check_row(self, number: int, cells: list[Any]) -> None:
        cell = self.cell
        group = str(cell(cells, POPULATION_GROUP)).casefold()
        if group and group != "overall":
            self.result.ignored += 1
            return
        errors: list[str] = []
        location = str(cell(cells, "location id"))
        question = str(cell(cells, "key question"))
        rating_text = str(cell(cells, "latest rating"))
        field = KEY_QUESTION_FIELDS.get(question.casefold())
        rating = RATINGS.get(re.sub(r"\s+", " ", rating_text.casefold()))
        service = None
        if problem := self.location_problem(location, "Location ID"):
            errors.append(problem)
        else:
            service = self.existing.get(location)
            if service is None:
                errors.append(
                    f"No service with CQC location id {location} is on the register: "
                    "import the CQC care directory first"
                )
        if not question:
            errors.append("Key Question is missing")
        elif field is None:
            errors.append(
                f"Key Question {question!r} is not one of Overall, Safe, Effective, Caring, "
                "Responsive, Well-led"
            )
        if not rating_text:
            errors.append("Latest Rating is missing")
        elif rating is None:
            errors.append(
                f"Latest Rating {rating_text!r} is not a CQC rating (Outstanding, Good, "
                "Requires improvement, Inadequate, No published rating)"
            )
        published = None
        raw_date = cell(cells, "publication date")
        if raw_date:
            try:
                published = parse_date(raw_date)
            except ValueError:
                errors.append(f"Publication Date {raw_date!r} is not a date like 14/03/2026")
            else:
                if published > self.today:
                    errors.append(f"Publication Date {published:%d/%m/%Y} is in the future")
        if field and location and (location, field) in self.seen:
            errors.append(
                f"The {question} rating of {location} is also on row {self.seen[(location, field)]}"
            )
        if errors:
            self.reject(number, cells, errors)
            return
        self.seen[(location, field)] = number
        self.result.valid += 1
        service_id, current = service
        held = current["rating_published_on"]  # as it was before this file
        if held is not None and (published is None or published < held):
            # The register holds a later rating (from the CQC change sync or a later file).
            self.result.unchanged += 1
            self.older += 1
            return
        if published and published != held:
            change = self.changes.setdefault(service_id, {"regulated": True})
            change["rating_published_on"] = max(
                published, change.get("rating_published_on", held) or published
            )
        old = current[field]
        if old == rating:
            self.result.unchanged += 1
            return
        current[field] = rating  # a later row compares with this one
        self.changes.setdefault(service_id, {"regulated": True})[field] = rating
        labels = dict(RegulatorRating.choices)
        self.entries.append(
            {
                "service_id": service_id,
                "kind": IntelligenceKind.REGULATOR_INFORMATION.value,
                "date": published or self.today,
                "source": SOURCE,
                "summary": (
                    f"CQC {KEY_QUESTION_LABELS[field]}rating changed from {labels[old]} "
                    f"to {labels[rating]}{_published(published)}"
                ),
                "severity": RATING_SEVERITY.get(rating, Severity.LOW).value,
                "author_id": self.user.pk if self.user else None,
            }
        )
        self.result.updated += 1
        self.result.rating_changes += 1

    def run(self) -> ImportResult:
        result = super().run()
        if self.older:
            result.warning = " ".join(
                filter(
                    None,
                    [
                        result.warning,
                        f"{self.older} rows were older than the rating the register holds "
                        "(from the CQC change sync or a later file) and were left as they are.",
                    ],
                )
            )
        return result

    def write(self) -> list[int]:
        self._save_changes(self.changes)
        entry_ids = bulk.copy_insert(Intelligence, self.entries, now=self.now)
        self._history(Intelligence, entry_ids, "+")
        return list(self.changes)


# --- HSCA active locations ------------------------------------------------------------------


class _LocationsImport(_Import):
    """Registration dates and registered managers of the services already on the register."""

    file_kind = "cqc_locations"
    FIELDS = ("registration_date", "registered_manager")

    def __init__(self, *args):
        super().__init__(*args)
        self.existing = self.cqc_services(self.FIELDS)
        self.seen: dict[str, int] = {}
        self.changes: dict[int, dict[str, Any]] = {}

    def check_row(self, number: int, cells: list[Any]) -> None:
        errors: list[str] = []
        location = str(self.cell(cells, "location id"))
        if problem := self.location_problem(location, "Location ID", self.seen):
            errors.append(problem)
        elif location not in self.existing:
            self.result.ignored += 1  # a location of another area: not on our register
            return
        values = self.registration(cells, errors)
        if errors:
            self.reject(number, cells, errors)
            return
        self.seen[location] = number
        self.result.valid += 1
        service_id, old = self.existing[location]
        changed = {key: value for key, value in values.items() if old[key] != value}
        if changed:
            self.changes[service_id] = changed
            self.result.updated += 1
        else:
            self.result.unchanged += 1

    def write(self) -> list[int]:
        self._save_changes(self.changes)
        return list(self.changes)
