"""A Quality Improvement Meeting and its actions as workflow tables (qaf.workflow; SPEC §6
"Escalation", formal stage; source 003 Appendix 1, Tables 1-3).

    planned --issue-invitation--> invited (the invitation letter of Table 1 and the agenda of
                                           Table 2 issued to the provider)
    invited --record-notes--> held (the notes of Table 3: attendees by organisation, apologies,
                                    key points per agenda item, actions; the notes PDF issued)
    held --record-notes--> held (a correction: the notes issued again)
    held --decide-position--> decided (Table 1 points 1 and 2: suspend, restrict or no further
                                       action; sharing the concerns with the people supported)
    decided --record-suspension--> decided (the suspension proposed for "suspend"/"restrict")
    planned/invited --cancel--> cancelled (with the reason)

    QimAction: open --complete--> done (who and when)

Recording the notes names the version of the meeting the notes form was opened at: when two
people record notes at once, the second is refused (409) with the reason, and saves nothing.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from escalation import qim_documents
from escalation.models import (
    ActionStatus,
    Position,
    QimAction,
    QimAgendaNote,
    QimStatus,
    QualityImprovementMeeting,
)
from escalation.models.qim import AGENDA_TITLES, NEEDS_SUSPENSION
from qaf.concurrency import parse_version
from qaf.workflow import Step, Transition, Workflow

S = QimStatus
CASEWORK_ONLY = (
    "Only quality officers and managers arrange and record Quality Improvement Meetings."
)
STALE = (
    "Someone else recorded the notes of this meeting after you opened them. Your notes have not "
    "been saved: open the notes again to read theirs, then make your change."
)


def _on(qim: QualityImprovementMeeting) -> str:
    return date_format(timezone.localdate(qim.starts_at), "j F Y")


# --- Guards and checks ---------------------------------------------------------------------------


def _not_past(step: Step):
    if timezone.localdate(step.obj.starts_at) < step.today:
        return (
            f"The meeting was due on {_on(step.obj)}, which has passed: change its date, or "
            "cancel it and arrange another."
        )
    return None


def _the_day_has_come(step: Step):
    if timezone.localdate(step.obj.starts_at) > step.today:
        return f"The meeting is on {_on(step.obj)}: record its notes on the day or after it."
    return None


def _same_version(step: Step):
    """The notes form's version against the locked row (the race of two note-takers)."""
    given = parse_version(step.params.get("version"))
    if given is not None and given != step.obj.version:
        return STALE
    return None


def _attendees_given(step: Step):
    if not (step.text("attendees_council") or step.text("attendees_provider")):
        return "Record who attended: the council's and the provider's attendees."
    return None


def _actions_complete(step: Step):
    for action in step.params.get("actions") or ():
        if action.get("item") not in AGENDA_TITLES:
            return "Each action belongs to an item of the agenda: choose the item."
        if not str(action.get("text") or "").strip():
            return "Say what each action is."
        if action.get("action_by") not in {"council", "provider", "other"}:
            return "Say whose each action is: the council's, the provider's or another's."
        if not action.get("due_on"):
            return "Give each action its date due."
        owner = action.get("owner")
        if owner is not None and owner.provider_id not in (None, step.obj.case.service.provider_id):
            return "An action is owned by council staff or by the provider's own users."
    return None


def _position_chosen(step: Step):
    if step.params.get("position") not in Position.values:
        return "Choose the commissioning position: suspension, restrictions or no further action."
    if step.params.get("share_with_people") not in (True, False):
        return (
            "Say whether the concerns are shared with the people using the service and their "
            "families."
        )
    if not step.text("reason"):
        return "Give the reason for the commissioning position."
    return None


def _reason_given(step: Step):
    return None if step.text("reason") else "Say why the meeting is cancelled."


def _needs_a_suspension(step: Step):
    if step.obj.position not in NEEDS_SUSPENSION:
        return "The position decided needs no suspension."
    if step.obj.suspension_id:
        return "The suspension that follows this meeting is recorded already."
    return None


def _suspension_of_the_service(step: Step):
    suspension = step.params.get("suspension")
    if suspension is None or suspension.service_id != step.obj.case.service_id:
        return "The suspension recorded is one of the service the meeting is about."
    return None


# --- Changes and effects -------------------------------------------------------------------------


def _invitation_issued(step: Step) -> dict:
    return {"invitation_issued_on": step.today, "invitation_issued_by": step.actor}


def _issue_invitation(step: Step) -> None:
    """Table 1: date, time, address, who must attend, the chair, the position to be decided and
    the warning of a referral to the board; and Table 2, the agenda, with it."""
    from escalation import letters as kinds
    from qaf import letters

    qim, service = step.obj, step.obj.case.service
    local = timezone.localtime(qim.starts_at)
    letters.issue_letter(
        kinds.QIM_INVITATION,
        qim,
        actor=step.actor,
        today=step.today,
        context={
            "provider": service.provider.name,
            "service": service.name,
            "date": step.today,
            "meeting_date": local.date(),
            "meeting_time": f"{local:%H:%M}",
            "address": qim.venue,
            "chair": qim.chair.get_full_name() or qim.chair.username,
            "required_attendees": qim.required_attendees,
            "other_attendees": qim.other_attendees,
            "follow_up": "follow-up " if qim.follow_up else "",
        },
    )
    qim_documents.issue_agenda(qim, actor=step.actor)


NOTE_FIELDS = ("attendees_council", "attendees_provider", "attendees_other", "apologies")


def _notes(step: Step) -> dict:
    return {
        **{name: step.text(name) for name in NOTE_FIELDS},
        "notes_recorded_on": step.today,
        "notes_recorded_by": step.actor,
    }


def _store_notes(step: Step) -> None:
    """The key points per agenda item, the new actions, then the notes PDF."""
    qim = step.obj
    points = step.params.get("points") or {}
    existing = {n.item: n for n in qim.agenda_notes.all()}
    for item, text in points.items():
        text = str(text or "").strip()
        note = existing.get(item)
        if note is None and not text:
            continue
        if note is None:
            note = QimAgendaNote(qim=qim, item=item)
        elif note.key_points == text:
            continue
        note.key_points = text
        note._history_user = step.actor
        note.save()
    made = []
    for row in step.params.get("actions") or ():
        action = QimAction(
            qim=qim,
            item=row["item"],
            text=str(row["text"]).strip(),
            action_by=row["action_by"],
            owner_name=str(row.get("owner_name") or "").strip(),
            owner=row.get("owner"),
            due_on=row["due_on"],
            created_by=step.actor,
        )
        action._history_user = step.actor
        action.full_clean()
        action.save()
        made.append(action)
    step.result = made
    qim_documents.issue_notes(qim, actor=step.actor)


def _position(step: Step) -> dict:
    return {
        "position": step.params["position"],
        "share_with_people": step.params["share_with_people"],
        "position_reason": step.text("reason"),
        "position_decided_on": step.today,
        "position_decided_by": step.actor,
    }


def _state_reason(qim: QualityImprovementMeeting) -> str:
    return f"This meeting's status is “{qim.get_status_display()}”: that is not possible now."


def _notes_url(qim: QualityImprovementMeeting) -> str:
    return reverse("escalation:qim_notes", args=[qim.pk])


QIM = Workflow(
    QualityImprovementMeeting,
    name="quality improvement meeting",
    url_name="escalation:qim_step",
    forbidden=CASEWORK_ONLY,
    not_now=lambda qim, t: _state_reason(qim),
    tags={
        S.PLANNED: "blue",
        S.INVITED: "light-blue",
        S.HELD: "yellow",
        S.DECIDED: "green",
        S.CANCELLED: "grey",
    },
    transitions=[
        Transition(
            "issue-invitation",
            source={S.PLANNED},
            target=S.INVITED,
            guards=(_not_past,),
            changes=_invitation_issued,
            effects=(_issue_invitation,),
            title="Issue the invitation",
            button="Issue the invitation and the agenda",
            style="primary",
            explain=True,
        ),
        # The notes have a page of their own (the agenda's blocks and the actions' rows).
        Transition(
            "record-notes",
            source={S.INVITED, S.HELD},
            target=S.HELD,
            guards=(_the_day_has_come,),
            checks=(_same_version, _attendees_given, _actions_complete),
            changes=_notes,
            effects=(_store_notes,),
            label=lambda q: "Correct the notes" if q.status == S.HELD else "Record the notes",
            url=_notes_url,
            style="primary",
            explain=True,
        ),
        Transition(
            "decide-position",
            source={S.HELD},
            target=S.DECIDED,
            checks=(_position_chosen,),
            changes=_position,
            title="Decide the commissioning position",
            button="Record the position",
            style="primary",
        ),
        # Taken when the suspension the position calls for is proposed (escalation.views).
        Transition(
            "record-suspension",
            source={S.DECIDED},
            guards=(_needs_a_suspension,),
            checks=(_suspension_of_the_service,),
            changes=lambda step: {"suspension": step.params["suspension"]},
        ),
        Transition(
            "cancel",
            source={S.PLANNED, S.INVITED},
            target=S.CANCELLED,
            checks=(_reason_given,),
            changes=lambda step: {"cancel_reason": step.text("reason")},
            title="Cancel the meeting",
            button="Cancel the meeting",
            style="warning",
        ),
    ],
)


ACTION = Workflow(
    QimAction,
    name="QIM action",
    policy_model="escalation.qualityimprovementmeeting",
    parent="qim",
    forbidden="Only quality officers and managers mark a meeting's actions done.",
    not_now=lambda action, t: "This action is marked done already.",
    tags={ActionStatus.OPEN: "blue", ActionStatus.DONE: "green"},
    transitions=[
        Transition(
            "complete",
            source={ActionStatus.OPEN},
            target=ActionStatus.DONE,
            changes=lambda step: {
                "done_on": step.params.get("done_on") or step.today,
                "done_by": step.actor,
            },
        ),
    ],
)
