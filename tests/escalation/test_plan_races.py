"""Improvement plans with people clicking at once, real parallel requests against a live
server: one plan per service, one acceptance (one PDF), one verification that closes it."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from escalation import plan_services as services
from escalation.models import ImprovementPlan, PlanStatus
from escalation.plan_documents import KIND
from qaf.models import Document
from tests.escalation.plan_support import written
from tests.support import send_in_parallel

PARALLEL = 6

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _tokens(*users) -> list[str]:
    return [Token.objects.create(user=user).key for user in users]


def test_officers_asking_at_once_open_one_plan(
    live_server, sunrise_house, officer_olivia, officer_owen
):
    url = f"{live_server.url}/api/v1/improvement-plans/"
    bodies = [{"service": sunrise_house.pk, "text": f"Concern {n}"} for n in range(PARALLEL)]
    statuses = send_in_parallel("POST", url, _tokens(officer_olivia, officer_owen), bodies)
    assert sorted(statuses) == [201] + [409] * (PARALLEL - 1)
    assert ImprovementPlan.objects.count() == 1


def test_accepting_at_once_agrees_once(
    live_server, sunrise_house, officer_olivia, officer_owen, provider_pat
):
    plan = services.open_plan(sunrise_house, actor=officer_olivia, text="Medicines errors")
    written(plan, by=provider_pat, today=plan.requested_on)
    services.submit(plan, actor=provider_pat)
    url = f"{live_server.url}/api/v1/improvement-plans/{plan.pk}/accept/"
    tokens = _tokens(officer_olivia, officer_owen)
    statuses = send_in_parallel("POST", url, tokens, [{}] * PARALLEL)
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    assert Document.objects.filter(kind=KIND).count() == 1
    # The last action verified by two officers at once: verified once, the plan closed once.
    action = plan.actions.get()
    services.post_update(action, actor=provider_pat, text="Done", status="done")
    url = f"{live_server.url}/api/v1/improvement-plans/{plan.pk}/actions/{action.pk}/verify/"
    statuses = send_in_parallel("POST", url, tokens, [{}] * PARALLEL)
    assert sorted(statuses) == [200] + [409] * (PARALLEL - 1)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED
    assert plan.history.filter(status=PlanStatus.CLOSED).count() == 1
