"""Backup and restore (issue 13 item 9): the restore drill on a throwaway database of the test
server, seeded with a few rows and a stored file, brings every row and file back, and says so
when a row or a file did not come back as it was backed up.

The drill drops every schema of its database, so it runs on a database of its own
(``test_restore_drill_<random>``, one for the module), never the test database; pg_dump and
pg_restore are the real ones (qaf/backup.py ``pg_tool``).
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from psycopg import sql

from qaf import backup

REPORT = b"%PDF-1.7\nThe inspection report of Sunrise House\n%%EOF\n"


@pytest.fixture(scope="module")
def drill_database():
    """A database of its own on the test server, for the module (creating and dropping one
    per test would make the server checkpoint each time)."""
    server = backup.django_database()
    name = f"test_restore_drill_{uuid.uuid4().hex[:10]}"
    with server.with_name("postgres").connect(autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.with_name(name)
    finally:
        with server.with_name("postgres").connect(autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def throwaway(drill_database):
    """That database emptied and seeded: two tables, their sequences and a few rows."""
    with drill_database.connect() as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
        conn.execute("CREATE TABLE provider (id serial PRIMARY KEY, name text NOT NULL)")
        conn.execute(
            "CREATE TABLE evidence (id bigserial PRIMARY KEY, "
            "provider_id int NOT NULL REFERENCES provider, file text NOT NULL)"
        )
        conn.execute("INSERT INTO provider (name) VALUES ('Sunrise Care'), ('Oak Lodge Ltd')")
        conn.execute(
            "INSERT INTO evidence (provider_id, file) VALUES (1, 'evidence/1/report.pdf'), "
            "(1, 'evidence/1/plan.txt'), (2, 'evidence/2/policy.txt')"
        )
    return drill_database


@pytest.fixture
def storage(tmp_path):
    storage = FileSystemStorage(location=tmp_path / "media")
    storage.save("evidence/1/report.pdf", ContentFile(REPORT))
    storage.save("evidence/1/plan.txt", ContentFile(b"Action plan\n"))
    storage.save("evidence/2/policy.txt", ContentFile(b"Safeguarding policy\n"))
    return storage


def test_the_drill_brings_back_every_row_and_file(throwaway, storage, tmp_path):
    said: list[str] = []
    check = backup.drill(tmp_path / "backup", database=throwaway, storage=storage, say=said.append)

    assert check.ok, check.mismatches
    assert said[-1] == "PASSED: everything backed up came back"
    assert (check.tables, check.rows, check.files) == (2, 5, 4)  # 3 files and the drill's probe
    assert len(list(backup.stored_files(storage))) == 3  # the probe is gone again
    assert backup.row_counts(throwaway) == {"public.provider": 2, "public.evidence": 3}
    with storage.open("evidence/1/report.pdf") as handle:
        assert handle.read() == REPORT
    manifest = backup.Snapshot.load(tmp_path / "backup")
    assert manifest.checksums["evidence/1/report.pdf"] == hashlib.sha256(REPORT).hexdigest()
    assert manifest.sequences["public.evidence_id_seq"] == 3
    # The sequences came back too: the next row does not collide with a restored one.
    with throwaway.connect() as conn:
        new = conn.execute("INSERT INTO evidence (provider_id, file) VALUES (2, 'x') RETURNING id")
        assert new.fetchone()[0] == 4


def _backup_wipe_restore(database, storage, directory) -> backup.Snapshot:
    snapshot = backup.backup(directory, database=database, storage=storage)
    backup.wipe(database=database, storage=storage)
    assert backup.row_counts(database) == {} and list(backup.stored_files(storage)) == []
    backup.restore(snapshot, database=database, storage=storage)
    return snapshot


def test_a_missing_row_or_a_changed_file_fails_the_check(throwaway, storage, tmp_path):
    snapshot = _backup_wipe_restore(throwaway, storage, tmp_path / "backup")
    assert backup.verify(snapshot, database=throwaway, storage=storage).ok

    with throwaway.connect() as conn:
        conn.execute("DELETE FROM evidence WHERE id = 2")
        # A sequence ahead of the manifest is what a busy server's dump gives: fine. One
        # behind would hand out ids already taken.
        conn.execute("SELECT nextval('evidence_id_seq')")
        conn.execute("SELECT setval('provider_id_seq', 1)")
    storage.delete("evidence/1/plan.txt")
    storage.save("evidence/1/plan.txt", ContentFile(b"Action plan, edited\n"))

    check = backup.verify(snapshot, database=throwaway, storage=storage)
    assert not check.ok
    assert check.mismatches == [
        "table public.evidence: 3 rows backed up, 2 now",
        "sequence public.provider_id_seq: 2 backed up, 1 now",
        "file evidence/1/plan.txt: sha256 differs from the backup's",
    ]


def test_a_tampered_backup_archive_is_found_out_after_the_restore(throwaway, storage, tmp_path):
    directory = tmp_path / "backup"
    snapshot = backup.backup(directory, database=throwaway, storage=storage)
    # Someone (or a bad disk) changes the report inside the archive after it was taken.
    with tarfile.open(directory / backup.MEDIA, "r:gz") as archive:
        members = [(m, archive.extractfile(m).read()) for m in archive if m.isfile()]
    with tarfile.open(directory / backup.MEDIA, "w:gz") as archive:
        for member, data in members:
            if member.name == "evidence/1/report.pdf":
                data = data.replace(b"Sunrise", b"Sunset!")
            archive.addfile(member, io.BytesIO(data))

    backup.wipe(database=throwaway, storage=storage)
    backup.restore(snapshot, database=throwaway, storage=storage)
    check = backup.verify(snapshot, database=throwaway, storage=storage)
    assert check.mismatches == ["file evidence/1/report.pdf: sha256 differs from the backup's"]


def test_restoring_into_storage_that_is_not_empty_is_refused(throwaway, storage, tmp_path):
    snapshot = backup.backup(tmp_path / "backup", database=throwaway, storage=storage)
    backup.wipe(database=throwaway, storage=storage)
    storage.save("evidence/1/report.pdf", ContentFile(b"a file left behind"))
    with pytest.raises(backup.BackupError, match="already in the storage"):
        backup.restore(snapshot, database=throwaway, storage=storage)


def test_pg_dump_is_of_the_servers_major_version_or_newer(throwaway):
    major = backup.server_major(throwaway)
    tool = backup.pg_tool("pg_dump", major)
    assert backup._tool_major(tool) >= major
    with pytest.raises(backup.BackupError, match="no pg_dump for PostgreSQL 99"):
        backup.pg_tool("pg_dump", 99)


@pytest.mark.parametrize(
    "damage",
    ["no dump", "cut-short dump", "unreadable manifest"],
)
def test_a_broken_backup_is_refused_before_anything_is_wiped(throwaway, storage, tmp_path, damage):
    directory = tmp_path / "backup"
    backup.backup(directory, database=throwaway, storage=storage)
    if damage == "no dump":
        (directory / backup.DUMP).unlink()
    elif damage == "cut-short dump":
        dump = directory / backup.DUMP
        dump.write_bytes(dump.read_bytes()[:200])
    else:
        (directory / backup.MANIFEST).write_text("{not json")

    with pytest.raises(backup.BackupError):
        snapshot = backup.Snapshot.load(directory)
        backup.check_restorable(snapshot, database=throwaway)
    # What the restore command and the drill do first: nothing has been touched.
    assert backup.row_counts(throwaway) == {"public.provider": 2, "public.evidence": 3}
    assert len(list(backup.stored_files(storage))) == 3


def test_a_backup_never_goes_over_another(throwaway, storage, tmp_path):
    directory = tmp_path / "backup"
    backup.backup(directory, database=throwaway, storage=storage)
    with pytest.raises(backup.BackupError, match="not an empty folder"):
        backup.backup(directory, database=throwaway, storage=storage)
    with pytest.raises(backup.BackupError, match="not an empty folder"):
        backup.backup(directory / backup.MANIFEST, database=throwaway, storage=storage)
