"""Quality Improvement Meetings (issue 11; source 003 Appendix 1, Tables 1-3): arranging one at
the formal stage, the invitation letter and the agenda read back from their PDFs, the notes and
actions read back from theirs, the commissioning position and the suspension it leads to,
cancelling, and actions marked done or overdue. The story: tests/escalation/qim_support.py."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from escalation import qim_services as services
from escalation.models import (
    ActionStatus,
    QimAction,
    QimStatus,
    QualityImprovementMeeting,
    Stage,
)
from escalation.qim_documents import AGENDA_KIND, NOTES_KIND, documents_of
from qaf.models import Document
from qaf.workflow import Forbidden, NotNow
from tests.escalation.qim_support import (
    BEFORE,
    MEETING_DAY,
    arrange,
    at,
    open_case,
    pdf_text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def house(sunrise_house):
    sunrise_house.address = "12 Mill Lane\nAvonmere"
    sunrise_house.postcode = "AV1 2BC"
    sunrise_house.save()
    return sunrise_house


@pytest.fixture
def owen(officer_owen):
    officer_owen.last_name = "Hughes"
    officer_owen.save()
    return officer_owen


@pytest.fixture
def case(house, officer_olivia):
    return open_case(house, by=officer_olivia)


@pytest.fixture
def qim(case, officer_olivia, owen):
    return arrange(
        case, by=officer_olivia, chair=owen, other_attendees="a district nurse and the ICB"
    )


@pytest.fixture
def invited(qim, officer_olivia):
    services.issue_invitation(qim, actor=officer_olivia, today=BEFORE)
    return qim


ACTIONS = [
    {
        "item": 6,
        "text": "Send the updated action plan",
        "action_by": "provider",
        "owner_name": "Registered Manager",
        "due_on": date(2027, 1, 15),
    },
    {
        "item": 8,
        "text": "Add the service to the Managed Placements Memo",
        "action_by": "council",
        "owner_name": "",
        "due_on": date(2026, 12, 31),
    },
]


def _notes(qim, actor, *, actions=ACTIONS, version=None, today=MEETING_DAY):
    return services.record_notes(
        qim,
        actor=actor,
        version=version,
        attendees_council="Owen Hughes (chair), Olivia",
        attendees_provider="Sam Reed, Registered Manager",
        attendees_other="Dana Cole, district nurse",
        apologies="The Nominated Individual",
        points={2: "Medicines errors in three months running.", 6: "The plan is out of date."},
        actions=[dict(a) for a in actions],
        today=today,
    )


@pytest.fixture
def held(invited, officer_olivia):
    _notes(invited, officer_olivia)
    invited.refresh_from_db()
    return invited


# --- Arranging --------------------------------------------------------------------------------


def test_a_qim_is_held_at_the_service_by_default(qim, house):
    assert qim.status == QimStatus.PLANNED
    assert qim.venue == "Sunrise House, 12 Mill Lane, Avonmere, AV1 2BC"
    assert "Registered Manager" in qim.required_attendees


def test_no_qim_at_the_informal_stage(house, officer_olivia, owen):
    case = open_case(house, by=officer_olivia, stage=Stage.INFORMAL)
    with pytest.raises(NotNow, match="formal stage"):
        arrange(case, by=officer_olivia, chair=owen)
    assert not QualityImprovementMeeting.objects.exists()


def test_the_chair_is_of_the_quality_team(case, officer_olivia, provider_pat, board_bea):
    for chair in (provider_pat, board_bea):
        with pytest.raises(NotNow, match="quality assurance team"):
            arrange(case, by=officer_olivia, chair=chair)


def test_a_partner_or_the_board_does_not_arrange(case, partner_pia, board_bea, owen):
    for user in (partner_pia, board_bea):
        with pytest.raises(Forbidden):
            arrange(case, by=user, chair=owen)


# --- The invitation and the agenda ----------------------------------------------------------


def test_the_invitation_letter_says_what_table_1_says(invited, house):
    assert invited.status == QimStatus.INVITED
    assert invited.invitation_issued_on == BEFORE
    letter = Document.objects.get(kind="qim_invitation")
    assert letter.visible_to_provider and letter.service_id == house.pk
    text = pdf_text(letter)
    for said in (
        "Quality Improvement Meeting: Sunrise Care Ltd (Sunrise House)",
        "On 17 December 2026",
        "At 10:30",
        "At Sunrise House, 12 Mill Lane, Avonmere, AV1 2BC",
        "which Owen Hughes will Chair",
        "the Company owner/Chief Officer and the Nominated Individual will be informed",
        "in addition to the Registered Manager",
        "The Meeting will also include a district nurse and the ICB.",
        "1. Suspension of new placements, placing with restrictions or no further action",
        "2. Sharing concerns with users of service and their families",
        "a referral will be made to the Board to consider whether to apply a Rectification "
        "Notice or Final Warning Notice",
    ):
        assert said in text, said


def test_the_agenda_goes_with_the_invitation_in_the_seeds_order(invited):
    agenda = Document.objects.get(kind=AGENDA_KIND)
    text = pdf_text(agenda)
    assert "Sunrise Care Ltd" in text and "17 December 2026" in text and "10:30" in text
    titles = [
        "1. Welcome and Introductions",
        "2. Reasons for the Meeting",
        "3. Recent CQC Inspection Report/Quality Feedback Information",
        "4. Recent Safeguarding Investigations",
        "5. CQC Action Plan/Improvement plan with ASC",
        "6. Provider Support/ Training Needs",
        "7. Commissioning Position/Managed Placement Memo",
        "8. Communications – Service Users/Families etc",
        "9. Rectification Notice/ SCCG Contract Performance Notice",
        "10. Any other Business",
        "11. Next Meeting – Follow Up QIM/Contract Visit",
    ]
    positions = [text.index(t) for t in titles]
    assert positions == sorted(positions)


def test_no_invitation_for_a_meeting_whose_day_has_passed(qim, officer_olivia):
    with pytest.raises(NotNow, match="has passed"):
        services.issue_invitation(qim, actor=officer_olivia, today=MEETING_DAY + timedelta(1))
    assert not Document.objects.exists()


def test_the_invitation_goes_once(invited, officer_olivia):
    with pytest.raises(NotNow):
        services.issue_invitation(invited, actor=officer_olivia, today=BEFORE)
    assert Document.objects.filter(kind="qim_invitation").count() == 1


# --- The notes --------------------------------------------------------------------------------


def test_notes_wait_for_the_day(invited, officer_olivia):
    with pytest.raises(NotNow, match="on the day or after"):
        _notes(invited, officer_olivia, today=MEETING_DAY - timedelta(days=1))
    assert not QimAction.objects.exists()


def test_the_notes_say_what_table_3_says(held):
    assert held.status == QimStatus.HELD
    notes = Document.objects.get(kind=NOTES_KIND)
    assert notes.visible_to_provider
    text = pdf_text(notes)
    for said in (
        "17 December 2026",
        "Sunrise Care Ltd",
        "12 Mill Lane",
        "Council Owen Hughes (chair), Olivia",
        "Provider Sam Reed, Registered Manager",
        "Other stakeholders Dana Cole, district nurse",
        "Apologies The Nominated Individual",
        "Medicines errors in three months running.",
        "Send the updated action plan Registered Manager (Provider) 15 January 2027",
        "Add the service to the Managed Placements Memo Council (Council) 31 December 2026",
    ):
        assert said in text, said
    assert text.index("Send the updated action plan") < text.index("Managed Placements Memo")


def test_an_action_needs_its_item_owner_and_date(invited, officer_olivia):
    bad = {**ACTIONS[0], "due_on": None}
    with pytest.raises(NotNow, match="date due"):
        _notes(invited, officer_olivia, actions=[bad])
    invited.refresh_from_db()
    assert invited.status == QimStatus.INVITED and not QimAction.objects.exists()


def test_a_stale_notes_form_is_refused(invited, officer_olivia, owen):
    """Olivia and Owen open the notes at the same version; Owen saves first; Olivia's save is
    refused with the reason and saves nothing."""
    opened_at = invited.version
    _notes(invited, owen, actions=ACTIONS[:1], version=opened_at)
    with pytest.raises(NotNow, match="Someone else recorded the notes"):
        _notes(invited, officer_olivia, actions=ACTIONS[1:], version=opened_at)
    assert list(QimAction.objects.values_list("text", flat=True)) == [ACTIONS[0]["text"]]
    assert Document.objects.filter(kind=NOTES_KIND).count() == 1


# --- Overdue actions and the next deadline --------------------------------------------------


def test_overdue_boundary(held, case):
    memo = QimAction.objects.get(item=8)  # due 31 December 2026
    assert list(services.overdue_actions(case, today=date(2026, 12, 31))) == []
    assert list(services.overdue_actions(case, today=date(2027, 1, 1))) == [memo]


def test_next_qim_deadline_is_the_earliest_open_date(held, case, officer_olivia, owen):
    deadline = services.next_qim_deadline(case, today=date(2026, 12, 20))
    assert deadline.on == date(2026, 12, 31) and not deadline.overdue
    follow_up = arrange(case, by=officer_olivia, chair=owen, day=date(2026, 12, 28), follow_up=True)
    deadline = services.next_qim_deadline(case, today=date(2026, 12, 20))
    assert deadline.on == date(2026, 12, 28) and deadline.url == follow_up.get_absolute_url()


def test_no_deadline_without_meetings(case):
    assert services.next_qim_deadline(case) is None


def test_an_officer_marks_an_action_done(held, case, officer_olivia):
    memo = QimAction.objects.get(item=8)
    services.complete_action(memo, actor=officer_olivia, today=date(2027, 1, 5))
    memo.refresh_from_db()
    assert memo.status == ActionStatus.DONE
    assert (memo.done_on, memo.done_by) == (date(2027, 1, 5), officer_olivia)
    assert memo.history.first().history_user == officer_olivia
    assert list(services.overdue_actions(case, today=date(2027, 2, 1))) == [
        QimAction.objects.get(item=6)
    ]
    with pytest.raises(NotNow, match="done already"):
        services.complete_action(memo, actor=officer_olivia)


def test_a_provider_user_does_not_mark_actions_done(held, provider_pat):
    with pytest.raises(Forbidden):
        services.complete_action(QimAction.objects.get(item=6), actor=provider_pat)


# --- The position -----------------------------------------------------------------------------


def test_the_position_needs_both_points_and_a_reason(held, officer_olivia):
    with pytest.raises(NotNow, match="shared with the people"):
        services.decide_position(
            held, actor=officer_olivia, position="suspend", share_with_people=None, reason="x"
        )
    with pytest.raises(NotNow, match="reason"):
        services.decide_position(
            held, actor=officer_olivia, position="suspend", share_with_people=True, reason=""
        )
    services.decide_position(
        held, actor=officer_olivia, position="restrict", share_with_people=False, reason="Risky"
    )
    held.refresh_from_db()
    assert (held.status, held.position, held.share_with_people) == ("decided", "restrict", False)
    assert held.suspension_restriction == "restricted_placements"


def test_cancel_needs_a_reason(qim, officer_olivia):
    with pytest.raises(NotNow, match="Say why"):
        services.cancel(qim, actor=officer_olivia, reason="")
    services.cancel(qim, actor=officer_olivia, reason="The manager is ill")
    qim.refresh_from_db()
    assert (qim.status, qim.cancel_reason) == ("cancelled", "The manager is ill")


def test_a_meeting_held_is_not_cancelled(held, officer_olivia):
    with pytest.raises(NotNow, match="“Held: notes recorded”"):
        services.cancel(held, actor=officer_olivia, reason="Too late")


def test_provider_users_see_their_own_meetings_once_invited(
    qim, officer_olivia, provider_pat, provider_quinn
):
    visible = QualityImprovementMeeting.objects.visible_to
    assert not visible(provider_pat).exists()  # planned: the council's working
    services.issue_invitation(qim, actor=officer_olivia, today=BEFORE)
    assert list(visible(provider_pat)) == [qim]
    assert not visible(provider_quinn).exists()


def test_provider_users_see_the_providers_actions_only(held, provider_pat):
    assert [a.item for a in QimAction.objects.visible_to(provider_pat)] == [6]


def test_documents_are_the_providers_once_produced(held, provider_pat):
    assert not documents_of(held, provider_pat).exists()  # not rendered yet
    for document in Document.objects.all():
        pdf_text(document)
    assert {d.kind for d in documents_of(held, provider_pat)} == {
        "qim_invitation",
        AGENDA_KIND,
        NOTES_KIND,
    }


def test_history_has_the_actor(held, officer_olivia):
    assert held.history.first().history_user == officer_olivia
    assert at(MEETING_DAY) == held.starts_at


def test_an_action_is_not_owned_by_another_providers_user(invited, officer_olivia, provider_quinn):
    with pytest.raises(NotNow, match="provider's own users"):
        _notes(invited, officer_olivia, actions=[{**ACTIONS[0], "owner": provider_quinn}])
    assert not QimAction.objects.exists()


def test_the_qim_history_for_the_boards_papers(held, case, officer_olivia):
    services.decide_position(
        held, actor=officer_olivia, position="suspend", share_with_people=True, reason="Unsafe"
    )
    text = services.qim_history(case, today=date(2027, 1, 1))
    assert text == (
        "17 December 2026: QIM, commissioning position decided; position: suspension of new "
        "placements (concerns shared with the people supported and their families); 2 actions, "
        "0 done, 1 overdue."
    )


def test_the_demo_qims_are_made_once(case, officer_olivia, owen):
    from escalation.demo_qim import seed_qims

    context = {
        "today": date(2026, 12, 3),
        "staff": {"officer": officer_olivia, "officer2": owen},
        "created": {},
    }
    seed_qims(context)
    assert context["created"]["quality improvement meetings"] == 2
    held, follow_up = case.qims.order_by("starts_at")
    assert (held.status, follow_up.status) == (QimStatus.DECIDED, QimStatus.INVITED)
    assert follow_up.follow_up
    assert [a.text for a in services.overdue_actions(case, today=date(2026, 12, 3))] == [
        "Send the updated action plan, with medicines training dates"
    ]
    seed_qims(context)
    assert context["created"]["quality improvement meetings"] == 2
    assert case.qims.count() == 2
