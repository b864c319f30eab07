"""The board pack (SPEC §7), read back from the PDF: the cover (meeting, date, place, members),
the agenda, each item's papers, the board's earlier decisions about it, and when the papers
were issued, with the warning when that was less than a week before. Confidential on every
page; what it says is fixed when it is issued."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf
import pytest
from django.utils import timezone
from django.utils.formats import date_format

from escalation import board, board_pack
from escalation import board_services as services
from qaf.models import Document
from qaf.pdf import render_document
from tests.escalation.board_support import (
    QUORATE,
    at,
    held_meeting,
    seat_members,
    services_as_subjects,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _services_stand_for_cases():
    with services_as_subjects():
        yield


def _words(text: str) -> str:
    return " ".join(text.split())


def _pages(document: Document) -> list[str]:
    render_document(document)
    document.refresh_from_db()
    assert document.status == Document.Status.READY, document.error
    with document.file.open("rb") as handle:
        return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(handle.read())).pages]


def _day(value) -> str:
    return date_format(value, "j F Y")


def test_the_pack_holds_the_cover_agenda_papers_and_earlier_decisions(
    board_bea, manager_maya, sunrise_house, oak_lodge_home
):
    members = seat_members(bea=board_bea, maya=manager_maya)
    today = timezone.localdate()
    earlier = held_meeting(
        members, QUORATE, by=manager_maya, day=today - timedelta(days=90), subjects=[sunrise_house]
    )
    services.decide(
        earlier,
        item=earlier.agenda.get(),
        outcome="rectification_notice",
        reason="Medicines errors continue after the QIM",
        actor=board_bea,
    )
    meeting_day = today + timedelta(days=5)
    meeting = services.arrange(
        actor=manager_maya, starts_at=at(meeting_day, 14), place="Committee Room 2, County Hall"
    )
    board.add_to_agenda(meeting, sunrise_house, actor=manager_maya)
    board.add_to_agenda(meeting, oak_lodge_home, actor=manager_maya)
    services.issue_papers(meeting, actor=manager_maya)  # five days before: late

    document = board_pack.packs_of(meeting).get()
    pages = _pages(document)
    text = _words("\n".join(pages))

    assert all("CONFIDENTIAL" in page for page in pages)
    # The cover.
    assert f"Board pack: Scheduled board meeting, {_day(meeting_day)}" in text
    assert f"When {_day(meeting_day)} at 14:00" in text
    assert "Where Committee Room 2, County Hall" in text
    assert f"Papers issued {_day(today)} by {manager_maya.get_full_name()}" in text
    assert (
        f"Warning: Papers issued late: on {_day(today)}, only 5 days before the meeting. "
        "The terms of reference ask for them at least 7 days before." in text
    )
    for line in (
        f"{board_bea.get_full_name()} Health safeguarding and commissioning representative "
        "Decision maker",
        "Ben Clarke Strategic commissioner Decision maker",
        "Bryony Shah Manager from the council's quality service Adviser",
    ):
        assert line in text
    # The agenda, then an item a page.
    agenda = text[text.index("Agenda") :]
    assert agenda.index("Sunrise House: escalation to the board") < agenda.index(
        "Oak Lodge: escalation to the board"
    )
    sunrise = text[text.index("Item 1: Sunrise House") : text.index("Item 2: Oak Lodge")]
    oak = text[text.index("Item 2: Oak Lodge") :]
    assert "Headline concerns Medicines errors at Sunrise House in three months running." in sunrise
    assert "Regulator history Requires improvement (2025), Inadequate (2026)." in sunrise
    assert f"{_day(earlier.starts_at)} Issue a rectification notice recorded by Bea " in sunrise
    assert "None: the board has not decided about it before." in oak
    assert "Medicines errors at Oak Lodge" in oak


def test_a_pack_in_time_says_so_and_an_issued_pack_never_changes(
    board_bea, manager_maya, sunrise_house
):
    seat_members(bea=board_bea, maya=manager_maya)
    meeting_day = timezone.localdate() + timedelta(days=30)
    meeting = services.arrange(actor=manager_maya, starts_at=at(meeting_day), place="Room 1")
    board.add_to_agenda(meeting, sunrise_house, actor=manager_maya)
    services.issue_papers(meeting, actor=manager_maya)
    first = board_pack.packs_of(meeting).get()

    # Afterwards the room changes and the papers are issued again: a second pack.
    meeting.refresh_from_db()
    type(meeting).objects.filter(pk=meeting.pk).update(place="Room 7")
    services.issue_papers(meeting, actor=manager_maya)

    text = _words("\n".join(_pages(first)))
    assert "Where Room 1" in text and "Room 7" not in text
    assert "Warning" not in text
    assert "30 days before the meeting" in text
    latest = board_pack.packs_of(meeting).first()
    assert latest != first and "Where Room 7" in _words("\n".join(_pages(latest)))
