"""The one scoping rule (STYLE habit 4) and the one permission table.

Two questions, asked in this order by every page, API view, download and export:

1. ``can(user, action, model)``: may this kind of user do this kind of thing at all? The
   answer depends on roles only; "no" is a 403 (it reveals nothing about any object).
2. ``Model.objects.visible_to(user)``: which rows exist for this user? Provider users see
   only their own organisation (and never confidential intelligence); everything else is 404.

Later issues register their models in ``POLICY`` and give them a ``ScopedQuerySet``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import models

from qaf.models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from qaf.models import User

# Pseudo-role for a member of a provider organisation.
PROVIDER = "provider"
# Pseudo-role held besides PROVIDER by a provider user marked as their organisation's
# administrator (User.provider_admin): they manage their own organisation's portal users.
PROVIDER_ADMIN = "provider_admin"

_STAFF_READERS = frozenset({Role.OFFICER, Role.MANAGER, Role.BOARD, Role.PARTNER, Role.ADMIN})
_EVERYONE = _STAFF_READERS | {PROVIDER}
_CASEWORK = frozenset({Role.OFFICER, Role.MANAGER})
_REGISTER_EDITORS = _CASEWORK | {Role.ADMIN}
_MANAGERS = frozenset({Role.MANAGER})

# model label -> action -> the roles allowed. Actions: view, add, change, delete, export.
POLICY: dict[str, dict[str, frozenset[str]]] = {
    "providers.provider": {
        "view": _EVERYONE,
        "add": _REGISTER_EDITORS,
        "change": _REGISTER_EDITORS,
        "export": _STAFF_READERS,
    },
    "providers.service": {
        "view": _EVERYONE,
        "add": _REGISTER_EDITORS,
        "change": _REGISTER_EDITORS,
        "export": _EVERYONE,
    },
    "providers.contract": {
        "view": _EVERYONE,
        "add": _REGISTER_EDITORS,
        "change": _REGISTER_EDITORS,
        "export": _STAFF_READERS,
    },
    "providers.intelligence": {
        "view": _EVERYONE,
        "add": _CASEWORK,
        "change": _CASEWORK,
        "export": _STAFF_READERS,
    },
    # QA reviews: officers and managers plan and carry them out ("act" = workflow steps).
    "reviews.review": {
        "view": _EVERYONE,
        "add": _CASEWORK,
        "act": _CASEWORK,
        # Factual-accuracy comments on a shared draft come from the provider's own users.
        "comment": frozenset({PROVIDER}),
        "export": _STAFF_READERS,
    },
    # A service's risk rating and schedule are the council's internal view (they reflect
    # confidential safeguarding facts): never shown to provider users.
    "risk.servicerisk": {"view": _STAFF_READERS},
    # Early warning (issue 14 item 2): its counts include confidential safeguarding and
    # whistleblowing entries, so staff only; officers and managers recompute it by hand.
    "risk.earlywarning": {"view": _STAFF_READERS, "run": _CASEWORK},
    # The risk matrix and schedules: staff read them; the administrator edits them.
    "risk.policyversion": {"view": _STAFF_READERS, "change": frozenset({Role.ADMIN})},
    # Nightly job runs: staff see them; managers (and the administrator) run them by hand.
    "risk.jobrun": {"view": _STAFF_READERS, "run": frozenset({Role.MANAGER, Role.ADMIN})},
    # The Quality & Risk dashboard: every staff role reads and downloads it; it changes nothing.
    "risk.dashboard": {"view": _STAFF_READERS, "export": _STAFF_READERS},
    # Pseudo-model: the CQC and register imports (upload pages, their jobs and reports).
    "providers.import": {"run": frozenset({Role.MANAGER, Role.ADMIN})},
    # Review toolkits: every staff role reads them; the administrator makes and publishes
    # new versions (SPEC §1).
    "reviews.toolkit": {"view": _STAFF_READERS, "change": frozenset({Role.ADMIN})},
    # Other councils' final review outcomes (issue 14 item 4): not confidential, so everyone
    # reads those of the services in their scope; officers and managers import shared-outcomes
    # files, a provider's own users import one for their own services (so they need not answer
    # the same request again); every staff role downloads this council's outcomes ("export").
    "reviews.sharedoutcome": {
        "view": _EVERYONE,
        "add": _CASEWORK | {PROVIDER},
        "export": _STAFF_READERS,
    },
    # The evidence library (SPEC §6, §10): everyone reads within their scope; providers upload
    # their own, officers and managers upload for a provider; partners and the board never.
    # Downloads also wait for a clean virus scan (Evidence.objects.downloadable_by).
    "providers.evidence": {
        "view": _EVERYONE,
        "add": _CASEWORK | {PROVIDER},
        "export": _STAFF_READERS,
    },
    # Letter texts (qaf.letters): staff read them; the administrator edits them (SPEC §1).
    "qaf.lettertemplate": {"view": _STAFF_READERS, "change": frozenset({Role.ADMIN})},
    # Public summaries of final reviews (issue 14 item 5): officers and managers publish and
    # withdraw them; staff read the list (with the withdrawn ones and their reasons); provider
    # users and everyone else read the published ones on the public pages, not here.
    "reviews.publishedsummary": {"view": _STAFF_READERS, "add": _CASEWORK, "act": _CASEWORK},
    # Information requests (SPEC §6): officers and managers write, send and review them;
    # the provider's own users answer the items of requests sent to them.
    "reviews.informationrequest": {
        "view": _EVERYONE,
        "add": _CASEWORK,
        "act": _CASEWORK,
        "answer": frozenset({PROVIDER}),
    },
    # Suspensions (SPEC §6, source 000 §8): officers and managers propose them and propose
    # lifting; only the roles that may change a service's commissioning status (managers,
    # source 003 §2.6) approve, reject, decide appeals and approve lifting, never their own
    # proposal; the provider's own users see what was decided and appeal.
    "escalation.suspension": {
        "view": _EVERYONE,
        "add": _CASEWORK,
        "act": _CASEWORK,
        "change_commissioning_status": _MANAGERS,
        "appeal": frozenset({PROVIDER}),
        "export": _STAFF_READERS,
    },
    # Quality Improvement Meetings (source 003 Appendix 1, Tables 1-3): officers and managers
    # arrange them, issue the invitation, record the notes and the position and mark actions
    # done; every staff role reads them; the provider's own users read the meetings they were
    # invited to, their documents and the provider's actions (QimQuerySet).
    "escalation.qualityimprovementmeeting": {
        "view": _EVERYONE,
        "add": _CASEWORK,
        "act": _CASEWORK,
        "export": _STAFF_READERS,
    },
    # Pseudo-model: the Managed Placements Memo (source 003 §2.6), "a confidential document
    # shared only between Local Authority and Health staff": every staff role reads it (the
    # partners are the safeguarding and ICB teams), provider users never; officers and
    # managers, who run suspensions, issue it.
    # Pseudo-model: the escalation queue (issue 11 item 3): the open cases with their stage,
    # deadlines, next board meeting and concern level, for the board and the managers (and
    # the officers and partners who read it); provider users never see it.
    "escalation.queue": {"view": _STAFF_READERS, "export": _STAFF_READERS},
    "escalation.memo": {"view": _STAFF_READERS, "issue": _CASEWORK, "export": _STAFF_READERS},
    # Revocations (SPEC §6, source 000 §8): officers and managers propose them, record the
    # meeting with the provider and withdraw them; with the board's decision a manager revokes
    # (or records the decision not to) and decides the provider's appeal; the provider's own
    # users see what the board decided (never the proposal or its papers) and appeal.
    "escalation.revocation": {
        "view": _EVERYONE,
        "add": _CASEWORK,
        "act": _CASEWORK,
        "change_commissioning_status": _MANAGERS,
        "appeal": frozenset({PROVIDER}),
        "export": _STAFF_READERS,
    },
    # Concern levels (SPEC §6, source 001 Appendix 2): the council's internal view, like the
    # risk rating: staff read them, provider users never see them. A manager decides 1<->2 and
    # dismisses suggestions; a move to or from 3 is proposed by a manager and decided by the
    # board at a quorate meeting, which a manager records ("approve", with the decision).
    # The board (source 003 Appendix 4): staff read its meetings, papers and decisions (the
    # partners are the ICB and safeguarding teams who sit on it); managers and board members
    # arrange meetings, record attendance and the decisions of a quorate meeting; provider
    # users never see any of it.
    "escalation.boardmeeting": {
        "view": _STAFF_READERS,
        "add": _MANAGERS | {Role.BOARD},
        "act": _MANAGERS | {Role.BOARD},
        "decide": _MANAGERS | {Role.BOARD},
        "export": _STAFF_READERS,
    },
    # Who sits on the board, and in which role: staff read it; quality managers and the
    # administrator change it (source 003 Appendix 4 §3, Appendix 1).
    "escalation.boardmember": {
        "view": _STAFF_READERS,
        "change": _MANAGERS | {Role.ADMIN},
    },
    # Escalation cases (SPEC §6, source 003 §2.4-2.5): officers and managers open and run them
    # and edit their board papers; the referral to the board is a manager's (SPEC §1); board
    # members and partners read them (the queue and the papers); a provider's own users see
    # their case's stage, dates and letters, never the papers, reasons or notes.
    "escalation.escalationcase": {
        "view": _EVERYONE,
        "add": _CASEWORK,
        "act": _CASEWORK,
        "change": _CASEWORK,
        "refer": _MANAGERS,
        "papers": _STAFF_READERS,
        "export": _STAFF_READERS,
    },
    # Improvement plans (SPEC §6, source 000 §7): officers and managers ask for them (from a
    # suggestion, or recording that none is needed), accept or return them, verify and reopen
    # actions; the provider's own users write them ("owned by the provider"), submit them and
    # post updates on the agreed actions, and officers and managers may do so for them (a plan
    # sent by email); every staff role reads them.
    "escalation.improvementplan": {
        "view": _EVERYONE,
        "add": _CASEWORK,
        "act": _CASEWORK,
        "draft": _CASEWORK | {PROVIDER},
        "update": _CASEWORK | {PROVIDER},
        "export": _STAFF_READERS,
    },
    # Pseudo-model: a provider organisation's portal users and their invitations (issue 12).
    # "Users and roles" is the administrator's job (SPEC §1); officers and managers keep the
    # register, whose contacts these are, so the register editors manage them for any provider.
    # A provider's own administrators manage their own organisation's (the scope: other
    # organisations' are 404); other provider users, the board and partners never (403): the
    # list shows people's email addresses and when they last signed in, which nobody else needs.
    "providers.provideruser": {
        "view": _REGISTER_EDITORS | {PROVIDER_ADMIN},
        "add": _REGISTER_EDITORS | {PROVIDER_ADMIN},
        "change": _REGISTER_EDITORS | {PROVIDER_ADMIN},
    },
    # Data protection (issue 13 item 8, docs/data-protection.md): the system owner's. The
    # retention page and its purge preview, subject-access exports (every record naming a
    # person) and the access log (who opened confidential entries, downloaded evidence).
    "privacy.retention": {"view": frozenset({Role.ADMIN})},
    "privacy.subjectaccessexport": {
        "view": frozenset({Role.ADMIN}),
        "add": frozenset({Role.ADMIN}),
    },
    "providers.downloadlog": {"view": frozenset({Role.ADMIN}), "export": frozenset({Role.ADMIN})},
    "escalation.concernlevel": {
        "view": _STAFF_READERS,
        "decide": _MANAGERS,
        "approve": _MANAGERS,
    },
}


def roles_of(user: User | AnonymousUser) -> frozenset[str]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.provider_id:
        return (
            frozenset({PROVIDER, PROVIDER_ADMIN}) if user.provider_admin else frozenset({PROVIDER})
        )
    return frozenset(user.roles)


def can(user: User | AnonymousUser, action: str, model: type[models.Model] | str) -> bool:
    label = model if isinstance(model, str) else model._meta.label_lower
    allowed = POLICY.get(label, {}).get(action, frozenset())
    return bool(roles_of(user) & allowed)


def require(user: User | AnonymousUser, action: str, model: type[models.Model] | str) -> None:
    """``can``, or a 403 for a view to raise: "Your role does not allow this."."""
    if not can(user, action, model):
        raise PermissionDenied("Your role does not allow this.")


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows which rows a user may see.

    Subclasses name ``provider_field``, the lookup from the row to its provider's id, and may
    override ``for_provider_user`` when provider users see less than "everything of theirs".
    """

    provider_field: str = "provider_id"

    def visible_to(self, user: User | AnonymousUser) -> ScopedQuerySet:
        roles = roles_of(user)
        if not roles:
            return self.none()
        if PROVIDER in roles:
            return self.for_provider_user(user)
        return self

    def restrict(self, user: User | AnonymousUser, action: str = "view") -> ScopedQuerySet:
        """Rows the user may see, or none when the user may not do ``action`` at all."""
        if not can(user, action, self.model):
            return self.none()
        return self.visible_to(user)

    def for_provider_user(self, user: User) -> ScopedQuerySet:
        return self.filter(**{self.provider_field: user.provider_id})
