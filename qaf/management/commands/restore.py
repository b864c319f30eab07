"""``manage.py restore DIR --yes``: replace the database and every stored file with a backup
that ``manage.py backup`` made, then check them against its manifest (qaf/backup.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from qaf import backup


def confirm(command: BaseCommand, database: backup.Database, yes: bool, what: str) -> None:
    """Go on only with --yes, or when the person at the terminal types the database's name."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise CommandError(f"this {what} {database.where()} and every stored file: add --yes")
    command.stdout.write(f"This {what} {database.where()} and every stored file.")
    if input("Type the database's name to go on: ").strip() != database.name:
        raise CommandError("not confirmed: nothing was changed")


class Command(BaseCommand):
    help = "Replace the database and the stored files with a backup (wipes them first)."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="a folder manage.py backup wrote")
        parser.add_argument("--yes", action="store_true", help="do not ask before wiping")

    def handle(self, *args, directory: Path, yes: bool, **options):
        database = backup.django_database()
        try:
            snapshot = backup.Snapshot.load(directory)
            backup.check_restorable(snapshot, database=database)
            confirm(self, database, yes, "replaces")
            connections.close_all()
            backup.wipe(database=database, storage=default_storage)
            backup.restore(snapshot, database=database, storage=default_storage)
            check = backup.verify(snapshot, database=database, storage=default_storage)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        for mismatch in check.mismatches:
            self.stderr.write(f"MISMATCH {mismatch}")
        if not check.ok:
            raise CommandError(f"restored, but {len(check.mismatches)} mismatches with the backup")
        self.stdout.write(
            f"Restored {check.tables} tables ({check.rows:,} rows) and {check.files} files "
            f"from {directory}, as the backup's manifest lists them"
        )
