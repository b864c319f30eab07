"""seed_demo as SPEC §9 describes it. Seeding takes seconds, so one story covers it all."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from escalation import board
from escalation.demo_board import demo_meetings
from escalation.models import (
    Attendance,
    BoardMeeting,
    BoardMember,
    ConcernDecision,
    ConcernLevel,
    ConcernSuggestion,
    ImprovementPlan,
    MemoIssue,
    PlanAction,
    PlanSuggestion,
    PlanUpdate,
)
from providers.evidence import Evidence
from providers.invitations import Invitation
from providers.models import Contract, Intelligence, Provider, Service
from qaf.models import Document, Notification, User
from reviews.information import with_overdue
from reviews.models import (
    Answer,
    InformationRequest,
    InformationRequestItem,
    PublishedSummary,
    ReportComment,
    Review,
    SharedOutcome,
)
from risk.models import EarlyWarning, RatingChange, ServiceRisk

pytestmark = pytest.mark.django_db

USERNAMES = {
    "admin",
    "officer",
    "officer2",
    "manager",
    "manager2",
    "board",
    "board2",
    "board3",
    "partner",
    "provider_a",
    "provider_a2",
    "provider_b",
}


def _seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _snapshot():
    return {
        model.__name__: (model.objects.count(), model.history.count())
        for model in (
            User,
            Provider,
            Service,
            Contract,
            Intelligence,
            Review,
            Evidence,
            InformationRequest,
            ReportComment,
            Invitation,
            SharedOutcome,
            PublishedSummary,
            EarlyWarning,
        )
    } | {
        model.__name__: model.objects.count()
        for model in (
            ConcernLevel,
            ConcernDecision,
            ConcernSuggestion,
            BoardMember,
            BoardMeeting,
            Attendance,
            Document,
            ImprovementPlan,
            PlanAction,
            PlanUpdate,
            PlanSuggestion,
        )
    }


def test_seed_demo_builds_the_demo_council_once(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        output = _seed("--password", "pw-for-tests-123")

    # The named users, printed with the password.
    assert set(User.objects.values_list("username", flat=True)) >= USERNAMES
    for username in USERNAMES:
        assert username in output
        assert User.objects.get(username=username).check_password("pw-for-tests-123")
    assert "pw-for-tests-123" in output

    # A realistic council: 30+ providers, 100+ services of mixed types and ratings.
    assert Provider.objects.count() >= 30
    assert Service.objects.count() >= 100
    assert len(set(Service.objects.values_list("service_type", flat=True))) >= 6
    assert len(set(Service.objects.values_list("regulator_rating", flat=True))) == 5
    assert Intelligence.objects.filter(provider__isnull=False).exists()
    assert Review.objects.filter(status="final").count() >= 50
    # Reviews in every state (SPEC §9).
    assert set(Review.objects.values_list("status", flat=True)) == {
        "planned",
        "information_requested",
        "visit_done",
        "draft",
        "with_provider",
        "final",
        "cancelled",
    }

    # Information requests: a draft, one partly answered (accepted, answered, sent back,
    # open), and one overdue; evidence files the officer linked and a provider's comment.
    requests = with_overdue(InformationRequest.objects.all())
    assert set(requests.values_list("status", flat=True)) == {"draft", "sent"}
    assert requests.filter(overdue=True).exists()
    assert set(InformationRequestItem.objects.values_list("status", flat=True)) == {
        "open",
        "answered",
        "accepted",
        "needs_more",
    }
    files = Evidence.objects.all()
    assert files.count() >= 3
    assert all(f.file.read(5) == b"%PDF-" for f in files)
    assert Answer.evidence.through.objects.exists()
    assert ReportComment.objects.filter(review__status="with_provider", response="").exists()
    assert ReportComment.objects.filter(review__status="final", response="not_accepted").exists()
    # A published summary of a final review, with its domain ratings, and a withdrawn one.
    summaries = PublishedSummary.objects.all()
    assert summaries.filter(state="published", review__status="final").exclude(domains=[]).exists()
    assert summaries.filter(state="withdrawn").exclude(withdrawal_reason="").exists()

    # Two provider users of different organisations, each with several services.
    a, b = User.objects.get(username="provider_a"), User.objects.get(username="provider_b")
    assert a.provider != b.provider
    assert Service.objects.filter(provider=a.provider).count() >= 2
    assert Service.objects.filter(provider=b.provider).count() >= 2
    assert not a.roles and not b.roles
    # provider_a is Sunrise's administrator, with a colleague and an invitation waiting.
    assert a.provider_admin and not b.provider_admin
    colleague = User.objects.get(username="provider_a2")
    assert colleague.provider == a.provider and not colleague.provider_admin
    waiting = Invitation.objects.open().get(provider=a.provider)
    assert waiting.invited_by == a and waiting.expires_at > timezone.now()

    # Registration dates mostly known; registered managers in post, not, and not known.
    assert Service.objects.filter(registration_date__isnull=False).count() > 70
    assert Service.objects.filter(registration_date__isnull=True).exists()
    managers = set(
        Service.objects.filter(regulated=True).values_list("registered_manager", flat=True)
    )
    assert managers == {True, False, None}

    # Every service rated, with all three ratings present.
    assert ServiceRisk.objects.count() == Service.objects.count()
    # The CQC change sync's demo: a deregistered care home and the location that replaced it.
    successor = Service.objects.get(name__endswith=" (re-registered)")
    assert successor.predecessor.deregistered_on is not None
    assert set(ServiceRisk.objects.values_list("rating", flat=True)) == {"green", "amber", "red"}

    # A Managed Placements Memo issued (after the suspensions), with its PDF.
    assert MemoIssue.objects.count() == 1
    assert Document.objects.filter(kind="managed_placements_memo", provider=None).count() == 1
    # Concern levels: services at each level with their history, a move to level 3 waiting
    # for a second manager, and the nightly check's suggestions waiting.
    levels = set(ConcernLevel.objects.values_list("level", flat=True))
    assert levels == {1, 2, 3}
    assert ConcernDecision.objects.filter(kind="approved", to_level=3).exists()
    assert ConcernDecision.objects.filter(to_level=1).exists()
    assert ConcernDecision.objects.filter(suggestion__isnull=False).exists()
    assert ConcernLevel.objects.filter(proposed_level=3, proposed_by__username="manager").exists()
    # Level 3 is the board's: decided at the quorate meeting; the proposal waiting is on the
    # next meeting's agenda.
    approved = ConcernDecision.objects.get(kind="approved", to_level=3)
    assert approved.comment.startswith("The board's decision at its meeting of")
    waiting_move = ConcernLevel.objects.get(proposed_level=3)
    assert (
        demo_meetings()["next"]
        .agenda.filter(subject_type__model="concernlevel", subject_id=waiting_move.pk)
        .exists()
    )
    assert ConcernSuggestion.objects.filter(status="waiting").count() >= 5

    # The board: board, board2 and board3 fill the required roles; a quorate meeting (papers
    # eight days before, minutes), one that was not (notes), and one next month.
    roles = {m.user.username: m.role for m in BoardMember.objects.select_related("user")}
    assert {roles["board"], roles["board2"], roles["board3"]} == board.required_roles()
    meetings = demo_meetings()
    assert meetings["quorate"].quorate and meetings["quorate"].notes_label == "Minutes"
    assert not board.meeting_papers_notice(meetings["quorate"]).late
    assert "8 days before the meeting" in board.meeting_papers_notice(meetings["quorate"]).text
    assert meetings["not_quorate"].notes_label == "Notes (not quorate: no decisions)"
    assert "Strategic commissioner" in board.meeting_quorum(meetings["not_quorate"]).reason
    assert meetings["next"].status == "planned" and not meetings["next"].papers_issued_at
    # The two held before the demo's cases, and the one eight months ago where the case now
    # terminated had its final warning decided.
    assert Document.objects.filter(kind="board_pack", provider=None).count() == 3

    # Escalation cases: one at every stage and one closed, each move decided where it must be.
    from escalation.models import BOARD_DECIDES, CaseMove, EscalationCase, Stage

    assert sorted(EscalationCase.objects.values_list("stage", flat=True)) == sorted(Stage.values)
    for move in CaseMove.objects.filter(to_stage__in=BOARD_DECIDES):
        assert move.decision is not None and move.decision.meeting.quorate
    terminated = EscalationCase.objects.get(stage=Stage.TERMINATION)
    assert terminated.service.commissioning_status == "decommissioned"
    sunrise = EscalationCase.objects.get(service__name="Sunrise House")
    assert sunrise.stage == Stage.RECTIFICATION_NOTICE
    assert Document.objects.about(sunrise).filter(kind="rectification_notice").exists()
    assert EscalationCase.objects.get(stage=Stage.BOARD).board_review_due

    # Revocations: one with the board (on the next meeting's agenda), one revoked with the
    # quorate meeting's decision, its letter issued and provider_a's appeal waiting.
    from escalation.models import Revocation

    assert set(Revocation.objects.values_list("status", flat=True)) == {"with_board", "revoked"}
    revoked = Revocation.objects.get(status="revoked")
    assert revoked.board_decision.meeting == meetings["quorate"]
    assert revoked.service.commissioning_status == "decommissioned"
    assert revoked.service.provider == User.objects.get(username="provider_a").provider
    assert revoked.appeal.status == "pending"
    assert Document.objects.filter(kind="revocation", source_id=revoked.pk).count() == 1
    in_progress = Revocation.objects.get(status="with_board")
    assert meetings["next"].agenda.filter(subject_id=in_progress.pk).exists()

    # Improvement plans in every state, made by their people; the accepted one has updates
    # with files from the provider's own library and an overdue action; provider_a has one
    # to work on; suggestions wait for the officers (a review's and a regulator's).
    plans = ImprovementPlan.objects.select_related("service__provider")
    assert set(plans.values_list("status", flat=True)) == {
        "draft",
        "submitted",
        "returned",
        "accepted",
        "closed",
    }
    today = timezone.localdate()
    assert plans.with_overdue(today).filter(status="draft", submission_overdue=True).exists()
    accepted = plans.get(status="accepted")
    assert PlanAction.objects.filter(plan=accepted).overdue(today).exists()
    with_files = PlanUpdate.objects.filter(action__plan=accepted, evidence__isnull=False)
    assert with_files.exists()
    for update in with_files:
        assert {e.provider_id for e in update.evidence.all()} == {accepted.service.provider_id}
    assert PlanAction.objects.filter(plan=accepted, status="done").exists()
    returned = plans.get(status="returned")
    assert returned.service.provider == a.provider and returned.return_comment
    assert returned.actions.exclude(return_comment="").exists()
    assert returned.history.filter(history_user=a).exists()
    closed = plans.get(status="closed")
    assert set(closed.actions.values_list("status", flat=True)) == {"verified"}
    # Only what still waits is unread on the home pages: an action done, not one verified.
    unread_done = Notification.objects.filter(kind="plan_action_done", read_at__isnull=True)
    assert unread_done.exists()
    verified = PlanAction.objects.filter(status="verified").values("pk")
    assert not unread_done.filter(object_id__in=verified).exists()
    waiting = PlanSuggestion.objects.filter(status="open")
    assert set(waiting.values_list("kind", flat=True)) == {"review", "regulator"}
    assert PlanSuggestion.objects.filter(status="not_needed").exists()

    # Another council's outcome on Sunrise House, sent in by its provider (issue 14 item 4).
    outcome = SharedOutcome.objects.get(service__name="Sunrise House")
    assert outcome.intelligence.source == "Brookshire Council, supplied by Sunrise Care Ltd"
    # Early warning: Sunrise Lodge is getting worse before its rating moved, and its lead
    # officer was told.
    lodge = EarlyWarning.objects.get(service__name="Sunrise Lodge")
    assert lodge.flagged and "in the last 90 days" in lodge.reason
    assert not [c for c in RatingChange.objects.filter(service=lodge.service) if c.worsened]
    assert Notification.objects.filter(
        kind="getting_worse", object_id=lodge.service_id, user=lodge.service.lead_officer
    ).exists()
    assert (
        EarlyWarning.objects.count()
        == Service.objects.exclude(commissioning_status="decommissioned").count()
    )

    # Every row passes the models' own validation.
    for model in (Provider, Service, Intelligence, Contract, Review):
        for obj in model.objects.all():
            obj.full_clean()

    # A second run changes nothing, not even the history.
    before = _snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        again = _seed("--password", "pw-for-tests-123")
    assert _snapshot() == before
    assert MemoIssue.objects.count() == 1
    assert "nothing changed" in again


def test_seed_demo_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        _seed()
    assert not User.objects.exists()
    _seed("--force")
    assert User.objects.filter(username="officer").exists()
