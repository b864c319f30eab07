"""Objects behind every path of the API, for the tests that sweep the OpenAPI schema; and
the stored files (an evidence file and an issued PDF) the header and caching tests fetch."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from escalation import memo_services
from qaf.models import Document
from reviews import information as info
from reviews.models import ReportComment
from tests.escalation.support import waiting_suggestion
from tests.factories import (
    ContractFactory,
    EvidenceFactory,
    IntelligenceFactory,
    ReviewFactory,
)


@pytest.fixture
def api_world(sunrise, sunrise_house, officer_olivia, provider_pat, manager_maya):
    """One object of Sunrise's for each resource, and the ids that fill the schema's paths."""
    review = ReviewFactory(
        service=sunrise_house,
        status="with_provider",
        rating="amber",
        suggested_rating="amber",
        completed_on=None,
        officer=officer_olivia,
    )
    comment = ReportComment.objects.create(review=review, text="Wrong date", author=provider_pat)
    request = info.send_request(
        info.create_request(sunrise_house, actor=officer_olivia, items=["Rota"]),
        actor=officer_olivia,
    )
    from escalation import services as suspensions
    from qaf.models import Role
    from tests.factories import ServiceFactory, UserFactory

    mo = UserFactory(username="mo", roles=[Role.MANAGER])
    suspension = suspensions.approve(
        suspensions.propose(
            ServiceFactory(provider=sunrise, name="Sunrise Annexe"),
            actor=officer_olivia,
            restriction="no_new_placements",
            reasons=["serious_complaint"],
            actions_required="Resolve the complaint",
        ),
        actor=mo,
    )
    # A revocation in effect: the board decided it (below), Mo revoked; Pat may appeal.
    from tests.escalation.revocation_support import PLANS, with_board

    revocation = with_board(ServiceFactory(provider=sunrise, name="Sunrise Wing"), officer_olivia)
    suggestion = waiting_suggestion(sunrise_house)
    # A board meeting held today, quorate, with Sunrise House on its agenda (council-wide:
    # staff read it, provider users are refused).
    from datetime import timedelta

    from django.utils import timezone

    from tests.escalation.board_support import QUORATE, held_meeting, seat_members

    members = seat_members(bea=UserFactory(username="bea", roles=[Role.BOARD]), maya=manager_maya)
    board_meeting = held_meeting(
        members,
        QUORATE,
        by=manager_maya,
        day=timezone.localdate() - timedelta(days=1),
        subjects=[sunrise_house, revocation],
    )
    # A Quality Improvement Meeting held today, with an open action (Sunrise's: Pat reads it).
    from escalation import qim_services
    from tests.escalation.qim_support import at, open_case

    owen = UserFactory(username="owen", roles=[Role.OFFICER])
    qim = qim_services.arrange(
        open_case(ServiceFactory(provider=sunrise, name="Sunrise QIM House"), by=officer_olivia),
        actor=officer_olivia,
        starts_at=at(timezone.localdate(), 9, 0),
        chair=owen,
    )
    qim_services.issue_invitation(qim, actor=officer_olivia)
    qim_services.record_notes(
        qim,
        actor=officer_olivia,
        attendees_council="Owen",
        actions=[
            {
                "item": 6,
                "text": "Send the plan",
                "action_by": "provider",
                "due_on": timezone.localdate(),
            }
        ],
    )
    from escalation import board_services, revocation_services

    item = board_meeting.agenda.get(subject_id=revocation.pk, subject_type__model="revocation")
    board_services.decide(
        board_meeting, item=item, outcome="revoke", reason="Systematic", actor=manager_maya
    )
    revocation_services.revoke(revocation, actor=mo, **PLANS)
    # An escalation case at the formal stage (its papers editable, its steps possible).
    from escalation import case_services as cases

    case = cases.open_case(
        ServiceFactory(provider=sunrise, name="Sunrise Mews"),
        actor=officer_olivia,
        concerns="Medicines errors",
    )
    case = cases.record_contact(
        case,
        actor=officer_olivia,
        contact_kind="call",
        contact_on=timezone.localdate(),
        contact_with="The registered manager",
        contact_outcome="A plan by Friday",
    )
    cases.advance(case, actor=officer_olivia)
    # An improvement plan the provider is writing, with one action, and a suggestion waiting.
    from escalation import plan_services

    plan = plan_services.open_plan(
        ServiceFactory(provider=sunrise, name="Sunrise Plan House"),
        actor=officer_olivia,
        text="Medicines errors",
    )
    plan_action = plan_services.add_action(
        plan.issues.get(),
        actor=provider_pat,
        what="Weekly audit",
        success_measure="Audit at 100%",
        responsible="Deputy",
        due_on=timezone.localdate() + timedelta(days=30),
    )
    from escalation.models import PlanSuggestion

    plan_suggestion = PlanSuggestion.objects.create(
        service=sunrise_house, kind="regulator", rating="inadequate", arose_on=timezone.localdate()
    )
    # A colleague of Pat's and an invitation waiting (issue 12): the steps act on them, never
    # on Pat, whose token the sweep goes on using.
    from providers import portal_users

    colleague = UserFactory(username="sam", roles=[], provider=sunrise)
    invitation = portal_users.invite(
        sunrise,
        actor=officer_olivia,
        email="robin@sunrise.example",
        first_name="Robin",
        last_name="Hood",
        base_url="http://testserver/",
    )
    # A published summary of a final review of Sunrise's (issue 14 item 5).
    from reviews import public

    summary = public.publish(
        ReviewFactory(service=ServiceFactory(provider=sunrise, name="Sunrise Public House")),
        actor=officer_olivia,
        summary="Clean and friendly.",
    )
    ids = {
        "improvement-plans": plan.pk,
        "plan_pk": plan.pk,
        "improvement-plan-actions": plan_action.pk,
        "plan-suggestions": plan_suggestion.pk,
        "provider-users": colleague.pk,
        "invitations": invitation.pk,
        "quality-improvement-meetings": qim.pk,
        "escalations": case.pk,
        "suspensions": suspension.pk,
        "revocations": revocation.pk,
        "providers": sunrise.pk,
        "services": sunrise_house.pk,
        "contracts": ContractFactory(provider=sunrise, services=[sunrise_house]).pk,
        "intelligence": IntelligenceFactory(service=sunrise_house).pk,
        "evidence": EvidenceFactory(provider=sunrise).pk,
        "reviews": review.pk,
        "information-requests": request.pk,
        "comment_id": comment.pk,
        "item_id": request.items.get().pk,
        # The Managed Placements Memo's issues, by number (/memo/issues/{number}/).
        "number": memo_services.issue(actor=manager_maya).number,
        "concern-levels": sunrise_house.pk,
        "early-warnings": _early_warning(sunrise_house),
        "concern-suggestions": suggestion.pk,
        "board-meetings": board_meeting.pk,
        # Another council's outcome on Sunrise House (issue 14 item 4).
        "shared-outcomes": _shared_outcome(sunrise_house),
        "public-summaries": summary.pk,
    }
    return ids


def _shared_outcome(service) -> int:
    from tests.security.world_shared import shared_outcome_objects

    return shared_outcome_objects(service)["shared_outcome"]


def _early_warning(service) -> int:
    from django.utils import timezone

    from risk.early_warning_job import compute

    compute(timezone.localdate(), only=service.pk)
    return service.pk


@pytest.fixture
def files(settings, tmp_path, sunrise, sunrise_house, officer_olivia):
    settings.MEDIA_ROOT = tmp_path
    evidence = EvidenceFactory(provider=sunrise, file=None)
    evidence.file.save("policy.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    document = Document.objects.create(
        kind="letter",
        title="Letter",
        provider=sunrise,
        service=sunrise_house,
        template="pdf/base.html",
        status=Document.Status.READY,
        visible_to_provider=True,
    )
    document.file.save("letter.pdf", ContentFile(b"%PDF-1.4 letter"), save=True)
    return {"evidence": evidence, "document": document}
