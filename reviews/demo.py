"""Demo QA reviews for ``seed_demo``: finished reviews from before, and some planned ones."""

from __future__ import annotations

import importlib
import random
from datetime import timedelta

from reviews.models import Review, ReviewKind, ReviewStatus

# A worse regulator rating makes a worse review more likely.
RATING_ODDS = {
    "outstanding": [("green", 9), ("amber", 1)],
    "good": [("green", 7), ("amber", 3)],
    "requires_improvement": [("green", 2), ("amber", 6), ("red", 2)],
    "inadequate": [("amber", 4), ("red", 6)],
    "not_rated": [("green", 5), ("amber", 4), ("red", 1)],
}


def seed(context) -> None:
    today = context["today"]
    officers = [context["staff"]["officer"], context["staff"]["officer2"]]
    created = 0
    for index, service in enumerate(context["services"]):
        # Decided by the service's name, so a second run decides the same and finds it done.
        rng = random.Random(f"reviews:{service.name}")
        officer = officers[index % 2]
        if rng.random() < 0.8:
            values, weights = zip(*RATING_ODDS[service.regulator_rating], strict=True)
            _, made = Review.objects.get_or_create(
                service=service,
                status=ReviewStatus.FINAL,
                historic=True,
                defaults={
                    "kind": ReviewKind.FULL,
                    "rating": rng.choices(values, weights=weights)[0],
                    "completed_on": today - timedelta(days=rng.randint(40, 1400)),
                    "officer": officer,
                },
            )
            created += made
        if rng.random() < 0.12 and service.name not in LIVE_SERVICE_NAMES:
            _, made = Review.objects.get_or_create(
                service=service,
                status=ReviewStatus.PLANNED,
                defaults={"kind": ReviewKind.FULL, "officer": officer},
            )
            created += made
    context["created"]["reviews"] = context["created"].get("reviews", 0) + created


# One live review in each state, on the named providers' services (provider_a and provider_b
# see them in their portal): (service name, the state to take it to, announced).
LIVE_REVIEWS = [
    ("Sunrise House", "with_provider", True),
    ("Sunrise Lodge", "planned", False),
    ("Sunrise Home Care Avonmere", "information_requested", True),
    ("Sunrise Court Extra Care", "final", True),
    ("Oak Lodge", "draft", True),
    ("Oak Lodge Supported Living", "visit_done", True),
    ("Acorn House Children's Home", "cancelled", True),
]


LIVE_SERVICE_NAMES = {name for name, _, _ in LIVE_REVIEWS}


def seed_live(context) -> None:
    """Reviews in every state, made through the workflow so they are like real ones."""
    from providers.models import Service
    from reviews import services as workflow

    officer = context["staff"]["officer"]
    if workflow.current_toolkit() is None:
        # The default toolkit arrives by data migration; a database flushed since (or one
        # whose toolkits were all retired) gets it again from the same loader.
        from django.apps import apps

        loader = importlib.import_module("reviews.migrations.0003_default_toolkit")
        loader.create_default(apps, None)
    created = 0
    for name, target, announced in LIVE_REVIEWS:
        service = Service.objects.filter(name=name).first()
        if (
            service is None
            or Review.objects.filter(service=service, toolkit__isnull=False).exists()
        ):
            continue
        rng = random.Random(f"live:{name}")
        review = workflow.plan_review(
            service,
            actor=officer,
            announced=announced,
            visit_date=context["today"] + timedelta(days=10),
        )
        created += 1
        if target == "planned":
            continue
        if target == "cancelled":
            workflow.cancel(
                review,
                actor=officer,
                reason="The service asked to move the visit "
                "after a change of manager; a new review will be planned.",
            )
            continue
        workflow.mark_information_requested(review, actor=officer)
        if target == "information_requested":
            continue
        review = workflow.record_visit(review, actor=officer)
        for question in workflow.questions_of(review):
            workflow.save_answer(
                review,
                question,
                actor=officer,
                expected_version=0,
                score=rng.choices(["4", "3", "2", "1", "na"], weights=[2, 6, 2, 0.4, 0.5])[0],
                notes="Seen in the care records and confirmed with staff on the day.",
            )
        # The officer links files the provider sent to the first questions.
        files = _library(service.provider_id)
        if files:
            for question in workflow.questions_of(review)[:2]:
                workflow.link_evidence(review, question, actor=officer, add=[*files.values()][:2])
        if target == "visit_done":
            continue
        suggested = workflow.suggested_rating(s for _, s in workflow.standard_scores(review))
        review = workflow.prepare_draft(
            review,
            actor=officer,
            rating=suggested,
            summary="People are supported by staff who know them well. Medicines records need "
            "attention.",
            actions_required="1. Audit medicines records weekly for three months.\n"
            "2. Update care plans after every review meeting.",
        )
        if target == "draft":
            continue
        review = workflow.share_draft(review, actor=officer)
        comment = _provider_comment(review, files.get("Staff training matrix"))
        if target == "with_provider":
            continue
        if comment is not None:
            workflow.answer_comment(
                comment,
                actor=officer,
                response="not_accepted",
                reason="The training records seen on the day did not show it. The action stays.",
            )
        author = _provider_author(review)
        if author is not None:
            # The provider ends its 14 days early: the final report need not wait for them.
            workflow.no_further_comments(review, actor=author)
            workflow.finalise(review, actor=officer)
        else:
            workflow.finalise_early(
                review,
                actor=context["staff"]["manager"],
                reason="The provider has no portal user to comment; it agreed the draft by phone.",
            )
    context["created"]["reviews"] = context["created"].get("reviews", 0) + created


def _provider_author(review):
    """The provider's demo user, who comments on drafts."""
    return review.service.provider.users.filter(username__startswith="provider_").first()


def _provider_comment(review, evidence):
    """A factual-accuracy comment from the provider's demo user, on the first section."""
    from reviews import services as workflow

    author = _provider_author(review)
    if author is None:
        return None
    first = workflow.questions_of(review).first()
    return workflow.add_comment(
        review,
        actor=author,
        standard=first.standard if first else None,
        text="The report says two staff had not done safeguarding training. Both completed it "
        "the week before the visit: see the training matrix.",
        evidence=[evidence] if evidence else [],
    )


def one_page_pdf(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF (Helvetica text): the demo library's files open in any
    viewer without WeasyPrint having to run during the seed."""
    text = [f"BT /F1 16 Tf 56 780 Td ({_pdf_escape(title)}) Tj ET"]
    for n, line in enumerate(lines):
        text.append(f"BT /F1 11 Tf 56 {750 - 16 * n} Td ({_pdf_escape(line)}) Tj ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


# Files in the named providers' evidence libraries: (provider, title, days old, lines).
DEMO_EVIDENCE = [
    (
        "Sunrise Care Ltd",
        "Safeguarding adults policy",
        120,
        ["Reviewed by the registered manager.", "Next review due in twelve months."],
    ),
    (
        "Sunrise Care Ltd",
        "Staff training matrix",
        20,
        ["Mandatory training completion: 94%.", "Safeguarding level 2: 41 of 44 staff."],
    ),
    (
        "Sunrise Care Ltd",
        "Medicines audit, October",
        35,
        ["Monthly audit of MAR charts.", "Two gaps in recording found and followed up."],
    ),
    (
        "Oak Lodge Ltd",
        "Fire risk assessment",
        200,
        ["Carried out by an external assessor.", "Actions: replace two fire doors."],
    ),
]


def seed_evidence(context) -> None:
    """Files in the named providers' evidence libraries (before the live reviews use them)."""
    from django.core.files.base import ContentFile

    from providers.evidence import Evidence, ScanStatus
    from providers.models import Provider
    from providers.services import add_evidence

    today = context["today"]
    created = 0
    for provider_name, title, age, lines in DEMO_EVIDENCE:
        provider = Provider.objects.filter(name=provider_name).first()
        if provider is None or provider.evidence.filter(title=title).exists():
            continue
        uploader = provider.users.order_by("pk").first() or context["staff"]["officer"]
        evidence = add_evidence(
            provider=provider,
            title=title,
            evidence_date=today - timedelta(days=age),
            upload=ContentFile(one_page_pdf(title, lines), name=f"{title}.pdf"),
            actor=uploader,
        )
        # The demo has no virus scanner: its own files count as scanned.
        Evidence.objects.filter(pk=evidence.pk).update(
            scan_status=ScanStatus.CLEAN, scanned_at=evidence.uploaded_at
        )
        created += 1
    created += _seed_versions_and_review_dates(context)
    context["created"]["evidence files"] = created


def _seed_versions_and_review_dates(context) -> int:
    """Issue 12: Sunrise's infection control policy in two versions (the first superseded),
    and its safeguarding policy past its review-by date, so Pat's home page asks for a current
    version."""
    from django.core.files.base import ContentFile

    from providers.evidence import Evidence, ScanStatus
    from providers.models import Provider
    from providers.services import add_evidence, add_new_version

    today = context["today"]
    provider = Provider.objects.filter(name="Sunrise Care Ltd").first()
    if provider is None:
        return 0
    Evidence.objects.filter(
        provider=provider, title="Safeguarding adults policy", review_by__isnull=True
    ).update(review_by=today - timedelta(days=30))
    title = "Infection control policy"
    if provider.evidence.filter(title=title).exists():
        return 0
    uploader = provider.users.order_by("pk").first() or context["staff"]["officer"]
    first = add_evidence(
        provider=provider,
        title=title,
        evidence_date=today - timedelta(days=400),
        review_by=today - timedelta(days=35),
        upload=ContentFile(one_page_pdf(title, ["Version 1."]), name="infection-control.pdf"),
        actor=uploader,
    )
    second = add_new_version(
        previous=first,
        title=title,
        evidence_date=today - timedelta(days=30),
        review_by=today + timedelta(days=335),
        upload=ContentFile(
            one_page_pdf(title, ["Version 2: updated for the new hand hygiene guidance."]),
            name="infection-control-2.pdf",
        ),
        actor=uploader,
    )
    Evidence.objects.filter(pk__in=[first.pk, second.pk]).update(
        scan_status=ScanStatus.CLEAN, scanned_at=second.uploaded_at
    )
    return 2


def _library(provider_id: int) -> dict:
    from providers.evidence import Evidence

    files = Evidence.objects.linkable_for(provider_id)
    return {e.title: e for e in files}


def seed_requests(context) -> None:
    """Information requests in every state: partly answered (one answer accepted, one sent
    back), overdue, and a draft the provider does not see yet."""
    from providers.models import Service
    from qaf.models import User
    from reviews import information as info
    from reviews.models import InformationRequest, ItemStatus

    today = context["today"]
    officer = context["staff"]["officer"]
    pat = User.objects.filter(username="provider_a").first()
    created = 0

    def request_for(service_name: str, items: list[str], *, for_review=True, **kwargs):
        nonlocal created
        service = Service.objects.filter(name=service_name).first()
        if service is None or InformationRequest.objects.filter(service=service).exists():
            return None
        reviews = Review.objects.filter(service=service, toolkit__isnull=False)
        review = reviews.first() if for_review else None
        created += 1
        return info.create_request(service, actor=officer, items=items, review=review, **kwargs)

    req = request_for(
        "Sunrise Home Care Avonmere",
        [
            "Your current safeguarding adults policy",
            "The staff training matrix for the last 12 months",
            "Your last three medicines audits",
            "How many missed or late calls were there in the last three months?",
        ],
        title="Before the QA review visit",
        message="Please send these before we visit. Contact the quality team with questions.",
    )
    if req is not None and pat is not None:
        req = info.send_request(req, actor=officer)
        items = list(req.items.order_by("order"))
        files = _library(req.service.provider_id)
        answers = [
            ("Safeguarding adults policy", "", ItemStatus.ACCEPTED, ""),
            ("Staff training matrix", "Attached.", None, ""),
            (
                "Medicines audit, October",
                "",
                ItemStatus.NEEDS_MORE,
                "We asked for three audits: please send August and September too.",
            ),
        ]
        for item, (title, text, verdict, comment) in zip(items, answers, strict=False):
            if title not in files:
                continue
            info.answer_item(item, actor=pat, response=text, evidence=[files[title]])
            if verdict:
                info.review_item(item, actor=officer, status=verdict, comment=comment)
    req = request_for(
        "Sunrise Lodge",
        ["Your business continuity plan", "The last fire drill record"],
        title="Annual contract monitoring documents",
        for_review=False,  # contract monitoring: the planned review stays planned
    )
    if req is not None:
        # Sent six weeks ago, so due two weeks ago with nothing answered: overdue.
        info.send_request(req, actor=officer, today=today - timedelta(days=42))
    request_for(
        "Oak Lodge Supported Living",
        ["Your tenancy support agreements template"],
        title="Follow-up after the visit",
    )
    context["created"]["information requests"] = created
