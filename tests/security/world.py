"""The permission matrix's objects: two organisations' of everything, each in the state its
steps start from, and the council-wide ones (toolkits, an import, a notice, the Managed
Placements Memo).

Sunrise Care Ltd (Sunrise House) is "own": Pat works there. Oak Lodge Ltd (Oak Lodge) is
"other": Quinn works there. Olivia (officer), Maya (manager), Bea (board), Pia (partner) and
Alex (administrator) are the staff. Returned as ids, by name.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from escalation import memo_services
from escalation.models.memo import MEMO_DOCUMENT_KIND
from providers.models import ImportJob, IntelligenceKind, Service
from qaf import notifications
from qaf.models import Document, Notification, Role
from reviews import information as info
from reviews import services, toolkits
from reviews.models import Question, Rag
from risk.models import PolicyVersion
from risk.notices import REVIEW_OVERDUE
from tests.factories import (
    ContractFactory,
    EvidenceFactory,
    IntelligenceFactory,
    ProviderFactory,
    ServiceFactory,
    UserFactory,
    small_toolkit,
)
from tests.providers.test_evidence import pdf
from tests.security.matrix import ADMIN, BOARD, MANAGER, OFFICER, PARTNER, PROVIDER
from tests.security.world_board import board_objects
from tests.security.world_cases import case_objects
from tests.security.world_concern import concern_objects
from tests.security.world_plans import plan_objects
from tests.security.world_public import public_objects
from tests.security.world_qim import qim_objects
from tests.security.world_revocation import revocation_objects
from tests.security.world_shared import shared_outcome_objects
from tests.security.world_warning import warning_objects


def _suspensions(provider, home: str, user, *, olivia, mo) -> dict:
    """A suspension in each state a step starts from, each on a service of its own (one open
    suspension per service). Mo approves them, so Maya may decide their appeals."""
    from escalation import services as suspensions

    def proposed(n: int):
        return suspensions.propose(
            ServiceFactory(provider=provider, name=f"{home} Annexe {n}"),
            actor=olivia,
            restriction="no_new_placements",
            reasons=["serious_complaint"],
            actions_required="Resolve the complaint",
        )

    def active(n: int):
        return suspensions.approve(proposed(n), actor=mo)

    appealed = active(2)
    appeal = suspensions.appeal(appealed, actor=user, text="The complaint is resolved.")
    lifting = suspensions.propose_lift(active(3), actor=olivia, reason="Resolved")
    return {
        "suspension_proposed": proposed(1).pk,
        "suspension_appealed": appealed.pk,
        "appeal": appeal.pk,
        "suspension_active": active(4).pk,
        "suspension_lifting": lifting.pk,
    }


def _portal_users(provider, member: str, admin) -> dict:
    """Colleagues of the organisation's administrator in each state a change starts from, and
    an invitation waiting (issue 12)."""
    from providers import portal_users

    def colleague(name: str, **fields):
        return UserFactory(
            username=f"{member}-{name}",
            first_name=name.title(),
            roles=[],
            provider=provider,
            **fields,
        )

    return {
        "colleague": colleague("colleague"),
        "colleague_inactive": colleague("leaver", is_active=False),
        "colleague_admin": colleague("deputy", provider_admin=True),
        "invitation": portal_users.invite(
            provider,
            actor=admin,
            email=f"new-{member}@example.org",
            first_name="New",
            last_name="Colleague",
            base_url="http://testserver/",
        ),
    }


def _organisation(
    name: str, home: str, member: str, *, olivia, maya, mo, kit
) -> tuple[dict, object]:
    """One organisation's objects (their ids by name) and its provider user."""
    provider = ProviderFactory(name=name)
    service = ServiceFactory(provider=provider, name=home)
    # Pat and Quinn are their organisations' administrators (issue 12): the matrix's provider
    # user may manage their own organisation's users, never the other's.
    user = UserFactory(
        username=member, first_name=member.title(), roles=[], provider=provider, provider_admin=True
    )
    questions = list(Question.objects.filter(standard__domain__toolkit=kit).order_by("pk"))

    def planned():
        return services.plan_review(
            service, actor=olivia, toolkit=kit, visit_date=timezone.localdate() + timedelta(14)
        )

    def scored():
        review = services.record_visit(planned(), actor=olivia)
        for question in questions:
            services.save_answer(review, question, actor=olivia, expected_version=0, score="3")
        return review

    def shared():
        review = services.prepare_draft(scored(), actor=olivia, rating=Rag.GREEN, summary="Good")
        return services.share_draft(review, actor=olivia)

    def ready():
        """Shared, and the provider has no further comments: nothing stops the final report."""
        return services.no_further_comments(shared(), actor=user)

    review_shared = shared()  # a comment waits for the officer, a manager's review is asked
    comment = services.add_comment(review_shared, actor=user, text="The date is wrong")
    services.request_manager_review(review_shared, actor=olivia)
    review_final = services.finalise(ready(), actor=olivia)
    request = info.send_request(
        info.create_request(service, actor=olivia, items=["Rota"]), actor=olivia
    )
    item = request.items.get()
    info.answer_item(item, actor=user, response="Attached")

    def document(kind: str, *, to_provider: bool) -> Document:
        doc = Document(
            kind=kind,
            title=f"{home} {kind}",
            provider=provider,
            service=service,
            template="none.html",
            status=Document.Status.READY,
            visible_to_provider=to_provider,
            issued_by=olivia,
        )
        doc.file.save(f"{kind}.pdf", ContentFile(pdf()), save=True)
        return doc

    def evidence(scan_status: str):
        row = EvidenceFactory(provider=provider, scan_status=scan_status, uploaded_by=maya)
        row.file.save("policy.pdf", ContentFile(pdf()), save=True)
        return row

    objects = {
        "provider": provider,
        "service": service,
        "contract": ContractFactory(provider=provider, services=[service]),
        "intelligence": IntelligenceFactory(service=service),
        "confidential": IntelligenceFactory(
            service=service, kind=IntelligenceKind.WHISTLEBLOWING, confidential=True
        ),
        "review": planned(),
        "review_visited": scored(),
        "review_draft": services.prepare_draft(
            scored(), actor=olivia, rating=Rag.GREEN, summary="Good"
        ),
        "review_shared": review_shared,
        "review_ready": ready(),  # nothing stops the final report
        "review_early": shared(),  # the provider's time for comments is running
        "review_final": review_final,
        "comment": comment,
        "question": questions[0],
        "standard": questions[0].standard,
        "request": request,
        "request_draft": info.create_request(service, actor=olivia, items=["Fire drill log"]),
        "item": item,
        "report": document("qa_report", to_provider=True),
        "internal_document": document("internal_note", to_provider=False),
        "evidence": evidence("clean"),
        "evidence_waiting": evidence("pending"),
    }
    objects |= _portal_users(provider, member, user)
    ids = {key: obj.pk for key, obj in objects.items()}
    ids["questions"] = [q.pk for q in questions]
    ids |= _suspensions(provider, home, user, olivia=olivia, mo=mo)
    return ids, user


def build_world() -> dict:
    users = {
        OFFICER: UserFactory(username="olivia", first_name="Olivia", roles=[Role.OFFICER]),
        MANAGER: UserFactory(username="maya", first_name="Maya", roles=[Role.MANAGER]),
        BOARD: UserFactory(username="bea", first_name="Bea", roles=[Role.BOARD]),
        PARTNER: UserFactory(username="pia", first_name="Pia", roles=[Role.PARTNER]),
        ADMIN: UserFactory(username="alex", first_name="Alex", roles=[Role.ADMIN]),
    }
    olivia, maya, alex = users[OFFICER], users[MANAGER], users[ADMIN]
    kit = small_toolkit({"Safe": {"S1 Safeguarding": ["Do staff report abuse?", "Learned?"]}})
    # A second manager, not a role of the matrix: the one who approves the suspensions.
    mo = UserFactory(username="mo", first_name="Mo", roles=[Role.MANAGER])
    made = {"olivia": olivia, "maya": maya, "mo": mo, "kit": kit}
    own, users[PROVIDER] = _organisation("Sunrise Care Ltd", "Sunrise House", "pat", **made)
    other, _quinn = _organisation("Oak Lodge Ltd", "Oak Lodge", "quinn", **made)
    mo = UserFactory(username="mo", first_name="Mo", roles=[Role.MANAGER])
    owen = UserFactory(username="owen", first_name="Owen", roles=[Role.OFFICER])
    for ids in (own, other):
        provider = Service.objects.get(pk=ids["service"]).provider
        ids |= concern_objects(provider, maya=maya, mo=mo)
        ids |= case_objects(provider, olivia=olivia, maya=maya)
        ids |= qim_objects(provider, olivia=olivia, owen=owen)
        ids |= warning_objects(Service.objects.get(pk=ids["service"]))

    draft = toolkits.new_version(kit, actor=alex)
    domain = draft.domains.get()
    standard = domain.standards.get()
    # Second ones, so that the first can move down (each with a question: publishable).
    caring = toolkits.add_domain(draft, actor=alex, title="Caring")
    for parent, code in ((domain, "S2"), (caring, "C1")):
        added = toolkits.add_standard(parent, actor=alex, code=code, title=f"Standard {code}")
        toolkits.add_question(added, actor=alex, text="Is it so?")
    job = ImportJob(
        kind="register",
        status="done",
        file_format="csv",
        original_name="register.csv",
        total_rows=1,
        rejected_rows=[{"row": 2, "reason": "No name", "values": {"name": ""}}],
        columns=["name"],
        created_by=maya,
    )
    job.file.save("register.csv", ContentFile(b"name\n\n"), save=True)
    notifications.notify(
        olivia,
        REVIEW_OVERDUE,
        about=Service.objects.get(pk=own["service"]),
        due=timezone.localdate(),
        message="A review is overdue",
    )
    notice = Notification.objects.get(user=olivia)
    # The Managed Placements Memo, issued once, its PDF produced: council-wide, staff only.
    memo = memo_services.issue(actor=maya)
    memo_pdf = Document.objects.get(kind=MEMO_DOCUMENT_KIND, source_id=memo.pk)
    memo_pdf.file.save("memo.pdf", ContentFile(pdf()), save=False)
    Document.objects.filter(pk=memo_pdf.pk).update(
        file=memo_pdf.file.name, status=Document.Status.READY
    )
    # The board: staff only, council-wide; a service of each organisation stands for a case.
    board_ids = board_objects(
        bea=users[BOARD],
        maya=maya,
        subjects=list(Service.objects.filter(pk__in=[own["service"], other["service"]])),
    )
    # Revocations: the board (seated above) decided about them at a quorate meeting.
    revocation_objects(
        {"own": own, "other": other},
        {"own": users[PROVIDER], "other": _quinn},
        olivia=olivia,
        maya=maya,
        mo=mo,
    )
    for ids, user in ((own, users[PROVIDER]), (other, _quinn)):
        service = Service.objects.get(pk=ids["service"])
        ids |= plan_objects(service.provider, service, user, olivia=olivia)
        ids |= shared_outcome_objects(service)
    # Public summaries: Sunrise's only (tests/security/world_public.py says why).
    own |= public_objects(Service.objects.get(pk=own["service"]).provider, olivia=olivia, maya=maya)
    shared = {
        **board_ids,
        "toolkit": kit.pk,
        "toolkit_draft": draft.pk,
        # A published toolkit without a draft yet, to make one of.
        "toolkit_no_draft": small_toolkit({"Safe": {"S1 Safeguarding": ["Any?"]}}).pk,
        "draft_domain": domain.pk,
        "draft_standard": standard.pk,
        "draft_question": standard.questions.first().pk,
        "import_job": job.pk,
        "notification": notice.pk,
        "officer_id": olivia.pk,
        "policy": PolicyVersion.current().pk,
        # A letter's text (escalation/letters.py) and its default version.
        "letter": "suspension",
        "letter_version": 1,
        "memo_issue": memo.number,
        "memo_document": memo_pdf.pk,
    }
    return {"own": own, "other": other, "shared": shared, "users": users}
