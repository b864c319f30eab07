"""The Quality Improvement Meetings' test story.

Sunrise House (Sunrise Care Ltd, where Pat works) is at the formal stage of an escalation case;
Olivia, a quality officer, arranges its QIM for 17 December 2026 at 10:30, chaired by Owen.
Oak Lodge (Quinn's) has a case and a QIM of its own, which Pat never sees.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time

import pypdf
from django.utils import timezone

from escalation import qim_services
from escalation.models import EscalationCase, Stage
from qaf.models import Document
from qaf.pdf import render_document

MEETING_DAY = date(2026, 12, 17)
BEFORE = date(2026, 12, 3)  # when the invitation goes


def at(day: date, hour: int = 10, minute: int = 30) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def open_case(service, *, by, stage=Stage.FORMAL) -> EscalationCase:
    return EscalationCase.objects.create(
        service=service,
        stage=stage,
        stage_entered_on=date(2026, 11, 20),
        opened_on=date(2026, 11, 1),
        opened_by=by,
        concerns="Medicines errors and missed calls",
    )


def arrange(case, *, by, chair, day: date = MEETING_DAY, **kwargs):
    return qim_services.arrange(case, actor=by, starts_at=at(day), chair=chair, **kwargs)


def pdf_text(document: Document) -> str:
    """The rendered PDF's text, words separated by single spaces."""
    render_document(document)
    document.refresh_from_db()
    assert document.status == Document.Status.READY, document.error
    reader = pypdf.PdfReader(io.BytesIO(document.file.read()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
