"""Imports: the CQC care directory and ratings files, the council's register, the upload pages.

Sunrise House is on the register with CQC location id 1-3000000001 (rated Good); the CQC files
in these stories are small tables built here, as CQC publishes them.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from providers.imports.cqc import DIRECTORY_COLUMNS, import_cqc, map_service_type
from providers.imports.register import import_register
from providers.models import (
    Contract,
    ImportJob,
    ImportStatus,
    Intelligence,
    IntelligenceKind,
    Provider,
    RegulatorRating,
    Service,
    ServiceType,
)
from providers.tasks import process_import, run_import_job
from tests.clamav import EICAR
from tests.factories import ProviderFactory, ServiceFactory

pytestmark = pytest.mark.django_db

SUNRISE_LOCATION = "1-3000000001"


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(header: list[str], rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def directory_row(**values: str) -> list[str]:
    row = {
        "Name": "Meadow View",
        "Also known as": "",
        "Address": "1 Meadow Lane, Avonmere",
        "Postcode": "ba11aa",
        "Phone number": "01234 567890",
        "Website": "www.meadow.example",
        "Service types": "Nursing homes",
        "Date of latest check": "14/03/2025",
        "Specialisms/services": "Dementia|Caring for adults over 65 yrs",
        "Provider name": "Meadow Care Ltd",
        "Local authority": "Avonmere",
        "Region": "South West",
        "Location URL": "https://www.cqc.org.uk/location/1-4000000001",
        "CQC Location ID": "1-4000000001",
        "CQC Provider ID": "1-500000001",
    }
    row.update({key.replace("_", " "): value for key, value in values.items()})
    return [row[column] for column in DIRECTORY_COLUMNS]


def directory(*rows: list[str]) -> io.BytesIO:
    return io.BytesIO(csv_bytes(list(DIRECTORY_COLUMNS), list(rows)))


def three_locations() -> io.BytesIO:
    return directory(
        directory_row(),
        directory_row(
            Name="Riverside Homecare",
            **{"Service types": "Homecare agencies", "Date of latest check": "2024-06-02"},
            **{"CQC Location ID": "1-4000000002", "Local authority": "Somerset"},
        ),
        directory_row(
            Name="Hill House",
            **{"Service types": "Residential homes", "Date of latest check": ""},
            **{"CQC Location ID": "1-4000000003", "CQC Provider ID": "1-500000002"},
            **{"Provider name": "Hill Homes Ltd"},
        ),
    )


RATINGS_HEADER = [
    "Location ID",
    "Location Name",
    "Key Question",
    "Latest Rating",
    "Publication Date",
]


def ratings(*rows: list[str]) -> io.BytesIO:
    return io.BytesIO(csv_bytes(RATINGS_HEADER, list(rows)))


@pytest.fixture
def sunrise_house(sunrise):
    return ServiceFactory(
        provider=sunrise,
        name="Sunrise House",
        regulator_id=SUNRISE_LOCATION,
        regulator_rating=RegulatorRating.GOOD,
        rating_safe=RegulatorRating.GOOD,
        local_authority_area="Northfield",
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- CQC care directory --------------------------------------------------------------------


def test_directory_creates_services_and_their_providers():
    result = import_cqc(three_locations())

    assert result.saved and result.counts()["created"] == 3 and not result.rejected
    meadow = Service.objects.get(regulator="CQC", regulator_id="1-4000000001")
    assert meadow.service_type == ServiceType.CARE_HOME_NURSING
    assert meadow.regulated and meadow.postcode == "BA1 1AA"
    assert meadow.last_inspection_date == date(2025, 3, 14)
    assert not meadow.out_of_area and meadow.local_authority_area == "Avonmere"
    assert meadow.provider.name == "Meadow Care Ltd"
    assert meadow.provider.regulator_provider_id == "1-500000001"
    riverside = Service.objects.get(regulator_id="1-4000000002")
    assert riverside.service_type == ServiceType.DOMICILIARY_CARE
    assert riverside.last_inspection_date == date(2024, 6, 2)
    assert riverside.out_of_area and riverside.host_authority == "Somerset"
    assert riverside.provider == meadow.provider
    hill = Service.objects.get(regulator_id="1-4000000003")
    assert hill.service_type == ServiceType.CARE_HOME and hill.last_inspection_date is None
    assert hill.provider.name == "Hill Homes Ltd"
    assert hill.history.count() == 1


def test_directory_again_is_unchanged_and_a_changed_row_updates_by_location_id():
    import_cqc(three_locations())
    again = import_cqc(three_locations())
    assert again.counts()["unchanged"] == 3 and again.counts()["created"] == 0

    renamed = import_cqc(directory(directory_row(Name="Meadow View Care Home")))

    assert renamed.counts()["updated"] == 1
    meadow = Service.objects.get(regulator_id="1-4000000001")
    assert meadow.name == "Meadow View Care Home" and meadow.version == 2
    latest = meadow.history.order_by("-history_id").first()
    assert latest.history_type == "~" and latest.history_change_reason == "CQC import"
    assert Service.objects.filter(regulator_id="1-4000000001").count() == 1


def test_directory_update_keeps_the_provider_and_the_councils_locality(sunrise_house):
    result = import_cqc(
        directory(
            directory_row(
                Name="Sunrise House",
                **{"CQC Location ID": SUNRISE_LOCATION, "CQC Provider ID": "1-599999999"},
                **{"Date of latest check": "01/02/2026", "Service types": "Shared Lives"},
            )
        )
    )

    assert result.counts()["updated"] == 1
    sunrise_house.refresh_from_db()
    assert sunrise_house.provider.name == "Sunrise Care Ltd"
    assert sunrise_house.local_authority_area == "Northfield"
    assert sunrise_house.service_type == ServiceType.CARE_HOME  # "other" never replaces it
    assert sunrise_house.last_inspection_date == date(2026, 2, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nursing homes", ServiceType.CARE_HOME_NURSING),
        ("Care home service with nursing", ServiceType.CARE_HOME_NURSING),
        ("Residential homes|Nursing homes", ServiceType.CARE_HOME_NURSING),
        ("Care home service without nursing", ServiceType.CARE_HOME),
        ("Homecare agencies", ServiceType.DOMICILIARY_CARE),
        ("Domiciliary care service", ServiceType.DOMICILIARY_CARE),
        ("Supported living", ServiceType.SUPPORTED_LIVING),
        ("Homecare agencies|Extra Care housing services", ServiceType.EXTRA_CARE),
        ("Hospice services", ServiceType.OTHER),
        ("", ServiceType.OTHER),
    ],
)
def test_cqc_service_types_map_to_ours(text, expected):
    assert map_service_type(text) == expected


def test_directory_rejects_bad_rows_with_reasons_and_saves_nothing():
    result = import_cqc(
        directory(
            directory_row(),
            directory_row(**{"CQC Location ID": ""}),
            directory_row(
                **{"CQC Location ID": "1-4000000009", "Date of latest check": "31/02/2025"}
            ),
            directory_row(**{"CQC Location ID": "1-4000000001"}),
        )
    )

    assert not result.saved and result.blocked
    reasons = {rejected.row: rejected.reason for rejected in result.rejected}
    assert reasons[3] == "CQC Location ID is missing"
    assert "Date of latest check '31/02/2025' is not a date" in reasons[4]
    assert "also on row 2" in reasons[5]
    assert result.rejected[0].values["Name"] == "Meadow View"
    assert not Service.objects.exists() and not Provider.objects.exists()


def test_directory_partial_saves_the_valid_rows():
    result = import_cqc(
        directory(directory_row(), directory_row(**{"CQC Location ID": "L-1"})), partial=True
    )

    assert result.saved and result.counts()["created"] == 1 and len(result.rejected) == 1
    assert "'L-1' is not like 1-1000210669" in result.rejected[0].reason
    assert Service.objects.filter(regulator_id="1-4000000001").exists()


def test_directory_header_may_carry_cqcs_office_use_suffix_and_a_title_line():
    header = [
        f"{name} (for office use only)" if name.startswith("CQC") else name
        for name in DIRECTORY_COLUMNS
    ]
    data = b"CQC care directory, 1 November 2026\n" + csv_bytes(header, [directory_row()])

    result = import_cqc(io.BytesIO(data))

    assert result.file_kind == "cqc_directory" and result.counts()["created"] == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_re_rating_does_not_hide_that_the_import_was_saved(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the risk engine is down")

    monkeypatch.setattr("risk.recompute.recompute", broken)

    result = import_cqc(directory(directory_row()))

    assert result.saved and "re-rating the services failed" in result.warning
    assert Service.objects.filter(regulator_id="1-4000000001").exists()


# --- CQC ratings ---------------------------------------------------------------------------


def test_rating_change_is_logged_as_regulator_information_and_re_rates_at_once(
    sunrise_house, manager_maya, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = import_cqc(
            ratings(
                [SUNRISE_LOCATION, "Sunrise House", "Overall", "Inadequate", "14/03/2026"],
                [SUNRISE_LOCATION, "Sunrise House", "Safe", "Requires improvement", "14/03/2026"],
                [SUNRISE_LOCATION, "Sunrise House", "Caring", "Not rated", "14/03/2026"],
            ),
            user=manager_maya,
        )

    assert result.file_kind == "cqc_ratings"
    assert result.counts()["updated"] == 2 and result.counts()["unchanged"] == 1
    sunrise_house.refresh_from_db()
    assert sunrise_house.regulator_rating == RegulatorRating.INADEQUATE
    assert sunrise_house.rating_safe == RegulatorRating.REQUIRES_IMPROVEMENT
    entries = Intelligence.objects.filter(
        service=sunrise_house, kind=IntelligenceKind.REGULATOR_INFORMATION
    )
    assert sorted(e.summary for e in entries) == [
        "CQC Safe rating changed from Good to Requires improvement (published 14 March 2026)",
        "CQC rating changed from Good to Inadequate (published 14 March 2026)",
    ]
    assert {e.date for e in entries} == {date(2026, 3, 14)}
    assert {e.author for e in entries} == {manager_maya}
    assert sunrise_house.risk.rating == "red"


def test_ratings_file_again_changes_nothing(sunrise_house):
    row = [SUNRISE_LOCATION, "Sunrise House", "Overall", "Requires improvement", "2026-03-14"]
    import_cqc(ratings(row))
    again = import_cqc(ratings(row))

    assert again.counts()["unchanged"] == 1 and again.counts()["updated"] == 0
    assert Intelligence.objects.filter(service=sunrise_house).count() == 1


def test_ratings_rejects_unknown_ratings_locations_and_key_questions(sunrise_house):
    result = import_cqc(
        ratings(
            [SUNRISE_LOCATION, "Sunrise House", "Overall", "Brilliant", "14/03/2026"],
            ["1-9999999999", "Elsewhere", "Overall", "Good", "14/03/2026"],
            [SUNRISE_LOCATION, "Sunrise House", "Kind", "Good", "14/03/2026"],
            [SUNRISE_LOCATION, "Sunrise House", "Safe", "Inadequate", "14-March"],
            [SUNRISE_LOCATION, "Sunrise House", "Effective", "Inadequate", "14/03/2026"],
        )
    )

    reasons = [r.reason for r in result.rejected]
    assert "Latest Rating 'Brilliant' is not a CQC rating" in reasons[0]
    assert "No service with CQC location id 1-9999999999 is on the register" in reasons[1]
    assert "Key Question 'Kind' is not one of" in reasons[2]
    assert "Publication Date '14-March' is not a date" in reasons[3]
    assert [r.row for r in result.rejected] == [2, 3, 4, 5]
    sunrise_house.refresh_from_db()
    assert sunrise_house.rating_effective == RegulatorRating.NOT_RATED  # nothing saved
    assert not Intelligence.objects.exists()


def test_ratings_ignore_population_group_rows(sunrise_house):
    header = [
        "Location ID",
        "Service / Population Group",
        "Domain",
        "Latest Rating",
        "Publication Date",
    ]
    data = csv_bytes(
        header,
        [
            [SUNRISE_LOCATION, "Overall", "Overall", "Outstanding", "14/03/2026"],
            [SUNRISE_LOCATION, "Older people", "Overall", "Inadequate", "14/03/2026"],
        ],
    )

    result = import_cqc(io.BytesIO(data))

    assert result.counts()["updated"] == 1 and result.counts()["ignored"] == 1
    sunrise_house.refresh_from_db()
    assert sunrise_house.regulator_rating == RegulatorRating.OUTSTANDING


def test_a_file_that_is_neither_cqc_file_is_refused_naming_the_columns():
    from providers.imports import ImportFileError

    with pytest.raises(ImportFileError, match="neither the CQC care directory"):
        import_cqc(io.BytesIO(b"Colour,Size\nred,large\n"))


# --- Commands ------------------------------------------------------------------------------


def test_import_cqc_command_fails_and_saves_nothing_when_rows_are_rejected(tmp_path):
    path = tmp_path / "directory.csv"
    path.write_bytes(
        directory(directory_row(), directory_row(**{"CQC Location ID": ""})).getvalue()
    )
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 rows were rejected, so nothing was saved"):
        call_command("import_cqc", str(path), stdout=out)

    assert "row 3: CQC Location ID is missing" in out.getvalue()
    assert not Service.objects.exists()

    call_command("import_cqc", str(path), "--partial", stdout=out)
    assert "created:   1" in out.getvalue()
    assert Service.objects.count() == 1


def test_import_register_command_prints_the_summary(tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes(register_csv())
    out = io.StringIO()

    call_command("import_register", str(path), stdout=out)

    assert "created:   4" in out.getvalue() and "Import saved." in out.getvalue()


def test_import_command_refuses_a_file_that_is_not_a_table(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)

    with pytest.raises(CommandError, match="must be a CSV or an Excel"):
        call_command("import_cqc", str(path))


# --- Council register ----------------------------------------------------------------------

REGISTER_HEADER = [
    "record_type",
    "name",
    "regulator_provider_id",
    "sponsorship_licence",
    "provider",
    "service_type",
    "regulated",
    "regulator",
    "regulator_id",
    "regulator_rating",
    "capacity",
    "council_funded_people",
    "market_risk_reasons",
    "last_inspection_date",
    "reference",
    "services",
    "start_date",
    "annual_value",
]


def register_rows() -> list[list]:
    blank = dict.fromkeys(REGISTER_HEADER, "")

    def row(**values):
        return [{**blank, **values}[name] for name in REGISTER_HEADER]

    return [
        row(
            record_type="provider",
            name="Willow Care Ltd",
            regulator_provider_id="1-600000001",
            sponsorship_licence="Active",
        ),
        row(
            record_type="service",
            provider="1-600000001",
            name="Willow Court",
            service_type="Care home with nursing",
            regulated="yes",
            regulator="CQC",
            regulator_id="1-7000000001",
            regulator_rating="requires_improvement",
            capacity="40",
            council_funded_people="12",
            market_risk_reasons="block_contract; Large setting",
            last_inspection_date="14/03/2025",
        ),
        row(
            record_type="service",
            provider="Willow Care Ltd",
            name="Willow Day Centre",
            service_type="day_service",
            regulated="no",
        ),
        row(
            record_type="contract",
            provider="Willow Care Ltd",
            reference="C-WIL-1",
            services="1-7000000001; Willow Day Centre",
            start_date="2025-04-01",
            annual_value="£1,250,000.50",
        ),
    ]


def register_csv(rows: list[list] | None = None) -> bytes:
    return csv_bytes(REGISTER_HEADER, rows if rows is not None else register_rows())


def test_register_creates_providers_services_and_contracts_from_csv():
    result = import_register(io.BytesIO(register_csv()))

    assert result.counts()["created"] == 4 and not result.rejected
    willow = Provider.objects.get(regulator_provider_id="1-600000001")
    assert willow.sponsorship_licence == "active"
    court = Service.objects.get(regulator_id="1-7000000001")
    assert court.provider == willow and court.service_type == ServiceType.CARE_HOME_NURSING
    assert court.regulator_rating == RegulatorRating.REQUIRES_IMPROVEMENT
    assert court.market_risk_reasons == ["block_contract", "large_setting"]
    assert court.last_inspection_date == date(2025, 3, 14)
    contract = Contract.objects.get(reference="C-WIL-1")
    assert {s.name for s in contract.services.all()} == {"Willow Court", "Willow Day Centre"}
    assert str(contract.annual_value) == "1250000.50"


def test_register_from_xlsx_then_again_is_unchanged_and_edits_update():
    rows = register_rows()
    rows[1][REGISTER_HEADER.index("capacity")] = 40  # a number cell, as Excel stores it
    rows[1][REGISTER_HEADER.index("last_inspection_date")] = date(2025, 3, 14)
    import_register(io.BytesIO(xlsx_bytes(REGISTER_HEADER, rows)))

    again = import_register(io.BytesIO(xlsx_bytes(REGISTER_HEADER, rows)))
    assert again.counts()["unchanged"] == 4

    rows[1][REGISTER_HEADER.index("capacity")] = 45
    edited = import_register(io.BytesIO(xlsx_bytes(REGISTER_HEADER, rows)))
    assert edited.counts()["updated"] == 1 and edited.counts()["unchanged"] == 3
    assert Service.objects.get(regulator_id="1-7000000001").capacity == 45


def test_register_rows_are_checked_by_the_models_own_rules_and_nothing_is_saved():
    rows = register_rows()
    rows[2][REGISTER_HEADER.index("regulator_rating")] = "good"  # not regulated, yet rated
    rows[1][REGISTER_HEADER.index("council_funded_people")] = "50"  # more than capacity 40
    rows.append(rows[0][:])
    rows[-1][REGISTER_HEADER.index("record_type")] = "provdier"

    result = import_register(io.BytesIO(register_csv(rows)))

    reasons = {r.row: r.reason for r in result.rejected}
    assert reasons[3] == (
        "council_funded_people: Council-funded people cannot be more than the capacity"
    )
    assert reasons[4] == (
        "regulator_rating: A service that is not regulated has no regulator rating"
    )
    assert "record_type: 'provdier' is not provider, service or contract" in reasons[6]
    assert "services: no single service" in reasons[5]  # its services were rejected
    assert not result.saved
    assert not Provider.objects.exists() and not Service.objects.exists()


def test_register_partial_saves_the_valid_rows():
    rows = register_rows()
    rows[2][REGISTER_HEADER.index("service_type")] = "spaceship"

    result = import_register(io.BytesIO(register_csv(rows[:3])), partial=True)

    assert result.saved and result.counts()["created"] == 2
    assert "service_type: Value 'spaceship' is not a valid choice." in result.rejected[0].reason
    assert Service.objects.filter(name="Willow Court").exists()


def test_register_matches_existing_records_by_natural_keys(sunrise_house):
    header = ["record_type", "provider", "name", "regulator_id", "capacity"]
    data = csv_bytes(
        header,
        [
            ["service", "Sunrise Care Ltd", "Sunrise House (renamed)", SUNRISE_LOCATION, "45"],
            ["service", "Oak Lodge Ltd", "Somewhere", SUNRISE_LOCATION, "10"],
        ],
    )
    ProviderFactory(name="Oak Lodge Ltd")

    result = import_register(io.BytesIO(data), partial=True)

    assert result.counts()["updated"] == 1
    assert "is run by Sunrise Care Ltd, not Oak Lodge Ltd" in result.rejected[0].reason
    sunrise_house.refresh_from_db()
    assert sunrise_house.name == "Sunrise House (renamed)" and sunrise_house.capacity == 45
    assert sunrise_house.version == 2


def test_register_refuses_unknown_columns():
    from providers.imports import ImportFileError

    with pytest.raises(ImportFileError, match="columns the import does not know: servce_type"):
        import_register(io.BytesIO(b"record_type,name,servce_type\nservice,A,care_home\n"))


# --- Upload pages --------------------------------------------------------------------------


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_a_manager_uploads_a_cqc_file_and_sees_the_summary(
    client_for, manager_maya, manager_mo, media, django_capture_on_commit_callbacks
):
    client = client_for(manager_maya)
    empty = client.get(reverse("imports:job_list"))
    assert "Nothing has been imported yet" in empty.content.decode()
    assert client.get(reverse("imports:job_create")).status_code == 200

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("imports:job_create"),
            {"kind": "cqc", "file": upload("directory.csv", three_locations().getvalue())},
        )

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    assert len(callbacks) == 1  # the task is queued once the job is saved
    assert job.status == ImportStatus.QUEUED and job.created_by == manager_maya
    assert job.file.name.startswith("imports/") and job.file.name.endswith(".csv")
    assert "directory" not in job.file.name and (media / job.file.name).exists()
    waiting = client.get(job.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in waiting and "<html" not in waiting

    assert run_import_job.run(job.pk) == ImportStatus.DONE

    job.refresh_from_db()
    assert job.counts["created"] == 3 and job.saved and job.detected == "cqc_directory"
    page = client_for(manager_mo).get(job.get_absolute_url()).content.decode()
    assert "Import complete" in page and "hx-trigger" not in page
    listing = client.get(reverse("imports:job_list")).content.decode()
    assert "directory.csv" in listing and "Done" in listing


def test_progress_is_shown_while_the_job_runs(client_for, manager_maya, media):
    job = ImportJob.objects.create(
        kind="cqc",
        file_format="csv",
        status=ImportStatus.RUNNING,
        total_rows=56000,
        processed_rows=12000,
        created_by=manager_maya,
    )

    part = client_for(manager_maya).get(job.get_absolute_url(), headers={"HX-Request": "true"})

    html = part.content.decode()
    assert "Processed 12,000 of 56,000 rows" in html
    assert 'value="21"' in html and 'hx-trigger="every 2s"' in html


def test_rejected_rows_report_and_download(
    client_for, manager_maya, media, django_capture_on_commit_callbacks
):
    client = client_for(manager_maya)
    content = directory(
        directory_row(), directory_row(**{"CQC Location ID": "", "Name": "=HYPERLINK(1)"})
    ).getvalue()
    with django_capture_on_commit_callbacks():  # the worker's part is run here, below
        client.post(
            reverse("imports:job_create"), {"kind": "cqc", "file": upload("dir.csv", content)}
        )
    job = ImportJob.objects.get()
    process_import(job.pk)

    page = client.get(job.get_absolute_url()).content.decode()
    assert "Nothing was saved: 1 row was rejected" in page
    assert "CQC Location ID is missing" in page

    download = client.get(reverse("imports:rejected_rows", args=[job.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Row", "Reason", "Name"]
    assert rows[1][:3] == ["3", "CQC Location ID is missing", "'=HYPERLINK(1)"]
    assert not Service.objects.exists()


def test_the_upload_refuses_files_that_are_not_csv_or_xlsx(client_for, manager_maya, media):
    client = client_for(manager_maya)
    cases = [
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "must be a CSV or an Excel"),
        ("report.xlsx", b"%PDF-1.7\n%binary", "must be a CSV or an Excel"),
        ("notes.csv", b"just some words without a separator\n", "must be a CSV or an Excel"),
        ("colours.csv", b"Colour,Size\nred,large\n", "neither the CQC care directory"),
    ]
    for name, content, message in cases:
        response = client.post(
            reverse("imports:job_create"), {"kind": "cqc", "file": upload(name, content)}
        )
        assert response.status_code == 200
        assert message in response.content.decode(), name
        assert "There is a problem" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_upload_accepts_an_xlsx_register(
    client_for, manager_maya, media, django_capture_on_commit_callbacks
):
    content = xlsx_bytes(REGISTER_HEADER, register_rows())
    with django_capture_on_commit_callbacks():
        response = client_for(manager_maya).post(
            reverse("imports:job_create"),
            {"kind": "register", "file": upload("register.xlsx", content)},
        )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.file_format == "xlsx" and job.file.name.endswith(".xlsx")
    process_import(job.pk)
    job.refresh_from_db()
    assert job.counts["created"] == 4


# --- The checks of every upload: size and virus scan (a real ClamAV: tests/clamav.py) ---------


def _stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()]


def test_an_eicar_upload_is_refused_by_the_virus_scan_and_nothing_is_imported(
    client_for, manager_maya, media, real_clamd
):
    response = client_for(manager_maya).post(
        reverse("imports:job_create"), {"kind": "register", "file": upload("register.csv", EICAR)}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "The virus scan found Eicar-Test-Signature" in page
    assert "it has not been accepted" in page
    assert not ImportJob.objects.exists() and not _stored_files(media)
    assert not Provider.objects.exists()


def test_a_clean_upload_passes_the_real_scan_and_is_imported(
    client_for, manager_maya, media, real_clamd, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        response = client_for(manager_maya).post(
            reverse("imports:job_create"),
            {"kind": "register", "file": upload("register.csv", register_csv())},
        )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert process_import(job.pk) == ImportStatus.DONE
    job.refresh_from_db()
    assert job.counts["created"] == 4


def test_an_upload_is_refused_when_the_scanner_cannot_be_reached(
    client_for, manager_maya, media, settings, tmp_path
):
    settings.QAF_VIRUS_SCANNER = "clamd"
    settings.QAF_CLAMD_SOCKET = str(tmp_path / "no-clamd.ctl")
    response = client_for(manager_maya).post(
        reverse("imports:job_create"),
        {"kind": "register", "file": upload("register.csv", register_csv())},
    )
    assert "could not be checked for viruses just now" in response.content.decode()
    assert not ImportJob.objects.exists() and not _stored_files(media)


def test_an_upload_over_the_size_setting_is_refused(client_for, manager_maya, media, settings):
    content = register_csv()
    settings.QAF_UPLOAD_MAX_BYTES = len(content) - 1
    client = client_for(manager_maya)
    assert (
        f"up to {len(content) - 1} bytes"
        in client.get(reverse("imports:job_create")).content.decode()
    )
    response = client.post(
        reverse("imports:job_create"),
        {"kind": "register", "file": upload("register.csv", content)},
    )
    assert f"The file is larger than {len(content) - 1} bytes" in response.content.decode()
    assert not ImportJob.objects.exists() and not _stored_files(media)


def test_the_import_commands_apply_the_same_checks(tmp_path, settings, real_clamd):
    infected = tmp_path / "register.csv"
    infected.write_bytes(EICAR)
    with pytest.raises(CommandError, match="The virus scan found Eicar-Test-Signature"):
        call_command("import_register", str(infected))
    big = tmp_path / "directory.csv"
    big.write_bytes(three_locations().getvalue())
    settings.QAF_UPLOAD_MAX_BYTES = 100
    with pytest.raises(CommandError, match="larger than 100 bytes"):
        call_command("import_cqc", str(big))
    assert not Provider.objects.exists() and not Service.objects.exists()


@pytest.mark.parametrize("who", ["officer_olivia", "provider_pat", "partner_pia", "board_bea"])
def test_only_managers_and_administrators_may_import(request, client_for, who, manager_maya):
    job = ImportJob.objects.create(kind="cqc", file_format="csv", created_by=manager_maya)
    client = client_for(request.getfixturevalue(who))
    for url in [
        reverse("imports:job_list"),
        reverse("imports:job_create"),
        job.get_absolute_url(),
        reverse("imports:rejected_rows", args=[job.pk]),
    ]:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("imports:job_create"), {}).status_code == 403


def test_an_administrator_may_import(client_for, admin_alex):
    assert client_for(admin_alex).get(reverse("imports:job_list")).status_code == 200


def test_the_register_example_in_the_documentation_imports():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "imports.md").read_text()
    example = doc.split("```csv\n", 1)[1].split("```", 1)[0]

    result = import_register(io.BytesIO(example.encode()))

    assert not result.rejected and result.counts()["created"] == 4
    assert Contract.objects.get(reference="C-WIL-1").services.count() == 2


# --- Registration dates and registered managers (issue 9 items 6 and 7) ---------------------

LOCATIONS_HEADER = [
    "Location ID",
    "Location HSCA start date",
    "Dormant (Y/N)",
    "Care home?",
    "Location Name",
    "Registered manager",
    "Location Local Authority",
]


def locations(*rows: list[str], header: list[str] | None = None) -> io.BytesIO:
    return io.BytesIO(csv_bytes(header or LOCATIONS_HEADER, list(rows)))


def test_hsca_locations_file_fills_services_already_on_the_register(sunrise_house):
    # Sunrise House came onto the register before QAF knew registration dates.
    Service.objects.filter(pk=sunrise_house.pk).update(registered_manager=None)
    sunrise_house.refresh_from_db()
    assert (sunrise_house.registration_date, sunrise_house.registered_manager) == (None, None)
    oak = ServiceFactory(name="Oak Lodge", regulator_id="1-3000000002")

    result = import_cqc(
        locations(
            [SUNRISE_LOCATION, "01/04/2011", "N", "Y", "Sunrise House", "Jane Smith", "Avonmere"],
            ["1-3000000002", "2019-06-30", "N", "Y", "Oak Lodge", "", "Avonmere"],
            ["1-9999999999", "01/01/2015", "N", "Y", "Far Away", "A Manager", "Cumbria"],
        )
    )

    assert result.file_kind == "cqc_locations" and result.saved
    assert (result.updated, result.ignored, result.rejected) == (2, 1, [])
    sunrise_house.refresh_from_db()
    oak.refresh_from_db()
    assert sunrise_house.registration_date == date(2011, 4, 1)
    assert sunrise_house.registered_manager is True  # a name: in post
    assert (oak.registration_date, oak.registered_manager) == (date(2019, 6, 30), False)
    assert sunrise_house.history.first().history_change_reason == "CQC import"

    again = import_cqc(
        locations(
            [SUNRISE_LOCATION, "01/04/2011", "N", "Y", "Sunrise House", "Jane Smith", "Avonmere"]
        )
    )
    assert (again.updated, again.unchanged) == (0, 1)


def test_hsca_locations_file_re_rates_at_once(sunrise_house, django_capture_on_commit_callbacks):
    from risk.models import ServiceRisk

    with django_capture_on_commit_callbacks(execute=True):
        import_cqc(locations([SUNRISE_LOCATION, "01/04/2011", "N", "Y", "Sunrise House", "", ""]))
    factors = {f["factor"]: f for f in ServiceRisk.objects.get(pk=sunrise_house.pk).factors}
    assert factors["review_age"]["rag"] == "red"  # never reviewed, registered in 2011
    assert factors["registered_manager"]["reason"] == "No registered manager is in post"


def test_hsca_locations_file_without_the_manager_column_leaves_it(sunrise_house):
    Service.objects.filter(pk=sunrise_house.pk).update(registered_manager=None)
    header = ["Location ID", "Location HSCA start date", "Location Name"]
    import_cqc(locations([SUNRISE_LOCATION, "01/04/2011", "Sunrise House"], header=header))
    sunrise_house.refresh_from_db()
    assert (sunrise_house.registration_date, sunrise_house.registered_manager) == (
        date(2011, 4, 1),
        None,
    )


def test_hsca_locations_file_rejects_bad_dates_and_saves_nothing(sunrise_house):
    ServiceFactory(name="Oak Lodge", regulator_id="1-3000000002")
    result = import_cqc(
        locations(
            [SUNRISE_LOCATION, "31/02/2011", "N", "Y", "Sunrise House", "", ""],
            ["1-3000000002", "01/01/2099", "N", "Y", "Oak Lodge", "", ""],
            ["not-an-id", "01/01/2015", "N", "Y", "Bad", "", ""],
        )
    )
    reasons = {r.row: r.reason for r in result.rejected}
    assert reasons[2] == "Location HSCA start date '31/02/2011' is not a date like 14/03/2026"
    assert reasons[3] == "Location HSCA start date 01/01/2099 is in the future"
    assert reasons[4] == "Location ID 'not-an-id' is not like 1-1000210669"
    assert not result.saved
    assert not Service.objects.filter(registration_date__isnull=False).exists()


def test_directory_reads_the_registration_columns_when_it_has_them():
    header = [*DIRECTORY_COLUMNS, "Location HSCA start date", "Registered manager"]
    rows = [
        [*directory_row(), "02/05/2016", "Sam Jones"],
        [*directory_row(Name="Brook House", **{"CQC Location ID": "1-4000000009"}), "", ""],
    ]
    import_cqc(io.BytesIO(csv_bytes(header, rows)))
    meadow = Service.objects.get(regulator_id="1-4000000001")
    brook = Service.objects.get(regulator_id="1-4000000009")
    assert (meadow.registration_date, meadow.registered_manager) == (date(2016, 5, 2), True)
    assert (brook.registration_date, brook.registered_manager) == (None, False)


def test_directory_without_the_columns_knows_no_manager():
    import_cqc(directory(directory_row()))
    meadow = Service.objects.get(regulator_id="1-4000000001")
    assert (meadow.registration_date, meadow.registered_manager) == (None, None)


@pytest.mark.parametrize(
    ("cell", "stored"),
    [("yes", True), ("No", False), ("not known", None), ("Unknown", None)],
)
def test_register_registered_manager_yes_no_or_not_known(sunrise_house, cell, stored):
    header = ["record_type", "provider", "name", "regulator_id", "registered_manager"]
    data = csv_bytes(
        header, [["service", "Sunrise Care Ltd", "Sunrise House", SUNRISE_LOCATION, cell]]
    )
    result = import_register(io.BytesIO(data))
    assert not result.rejected
    sunrise_house.refresh_from_db()
    assert sunrise_house.registered_manager is stored


def test_register_refuses_a_registered_manager_that_is_not_yes_no_or_not_known(sunrise_house):
    header = ["record_type", "provider", "name", "registered_manager", "registration_date"]
    data = csv_bytes(
        header, [["service", "Sunrise Care Ltd", "Sunrise House", "maybe", "1/1/2099"]]
    )
    result = import_register(io.BytesIO(data))
    reason = result.rejected[0].reason
    assert "registered_manager: enter yes, no or not known, not 'maybe'" in reason


def test_register_sets_the_registration_date_of_a_service_created_before(sunrise_house):
    header = ["record_type", "provider", "name", "registration_date"]
    data = csv_bytes(header, [["service", "Sunrise Care Ltd", "Sunrise House", "01/04/2011"]])
    assert import_register(io.BytesIO(data)).counts()["updated"] == 1
    sunrise_house.refresh_from_db()
    assert sunrise_house.registration_date == date(2011, 4, 1)
    later = (timezone.localdate() + timedelta(days=30)).strftime("%d/%m/%Y")
    future = csv_bytes(header, [["service", "Sunrise Care Ltd", "Sunrise House", later]])
    reason = import_register(io.BytesIO(future)).rejected[0].reason
    assert reason == "registration_date: The date must be today or in the past"
