"""Every role x every page and API endpoint x own/other organisation -> expected status.

Pat works for Sunrise Care Ltd: "own" objects are Sunrise's, "other" objects are Oak Lodge's.
Staff see both. Role refusals are 403 whatever the object; rows outside scope are 404.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from providers.models import IntelligenceKind
from reviews import information as info
from tests.factories import ContractFactory, IntelligenceFactory, ReviewFactory

ANON, OFFICER, MANAGER, BOARD, PARTNER, ADMIN, PROVIDER = (
    "anonymous",
    "officer",
    "manager",
    "board",
    "partner",
    "admin",
    "provider",
)
ROLES = [ANON, OFFICER, MANAGER, BOARD, PARTNER, ADMIN, PROVIDER]
EVERYONE = {OFFICER, MANAGER, BOARD, PARTNER, ADMIN, PROVIDER}
STAFF_READERS = EVERYONE - {PROVIDER}
REGISTER_EDITORS = {OFFICER, MANAGER, ADMIN}
CASEWORK = {OFFICER, MANAGER}
IMPORTERS = {MANAGER, ADMIN}

# (name, url name, which object (None for lists/forms), who may, how scoped)
# scope "org": provider users see their own organisation's rows only;
# scope "staff_only": provider users never see it (confidential intelligence).
PAGES = [
    ("provider list", "providers:provider_list", None, EVERYONE, None),
    ("provider detail", "providers:provider_detail", "provider", EVERYONE, "org"),
    ("provider create", "providers:provider_create", None, REGISTER_EDITORS, None),
    ("provider edit", "providers:provider_edit", "provider", REGISTER_EDITORS, "org"),
    ("service list", "providers:service_list", None, EVERYONE, None),
    ("service detail", "providers:service_detail", "service", EVERYONE, "org"),
    ("service create", "providers:service_create", None, REGISTER_EDITORS, None),
    ("service edit", "providers:service_edit", "service", REGISTER_EDITORS, "org"),
    ("contract list", "providers:contract_list", None, EVERYONE, None),
    ("contract detail", "providers:contract_detail", "contract", EVERYONE, "org"),
    ("contract create", "providers:contract_create", None, REGISTER_EDITORS, None),
    ("contract edit", "providers:contract_edit", "contract", REGISTER_EDITORS, "org"),
    ("intelligence list", "providers:intelligence_list", None, EVERYONE, None),
    ("intelligence detail", "providers:intelligence_detail", "intelligence", EVERYONE, "org"),
    (
        "confidential intelligence detail",
        "providers:intelligence_detail",
        "confidential",
        EVERYONE,
        "staff_only",
    ),
    ("intelligence create", "providers:intelligence_create", None, CASEWORK, None),
    ("intelligence edit", "providers:intelligence_edit", "intelligence", CASEWORK, "org"),
    ("home", "home", None, EVERYONE, None),
    ("review list", "reviews:review_list", None, EVERYONE, None),
    ("review detail", "reviews:review_detail", "review", EVERYONE, "org"),
    ("review plan", "reviews:review_plan", "service", CASEWORK, "org"),
    ("visit form", "reviews:review_visit", "review", CASEWORK, "org"),
    ("information request list", "reviews:request_list", None, EVERYONE, None),
    ("information request detail", "reviews:request_detail", "request", EVERYONE, "org"),
    ("information request create", "reviews:request_create", "service", CASEWORK, "org"),
    ("evidence library", "providers:evidence_library", None, EVERYONE, None),
    ("provider's evidence", "providers:provider_evidence", "provider", EVERYONE, "org"),
    ("toolkit list", "reviews:toolkit_list", None, STAFF_READERS, None),
    ("dashboard", "risk:dashboard", None, STAFF_READERS, None),
    ("nightly jobs", "risk:jobs", None, STAFF_READERS, None),
    ("risk policy", "risk:policy", None, STAFF_READERS, None),
    ("risk policy edit", "risk:policy_edit", None, {ADMIN}, None),
    ("import list", "imports:job_list", None, IMPORTERS, None),
    ("import upload", "imports:job_create", None, IMPORTERS, None),
]

# (name, resource, which object, method, who may, how scoped)
API = [
    ("providers list", "provider", None, "get", EVERYONE, None),
    ("provider detail", "provider", "provider", "get", EVERYONE, "org"),
    ("provider create", "provider", None, "post", REGISTER_EDITORS, None),
    ("provider update", "provider", "provider", "patch", REGISTER_EDITORS, "org"),
    ("services list", "service", None, "get", EVERYONE, None),
    ("service detail", "service", "service", "get", EVERYONE, "org"),
    ("service create", "service", None, "post", REGISTER_EDITORS, None),
    ("service update", "service", "service", "patch", REGISTER_EDITORS, "org"),
    ("contracts list", "contract", None, "get", EVERYONE, None),
    ("contract detail", "contract", "contract", "get", EVERYONE, "org"),
    ("contract create", "contract", None, "post", REGISTER_EDITORS, None),
    ("contract update", "contract", "contract", "patch", REGISTER_EDITORS, "org"),
    ("intelligence list", "intelligence", None, "get", EVERYONE, None),
    ("intelligence detail", "intelligence", "intelligence", "get", EVERYONE, "org"),
    (
        "confidential intelligence detail",
        "intelligence",
        "confidential",
        "get",
        EVERYONE,
        "staff_only",
    ),
    ("intelligence create", "intelligence", None, "post", CASEWORK, None),
    ("intelligence update", "intelligence", "intelligence", "patch", CASEWORK, "org"),
    ("reviews list", "review", None, "get", EVERYONE, None),
    ("review detail", "review", "review", "get", EVERYONE, "org"),
    ("review create", "review", None, "post", CASEWORK, None),
    ("review answers", "review-answers", "review", "get", CASEWORK, "org"),
    ("review comments", "review-comments", "review", "get", EVERYONE, "org"),
    ("information requests list", "information-request", None, "get", EVERYONE, None),
    ("information request detail", "information-request", "request", "get", EVERYONE, "org"),
    ("evidence list", "evidence", None, "get", EVERYONE, None),
]


@pytest.fixture
def world(
    request,
    sunrise,
    oak_lodge,
    sunrise_house,
    oak_lodge_home,
    officer_olivia,
    manager_maya,
    board_bea,
    partner_pia,
    admin_alex,
    provider_pat,
):
    """The same objects for Sunrise (own) and Oak Lodge (other)."""

    def objects(provider, service):
        return {
            "provider": provider,
            "service": service,
            "contract": ContractFactory(provider=provider, services=[service]),
            "intelligence": IntelligenceFactory(service=service),
            "confidential": IntelligenceFactory(
                service=service, kind=IntelligenceKind.WHISTLEBLOWING, confidential=True
            ),
            "review": ReviewFactory(service=service),
            "request": info.send_request(
                info.create_request(service, actor=officer_olivia, items=["Rota"]),
                actor=officer_olivia,
            ),
        }

    return {
        "own": objects(sunrise, sunrise_house),
        "other": objects(oak_lodge, oak_lodge_home),
        "users": {
            OFFICER: officer_olivia,
            MANAGER: manager_maya,
            BOARD: board_bea,
            PARTNER: partner_pia,
            ADMIN: admin_alex,
            PROVIDER: provider_pat,
        },
    }


def expected(role, allowed, scope, which, *, anonymous_status):
    if role == ANON:
        return anonymous_status
    if role not in allowed:
        return 403
    if role == PROVIDER and (scope == "staff_only" or which == "other"):
        return 404
    return None  # allowed: 200/201 as the caller expects


def _cases(rows):
    for row in rows:
        whiches = ["own", "other"] if row[2] else [None]
        for which in whiches:
            for role in ROLES:
                yield pytest.param(row, which, role, id=f"{row[0]}-{which or 'any'}-{role}")


@pytest.mark.parametrize(("row", "which", "role"), list(_cases(PAGES)))
def test_pages(world, client, row, which, role):
    name, url_name, obj_key, allowed, scope = row
    args = [world[which][obj_key].pk] if obj_key else []
    if role != ANON:
        client.force_login(world["users"][role])
    response = client.get(reverse(url_name, args=args))
    want = expected(role, allowed, scope, which, anonymous_status=302)
    assert response.status_code == (want or 200), response.content[:500]


def _payload(resource, world):
    own = world["own"]
    return {
        "provider": {"name": "New Provider Ltd"},
        "service": {
            "provider": own["provider"].pk,
            "name": "New Service",
            "service_type": "care_home",
        },
        "contract": {
            "reference": "NEW-1",
            "provider": own["provider"].pk,
            "start_date": "2026-04-01",
            "services": [own["service"].pk],
        },
        "review": {
            "service": own["service"].pk,
            "historic": True,
            "completed_on": "2025-10-01",
            "rating": "amber",
        },
        "intelligence": {
            "service": own["service"].pk,
            "kind": "contract_meeting",
            "date": "2026-11-01",
            "summary": "Met the manager",
        },
    }[resource]


_UPDATES = {
    "provider": {"contact_name": "Changed"},
    "service": {"capacity": 41},
    "contract": {"framework": "Changed"},
    "intelligence": {"summary": "Changed"},
}


@pytest.mark.parametrize(("row", "which", "role"), list(_cases(API)))
def test_api(world, api_for, client, row, which, role):
    name, resource, obj_key, method, allowed, scope = row
    api = api_for(world["users"][role]) if role != ANON else client
    if obj_key and resource.startswith("review-"):  # a workflow resource under a review
        url = reverse(f"api:{resource}", args=[world[which][obj_key].pk])
    elif obj_key:
        url = reverse(f"api:{resource}-detail", args=[world[which][obj_key].pk])
    else:
        url = reverse(f"api:{resource}-list")
    data = _payload(resource, world) if method == "post" else _UPDATES.get(resource)
    if method == "get":
        response = api.get(url)
    else:
        response = (
            getattr(api, method)(url, data, format="json")
            if role != ANON
            else getattr(api, method)(url, data, content_type="application/json")
        )
    want = expected(role, allowed, scope, which, anonymous_status=401)
    assert response.status_code == (want or {"get": 200, "post": 201, "patch": 200}[method]), (
        response.content[:500]
    )
