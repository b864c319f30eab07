"""``manage.py restore_drill``: back up, wipe, restore and check the database and stored files
in use (qaf/backup.py ``drill``); exits 1 on any mismatch. ``make restore-drill`` runs it on
the embedded PostgreSQL of ``make run``. It destroys the data it backs up and puts it back:
run it on a copy or a test server, never on the live service while people use it."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from qaf import backup
from qaf.management.commands.restore import confirm


class Command(BaseCommand):
    help = "Back up, wipe, restore and check the database and stored files (a restore drill)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            type=Path,
            default=None,
            help="where to keep the drill's backup (default var/backups/drill-<time>)",
        )
        parser.add_argument("--yes", action="store_true", help="do not ask before wiping")

    def handle(self, *args, dir: Path | None, yes: bool, **options):
        database = backup.django_database()
        directory = dir or settings.BASE_DIR / "var" / "backups" / (
            f"drill-{timezone.localtime():%Y%m%d-%H%M%S}"
        )
        confirm(self, database, yes, "restore drill wipes")
        connections.close_all()  # our own session would be ended by the wipe
        try:
            check = backup.drill(
                directory, database=database, storage=default_storage, say=self.stdout.write
            )
        except backup.BackupError as exc:
            raise CommandError(f"the restore drill stopped: {exc}") from exc
        if not check.ok:
            raise SystemExit(1)
