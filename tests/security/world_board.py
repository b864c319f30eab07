"""The permission matrix's board objects (council-wide, staff only): the members, a meeting
planned for today with an item on its agenda (its papers, attendance and cancelling start
there), and one held yesterday, quorate, with an item to decide about, its minutes and its pack
produced. Returned as ids, by name. A service stands for an escalation case
(tests/escalation/board_support.py): the matrix's cases run inside ``services_as_subjects``."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from escalation import board, board_pack
from escalation import board_services as services
from qaf.models import Document
from tests.escalation.board_support import QUORATE, at, held_meeting, seat_members
from tests.providers.test_evidence import pdf


def board_objects(*, bea, maya, subjects) -> dict:
    members = seat_members(bea=bea, maya=maya)
    today = timezone.localdate()
    held = held_meeting(
        members, QUORATE, by=maya, day=today - timedelta(days=1), subjects=subjects[:1]
    )
    pack = board_pack.packs_of(held).get()
    pack.file.save("board-pack.pdf", ContentFile(pdf()), save=False)
    Document.objects.filter(pk=pack.pk).update(file=pack.file.name, status=Document.Status.READY)
    planned = services.arrange(actor=maya, starts_at=at(today, 9), place="Room 1")
    item = board.add_to_agenda(planned, subjects[1], actor=maya)
    return {
        "board_held": held.pk,
        "board_item": held.agenda.get().pk,
        "board_pack_document": pack.pk,
        "board_planned": planned.pk,
        "board_planned_item": item.pk,
        "board_member": members["bryony"].pk,
        "board_present": [members[name].pk for name in QUORATE],
    }
