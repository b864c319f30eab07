"""``manage.py export_outcomes``: this council's final review outcomes as a shared-outcomes
JSON file (docs/shared-outcomes.md), for another council."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reviews import shared_outcomes as shared


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date in the form YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = (
        "Write the final review outcomes (completed in the period, of the services given) as a "
        "shared-outcomes JSON file: no personal data, no intelligence."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", help="Completed on or after YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", help="Completed on or before YYYY-MM-DD")
        parser.add_argument(
            "--service", dest="services", type=int, action="append", help="A service id (repeat)"
        )
        parser.add_argument("--output", "-o", help="The file to write (default: standard output)")

    def handle(self, *args, date_from=None, date_to=None, services=None, output=None, **options):
        start = _day(date_from) if date_from else None
        end = _day(date_to) if date_to else None
        if start and end and end < start:
            raise CommandError("--to is before --from")
        reviews = shared.outcomes_queryset(date_from=start, date_to=end, services=services)
        document = shared.export_document(reviews, date_from=start, date_to=end)
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as out:
                out.write(text)
            self.stderr.write(f"{len(document['outcomes'])} outcomes written to {output}")
        else:
            self.stdout.write(text, ending="")
