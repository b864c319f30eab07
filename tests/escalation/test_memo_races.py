"""Two managers press "Issue the memo" at once (issue 10 item 2): eight API calls released
together against a live server, each on its own connection. One memo is issued; the others
are told someone issued it meanwhile (409), and nothing else is stored."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from escalation.models import MemoIssue
from escalation.models.memo import MEMO_DOCUMENT_KIND
from qaf.models import Document
from tests.support import send_in_parallel

PARALLEL = 8

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_one_of_eight_parallel_issues_wins(live_server, manager_maya, manager_mo):
    tokens = [Token.objects.create(user=user).key for user in (manager_maya, manager_mo)]
    url = f"{live_server.url}/api/v1/memo/issue/"
    statuses = send_in_parallel("POST", url, tokens, [{"previous": None}] * PARALLEL)
    assert sorted(statuses) == [201] + [409] * (PARALLEL - 1)
    assert MemoIssue.objects.count() == 1
    assert Document.objects.filter(kind=MEMO_DOCUMENT_KIND).count() == 1


def test_parallel_issues_without_an_expectation_are_numbered_one_after_another(
    live_server, manager_maya
):
    token = Token.objects.create(user=manager_maya).key
    url = f"{live_server.url}/api/v1/memo/issue/"
    statuses = send_in_parallel("POST", url, [token], [{}] * 4)
    assert statuses == [201] * 4
    issues = list(MemoIssue.objects.order_by("number"))
    assert [i.number for i in issues] == [1, 2, 3, 4]
    assert [i.previous_id for i in issues] == [None, *[i.pk for i in issues[:3]]]
