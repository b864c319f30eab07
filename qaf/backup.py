"""Backup, restore and the restore drill (issue 13 item 9; docs/deploy.md, "Backups").

A backup is a folder of three files:

- ``database.dump``: ``pg_dump --format=custom`` of the database QAF uses;
- ``media.tar.gz``: every stored file (evidence, imports, issued documents), read through
  Django's storage API, so the same code backs up the local ``MEDIA_ROOT`` and an S3 bucket;
- ``manifest.json``: what was in them when taken: the row count of every table, every
  sequence's value and the sha256 of every file.

``restore`` puts a backup back into an empty database and storage (``wipe`` empties them);
``verify`` compares what is there with the manifest. ``drill`` does all four, in order, on the
database and storage in use, and says whether what came back is what was backed up: the proof
that the backups can be restored, which ``make restore-drill`` gives on the embedded PostgreSQL
of ``make run`` and ``manage.py restore_drill`` on any ``DATABASE_URL``.

pg_dump and pg_restore are PostgreSQL's own, of the server's major version: from
``QAF_PG_BIN`` (a folder) if set, else the ones pgserver ships (the embedded server's), else
``/usr/lib/postgresql/<major>/bin`` (Debian's postgresql-client-<major>), else ``PATH``. A newer
major than the server's is used when no equal one exists (pg_dump reads older servers); an
older one is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

import psycopg
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from psycopg import sql
from psycopg.conninfo import make_conninfo

DUMP = "database.dump"
MEDIA = "media.tar.gz"
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
PROBE_FOLDER = "restore-drill"
# Django's connection options that are not libpq's.
_NOT_LIBPQ = {"isolation_level", "server_side_binding", "assume_role", "pool", "context"}


class BackupError(Exception):
    """A step could not be done; the message says which and why."""


# --- the database --------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """How to reach one PostgreSQL database: libpq parameters, the password kept apart so it
    goes to pg_dump through the environment, never on a command line."""

    params: dict[str, str]
    password: str = ""

    @property
    def name(self) -> str:
        return self.params["dbname"]

    def with_name(self, name: str) -> Database:
        return Database({**self.params, "dbname": name}, self.password)

    def conninfo(self) -> str:
        return make_conninfo(**self.params)

    def connect(self, **kwargs) -> psycopg.Connection:
        extra = {"password": self.password} if self.password else {}
        return psycopg.connect(self.conninfo(), **extra, **kwargs)

    def env(self) -> dict[str, str]:
        return {**os.environ, **({"PGPASSWORD": self.password} if self.password else {})}

    def where(self) -> str:
        host = self.params.get("host") or "localhost"
        port = f":{self.params['port']}" if self.params.get("port") else ""
        return f"database {self.name} on {host}{port}"


def django_database(alias: str = "default") -> Database:
    """The database Django's settings name (``DATABASE_URL``), as libpq parameters."""
    from django.db import connections

    settings = connections[alias].settings_dict
    params = {"dbname": settings["NAME"]}
    for key, value in {
        "user": settings.get("USER"),
        "host": settings.get("HOST"),
        "port": settings.get("PORT"),
        # The embedded server's socket folder comes as OPTIONS["host"] (qaf/dev.py).
        **settings.get("OPTIONS", {}),
    }.items():
        if key not in _NOT_LIBPQ and isinstance(value, str | int) and str(value) != "":
            params[key] = str(value)
    return Database(params, settings.get("PASSWORD") or "")


def server_major(database: Database) -> int:
    with database.connect() as conn:
        return conn.info.server_version // 10000


def _tool_major(path: str) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 - a PostgreSQL program we found
            [path, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"\) (\d+)", out)
    return int(found.group(1)) if found else None


def pg_tool(name: str, major: int) -> str:
    """The path of ``pg_dump``/``pg_restore`` for a server of this major version."""
    from django.conf import settings

    folders: list[str] = [settings.QAF_PG_BIN] if settings.QAF_PG_BIN else []
    try:
        with warnings.catch_warnings():  # platformdirs on XDG_RUNTIME_DIR, as in qaf/dev.py
            warnings.simplefilter("ignore")
            from pgserver._commands import POSTGRES_BIN_PATH

        folders.append(str(POSTGRES_BIN_PATH))
    except ImportError:  # pragma: no cover - pgserver is a dependency
        pass
    folders.append(f"/usr/lib/postgresql/{major}/bin")
    candidates = [str(Path(folder) / name) for folder in folders]
    if on_path := shutil.which(name):
        candidates.append(on_path)
    found: dict[int, str] = {}
    for candidate in candidates:
        if os.access(candidate, os.X_OK) and (version := _tool_major(candidate)) is not None:
            found.setdefault(version, candidate)
    if major in found:
        return found[major]
    newer = sorted(version for version in found if version > major)
    if newer:
        return found[newer[0]]
    raise BackupError(
        f"no {name} for PostgreSQL {major} (found: {sorted(found) or 'none'}): install "
        f"postgresql-client-{major}, or set QAF_PG_BIN to the folder holding it"
    )


def _run(args: list[str], database: Database, what: str) -> None:
    result = subprocess.run(  # noqa: S603 - our own arguments
        args, env=database.env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()}")


def row_counts(database: Database) -> dict[str, int]:
    """The number of rows of every table outside PostgreSQL's own schemas."""
    with database.connect() as conn:
        return _row_counts(conn)


def _row_counts(conn: psycopg.Connection) -> dict[str, int]:
    tables = conn.execute(
        """
        SELECT n.nspname, c.relname FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema'
          AND n.nspname !~ '^pg_'
        ORDER BY 1, 2
        """
    ).fetchall()
    counts = {}
    for schema, table in tables:
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        counts[f"{schema}.{table}"] = conn.execute(query).fetchone()[0]
    return counts


def sequence_values(database: Database) -> dict[str, int | None]:
    """Every sequence's last value: a restore that loses them makes the next insert collide."""
    with database.connect() as conn:
        return _sequence_values(conn)


def _sequence_values(conn: psycopg.Connection) -> dict[str, int | None]:
    rows = conn.execute(
        "SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2"
    ).fetchall()
    return {f"{schema}.{name}": value for schema, name, value in rows}


# --- the files -----------------------------------------------------------------------------


def stored_files(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file's name in ``storage``, through its API (a local folder or a bucket alike)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a local MEDIA_ROOT nothing was ever stored in
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from stored_files(storage, f"{folder}/{sub}" if folder else sub)


class _Hashing:
    """A file read through, its sha256 taken on the way (for tarfile, which reads it)."""

    def __init__(self, handle: IO[bytes]):
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def file_sha256(storage: Storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- backup, wipe, restore, verify ---------------------------------------------------------


@dataclass
class Snapshot:
    """A backup's folder and its manifest (what the database and storage held)."""

    directory: Path
    database: str
    row_counts: dict[str, int]
    sequences: dict[str, int | None]
    checksums: dict[str, str]
    taken_at: str = ""
    postgres_major: int = 0

    def save(self) -> None:
        data = {k: v for k, v in asdict(self).items() if k != "directory"}
        (self.directory / MANIFEST).write_text(json.dumps(data, indent=1, sort_keys=True))

    @classmethod
    def load(cls, directory: Path) -> Snapshot:
        """The backup in ``directory``; a BackupError, before anything is wiped, when a part
        of it is missing or its manifest cannot be read."""
        directory = Path(directory)
        for part in (MANIFEST, DUMP, MEDIA):
            if not (directory / part).is_file():
                raise BackupError(f"{directory} holds no whole backup ({part} is missing)")
        try:
            return cls(directory=directory, **json.loads((directory / MANIFEST).read_text()))
        except (ValueError, TypeError) as exc:
            raise BackupError(f"{directory / MANIFEST} cannot be read: {exc}") from exc

    @property
    def rows(self) -> int:
        return sum(self.row_counts.values())


def backup(directory: Path, *, database: Database, storage: Storage) -> Snapshot:
    """Dump the database and archive every stored file into ``directory``: a new or empty
    folder (made if need be), never over another backup."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} is not an empty folder: give a new one for each backup")
    directory.mkdir(parents=True, exist_ok=True)
    major = server_major(database)
    # The counts and the dump see one snapshot of the database (pg_dump --snapshot), so a
    # backup of a service in use still restores to exactly the counts its manifest lists.
    with database.connect() as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            exported = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            counts = _row_counts(conn)
            # Sequences are outside snapshots: pg_dump reads them later, so at least these.
            sequences = _sequence_values(conn)
            _run(
                [
                    pg_tool("pg_dump", major),
                    "--format=custom",
                    "--no-password",
                    f"--snapshot={exported}",
                    f"--file={directory / DUMP}",
                    f"--dbname={database.conninfo()}",
                ],
                database,
                "pg_dump",
            )
    # The files after the dump: one uploaded meanwhile is archived without its row (harmless),
    # never a row without its file, unless the file was deleted meanwhile too.
    checksums: dict[str, str] = {}
    with tarfile.open(directory / MEDIA, "w:gz", compresslevel=6) as archive:
        for name in stored_files(storage):
            try:
                handle = storage.open(name, "rb")
            except FileNotFoundError:
                continue  # deleted since it was listed
            with handle:
                info = tarfile.TarInfo(name)
                info.size = storage.size(name)
                info.mtime = int(time.time())
                reader = _Hashing(handle)
                archive.addfile(info, reader)
            checksums[name] = reader.digest.hexdigest()
    snapshot = Snapshot(
        directory=directory,
        database=database.name,
        row_counts=counts,
        sequences=sequences,
        checksums=checksums,
        taken_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        postgres_major=major,
    )
    snapshot.save()
    return snapshot


def wipe(*, database: Database, storage: Storage) -> int:
    """Empty the database and the storage, as a lost server and bucket would be replaced:
    drop every schema (``public`` included, with every table, sequence, function and
    extension in them) and large object, create ``public`` again, and delete every stored
    file. Returns how many files were deleted.

    Schemas rather than the database: no CREATEDB right is needed (a managed PostgreSQL's
    application role owns its schema, not always its database) and no checkpoint is forced,
    which on a busy server takes seconds to minutes. Waits at most 30 s for other sessions'
    locks: stop web, worker and beat first."""
    with database.connect(autocommit=True) as conn:
        conn.execute("SET lock_timeout = '30s'")
        schemas = [
            row[0]
            for row in conn.execute(
                "SELECT nspname FROM pg_namespace "
                "WHERE nspname <> 'information_schema' AND nspname !~ '^pg_' ORDER BY 1"
            )
        ]
        try:
            with conn.transaction():
                for schema in schemas:
                    conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
                conn.execute("SELECT lo_unlink(oid) FROM pg_largeobject_metadata")
                # As initdb makes it (PostgreSQL 15+: owned by the database's owner).
                new = conn.info.server_version >= 150000
                owner = "pg_database_owner" if new else "CURRENT_USER"
                conn.execute(f"CREATE SCHEMA public AUTHORIZATION {owner}")
                conn.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
        except psycopg.errors.LockNotAvailable as exc:
            raise BackupError(
                f"{database.where()} is in use (a lock was held for 30 s): stop web, worker "
                "and beat first"
            ) from exc
    deleted = 0
    for stored in list(stored_files(storage)):
        storage.delete(stored)
        deleted += 1
    return deleted


def check_restorable(snapshot: Snapshot, *, database: Database) -> None:
    """Refuse, before anything is wiped, a backup this machine cannot restore: no pg_restore
    for the server's PostgreSQL, or a dump pg_restore cannot read (cut short, say)."""
    tool = pg_tool("pg_restore", server_major(database))
    _run([tool, "--list", str(snapshot.directory / DUMP)], database, "pg_restore --list")


def restore(snapshot: Snapshot, *, database: Database, storage: Storage) -> int:
    """Load a backup into an empty database and storage (``wipe`` them first); returns how
    many files were put back. A file whose name is taken is an error, never a second copy."""
    major = server_major(database)
    _run(
        [
            pg_tool("pg_restore", major),
            "--exit-on-error",
            "--no-owner",
            "--no-password",
            f"--dbname={database.conninfo()}",
            str(snapshot.directory / DUMP),
        ],
        database,
        "pg_restore",
    )
    restored = 0
    with tarfile.open(snapshot.directory / MEDIA, "r:gz") as archive:
        for member in archive:
            if not member.isfile():
                continue
            handle = archive.extractfile(member)
            saved = storage.save(member.name, File(handle, name=member.name))
            if saved != member.name:
                storage.delete(saved)
                raise BackupError(
                    f"{member.name} is already in the storage: restore into an empty one"
                )
            restored += 1
    return restored


@dataclass
class Check:
    """What ``verify`` found: the mismatches (none when all came back) and what it compared."""

    tables: int = 0
    rows: int = 0
    sequences: int = 0
    files: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def verify(snapshot: Snapshot, *, database: Database, storage: Storage) -> Check:
    """Compare the database's row counts and sequences and every stored file's sha256 with the
    backup's manifest."""
    check = Check()
    counts = row_counts(database)
    for table in sorted(set(snapshot.row_counts) | set(counts)):
        before, after = snapshot.row_counts.get(table), counts.get(table)
        if before != after:
            check.mismatches.append(f"table {table}: {_n(before)} rows backed up, {_n(after)} now")
    check.tables, check.rows = len(counts), sum(counts.values())
    sequences = sequence_values(database)
    for name in sorted(set(snapshot.sequences) | set(sequences)):
        before, after = snapshot.sequences.get(name, "missing"), sequences.get(name, "missing")
        if not _sequence_kept(before, after):
            check.mismatches.append(f"sequence {name}: {before} backed up, {after} now")
    check.sequences = len(sequences)
    now = set(stored_files(storage))
    for name in sorted(set(snapshot.checksums) | now):
        if name not in now:
            check.mismatches.append(f"file {name}: missing")
        elif name not in snapshot.checksums:
            check.mismatches.append(f"file {name}: not in the backup")
        elif file_sha256(storage, name) != snapshot.checksums[name]:
            check.mismatches.append(f"file {name}: sha256 differs from the backup's")
    check.files = len(now)
    return check


def _sequence_kept(before: int | str | None, after: int | str | None) -> bool:
    """pg_dump reads a sequence after the manifest did (sequences are outside snapshots), so
    the restored value is the manifest's, or ahead of it on a busy server; never behind."""
    if before == after:
        return True
    if "missing" in (before, after) or after is None:
        return False
    return before is None or after > before


def _n(value: int | None) -> str:
    return "no table" if value is None else f"{value:,}"


# --- the drill -----------------------------------------------------------------------------


def drill(
    directory: Path,
    *,
    database: Database,
    storage: Storage,
    say: Callable[[str], None] = print,
) -> Check:
    """Back up, wipe, restore and verify the database and storage in use (destroying what was
    there, but for the backup in ``directory``, which is kept). A probe file of known content
    is stored first, so a file's checksum is always checked, and deleted at the end."""
    directory = Path(directory)
    say(f"Restore drill: {database.where()}, files in {_describe(storage)}")
    probe = storage.save(
        f"{PROBE_FOLDER}/probe-{uuid.uuid4().hex}.txt",
        ContentFile(f"QAF restore drill {time.ctime()}\n".encode()),
    )
    try:
        started = time.monotonic()
        snapshot = backup(directory, database=database, storage=storage)
        size = sum(path.stat().st_size for path in directory.iterdir())
        say(
            f"  backup:  {len(snapshot.row_counts)} tables, {snapshot.rows:,} rows, "
            f"{len(snapshot.sequences)} sequences, {len(snapshot.checksums)} files "
            f"(pg_dump of PostgreSQL {snapshot.postgres_major}) -> {directory} "
            f"({size / 1e6:.1f} MB) in {time.monotonic() - started:.1f} s"
        )
        check_restorable(snapshot, database=database)
        started = time.monotonic()
        deleted = wipe(database=database, storage=storage)
        left = row_counts(database)
        remaining = list(stored_files(storage))
        say(
            f"  wipe:    schemas dropped, public created empty ({len(left)} tables), "
            f"{deleted} files deleted ({len(remaining)} left) in {time.monotonic() - started:.1f} s"
        )
        if left or remaining:
            raise BackupError("the wipe left tables or files behind: the drill proves nothing")
        started = time.monotonic()
        restored = restore(snapshot, database=database, storage=storage)
        say(f"  restore: pg_restore and {restored} files in {time.monotonic() - started:.1f} s")
        check = verify(snapshot, database=database, storage=storage)
        say(
            f"  check:   {check.tables} tables ({check.rows:,} rows), {check.sequences} sequences "
            f"and the sha256 of {check.files} files against the backup's"
        )
        for mismatch in check.mismatches[:50]:
            say(f"    MISMATCH {mismatch}")
        if len(check.mismatches) > 50:
            say(f"    ... and {len(check.mismatches) - 50} more")
        say(
            "PASSED: everything backed up came back"
            if check.ok
            else f"FAILED: {len(check.mismatches)} mismatches (the backup is kept in {directory})"
        )
    finally:
        storage.delete(probe)  # the restore put it back; a failed drill leaves none
    return check


def _describe(storage: Storage) -> str:
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        return f"bucket {bucket}"
    location = getattr(storage, "location", None)
    kind = storage.__class__.__name__  # the class behind default_storage's lazy wrapper
    return f"{kind} {location}" if location else kind
