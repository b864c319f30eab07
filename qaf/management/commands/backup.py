"""``manage.py backup DIR``: pg_dump of the database and an archive of every stored file (local
or S3, through the storage API) into DIR, with a manifest of row counts and checksums
(qaf/backup.py; docs/deploy.md, "Backups")."""

from __future__ import annotations

from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from qaf import backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump) and the stored files into a folder."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="the folder to write the backup into")

    def handle(self, *args, directory: Path, **options):
        try:
            snapshot = backup.backup(
                directory, database=backup.django_database(), storage=default_storage
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backed up {snapshot.database}: {len(snapshot.row_counts)} tables "
            f"({snapshot.rows:,} rows) and {len(snapshot.checksums)} files into {directory}"
        )
