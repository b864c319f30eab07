"""Every role x every page, workflow step, download and API endpoint x own/other organisation ->
the expected status; and a completeness test that fails when a URL or an API action has no row.

Pat works for Sunrise Care Ltd: "own" objects are Sunrise's, "other" objects are Oak Lodge's,
so Pat on an "other" object is a provider user of another organisation. Staff see both.
A role without the permission gets 403 whatever the object; a row outside the user's scope is
404; anonymous users are sent to sign in (pages) or told 401 (API). A refused request must
also change nothing: every case of a refused role checks that the request wrote no row, not
even one it rolled back afterwards, since the refusal comes before any write (PostgreSQL's own
count of the rows this transaction inserted, updated or deleted). Every case of a permitted
role that posts checks the opposite, that the step did write: so the bodies and the objects'
states are right, and a refusal in the same row is the role's doing, not the body's.

Steps, downloads and exports are rows like pages. The completeness test at the end walks
every URL of the project, every route and ``@action`` of the API's router and every workflow
step with a page, and fails for any without a row.

The objects are made once for the module (inside a transaction rolled back at its end); each
case runs in a savepoint of its own, so a permitted step that succeeds leaves nothing behind
for the next case.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from qaf.api_urls import router
from qaf.workflow import workflow_of
from tests.escalation.board_support import services_as_subjects
from tests.providers.test_evidence import pdf
from tests.security.matrix import (
    ADMINS,
    ANON,
    BOARD,
    CASEWORK,
    EVERYONE,
    IMPORTERS,
    MANAGERS,
    NOBODY,
    OFFICER,
    PROVIDER,
    PROVIDERS,
    PUBLIC,
    REGISTER_EDITORS,
    RUNNERS,
    STAFF_READERS,
    UPLOADERS,
    Data,
    Row,
    cases,
    check,
    echo_form,
    expected,
    get,
    objects,
    page_and_post,
    post,
    rows_written,
)
from tests.security.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The objects, in a transaction rolled back when the module ends (each case adds a
    savepoint of its own: pytest-django's ``db``)."""
    media = tmp_path_factory.mktemp("matrix-media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(media), QAF_VIRUS_SCANNER="none"),
    ):
        atomic = transaction.atomic()
        atomic._from_testcase = True  # as Django's TestCase marks its own outer transaction
        atomic.__enter__()
        try:
            # Services stand for the board's cases (tests/escalation/board_support.py).
            with services_as_subjects():
                yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --------------------------------------------------------------------------------------------
# The rows
# --------------------------------------------------------------------------------------------


def body(data: dict) -> Data:
    """The same body whatever the objects."""
    return lambda o: data


def _policy_edit(o: dict) -> dict:
    """The policy form as it stands, with one threshold changed (a new version)."""
    return {"based_on": o["policy"], "note": "Tighter", "inspection_age__amber_years": 2}


# A page that answers a POST with what it shows (200) and writes nothing.
SHOWN = {"ok": frozenset({200}), "writes": False}


def _letter_edit(action: str) -> Data:
    """The suspension letter's text changed, from its default version."""
    return body(
        {
            "title": "Suspension of new placements",
            "body": "Dear {{ provider }}\n\nNew placements with {{ service }} are suspended.",
            "based_on": 1,
            "action": action,
        }
    )


def _pdf_upload(name="policy.pdf"):
    return SimpleUploadedFile(name, pdf(), content_type="application/pdf")


def _evidence_form(o: dict) -> dict:
    return {"title": "Fire policy", "evidence_date": "01/10/2026", "file": _pdf_upload()}


def _visit_section(o: dict) -> dict:
    data = {"standard": o["standard"], f"s{o['standard']}-version": "0"}
    for question in o["questions"]:
        data |= {f"q{question}-score": "2", f"q{question}-notes": "", f"q{question}-version": "0"}
    return data


# The review's workflow steps (pages and API alike): the review in the state the step starts
# from, who may take it, and a body it succeeds with.
REVIEW_STEPS = {
    "record-visit": ("review", CASEWORK, {}),
    "prepare-draft": ("review_visited", CASEWORK, {"rating": "green", "summary": "Good care"}),
    "share-draft": ("review_draft", CASEWORK, {}),
    "request-manager-review": ("review_draft", CASEWORK, {}),
    # Any caseworker holds "act"; this step is a manager's (403 for an officer).
    "manager-reviewed": ("review_shared", MANAGERS, {}),
    "finalise": ("review_ready", CASEWORK, {}),
    # Before the provider's deadline only a manager, with a reason (403 for an officer).
    "finalise-early": ("review_early", MANAGERS, {"reason": "The provider asked for it"}),
    # The provider's own users end their time for comments; staff never.
    "no-further-comments": ("review_early", PROVIDERS, {}),
    "sent-to-regulator": ("review_final", CASEWORK, {}),
    "cancel": ("review", CASEWORK, {"reason": "The home closed"}),
}


# The suspension's workflow steps (pages and API alike): the suspension in the state the step
# starts from (each on a service of its own, tests/security/world.py), who may take it, a body.
SUSPENSION_STEPS = {
    "approve": ("suspension_proposed", MANAGERS, {"comment": "Agreed"}),
    "reject": ("suspension_proposed", MANAGERS, {"comment": "Assurance given"}),
    "propose-lift": ("suspension_active", CASEWORK, {"reason": "Resolved"}),
    "approve-lift": ("suspension_lifting", MANAGERS, {}),
    "reject-lift": ("suspension_lifting", MANAGERS, {"comment": "Not yet"}),
    # The provider's own users appeal; staff never.
    "appeal": ("suspension_active", PROVIDERS, {"text": "The complaint is resolved"}),
}
PROPOSAL = {
    "restriction": "no_new_placements",
    "reasons": ["serious_complaint"],
    "actions_required": "Resolve the complaint",
}


def _suspension_pages() -> list[Row]:
    rows = [
        get("suspension list", "escalation:suspension_list"),
        *page_and_post(
            "suspension propose",
            "escalation:suspension_propose",
            CASEWORK,
            "service",
            data=body(PROPOSAL),
        ),
        get("suspension detail", "escalation:suspension_detail", on="suspension_active"),
        # A proposal is the council's working: never shown to the provider.
        get(
            "proposed suspension detail",
            "escalation:suspension_detail",
            on="suspension_proposed",
            scope="staff_only",
        ),
        *page_and_post(
            "appeal decide",
            "escalation:appeal_decide",
            MANAGERS,
            "suspension_appealed",
            sub="appeal",
            data=body({"outcome": "refused", "reason": "Not yet resolved"}),
        ),
    ]
    for step, (on, allowed, data) in SUSPENSION_STEPS.items():
        scope = "staff_only" if on == "suspension_proposed" else "org"
        rows += page_and_post(
            f"suspension step {step}",
            "escalation:suspension_step",
            allowed,
            on,
            step=step,
            data=body(data),
            scope=scope,
        )
    return rows


def _api_suspensions() -> list[Row]:
    rows = [
        get("suspensions list", "api:suspension-list"),
        post(
            "suspension create",
            "api:suspension-list",
            CASEWORK,
            data=lambda o: {"service": o["service"], **PROPOSAL},
        ),
        get("suspension detail", "api:suspension-detail", on="suspension_active"),
        get(
            "proposed suspension detail",
            "api:suspension-detail",
            on="suspension_proposed",
            scope="staff_only",
        ),
        post(
            "suspension decide-appeal",
            "api:suspension-decide-appeal",
            MANAGERS,
            "suspension_appealed",
            data=body({"outcome": "refused", "reason": "Not yet resolved"}),
        ),
    ]
    for step, (on, allowed, data) in SUSPENSION_STEPS.items():
        scope = "staff_only" if on == "suspension_proposed" else "org"
        rows.append(
            post(
                f"suspension {step}",
                f"api:suspension-{step}",
                allowed,
                on,
                data=body(data),
                scope=scope,
            )
        )
    return rows


# The revocation's workflow steps (pages and API alike): the revocation in the state the step
# starts from (tests/security/world_revocation.py), who may take it, a body. Before the board
# decides, a revocation is the council's working: never shown to the provider.
def _meeting_body(o: dict, *, api: bool = False) -> dict:
    today = timezone.localdate()
    return {
        "meeting_on": today.isoformat() if api else today.strftime("%d/%m/%Y"),
        "attendees": "Olivia; the owner",
        "outcome": "proceed",
    }


REVOCATION_PLANS = {"people_plan": "Letters this week", "transfer_plan": "By January"}
REVOCATION_STEPS = {
    "record-meeting": ("revocation_proposed", CASEWORK, _meeting_body, "staff_only"),
    "revoke": ("revocation_decided", MANAGERS, body(REVOCATION_PLANS), "staff_only"),
    "not-revoked": ("revocation_decided_not", MANAGERS, body({}), "staff_only"),
    "withdraw": ("revocation_with_board", CASEWORK, body({"reason": "Sold"}), "staff_only"),
    # The provider's own users appeal; staff never.
    "appeal": ("revocation_revoked", PROVIDERS, body({"text": "Closed"}), "org"),
}
REVOCATION_PROPOSAL = {
    "reasons": ["systematic_safeguarding"],
    "details": "Three enquiries",
    "options_exhausted": "Suspension",
}


def _revocation_pages() -> list[Row]:
    rows = [
        get("revocation list", "revocation:list"),
        *page_and_post(
            "revocation propose",
            "revocation:propose",
            CASEWORK,
            "service",
            data=body(REVOCATION_PROPOSAL),
        ),
        get("revocation detail", "revocation:detail", on="revocation_revoked"),
        get(
            "proposed revocation detail",
            "revocation:detail",
            on="revocation_proposed",
            scope="staff_only",
        ),
        *page_and_post(
            "revocation agenda",
            "revocation:agenda",
            MANAGERS | {BOARD},
            "revocation_with_board",
            scope="staff_only",
            data=lambda o: {"meeting": o["board_planned"]},
        ),
        *page_and_post(
            "revocation appeal decide",
            "revocation:appeal_decide",
            MANAGERS,
            "revocation_appealed",
            data=body({"outcome": "refused", "reason": "Not shown"}),
        ),
    ]
    for step, (on, allowed, data, scope) in REVOCATION_STEPS.items():
        rows += page_and_post(
            f"revocation step {step}",
            "revocation:step",
            allowed,
            on,
            step=step,
            data=data,
            scope=scope,
        )
    return rows


def _api_revocations() -> list[Row]:
    rows = [
        get("revocations list", "api:revocation-list"),
        post(
            "revocation create",
            "api:revocation-list",
            CASEWORK,
            data=lambda o: {"service": o["service"], **REVOCATION_PROPOSAL},
        ),
        get("revocation detail", "api:revocation-detail", on="revocation_revoked"),
        get(
            "proposed revocation detail",
            "api:revocation-detail",
            on="revocation_proposed",
            scope="staff_only",
        ),
        post(
            "revocation add-to-agenda",
            "api:revocation-add-to-agenda",
            MANAGERS | {BOARD},
            "revocation_with_board",
            scope="staff_only",
            data=lambda o: {"meeting": o["board_planned"]},
        ),
        post(
            "revocation decide-appeal",
            "api:revocation-decide-appeal",
            MANAGERS,
            "revocation_appealed",
            data=body({"outcome": "refused", "reason": "Not shown"}),
        ),
    ]
    for step, (on, allowed, data, scope) in REVOCATION_STEPS.items():
        if step == "record-meeting":
            data = lambda o: _meeting_body(o, api=True)  # noqa: E731 - an ISO date in the API
        rows.append(
            post(
                f"revocation {step}", f"api:revocation-{step}", allowed, on, data=data, scope=scope
            )
        )
    return rows


def _review_steps() -> list[Row]:
    """Every step of the review's pages: GET its page, POST the step."""
    steps = [(step, on, allowed, body(data)) for step, (on, allowed, data) in REVIEW_STEPS.items()]
    steps += [
        # The provider's own users comment on the shared draft; staff never.
        ("comment", "review_shared", PROVIDERS, body({"text": "Page 2 is wrong"})),
        (
            "answer-comment",
            "review_shared",
            CASEWORK,
            lambda o: {"comment": o["comment"], "response": "accepted"},
        ),
    ]
    rows = []
    for step, on, allowed, data in steps:
        rows += page_and_post(
            f"review step {step}",
            "reviews:review_step",
            allowed,
            on,
            step=step,
            data=data,
        )
    return rows


def _exports() -> list[Row]:
    lists = [
        ("providers", "providers:provider_list", STAFF_READERS),
        ("services", "providers:service_list", EVERYONE),  # a provider's own services
        ("contracts", "providers:contract_list", STAFF_READERS),
        ("intelligence", "providers:intelligence_list", STAFF_READERS),
        ("reviews", "reviews:review_list", STAFF_READERS),
        ("suspensions", "escalation:suspension_list", STAFF_READERS),
    ]
    rows = [
        get(f"{name} {fmt} export", url_name, allowed, query=f"?_export={fmt}")
        for name, url_name, allowed in lists
        for fmt in ("csv", "xlsx")
    ]
    for table in ("by_type", "by_area", "overdue", "worsened"):
        for fmt in ("csv", "xlsx"):
            rows.append(
                get(
                    f"dashboard {table} {fmt} export",
                    "risk:dashboard",
                    STAFF_READERS,
                    query=f"?export_table={table}&_export={fmt}",
                )
            )
    for fmt in ("csv", "xlsx"):
        # "My caseload" is a caseworker's table: other staff have none to download.
        rows.append(
            get(
                f"dashboard caseload {fmt} export",
                "risk:dashboard",
                CASEWORK,
                query=f"?export_table=caseload&_export={fmt}",
                denied=404,
                refused=((PROVIDER, 403),),
            )
        )
    return rows


def _toolkit_parts() -> list[Row]:
    """Each part of a draft toolkit: added to its parent, edited, removed, moved."""
    parts = [
        # part, its parent's key, a new one, a change to the existing one
        ("domain", "toolkit_draft", {"title": "Well-led"}, {"title": "Safe care"}),
        (
            "standard",
            "draft_domain",
            {"code": "S9", "title": "Infection control"},
            {"code": "S1", "title": "Safeguarding adults"},
        ),
        ("question", "draft_standard", {"text": "Trained?"}, {"text": "Do staff report abuse?"}),
    ]
    rows = []
    for part, parent, new, change in parts:
        name, mine = f"reviews:toolkit_{part}", f"draft_{part}"
        kwargs = {"scope": None}
        rows += page_and_post(
            f"toolkit {part} add", f"{name}_add", ADMINS, parent, data=body(new), **kwargs
        )
        rows += page_and_post(
            f"toolkit {part} edit", f"{name}_edit", ADMINS, mine, data=body(change), **kwargs
        )
        rows += page_and_post(f"toolkit {part} remove", f"{name}_delete", ADMINS, mine, **kwargs)
        rows.append(
            post(
                f"toolkit {part} move",
                f"{name}_move",
                ADMINS,
                mine,
                data=body({"direction": "down"}),
                **kwargs,
            )
        )
    return rows


def _memo_pages() -> list[Row]:
    """The Managed Placements Memo: confidential to council and health staff (every staff role
    reads it, provider users never: 403, its PDF 404 by the documents' own scope); officers and
    managers issue it."""
    memo = {"on": "memo_issue", "scope": None}
    return [
        get("memo", "memo:current", STAFF_READERS),
        *[
            get(f"memo draft {fmt} export", "memo:current", STAFF_READERS, query=f"?_export={fmt}")
            for fmt in ("csv", "xlsx")
        ],
        *page_and_post(
            "memo issue", "memo:issue", CASEWORK, data=lambda o: {"previous": o["memo_issue"]}
        ),
        get("memo issue detail", "memo:issue_detail", STAFF_READERS, **memo),
        get(
            "memo issue xlsx export",
            "memo:issue_detail",
            STAFF_READERS,
            query="?_export=xlsx",
            **memo,
        ),
        get("memo issue PDF", "memo:issue_pdf", STAFF_READERS, **memo),
        get(
            "memo PDF as a document",
            "document_download",
            STAFF_READERS,
            "memo_document",
            scope=None,
            denied=404,
        ),
    ]


# The concern level's steps (pages and API alike): the service in the state the step starts
# from, and a body it succeeds with. Every one is a manager's; "approve" and "reject" are on a
# proposal of Mo's (Maya is the second manager), "withdraw" on one of Maya's own.
CONCERN_STEPS = {
    "decide": ("service", {"level": 2, "reason": "Two serious complaints"}),
    "propose": ("service", {"level": 3, "reason": "Rated Inadequate"}),
    # Recording the board's decision (world_revocation: the board decided both ways).
    "approve": ("concern_proposed", {}),
    "reject": ("concern_proposed", {"reason": "Improving already"}),
    "withdraw": ("concern_mine", {}),
}


def _concern_steps() -> list[Row]:
    rows = []
    for step, (on, data) in CONCERN_STEPS.items():
        rows += page_and_post(
            f"concern level {step}", "concern:step", MANAGERS, on, step=step, data=body(data)
        )
    rows += page_and_post(
        "concern suggestion dismiss",
        "concern:suggestion_step",
        MANAGERS,
        "suggestion",
        step="dismiss",
        data=body({"reason": "The rating is under appeal"}),
    )
    # The move proposed goes on a planned board meeting's agenda: the board decides it.
    rows += page_and_post(
        "concern level agenda",
        "concern:agenda",
        MANAGERS | {BOARD},
        "concern_proposed",
        scope="staff_only",
        data=lambda o: {"meeting": o["board_planned"]},
    )
    return rows


# The board (source 003 Appendix 4): every staff role reads its meetings, papers and decisions;
# managers and board members arrange meetings and take their steps; managers and the
# administrator keep the membership; provider users get none of it (403; its pack, a council
# document, is 404 to them by the documents' own scope).
BOARD_ACTORS = MANAGERS | {BOARD}
MEMBER_KEEPERS = MANAGERS | ADMINS
BOARD_STEPS = {
    "issue-papers": {},
    "record-attendance": None,  # the members present: data from the world
    "cancel": {"reason": "The chair is unwell"},
}


def _present(o: dict) -> dict:
    return {"present": o["board_present"]}


def _board_pages() -> list[Row]:
    held = {"on": "board_held", "scope": None}
    planned = {"on": "board_planned", "scope": None}
    rows = [
        get("board meetings", "board:meetings", STAFF_READERS),
        *[
            get(
                f"board meetings {fmt} export",
                "board:meetings",
                STAFF_READERS,
                query=f"?_export={fmt}",
            )
            for fmt in ("csv", "xlsx")
        ],
        *page_and_post(
            "board arrange",
            "board:arrange",
            BOARD_ACTORS,
            data=body({"kind": "scheduled", "day": "15/1/2027", "time": "10:00"}),
        ),
        get("board meeting", "board:meeting_detail", STAFF_READERS, **held),
        get("board planned meeting", "board:meeting_detail", STAFF_READERS, **planned),
        get("board pack", "board:pack", STAFF_READERS, **held),
        get(
            "board pack as a document",
            "document_download",
            STAFF_READERS,
            "board_pack_document",
            scope=None,
            denied=404,
        ),
        *page_and_post(
            "board notes", "board:notes", BOARD_ACTORS, data=body({"notes": "Minuted"}), **held
        ),
        *page_and_post(
            "board decide",
            "board:decide",
            BOARD_ACTORS,
            sub="board_item",
            data=body({"outcome": "close", "reason": "Improvement evidenced"}),
            **held,
        ),
        *page_and_post(
            "board agenda item remove",
            "board:remove_item",
            BOARD_ACTORS,
            sub="board_planned_item",
            **planned,
        ),
        get("board members", "board:members", STAFF_READERS),
        post(
            "board member add",
            "board:members",
            MEMBER_KEEPERS,
            data=lambda o: {"user": o["officer_id"], "kind": "adviser", "role": "other"},
        ),
        *page_and_post(
            "board member remove",
            "board:member_deactivate",
            MEMBER_KEEPERS,
            "board_member",
            scope=None,
        ),
    ]
    for step, data in BOARD_STEPS.items():
        rows += page_and_post(
            f"board meeting {step}",
            "board:meeting_step",
            BOARD_ACTORS,
            step=step,
            data=_present if data is None else body(data),
            **planned,
        )
    return rows


# Escalation cases (source 003 §2.4-2.5): officers and managers open and run them and edit
# their papers; the referral to the board is a manager's; managers and board members put a case
# on a meeting's agenda; every staff role and the provider's own users read a case (its stage
# and letters for the provider; another organisation's is 404).
CASE_STEPS = {
    # step: (the case, who, the body it succeeds with)
    "record-contact": (
        "case_opened",
        CASEWORK,
        {
            "contact_kind": "call",
            "contact_on": f"{timezone.localdate():%d/%m/%Y}",
            "contact_with": "Jo Smith",
            "contact_outcome": "A plan by Friday",
        },
    ),
    "advance": ("case_contacted", CASEWORK, {}),
    "de-escalate": ("case_formal", CASEWORK, {"reason": "Improving"}),
    "close": ("case_opened", CASEWORK, {"reason": "Resolved", "confirm": "on"}),
}
REFERRAL = {"headline_concerns": "Medicines errors", "recommendations": "A notice"}


def _case_pages() -> list[Row]:
    rows = [
        *page_and_post(
            "case open",
            "escalation:case_open",
            CASEWORK,
            "service",
            data=body({"concerns": "Falls not reviewed"}),
        ),
        get("case detail", "escalation:case_detail", on="case_formal"),
        *page_and_post(
            "case papers edit",
            "escalation:case_papers",
            CASEWORK,
            "case_formal",
            echo=True,
            data=body({"recommendations": "A rectification notice"}),
        ),
        *page_and_post(
            "case agenda",
            "escalation:case_agenda",
            BOARD_ACTORS,
            "case_board",
            data=lambda o: {"meeting": o["board_planned"]},
        ),
        # The referral to the board: a manager's (an officer is refused, 403).
        *page_and_post(
            "case step advance (referral)",
            "escalation:case_step",
            MANAGERS,
            "case_formal",
            step="advance",
            data=body(REFERRAL),
        ),
    ]
    for step, (on, allowed, data) in CASE_STEPS.items():
        rows += page_and_post(
            f"case step {step}",
            "escalation:case_step",
            allowed,
            on,
            step=step,
            data=body(data),
        )
    return rows


def _api_cases() -> list[Row]:
    rows = [
        get("escalations list", "api:escalation-list"),
        post(
            "escalation create",
            "api:escalation-list",
            CASEWORK,
            data=lambda o: {"service": o["service"], "concerns": "Falls not reviewed"},
        ),
        get("escalation detail", "api:escalation-detail", on="case_formal"),
        Row(
            "escalation papers patch",
            "api:escalation-detail",
            "patch",
            CASEWORK,
            "case_formal",
            data=body({"recommendations": "A rectification notice"}),
        ),
        post(
            "escalation advance (referral)",
            "api:escalation-advance",
            MANAGERS,
            "case_formal",
            data=body(REFERRAL),
        ),
    ]
    for step, (on, allowed, data) in CASE_STEPS.items():
        if step == "record-contact":
            data = {**data, "contact_on": f"{timezone.localdate():%Y-%m-%d}"}
        rows.append(
            post(f"escalation {step}", f"api:escalation-{step}", allowed, on, data=body(data))
        )
    return rows


def _api_board() -> list[Row]:
    held = {"on": "board_held", "scope": None}
    planned = {"on": "board_planned", "scope": None}
    rows = [
        get("board meetings list", "api:board-meeting-list", STAFF_READERS),
        post(
            "board meeting create",
            "api:board-meeting-list",
            BOARD_ACTORS,
            data=body({"starts_at": "2027-01-15T10:00:00Z", "kind": "urgent"}),
        ),
        get("board meeting detail", "api:board-meeting-detail", STAFF_READERS, **held),
        get("board meeting pack", "api:board-meeting-pack", STAFF_READERS, **held),
        post(
            "board meeting decide",
            "api:board-meeting-decide",
            BOARD_ACTORS,
            data=lambda o: {
                "agenda_item": o["board_item"],
                "outcome": "close",
                "reason": "Improvement evidenced",
            },
            ok=frozenset({201}),
            **held,
        ),
        post(
            "board meeting notes",
            "api:board-meeting-notes",
            BOARD_ACTORS,
            data=body({"notes": "Minuted"}),
            **held,
        ),
    ]
    for step, data in BOARD_STEPS.items():
        rows.append(
            post(
                f"board meeting {step}",
                f"api:board-meeting-{step}",
                BOARD_ACTORS,
                data=_present if data is None else body(data),
                **planned,
            )
        )
    return rows


# Quality Improvement Meetings (source 003 Appendix 1, Tables 1-3): every role reads them (a
# provider user only its own, once invited: a planned one is the council's working); officers
# and managers arrange them and take their steps.
QIM_STEPS = {
    "issue-invitation": ("qim_planned", {}),
    "decide-position": (
        "qim_held",
        {"position": "no_action", "share_with_people": "yes", "reason": "Improved"},
    ),
    "cancel": ("qim_planned", {"reason": "The manager is ill"}),
}
QIM_API_STEPS = {
    "issue-invitation": ("qim_planned", {}),
    "decide-position": (
        "qim_held",
        {"position": "no_action", "share_with_people": True, "reason": "Improved"},
    ),
    "cancel": ("qim_planned", {"reason": "The manager is ill"}),
}


def _staff_only(on: str) -> str:
    return "staff_only" if on == "qim_planned" else "org"


def _qim_pages() -> list[Row]:
    rows = [
        *page_and_post(
            "qim arrange",
            "escalation:qim_arrange",
            CASEWORK,
            "qim_case",
            data=lambda o: {
                "day": "15/1/2027",
                "time": "10:00",
                "chair": o["officer_id"],
                "required_attendees": "The Registered Manager",
            },
        ),
        get("qim detail", "escalation:qim_detail", on="qim_invited"),
        get("planned qim detail", "escalation:qim_detail", on="qim_planned", scope="staff_only"),
        get("held qim detail", "escalation:qim_detail", on="qim_held"),
        *page_and_post(
            "qim notes",
            "escalation:qim_notes",
            CASEWORK,
            "qim_invited",
            data=body({"rows": "1", "attendees_council": "Owen"}),
        ),
        *page_and_post(
            "qim action complete",
            "escalation:qim_action_complete",
            CASEWORK,
            "qim_held",
            sub="qim_action",
        ),
    ]
    for step, (on, data) in QIM_STEPS.items():
        rows += page_and_post(
            f"qim step {step}",
            "escalation:qim_step",
            CASEWORK,
            on,
            step=step,
            data=body(data),
            scope=_staff_only(on),
        )
    return rows


def _api_qims() -> list[Row]:
    name = "api:quality-improvement-meeting"
    rows = [
        get("qims list", f"{name}-list"),
        post(
            "qim create",
            f"{name}-list",
            CASEWORK,
            data=lambda o: {
                "case": o["qim_case"],
                "starts_at": "2027-01-15T10:00:00",
                "chair": o["officer_id"],
            },
        ),
        get("qim detail", f"{name}-detail", on="qim_invited"),
        get("planned qim detail", f"{name}-detail", on="qim_planned", scope="staff_only"),
        post(
            "qim record-notes",
            f"{name}-record-notes",
            CASEWORK,
            "qim_invited",
            data=body({"attendees_council": "Owen"}),
        ),
        post(
            "qim complete-action",
            f"{name}-complete-action",
            CASEWORK,
            "qim_held",
            data=lambda o: {"action": o["qim_action"]},
        ),
    ]
    for step, (on, data) in QIM_API_STEPS.items():
        rows.append(
            post(
                f"qim {step}",
                f"{name}-{step}",
                CASEWORK,
                on,
                data=body(data),
                scope=_staff_only(on),
            )
        )
    return rows


# Improvement plans (source 000 §7): everyone reads them (a provider user only its own
# organisation's); officers and managers ask for them, return, accept, verify and close; the
# provider's own users (and officers and managers) write, submit and update them. Each step on
# the plan in the state it starts from (tests/security/world_plans.py).
PLAN_WRITERS = CASEWORK | {PROVIDER}


def _plan_action(o: dict) -> dict:
    return {
        "what": "Train every nurse in medicines",
        "success_measure": "Training records complete",
        "responsible": "The clinical lead",
        "due_on": f"{timezone.localdate() + timedelta(days=30):%d/%m/%Y}",
    }


PLAN_STEPS = {
    # step: (the plan, who, the body it succeeds with)
    "submit": ("plan_draft", PLAN_WRITERS, {}),
    "accept": ("plan_submitted", CASEWORK, {}),
    "close": ("plan_closable", CASEWORK, {}),
}
PLAN_ACTION_STEPS = {
    "verify": ("plan_action_done", CASEWORK, {}),
    "reopen": ("plan_action_done", CASEWORK, {"reason": "The audit was not signed"}),
}


def _plan_pages() -> list[Row]:
    rows = [
        get("plan list", "escalation:plan_list"),
        *[
            get(
                f"plan list {fmt} export",
                "escalation:plan_list",
                STAFF_READERS,
                query=f"?_export={fmt}",
            )
            for fmt in ("csv", "xlsx")
        ],
        # The triggers waiting for an officer: the caseworkers' working list.
        get("plan suggestion list", "escalation:plan_suggestion_list", CASEWORK),
        *[
            get(
                f"plan suggestion list {fmt} export",
                "escalation:plan_suggestion_list",
                CASEWORK,
                query=f"?_export={fmt}",
            )
            for fmt in ("csv", "xlsx")
        ],
        *page_and_post(
            "plan open",
            "escalation:plan_open",
            CASEWORK,
            "service",
            data=body({"text": "Concerns from the contract meeting"}),
        ),
        *page_and_post(
            "plan suggestion not needed",
            "escalation:plan_suggestion_not_needed",
            CASEWORK,
            "plan_suggestion",
            data=body({"reason": "The regulator's action plan covers it"}),
        ),
        get("draft plan detail", "escalation:plan_detail", on="plan_draft"),
        get("accepted plan detail", "escalation:plan_detail", on="plan_accepted"),
        *page_and_post(
            "plan edit",
            "escalation:plan_edit",
            PLAN_WRITERS,
            "plan_draft",
            data=body({"responsible_person": "Pat Jones, registered manager"}),
        ),
        *page_and_post(
            "plan issue add",
            "escalation:plan_issue_add",
            PLAN_WRITERS,
            "plan_draft",
            data=body({"text": "Staff training records missing", "source": "other"}),
        ),
        *page_and_post(
            "plan action add",
            "escalation:plan_action_add",
            PLAN_WRITERS,
            "plan_draft",
            sub="plan_issue",
            data=_plan_action,
        ),
        *page_and_post(
            "plan action edit",
            "escalation:plan_action_edit",
            PLAN_WRITERS,
            "plan_draft",
            sub="plan_draft_action",
            data=_plan_action,
        ),
        *page_and_post(
            "plan action delete",
            "escalation:plan_action_delete",
            PLAN_WRITERS,
            "plan_draft",
            sub="plan_draft_action",
        ),
        *page_and_post(
            "plan return",
            "escalation:plan_return",
            CASEWORK,
            "plan_submitted",
            data=body({"comment": "Make the actions measurable"}),
        ),
        # An update reuses a file of the plan's provider's own library.
        *page_and_post(
            "plan action update",
            "escalation:plan_action_update",
            PLAN_WRITERS,
            "plan_action_open",
            data=lambda o: {
                "status": "in_progress",
                "text": "The first audit is done",
                "evidence": [o["evidence"]],
            },
        ),
    ]
    for step, (on, allowed, data) in PLAN_STEPS.items():
        rows += page_and_post(
            f"plan step {step}", "escalation:plan_step", allowed, on, step=step, data=body(data)
        )
    for step, (on, allowed, data) in PLAN_ACTION_STEPS.items():
        rows += page_and_post(
            f"plan action step {step}",
            "escalation:plan_action_step",
            allowed,
            on,
            step=step,
            data=body(data),
        )
    return rows


# A provider's portal users (issue 12): officers, managers and the administrator manage any
# provider's; the provider's own administrator (Pat, Sunrise's) their own organisation's, never
# another's (404); the board and partners never (403). Each change from the state it starts
# from (tests/security/world.py). A provider user who is not an administrator gets 403
# (tests/providers/test_portal_users.py).
USER_MANAGERS = REGISTER_EDITORS | PROVIDERS
PORTAL_USER_STEPS = {
    "deactivate": "colleague",
    "reactivate": "colleague_inactive",
    "make-administrator": "colleague",
    "remove-administrator": "colleague_admin",
}
INVITATION = {"first_name": "Robin", "last_name": "Hood", "email": "robin@new.example"}


def _portal_user_pages() -> list[Row]:
    rows = [
        get("provider users", "providers:provider_users", USER_MANAGERS, "provider"),
        *page_and_post(
            "provider user invite",
            "providers:provider_user_invite",
            USER_MANAGERS,
            "provider",
            data=body(INVITATION),
        ),
    ]
    for step, person in PORTAL_USER_STEPS.items():
        rows += page_and_post(
            f"provider user {step}",
            "providers:provider_user_step",
            USER_MANAGERS,
            "provider",
            sub=person,
            step=step,
        )
    for step in ("resend", "withdraw"):
        rows += page_and_post(
            f"invitation {step}",
            "providers:invitation_step",
            USER_MANAGERS,
            "provider",
            sub="invitation",
            step=step,
        )
    return rows


def _api_plans() -> list[Row]:
    plans, actions = "api:improvement-plan", "api:improvement-plan-action"
    rows = [
        get("improvement plans list", f"{plans}-list"),
        post(
            "improvement plan create",
            f"{plans}-list",
            CASEWORK,
            data=lambda o: {"service": o["service"], "text": "Concerns from the contract meeting"},
        ),
        get("improvement plan detail", f"{plans}-detail", on="plan_draft"),
        post(
            "improvement plan details",
            f"{plans}-details",
            PLAN_WRITERS,
            "plan_draft",
            data=body({"responsible_person": "Pat Jones, registered manager"}),
        ),
        post(
            "improvement plan add-issue",
            f"{plans}-add-issue",
            PLAN_WRITERS,
            "plan_draft",
            data=body({"text": "Staff training records missing"}),
        ),
        post(
            "improvement plan return",
            f"{plans}-return",
            CASEWORK,
            "plan_submitted",
            data=body({"comment": "Make the actions measurable"}),
        ),
        get("improvement plan actions list", f"{actions}-list", on="plan_accepted"),
        post(
            "improvement plan action create",
            f"{actions}-list",
            PLAN_WRITERS,
            "plan_draft",
            data=lambda o: {
                **_plan_action(o),
                "issue": o["plan_issue"],
                "due_on": f"{timezone.localdate() + timedelta(days=30):%Y-%m-%d}",
            },
        ),
        get(
            "improvement plan action detail",
            f"{actions}-detail",
            on="plan_accepted",
            sub="plan_action_open",
        ),
        # An update reuses a file of the plan's provider's own library.
        post(
            "improvement plan action update",
            f"{actions}-update",
            PLAN_WRITERS,
            "plan_accepted",
            sub="plan_action_open",
            data=lambda o: {
                "status": "in_progress",
                "text": "The first audit is done",
                "evidence": [o["evidence"]],
            },
        ),
        # The suggestions are the council's working list: a provider user's is empty, and any
        # one of them "not found".
        get("plan suggestions list", "api:plan-suggestion-list"),
        get(
            "plan suggestion detail",
            "api:plan-suggestion-detail",
            on="plan_suggestion",
            scope="staff_only",
        ),
        post(
            "plan suggestion not-needed",
            "api:plan-suggestion-not-needed",
            CASEWORK,
            "plan_suggestion",
            data=body({"reason": "The regulator's action plan covers it"}),
        ),
    ]
    for step, (on, allowed, data) in PLAN_STEPS.items():
        rows.append(
            post(f"improvement plan {step}", f"{plans}-{step}", allowed, on, data=body(data))
        )
    for step, (on, allowed, data) in PLAN_ACTION_STEPS.items():
        rows.append(
            post(
                f"improvement plan action {step}",
                f"{actions}-{step}",
                allowed,
                "plan_accepted",
                sub=on,
                data=body(data),
            )
        )
    return rows


def _api_portal_users() -> list[Row]:
    return [
        get("provider users list", "api:provider-user-list", USER_MANAGERS),
        get("provider user detail", "api:provider-user-detail", USER_MANAGERS, "colleague"),
        *[
            post(f"provider user {step}", f"api:provider-user-{step}", USER_MANAGERS, person)
            for step, person in PORTAL_USER_STEPS.items()
        ],
        get("invitations list", "api:invitation-list", USER_MANAGERS),
        post(
            "invitation create",
            "api:invitation-list",
            USER_MANAGERS,
            data=lambda o: INVITATION | {"provider": o["provider"]},
        ),
        get("invitation detail", "api:invitation-detail", USER_MANAGERS, "invitation"),
        post("invitation resend", "api:invitation-resend", USER_MANAGERS, "invitation"),
        post("invitation withdraw", "api:invitation-withdraw", USER_MANAGERS, "invitation"),
    ]


def _data_protection_pages() -> list[Row]:
    """The administrator's data protection pages (privacy/): nobody else, not even to read."""
    return [
        get("data protection", "privacy:index", ADMINS),
        get("access log", "privacy:access_log", ADMINS),
        *[
            get(f"access log {fmt} export", "privacy:access_log", ADMINS, query=f"?_export={fmt}")
            for fmt in ("csv", "xlsx")
        ],
        # The ZIP comes back at once (200), and the export is logged (a row written).
        *page_and_post(
            "subject access export",
            "privacy:subject_access",
            ADMINS,
            data=body({"name": "Olivia Officer"}),
            ok=frozenset({200}),
        ),
    ]


def _cqc_sync_rows() -> list[Row]:
    """The CQC change sync's "Run CQC sync now" (issue 14 item 3): managers and admins, as the
    nightly job's; off in the tests (no key), it writes nothing and says so."""
    return [post("CQC sync run now", "providers:cqc_sync_run", RUNNERS, writes=False)]


def _outcomes_upload(o: dict) -> dict:
    """Another council's shared-outcomes file with an outcome for the service (Pat's own):
    each case records it (the case's savepoint takes it away again)."""
    from providers.models import Service
    from tests.security.world_shared import outcomes_document

    document = outcomes_document(Service.objects.get(pk=o["service"]), "matrix")
    raw = json.dumps(document).encode()
    return {"file": SimpleUploadedFile("outcomes.json", raw, content_type="application/json")}


def _api_outcomes_document(o: dict) -> dict:
    from providers.models import Service
    from tests.security.world_shared import outcomes_document

    return outcomes_document(Service.objects.get(pk=o["service"]), "matrix")


def _shared_outcome_pages() -> list[Row]:
    """Shared outcomes between councils (issue 14 item 4): everyone reads those of their
    scope; staff download this council's; officers, managers and providers upload a file."""
    return [
        get("shared outcomes", "reviews:shared_outcomes"),
        get("shared outcomes export page", "reviews:shared_outcomes_export", STAFF_READERS),
        get(
            "shared outcomes export download",
            "reviews:shared_outcomes_export",
            STAFF_READERS,
            query="?download=1&date_from=01/01/2026",
        ),
        *page_and_post(
            "shared outcomes import",
            "reviews:shared_outcomes_import",
            UPLOADERS,
            data=_outcomes_upload,
            ok=frozenset({200}),
        ),
    ]


def _api_shared_outcomes() -> list[Row]:
    return [
        get("shared outcome list", "api:shared-outcome-list"),
        get("shared outcome detail", "api:shared-outcome-detail", on="shared_outcome"),
        get("shared outcomes export", "api:shared-outcome-export", STAFF_READERS),
        post(
            "shared outcomes import",
            "api:shared-outcome-import",
            UPLOADERS,
            data=_api_outcomes_document,
            ok=frozenset({200}),
        ),
    ]


def _timeline_rows() -> list[Row]:
    """A service's and a provider's timeline (issue 14 item 1): everyone within their scope
    reads them, as a page and a PDF; another organisation's are not found."""
    return [
        get("service timeline", "providers:service_timeline", on="service"),
        get("service timeline PDF", "providers:service_timeline_pdf", on="service"),
        get("provider timeline", "providers:provider_timeline", on="provider"),
        get("provider timeline PDF", "providers:provider_timeline_pdf", on="provider"),
    ]


def _api_timeline_rows() -> list[Row]:
    return [
        get("service timeline", "api:service-timeline", on="service"),
        get("provider timeline", "api:provider-timeline", on="provider"),
    ]


def _public_summary_pages() -> list[Row]:
    """Public summaries (issue 14 item 5): the public pages for everyone, signed in or not
    (Sunrise's summaries only: tests/security/world_public.py); the staff pages for staff,
    publishing and withdrawing for officers and managers. Council-wide pages: provider users
    get 403 whichever organisation's summary it is."""
    return [
        get("public summaries index", "public:index", PUBLIC),
        get("public summaries JSON", "public:json", PUBLIC),
        get("public summary page", "public:summary", PUBLIC, on="summary_published", scope=None),
        get(
            "public summary page withdrawn",
            "public:summary",
            PUBLIC,
            on="summary_withdrawn",
            scope=None,
            ok=frozenset({410}),
        ),
        get("public summaries staff list", "summaries:list", STAFF_READERS),
        get(
            "public summary staff page",
            "summaries:detail",
            STAFF_READERS,
            on="summary_published",
            scope=None,
        ),
        *page_and_post(
            "public summary publish",
            "summaries:publish",
            CASEWORK,
            "review_to_publish",
            scope=None,
            data=body({"summary": "Clean, calm and friendly.", "publish": "1"}),
        ),
        *page_and_post(
            "public summary withdraw",
            "summaries:step",
            CASEWORK,
            "summary_published",
            step="withdraw",
            scope=None,
            data=body({"reason": "The provider asked"}),
        ),
    ]


def _api_public_summaries() -> list[Row]:
    return [
        get("public summaries API list", "api:public-summary-list", STAFF_READERS),
        post(
            "public summary API publish",
            "api:public-summary-list",
            CASEWORK,
            data=lambda o: {"review": o["review_to_publish"], "summary": "Clean and calm."},
        ),
        get(
            "public summary API detail",
            "api:public-summary-detail",
            STAFF_READERS,
            on="summary_published",
            scope=None,
        ),
        post(
            "public summary API withdraw",
            "api:public-summary-withdraw",
            CASEWORK,
            "summary_published",
            scope=None,
            data=body({"reason": "The provider asked"}),
        ),
    ]


def _early_warning_rows() -> list[Row]:
    # Early warning (issue 14 item 2): staff read it on the service page; officers and
    # managers check a service again by hand. Provider users never: its counts include
    # confidential entries.
    return [
        post("early warning check again", "risk:early_warning_recompute", CASEWORK, "service"),
    ]


def _api_early_warnings() -> list[Row]:
    return [
        get("early warnings list", "api:early-warning-list", STAFF_READERS),
        get("early warning detail", "api:early-warning-detail", STAFF_READERS, "early_warning"),
        post(
            "early warning recompute",
            "api:early-warning-recompute",
            CASEWORK,
            "early_warning",
            ok=frozenset({200}),
        ),
    ]


WEB: list[Row] = [
    # Public pages: the same for everyone, signed in or not.
    get("health check", "healthz", PUBLIC, ok=frozenset({200, 503})),
    get("accessibility statement", "accessibility", PUBLIC),
    get("API schema", "schema", PUBLIC),
    get("API docs", "api-docs", PUBLIC),
    get("home", "home"),
    # The session's time left, and "Stay signed in" (qaf/sessions.py): each user's own session.
    get("session time left", "session_keepalive", scope=None),
    post(
        "stay signed in",
        "session_keepalive",
        EVERYONE,
        scope=None,
        ok=frozenset({200}),
        writes=False,
    ),
    # The register.
    get("provider list", "providers:provider_list"),
    get("provider detail", "providers:provider_detail", on="provider"),
    *page_and_post(
        "provider create",
        "providers:provider_create",
        REGISTER_EDITORS,
        data=body({"name": "New Provider Ltd", "sponsorship_licence": "not_held"}),
    ),
    *page_and_post(
        "provider edit", "providers:provider_edit", REGISTER_EDITORS, "provider", echo=True
    ),
    get("service list", "providers:service_list"),
    get("service detail", "providers:service_detail", on="service"),
    *page_and_post(
        "service create",
        "providers:service_create",
        REGISTER_EDITORS,
        data=lambda o: {
            "provider": o["provider"],
            "name": "Sunrise Gardens",
            "service_type": "care_home",
            "client_group": "adults",
            "council_funded_people": 4,
            "regulator_rating": "not_rated",
            **{
                f"rating_{key}": "not_rated"
                for key in ("safe", "effective", "caring", "responsive", "well_led")
            },
        },
    ),
    *page_and_post(
        "service edit", "providers:service_edit", REGISTER_EDITORS, "service", echo=True
    ),
    get("contract list", "providers:contract_list"),
    get("contract detail", "providers:contract_detail", on="contract"),
    *page_and_post(
        "contract create",
        "providers:contract_create",
        REGISTER_EDITORS,
        data=lambda o: {
            "reference": "NEW-1",
            "provider": o["provider"],
            "services": [o["service"]],
            "start_date": "01/04/2026",
        },
    ),
    *page_and_post(
        "contract edit", "providers:contract_edit", REGISTER_EDITORS, "contract", echo=True
    ),
    get("intelligence list", "providers:intelligence_list"),
    get("intelligence detail", "providers:intelligence_detail", on="intelligence"),
    get(
        "confidential intelligence detail",
        "providers:intelligence_detail",
        on="confidential",
        scope="staff_only",
    ),
    *page_and_post(
        "intelligence create",
        "providers:intelligence_create",
        CASEWORK,
        data=lambda o: {
            "service": o["service"],
            "kind": "complaint",
            "date": "01/11/2026",
            "summary": "Call bells go unanswered",
            "severity": "high",
            "status": "open",
        },
    ),
    *page_and_post(
        "intelligence edit", "providers:intelligence_edit", CASEWORK, "intelligence", echo=True
    ),
    # The evidence library: providers upload their own at /evidence/, staff on a provider's.
    get("evidence library", "providers:evidence_library"),
    post(
        "evidence upload to my library",
        "providers:evidence_library",
        PROVIDERS,
        scope=None,
        data=_evidence_form,
    ),
    get("provider's evidence", "providers:provider_evidence", on="provider"),
    post(
        "evidence upload for a provider",
        "providers:provider_evidence",
        UPLOADERS,
        "provider",
        data=_evidence_form,
    ),
    get("evidence download", "providers:evidence_download", on="evidence"),
    # A file's own page (where it was used, its versions) and a new version of it (issue 12).
    get("evidence page", "providers:evidence_detail", on="evidence"),
    *page_and_post(
        "evidence new version",
        "providers:evidence_new_version",
        UPLOADERS,
        "evidence",
        data=_evidence_form,
    ),
    # A file waiting for its virus scan: administrators only; to everyone else it is not there.
    get(
        "waiting evidence download",
        "providers:evidence_download",
        ADMINS,
        on="evidence_waiting",
        denied=404,
    ),
    # Issued documents (PDFs).
    get("report PDF", "document_download", on="report"),
    get("internal document PDF", "document_download", on="internal_document", scope="staff_only"),
    # Reviews.
    get("review list", "reviews:review_list"),
    get("review detail", "reviews:review_detail", on="review"),
    *page_and_post(
        "review plan",
        "reviews:review_plan",
        CASEWORK,
        "service",
        data=lambda o: {
            "kind": "full",
            "officer": o["officer_id"],
            "announced": "yes",
            "visit_date": f"{timezone.localdate() + timedelta(days=30):%d/%m/%Y}",
        },
    ),
    *page_and_post("visit form", "reviews:review_visit", CASEWORK, "review", data=_visit_section),
    post(
        "visit answer autosave",
        "reviews:visit_answer",
        CASEWORK,
        "review",
        sub="question",
        data=lambda o: {f"q{o['question']}-score": "4", f"q{o['question']}-version": "0"},
        ok=frozenset({200}),
    ),
    post(
        "visit standard notes autosave",
        "reviews:visit_note",
        CASEWORK,
        "review",
        sub="standard",
        data=lambda o: {f"s{o['standard']}-findings": "Seen", f"s{o['standard']}-version": "0"},
        ok=frozenset({200}),
    ),
    *page_and_post(
        "visit evidence links",
        "reviews:visit_evidence",
        CASEWORK,
        "review",
        sub="question",
        data=lambda o: {"evidence": [o["evidence"]]},
    ),
    *_review_steps(),
    *_suspension_pages(),
    *_revocation_pages(),
    # Information requests.
    get("information request list", "reviews:request_list"),
    get("information request detail", "reviews:request_detail", on="request"),
    # A draft is the officer's working copy: never shown to the provider.
    get(
        "draft information request detail",
        "reviews:request_detail",
        on="request_draft",
        scope="staff_only",
    ),
    *page_and_post(
        "information request create",
        "reviews:request_create",
        CASEWORK,
        "service",
        data=body({"title": "Staffing", "items": "Rota\nTraining matrix"}),
    ),
    *page_and_post(
        "information request send",
        "reviews:request_step",
        CASEWORK,
        "request_draft",
        step="send",
    ),
    *page_and_post(
        "information request close", "reviews:request_step", CASEWORK, "request", step="close"
    ),
    *page_and_post(
        "information request item answer",
        "reviews:item_answer",
        PROVIDERS,
        "request",
        sub="item",
        data=body({"response": "The rota is attached"}),
    ),
    post(
        "information request item review",
        "reviews:item_review",
        CASEWORK,
        "request",
        sub="item",
        data=body({"status": "accepted"}),
    ),
    # Toolkits: staff read; the administrator edits a draft version and publishes it.
    get("toolkit list", "reviews:toolkit_list", STAFF_READERS),
    get("toolkit detail", "reviews:toolkit_detail", STAFF_READERS, "toolkit", scope=None),
    post(
        "toolkit new version",
        "reviews:toolkit_new_version",
        ADMINS,
        "toolkit_no_draft",
        scope=None,
    ),
    *page_and_post(
        "toolkit edit",
        "reviews:toolkit_edit",
        ADMINS,
        "toolkit_draft",
        scope=None,
        data=body({"description": "Changed"}),
    ),
    *page_and_post(
        "toolkit publish", "reviews:toolkit_publish", ADMINS, "toolkit_draft", scope=None
    ),
    *page_and_post(
        "toolkit discard", "reviews:toolkit_discard", ADMINS, "toolkit_draft", scope=None
    ),
    *_toolkit_parts(),
    # Risk: the dashboard, the nightly job, the matrix policy, notices.
    get("dashboard", "risk:dashboard", STAFF_READERS),
    get("nightly jobs", "risk:jobs", STAFF_READERS),
    post("nightly job run now", "risk:run_job", RUNNERS, writes=False),  # queued on commit
    get("risk policy", "risk:policy", STAFF_READERS),
    *_early_warning_rows(),
    *page_and_post("risk policy edit", "risk:policy_edit", ADMINS, echo=True, data=_policy_edit),
    # Letters: staff read the texts; the administrator previews (a page, a PDF) and saves.
    get("letter list", "letters:list", STAFF_READERS),
    get("letter detail", "letters:detail", STAFF_READERS, "letter", scope=None),
    get(
        "letter version",
        "letters:version",
        STAFF_READERS,
        "letter",
        sub="letter_version",
        scope=None,
    ),
    get("letter edit page", "letters:edit", ADMINS, "letter", scope=None),
    # The preview, as a page and as a PDF, stores nothing.
    *(
        post(label, name, ADMINS, "letter", scope=None, data=_letter_edit("preview"), **SHOWN)
        for label, name in (
            ("letter preview", "letters:edit"),
            ("letter preview PDF", "letters:preview_pdf"),
        )
    ),
    post("letter save", "letters:edit", ADMINS, "letter", scope=None, data=_letter_edit("save")),
    # A notice is its user's own (Olivia's): anyone else's "not found".
    post(
        "notification read",
        "notification_read",
        frozenset({OFFICER}),
        "notification",
        scope=None,
        denied=404,
    ),
    # Concern levels: staff read the queue; managers decide, a second manager approves.
    get("concern levels queue", "concern:queue", STAFF_READERS),
    *_concern_steps(),
    # Imports.
    get("import list", "imports:job_list", IMPORTERS),
    # An empty upload comes back with its errors (200); uploads are in tests/providers.
    *page_and_post(
        "import upload", "imports:job_create", IMPORTERS, ok=frozenset({200}), writes=False
    ),
    get("import job", "imports:job_detail", IMPORTERS, "import_job", scope=None),
    get("import rejected rows CSV", "imports:rejected_rows", IMPORTERS, "import_job", scope=None),
    *_exports(),
    *_memo_pages(),
    *_board_pages(),
    # The escalation queue: the council's staff read and download it; provider users never.
    get("escalation queue", "escalation:case_queue", STAFF_READERS),
    *[
        get(
            f"escalation queue {fmt} export",
            "escalation:case_queue",
            STAFF_READERS,
            query=f"?_export={fmt}",
        )
        for fmt in ("csv", "xlsx")
    ],
    *_case_pages(),
    *_qim_pages(),
    *_plan_pages(),
    *_portal_user_pages(),
    *_data_protection_pages(),
    *_cqc_sync_rows(),
    *_shared_outcome_pages(),
    *_timeline_rows(),
    *_public_summary_pages(),
]


def _api_register(resource: str, allowed_add: frozenset[str], create: Data, update: dict):
    """A register resource: list, create, detail, PATCH and PUT."""
    changes = body(update)
    return [
        get(f"{resource} list", f"api:{resource}-list"),
        post(f"{resource} create", f"api:{resource}-list", allowed_add, data=create),
        get(f"{resource} detail", f"api:{resource}-detail", on=resource),
        Row(
            f"{resource} patch",
            f"api:{resource}-detail",
            "patch",
            allowed_add,
            resource,
            data=changes,
        ),
        # A PUT without every field is refused by validation (400) once the role may.
        Row(
            f"{resource} put",
            f"api:{resource}-detail",
            "put",
            allowed_add,
            resource,
            data=changes,
            ok=frozenset({400}),
            writes=False,
        ),
    ]


def _api_review_steps() -> list[Row]:
    return [
        post(f"review {step}", f"api:review-{step}", allowed, on, data=body(data))
        for step, (on, allowed, data) in REVIEW_STEPS.items()
    ]


API: list[Row] = [
    # DRF's index of the API names no model, so RolePermission refuses it to every role (the
    # documentation is at /api/docs/).
    get("API root", "api:api-root", NOBODY),
    *_api_register(
        "provider", REGISTER_EDITORS, body({"name": "New Provider Ltd"}), {"contact_name": "X"}
    ),
    *_api_register(
        "service",
        REGISTER_EDITORS,
        lambda o: {"provider": o["provider"], "name": "New Service", "service_type": "care_home"},
        {"capacity": 41},
    ),
    *_api_register(
        "contract",
        REGISTER_EDITORS,
        lambda o: {
            "reference": "NEW-1",
            "provider": o["provider"],
            "start_date": "2026-04-01",
            "services": [o["service"]],
        },
        {"framework": "Changed"},
    ),
    *_api_register(
        "intelligence",
        CASEWORK,
        lambda o: {
            "service": o["service"],
            "kind": "contract_meeting",
            "date": "2026-11-01",
            "summary": "Met the manager",
        },
        {"summary": "Changed"},
    ),
    get(
        "confidential intelligence detail",
        "api:intelligence-detail",
        on="confidential",
        scope="staff_only",
    ),
    # Reviews and their workflow.
    get("reviews list", "api:review-list"),
    post(
        "historic review create",
        "api:review-list",
        CASEWORK,
        data=lambda o: {
            "service": o["service"],
            "historic": True,
            "kind": "full",
            "completed_on": "2025-10-01",
            "rating": "amber",
        },
    ),
    get("review detail", "api:review-detail", on="review"),
    *_api_review_steps(),
    *_api_suspensions(),
    *_api_revocations(),
    get("review answers", "api:review-answers", CASEWORK, "review"),
    post(
        "review answer save",
        "api:review-answers",
        CASEWORK,
        "review",
        data=lambda o: {"question": o["question"], "score": "4", "version": 0},
    ),
    get("review comments", "api:review-comments", on="review_shared"),
    post(
        "review comment",
        "api:review-comments",
        PROVIDERS,
        "review_shared",
        data=body({"text": "Page 2 is wrong"}),
    ),
    post(
        "review comment answer",
        "api:review-answer-comment",
        CASEWORK,
        "review_shared",
        sub="comment",
        data=body({"response": "accepted"}),
    ),
    # Information requests.
    get("information requests list", "api:information-request-list"),
    post(
        "information request create",
        "api:information-request-list",
        CASEWORK,
        data=lambda o: {"service": o["service"], "items": ["Rota"]},
    ),
    get("information request detail", "api:information-request-detail", on="request"),
    get(
        "draft information request detail",
        "api:information-request-detail",
        on="request_draft",
        scope="staff_only",
    ),
    post("information request send", "api:information-request-send", CASEWORK, "request_draft"),
    post("information request close", "api:information-request-close", CASEWORK, "request"),
    post(
        "information request item answer",
        "api:information-request-answer",
        PROVIDERS,
        "request",
        sub="item",
        data=body({"response": "The rota is attached"}),
    ),
    post(
        "information request item review",
        "api:information-request-review",
        CASEWORK,
        "request",
        sub="item",
        data=body({"status": "accepted"}),
    ),
    # Concern levels: one entry per service (by its id), the steps, and the suggestions.
    get("concern levels list", "api:concern-level-list", STAFF_READERS),
    get("concern level detail", "api:concern-level-detail", STAFF_READERS, "service"),
    *[
        post(f"concern level {step}", f"api:concern-level-{step}", MANAGERS, on, data=body(data))
        for step, (on, data) in CONCERN_STEPS.items()
    ],
    post(
        "concern level add-to-agenda",
        "api:concern-level-add-to-agenda",
        MANAGERS | {BOARD},
        "concern_proposed",
        data=lambda o: {"meeting": o["board_planned"]},
    ),
    *_api_early_warnings(),
    get("concern suggestions list", "api:concern-suggestion-list", STAFF_READERS),
    get("concern suggestion detail", "api:concern-suggestion-detail", STAFF_READERS, "suggestion"),
    post(
        "concern suggestion dismiss",
        "api:concern-suggestion-dismiss",
        MANAGERS,
        "suggestion",
        data=body({"reason": "The rating is under appeal"}),
    ),
    # The evidence library and its downloads.
    get("evidence list", "api:evidence-list"),
    post(
        "evidence upload",
        "api:evidence-list",
        UPLOADERS,
        data=lambda o: {
            **_evidence_form(o),
            "evidence_date": "2026-10-01",
            "provider": o["provider"],
        },
    ),
    get("evidence detail", "api:evidence-detail", on="evidence"),
    get("evidence download", "api:evidence-download", on="evidence"),
    get("evidence uses", "api:evidence-uses", on="evidence"),
    post(
        "evidence new version",
        "api:evidence-new-version",
        UPLOADERS,
        "evidence",
        data=lambda o: {**_evidence_form(o), "evidence_date": "2026-10-01"},
    ),
    get(
        "waiting evidence download",
        "api:evidence-download",
        ADMINS,
        on="evidence_waiting",
        denied=404,
    ),
    # The Managed Placements Memo: staff read it, officers and managers issue it.
    get("memo", "api:memo-list", STAFF_READERS),
    post(
        "memo issue",
        "api:memo-issue",
        CASEWORK,
        data=lambda o: {"previous": o["memo_issue"]},
        ok=frozenset({201}),
    ),
    get("memo issues", "api:memo-issue-list", STAFF_READERS),
    get("memo issue detail", "api:memo-issue-detail", STAFF_READERS, "memo_issue", scope=None),
    get("memo issue PDF", "api:memo-issue-pdf", STAFF_READERS, "memo_issue", scope=None),
    *_api_board(),
    *_api_cases(),
    *_api_qims(),
    *_api_plans(),
    *_api_portal_users(),
    *_api_public_summaries(),
    get("access log", "api:access-log-list", ADMINS),
    *_api_shared_outcomes(),
    *_api_timeline_rows(),
]


# The cases run in three modules, each building the world once, so that pytest-xdist's
# ``--dist loadfile`` shares them between workers: the first half of the pages here, the second
# half in test_permission_matrix_pages.py, the API in test_permission_matrix_api.py.
HALF = len(WEB) // 2


def run_web(world, client, row, which, role):
    url = row.url(world, which)
    data = {}
    if row.method != "get":
        data = echo_form(url, world, row) if row.echo else {}
        data |= row.data(objects(world, which)) if row.data else {}
    if role != ANON:
        client.force_login(world["users"][role])
    before = rows_written()
    response = client.get(url) if row.method == "get" else client.post(url, data)
    want = expected(row, role, which, anonymous=302)
    check(response, row, role, want, before, api=False)


def run_api(world, row, which, role):
    api = APIClient()
    if role != ANON:
        api.force_authenticate(world["users"][role])
    url = row.url(world, which)
    data = row.data(objects(world, which)) if row.data else {}
    multipart = any(isinstance(v, SimpleUploadedFile) for v in data.values())
    before = rows_written()
    if row.method == "get":
        response = api.get(url)
    else:
        send = getattr(api, row.method)
        response = send(url, data, format="multipart" if multipart else "json")
    want = expected(row, role, which, anonymous=401)
    check(response, row, role, want, before, api=True)


@pytest.mark.parametrize(("row", "which", "role"), list(cases(WEB[:HALF])))
def test_web(world, client, row, which, role):
    run_web(world, client, row, which, role)


# --------------------------------------------------------------------------------------------
# Completeness: a URL, an API action or a workflow step without a row fails here
# --------------------------------------------------------------------------------------------

# What the matrix leaves out, and why. Keep it short: everything else needs rows above.
NOT_IN_MATRIX = {
    # Signing in and out, and the password pages: the same for everyone, before any role
    # applies (tests/test_accounts.py).
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    # Two-factor sign-in: each staff user's own account (tests/test_two_factor.py).
    "two_factor_verify",
    "two_factor_setup",
    "two_factor_manage",
    "two_factor_new_codes",
    "two_factor_new_app",
    # Signing in to the API (tests/test_two_factor.py), and each user's own API token page
    # (tests/test_api_tokens.py).
    "api:token",
    "api_token",
    # The link in an invitation's email: its secret is the permission, before any account
    # exists (tests/providers/test_portal_users.py).
    "providers:accept_invitation",
}
# Django's admin: its own staff flag and model permissions (tests/providers/test_pages.py).
NAMESPACES_NOT_IN_MATRIX = {"admin"}
# HEAD answers as GET does; OPTIONS describes an endpoint and changes nothing.
METHODS_NOT_IN_MATRIX = {"head", "options"}


def _url_names(patterns=None, namespace: str = ""):
    """Every named URL of the project, with its namespace (``reviews:review_step``)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from _url_names(pattern.url_patterns, inner)
        elif pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def _api_actions():
    """(URL name, method) of every route of the API's router, ``@action``s included, with
    the methods the viewset answers."""
    for _prefix, viewset, basename in router.registry:
        for route in router.get_routes(viewset):
            for method in router.get_method_map(viewset, route.mapping):
                if method in viewset.http_method_names and method not in METHODS_NOT_IN_MATRIX:
                    yield f"api:{route.name.format(basename=basename)}", method


def _workflow_steps():
    """(step URL name, step) of every workflow step with a page of its own. A workflow whose
    step URL is not routed yet has no pages (the same whether or not some other test module
    has imported its table first)."""
    routed = set(_url_names())
    for model in apps.get_models():
        try:
            workflow = workflow_of(model)
        except KeyError:
            continue
        if workflow.url_name and workflow.url_name in routed:
            for action, transition in workflow.transitions.items():
                if transition.title:
                    yield workflow.url_name, action


def test_every_url_api_action_and_workflow_step_has_rows():
    rows = WEB + API
    names = {row.url_name for row in rows}
    methods = {(row.url_name, row.method) for row in API}
    steps = {(row.url_name, row.step, row.method) for row in WEB if row.step}
    missing = [
        name
        for name in sorted(set(_url_names()))
        if name not in names
        and name not in NOT_IN_MATRIX
        and name.partition(":")[0] not in NAMESPACES_NOT_IN_MATRIX
    ]
    missing += [
        f"{method.upper()} {name}"
        for name, method in _api_actions()
        if (name, method) not in methods
    ]
    missing += [
        f"{method.upper()} {name} step {step}"
        for name, step in _workflow_steps()
        for method in ("get", "post")
        if (name, step, method) not in steps
    ]
    assert not missing, "No row in the permission matrix for:\n  " + "\n  ".join(missing)


def test_what_the_matrix_leaves_out_exists():
    """The list of exclusions stays true: a name that has gone is taken off it."""
    assert not NOT_IN_MATRIX - set(_url_names())
