"""A QIM's documents (SPEC §7 "QIM invitation, QIM agenda and notes"; source 003 Tables 1-3).

- the **invitation letter** (Table 1): a registered letter (``escalation.letters.QIM_INVITATION``)
  issued with ``qaf.letters.issue_letter``;
- the **agenda** (Table 2) and the **notes and actions** (Table 3): documents through
  ``qaf.pdf.issue_document``, visible to the provider.

What each says is copied into the document when it is issued (``compose_*``), so the PDF the
worker renders later is the document as it was issued, whatever changes afterwards.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.formats import date_format

from escalation.models import AGENDA, QualityImprovementMeeting
from qaf.models import Document
from qaf.pdf import issue_document, provider_emails

AGENDA_KIND = "qim_agenda"
NOTES_KIND = "qim_notes"
AGENDA_TEMPLATE = "escalation/qim/agenda_pdf.html"
NOTES_TEMPLATE = "escalation/qim/notes_pdf.html"


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def when(qim: QualityImprovementMeeting) -> str:
    """ "17 December 2026 at 10:30"."""
    local = timezone.localtime(qim.starts_at)
    return f"{date_format(local, 'j F Y')} at {local:%H:%M}"


def _heading(qim: QualityImprovementMeeting) -> dict:
    service = qim.case.service
    return {
        "kind": "Quality Improvement Meeting – Follow-Up"
        if qim.follow_up
        else "Quality Improvement Meeting",
        "provider": service.provider.name,
        "service": service.name,
        "venue": qim.venue,
        "date": date_format(timezone.localtime(qim.starts_at), "j F Y"),
        "time": f"{timezone.localtime(qim.starts_at):%H:%M}",
        "chair": _name(qim.chair),
    }


def compose_agenda(qim: QualityImprovementMeeting) -> dict:
    """Table 2: the provider, the venue, date and time, and the agenda in its order."""
    return {
        **_heading(qim),
        "title": f"{'Follow-up QIM' if qim.follow_up else 'QIM'} agenda",
        "items": [{"number": e.number, "title": e.title} for e in AGENDA],
    }


def compose_notes(qim: QualityImprovementMeeting) -> dict:
    """Table 3: date, provider, venue, attendees by organisation, apologies, and per agenda item
    the key discussion points with its actions (action by, date)."""
    points = {n.item: n.key_points for n in qim.agenda_notes.all()}
    actions: dict[int, list[dict]] = {}
    for action in qim.actions.select_related("owner").order_by("item", "due_on", "pk"):
        actions.setdefault(action.item, []).append(
            {
                "text": action.text,
                "by": action.who,
                "organisation": action.get_action_by_display(),
                "due": date_format(action.due_on, "j F Y"),
            }
        )
    return {
        **_heading(qim),
        "title": f"{'Follow-up QIM' if qim.follow_up else 'QIM'} notes and actions",
        "attendees": [
            ["Council", qim.attendees_council],
            ["Provider", qim.attendees_provider],
            ["Other stakeholders", qim.attendees_other],
        ],
        "apologies": qim.apologies,
        "items": [
            {
                "number": e.number,
                "title": e.title,
                "points": points.get(e.number, ""),
                "actions": actions.get(e.number, []),
            }
            for e in AGENDA
        ],
    }


def _issue(qim: QualityImprovementMeeting, *, kind: str, template: str, body: dict, actor):
    service = qim.case.service
    return issue_document(
        qim,
        kind=kind,
        title=f"{body['title']} – {service.name}",
        template=template,
        actor=actor,
        service=service,
        provider=service.provider,
        recipients=provider_emails(service.provider_id),
        context={"qim": body},
        visible_to_provider=True,
    )


def issue_agenda(qim: QualityImprovementMeeting, *, actor) -> Document:
    return _issue(
        qim, kind=AGENDA_KIND, template=AGENDA_TEMPLATE, body=compose_agenda(qim), actor=actor
    )


def issue_notes(qim: QualityImprovementMeeting, *, actor) -> Document:
    return _issue(
        qim, kind=NOTES_KIND, template=NOTES_TEMPLATE, body=compose_notes(qim), actor=actor
    )


def documents_of(qim: QualityImprovementMeeting, user):
    """The QIM's documents this user may see (provider users: only once produced), newest
    first: the invitation letter, the agenda, the notes."""
    return (
        Document.objects.visible_to(user)
        .filter(source_type=ContentType.objects.get_for_model(QualityImprovementMeeting))
        .filter(source_id=qim.pk)
        .select_related("issued_by")
    )
