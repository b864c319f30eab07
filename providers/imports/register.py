"""Import the council's own register: providers, services and contracts (SPEC §9).

``import_register(file)`` reads one table, a CSV file or the first sheet of an XLSX workbook,
whose first row names the columns. Each row is one record, and its ``record_type`` column says
which: ``provider``, ``service`` or ``contract``. The columns are the API's field names (letter
case and spaces for underscores do not matter); a row fills only the columns of its record
type and leaves the others blank. A column the import does not know refuses the whole file, so
that a misspelt column is never silently ignored.

=========================  ===================================================================
column                     meaning
=========================  ===================================================================
record_type                ``provider``, ``service`` or ``contract`` (required)
**provider rows**
name                       the provider's name (required)
regulator_provider_id      CQC provider id, like 1-101669890
companies_house_number     8 characters, like 01234567 or SC123456
address, postcode          the registered address
contact_name, contact_email, contact_phone
sponsorship_licence        not_held, active, suspended or revoked
notes
**service rows**
provider                   the provider: its CQC provider id, or its name exactly as on the
                           register or on a provider row of the file (required)
name                       the service's name (required)
address, postcode
service_type               care_home_nursing, care_home, domiciliary_care, supported_living,
                           extra_care, day_service, childrens_home, fostering_agency, other
                           (required for a new service)
client_group               adults or children
local_authority_area       the locality, or the host authority's area
out_of_area                yes or no
host_authority             the council whose area an out-of-area service is in
capacity                   beds or people
council_funded_people      people whose care the council pays for
regulated                  yes or no
regulator                  CQC, Ofsted or CIW
regulator_id               CQC location id (like 1-1000210669) or Ofsted URN
regulator_rating           outstanding, good, requires_improvement, inadequate, not_rated
rating_safe, rating_effective, rating_caring, rating_responsive, rating_well_led
                           the key-question ratings, same values
last_inspection_date       DD/MM/YYYY or YYYY-MM-DD
registration_date          DD/MM/YYYY or YYYY-MM-DD: the regulator's registration date, or the
                           day an unregulated service came onto the council's register
registered_manager         yes, no or not known (a registered manager is in post); a new
                           service left blank is "not known"
market_risk_reasons        block_contract, sole_provider, large_setting; several separated
                           by ``;``
**contract rows**
reference                  the contract's reference (required)
provider                   as for services (required)
services                   the services it covers, separated by ``;``: each a regulator id or
                           the name of one of the provider's services
start_date, end_date       DD/MM/YYYY or YYYY-MM-DD (start_date required)
annual_value               in pounds, like 125000.00 (a £ sign and commas are allowed)
framework, specification_notes
=========================  ===================================================================

Choices may be written as the value (``requires_improvement``) or as the words the pages show
("Requires improvement"). Yes/no columns take yes, no, true, false, y, n, 1 or 0; a yes / no /
not known column also takes "not known" or "unknown".

Records are matched to the register by natural keys and updated, or created when there is no
match: a provider by its CQC provider id, else by its name; a service by its regulator id, else
by its provider and name; a contract by its reference. A blank cell leaves an existing record's
field as it is (a new record takes the field's default). Provider rows are imported first, then
services, then contracts, so a row may refer to a record on a later row.

Every row is checked by the models' own validation (``full_clean``: the same rules as the forms
and the API). A rejected row is reported with its row number and reasons; a file with a rejected
row saves nothing unless ``partial=True``. It is all one transaction, and the services created
or changed are re-rated when it commits. Rows are saved one by one (with their history): this is
the register's loader, for files of thousands of rows; the CQC directory has its own bulk import.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models, transaction

from providers.api.serializers import (
    ContractSerializer,
    ProviderSerializer,
    ServiceSerializer,
)
from providers.imports.files import (
    ImportFileError,
    ProgressCallback,
    normalise_header,
    parse_date,
    read_table,
)
from providers.imports.result import ImportResult, import_lock, one_transaction
from providers.models import (
    Contract,
    Provider,
    Service,
    check_contract_services,
    cqc_id_validator,
)

CHANGE_REASON = "Register import"
PROGRESS_EVERY = 100
RECORD_TYPES = ("provider", "service", "contract")
LIST_SEPARATORS = re.compile(r"[;|\n]")
CQC_ID = re.compile(cqc_id_validator.regex.pattern)

# The columns are the API's writable field names (say it once: a field the API gains becomes a
# column), less the references the import resolves itself and what it does not set.
_NOT_COLUMNS = {"id", "provider", "services", "lead_officer"}


def _api_fields(serializer) -> tuple[str, ...]:
    read_only = set(serializer.Meta.read_only_fields) | {
        name for name, field in serializer._declared_fields.items() if field.read_only
    }
    return tuple(f for f in serializer.Meta.fields if f not in read_only | _NOT_COLUMNS)


PROVIDER_FIELDS = _api_fields(ProviderSerializer)
SERVICE_FIELDS = _api_fields(ServiceSerializer)
CONTRACT_FIELDS = _api_fields(ContractSerializer)
COLUMNS = tuple(
    dict.fromkeys(
        [
            "record_type",
            *PROVIDER_FIELDS,
            "provider",
            *SERVICE_FIELDS,
            *CONTRACT_FIELDS,
            "services",
        ]
    )
)
TRUE = {"yes", "y", "true", "t", "1"}
FALSE = {"no", "n", "false", "f", "0"}
NOT_KNOWN = {"not known", "unknown", "not_known"}


class RowError(Exception):
    """One row cannot be imported; the message says why."""


def _column_key(name: Any) -> str:
    return re.sub(r"[\s-]+", "_", normalise_header(name))


def check_columns(source: str | Path | IO[bytes], file_format: str | None = None) -> str:
    """Check the header row only (the upload form's quick check)."""
    table = read_table(source, file_format=file_format, header_only=True)
    _columns(table.header)
    return "register"


def _columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    unknown = []
    for i, name in enumerate(header):
        key = _column_key(name)
        if not key:
            continue
        if key not in COLUMNS:
            unknown.append(str(name))
        elif key not in columns:
            columns[key] = i
    if unknown:
        raise ImportFileError(
            "The register file has columns the import does not know: "
            + ", ".join(unknown)
            + ". The columns are described in docs/imports.md"
        )
    if "record_type" not in columns:
        raise ImportFileError(
            "The register file needs a record_type column saying provider, service or contract"
        )
    return columns


# --- Values --------------------------------------------------------------------------------


def _choice(field: models.Field, text: str) -> str:
    """A choice's value from its value or its label, any letter case; unknown text as typed
    (the model's validation then says it is not a valid choice)."""
    wanted = text.casefold()
    for value, label in field.flatchoices:
        if wanted in (str(value).casefold(), str(label).casefold()):
            return value
    return text


def _value(field: models.Field, raw: Any) -> Any:
    column = field.name
    if isinstance(raw, date) and not isinstance(field, models.DateField):
        raw = raw.strftime("%d/%m/%Y")
    if isinstance(field, models.BooleanField):
        text = str(raw).strip().casefold()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        if field.null and text in NOT_KNOWN:
            return None
        if field.null:
            raise RowError(f"{column}: enter yes, no or not known, not {raw!r}")
        raise RowError(f"{column}: enter yes or no, not {raw!r}")
    if isinstance(field, models.DateField):
        try:
            return parse_date(raw)
        except ValueError as exc:
            raise RowError(f"{column}: {exc}") from exc
    if isinstance(field, models.DecimalField):
        try:
            return Decimal(str(raw).replace("£", "").replace(",", "").strip())
        except InvalidOperation as exc:
            raise RowError(f"{column}: {raw!r} is not an amount like 125000.00") from exc
    if isinstance(field, models.IntegerField):
        text = str(raw).strip()
        if not re.fullmatch(r"-?\d+(\.0+)?", text):
            raise RowError(f"{column}: {raw!r} is not a whole number")
        return int(float(text))
    if isinstance(field, ArrayField):
        return [
            _choice(field.base_field, part.strip())
            for part in LIST_SEPARATORS.split(str(raw))
            if part.strip()
        ]
    if field.choices:
        return _choice(field, str(raw).strip())
    return str(raw).strip()


def _snapshot(obj: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _messages(exc: ValidationError) -> str:
    if not hasattr(exc, "error_dict"):
        return "; ".join(exc.messages)
    parts = []
    for name, errors in exc.message_dict.items():
        for message in errors:
            parts.append(message if name == "__all__" else f"{name}: {message}")
    return "; ".join(parts)


# --- The import ----------------------------------------------------------------------------


def import_register(
    source: str | Path | IO[bytes],
    *,
    partial: bool = False,
    user=None,
    progress: ProgressCallback | None = None,
    file_format: str | None = None,
) -> ImportResult:
    """Import the council's register file; see the module docstring."""
    table = read_table(source, file_format=file_format)
    columns = _columns(table.header)
    result = ImportResult("register", partial=partial, total=len(table.rows))
    result.columns = list(table.header)

    def cell(cells: list[Any], name: str) -> Any:
        index = columns.get(name)
        if index is None or index >= len(cells):
            return ""
        value = cells[index]
        return value.strip() if isinstance(value, str) else value

    by_type: dict[str, list[tuple[int, list[Any]]]] = {kind: [] for kind in RECORD_TYPES}
    for number, cells in table.rows:
        kind = str(cell(cells, "record_type")).casefold()
        if kind not in by_type:
            result.reject(
                number,
                f"record_type: {kind!r} is not provider, service or contract"
                if kind
                else "record_type is missing: say provider, service or contract",
                table.header,
                cells,
            )
            continue
        by_type[kind].append((number, cells))

    loader = _Loader(result, cell, user)
    done = len(result.rejected)
    with import_lock(), one_transaction(result):
        for kind in RECORD_TYPES:
            handle: Callable[[list[Any]], str] = getattr(loader, kind)
            for number, cells in by_type[kind]:
                try:
                    with transaction.atomic():
                        outcome = handle(cells)
                except RowError as exc:
                    result.reject(number, str(exc), table.header, cells)
                except ValidationError as exc:
                    result.reject(number, _messages(exc), table.header, cells)
                else:
                    result.valid += 1
                    setattr(result, outcome, getattr(result, outcome) + 1)
                done += 1
                if progress and done % PROGRESS_EVERY == 0:
                    progress(done, result.total)
        if result.blocked:
            transaction.set_rollback(True)
            result.created = result.updated = result.unchanged = 0
        else:
            result.saved = True
    if progress:
        progress(result.total, result.total)
    result.rejected.sort(key=lambda rejected: rejected.row)
    return result


class _Loader:
    """Upserts one row of each record type; answers "created", "updated" or "unchanged"."""

    def __init__(self, result: ImportResult, cell, user):
        self.result = result
        self.cell = cell
        self.user = user

    def _apply(self, obj: models.Model, cells: list[Any], names: tuple[str, ...]) -> None:
        errors = []
        for name in names:
            raw = self.cell(cells, name)
            if raw == "" or raw is None:
                continue  # blank: unchanged, or the default for a new record
            try:
                setattr(obj, name, _value(obj._meta.get_field(name), raw))
            except RowError as exc:
                errors.append(str(exc))
        if errors:
            raise RowError("; ".join(errors))

    def _save(self, obj: models.Model, before: dict[str, Any] | None, names) -> str:
        obj.full_clean()
        if before is not None and _snapshot(obj, names) == before:
            return "unchanged"
        if before is not None:
            obj.version += 1
        obj._history_user = self.user
        obj._change_reason = CHANGE_REASON
        obj.save()
        return "created" if before is None else "updated"

    def _provider_ref(self, cells: list[Any]) -> Provider:
        ref = str(self.cell(cells, "provider"))
        if not ref:
            raise RowError("provider is missing: give its CQC provider id or its name")
        if CQC_ID.match(ref):
            found = list(Provider.objects.filter(regulator_provider_id=ref)[:2])
        else:
            found = list(Provider.objects.filter(name__iexact=ref)[:2])
        if not found:
            raise RowError(f"provider: there is no provider {ref!r} on the register or the file")
        if len(found) > 1:
            raise RowError(f"provider: several providers are called {ref!r}: use the CQC id")
        return found[0]

    def provider(self, cells: list[Any]) -> str:
        cqc_id = str(self.cell(cells, "regulator_provider_id"))
        name = str(self.cell(cells, "name"))
        if not name:
            raise RowError("name is missing")
        obj = None
        if cqc_id:
            obj = Provider.objects.filter(regulator_provider_id=cqc_id).first()
        if obj is None:
            candidates = Provider.objects.filter(name__iexact=name)
            if cqc_id:
                candidates = candidates.filter(regulator_provider_id="")
            found = list(candidates[:2])
            if len(found) > 1:
                raise RowError(f"name: several providers are called {name!r}: give the CQC id")
            obj = found[0] if found else None
        before = _snapshot(obj, PROVIDER_FIELDS) if obj else None
        obj = obj or Provider()
        self._apply(obj, cells, PROVIDER_FIELDS)
        return self._save(obj, before, PROVIDER_FIELDS)

    def service(self, cells: list[Any]) -> str:
        provider = self._provider_ref(cells)
        name = str(self.cell(cells, "name"))
        regulator_id = str(self.cell(cells, "regulator_id"))
        regulator = str(self.cell(cells, "regulator"))
        obj = None
        if regulator_id:
            matches = Service.objects.filter(regulator_id=regulator_id)
            if regulator:
                matches = matches.filter(regulator__iexact=regulator)
            found = list(matches[:2])
            if len(found) > 1:
                raise RowError(
                    f"regulator_id: several services have {regulator_id}: name the regulator"
                )
            obj = found[0] if found else None
            if obj is not None and obj.provider_id != provider.pk:
                raise RowError(
                    f"provider: service {regulator_id} is run by {obj.provider}, not {provider}"
                )
        if obj is None:
            if not name:
                raise RowError("name is missing")
            obj = Service.objects.filter(provider=provider, name__iexact=name).first()
        before = _snapshot(obj, SERVICE_FIELDS) if obj else None
        obj = obj or Service(provider=provider)
        self._apply(obj, cells, SERVICE_FIELDS)
        return self._save(obj, before, SERVICE_FIELDS)

    def contract(self, cells: list[Any]) -> str:
        reference = str(self.cell(cells, "reference"))
        if not reference:
            raise RowError("reference is missing")
        provider = self._provider_ref(cells)
        obj = Contract.objects.filter(reference=reference).first()
        if obj is not None and obj.provider_id != provider.pk:
            raise RowError(f"provider: contract {reference} is with {obj.provider}, not {provider}")
        before = _snapshot(obj, CONTRACT_FIELDS) if obj else None
        old_services = set(obj.services.values_list("pk", flat=True)) if obj else set()
        obj = obj or Contract(provider=provider)
        self._apply(obj, cells, CONTRACT_FIELDS)
        services = self._services(cells, provider)
        if services is not None:
            check_contract_services(provider, services)
        outcome = self._save(obj, before, CONTRACT_FIELDS)
        if services is not None and {s.pk for s in services} != old_services:
            obj.services.set(services)
            if outcome == "unchanged":
                obj.version += 1
                obj._history_user = self.user
                obj._change_reason = CHANGE_REASON
                obj.save()
                outcome = "updated"
        return outcome

    def _services(self, cells: list[Any], provider: Provider) -> list[Service] | None:
        raw = str(self.cell(cells, "services"))
        if not raw:
            return None
        services, unknown = [], []
        for ref in (part.strip() for part in LIST_SEPARATORS.split(raw)):
            if not ref:
                continue
            found = list(Service.objects.filter(regulator_id=ref)[:2]) or list(
                Service.objects.filter(provider=provider, name__iexact=ref)[:2]
            )
            if len(found) != 1:
                unknown.append(ref)
            else:
                services.append(found[0])
        if unknown:
            raise RowError(
                f"services: no single service of {provider} is {', '.join(map(repr, unknown))}"
            )
        return services
