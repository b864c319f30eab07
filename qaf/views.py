from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from escalation import board_views, concern_views
from escalation.queries import decisions_waiting_for, in_force_for
from providers.models import Evidence, Intelligence, Provider, Service
from qaf import notifications
from qaf.celery import app as celery_app
from qaf.models import Role
from qaf.scoping import can
from reviews.information import with_overdue
from reviews.models import (
    IN_PROGRESS,
    InformationRequest,
    InformationRequestItem,
    ItemStatus,
    RequestStatus,
    Review,
    ReviewStatus,
)

logger = logging.getLogger(__name__)


@login_required
def home(request):
    user = request.user
    services = Service.objects.visible_to(user)
    context = {
        "service_count": services.count(),
        "provider_count": Provider.objects.visible_to(user).count(),
        "can_add_intelligence": can(user, "add", Intelligence),
    }
    reviews = Review.objects.visible_to(user).select_related("service")
    if user.is_provider_user:
        context["my_services"] = services.order_by("name")[:20]
        context["suspensions_in_force"] = in_force_for(user)
        # What waits for the provider: requests with items to answer, drafts to comment on.
        context["open_requests"] = (
            with_overdue(
                InformationRequest.objects.visible_to(user).filter(status=RequestStatus.SENT)
            )
            .filter(waiting=True)
            .select_related("service")
            .order_by("due_date", "pk")[:20]
        )
        from escalation.plan_views import home_context as plan_home

        context.update(plan_home(user))
        context["notifications"] = notifications.unread_for(user)
        context["drafts_to_comment"] = reviews.filter(status=ReviewStatus.WITH_PROVIDER).order_by(
            "comments_due", "pk"
        )[:20]
        # Evidence past its review-by date: the portal asks for a current version (issue 12).
        context["evidence_review_due"] = (
            Evidence.objects.visible_to(user)
            .review_due(timezone.localdate())
            .order_by("review_by", "pk")[:20]
        )
    elif user.is_staff_member:
        if can(user, "act", Review):
            context["my_reviews"] = reviews.filter(officer=user, status__in=IN_PROGRESS).order_by(
                "visit_date", "pk"
            )[:20]
            # The officer's sent requests with answers to look at, or overdue.
            answered = InformationRequestItem.objects.filter(
                request=OuterRef("pk"), status=ItemStatus.ANSWERED
            )
            context["my_requests"] = (
                with_overdue(
                    InformationRequest.objects.filter(created_by=user, status=RequestStatus.SENT)
                )
                .annotate(has_answers=Exists(answered))
                .filter(Q(overdue=True) | Q(has_answers=True))
                .select_related("service")
                .order_by("due_date", "pk")[:20]
            )
        if user.has_role(Role.MANAGER):
            context["suspension_decisions"] = decisions_waiting_for(user)
            context["awaiting_manager"] = (
                reviews.waiting_for_manager()
                .select_related("officer")
                .order_by("comments_due", "pk")
            )
        context.update(concern_views.home_context(user))
        context.update(board_views.home_context(user))
        from escalation import revocation_views

        context.update(revocation_views.home_context(user))
        from escalation.plan_views import home_context as plan_home

        context.update(plan_home(user))
        context["notifications"] = notifications.unread_for(user)
        from risk.early_warning_views import home_context as early_warning_home

        context.update(early_warning_home(user))
        context["my_caseload"] = (
            services.filter(lead_officer=user).select_related("risk").order_by("name")[:20]
        )
        context["recent_intelligence"] = (
            Intelligence.objects.visible_to(user)
            .select_related("service", "provider")
            .order_by("-date", "-pk")[:10]
        )
    return render(request, "home.html", context)


@login_required
@require_POST
def notification_read(request, pk: int):
    """Mark one of my notices read: the home page's "Mark as read" (HTMX swaps the item)."""
    notice = notifications.mark_read(request.user, pk)
    if request.htmx:
        return render(request, "includes/notification_dismissed.html", {"notice": notice})
    return redirect("home")


def accessibility(request):
    return render(request, "accessibility.html")


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure means "down"; the reason goes to the log
        logger.exception("healthz: database check failed")
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return True
    except Exception:
        logger.exception("healthz: broker check failed")
        return False


@never_cache
@require_GET
def healthz(request):
    """200 when the database and the broker answer, else 503; no login, no details leaked."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "error",
        **{name: "ok" if ok else "error" for name, ok in checks.items()},
    }
    return JsonResponse(body, status=200 if healthy else 503)


@login_required
def document_download(request, pk: int):
    """An issued PDF, as an attachment, to those who may see it (404 to everyone else)."""
    from qaf.models import Document

    document = get_object_or_404(
        Document.objects.visible_to(request.user).filter(status=Document.Status.READY), pk=pk
    )
    return serve_document(document)


def serve_document(document):
    """An issued document's PDF as an attachment (the caller has checked who may see it)."""
    from django.http import FileResponse, Http404

    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file of this document is missing.") from None
    return FileResponse(
        handle, as_attachment=True, filename=f"{document.title}.pdf", content_type="application/pdf"
    )


def not_found(request, exception=None):
    """404: JSON under /api/ (an id the routes do not take, like /api/v1/services/abc/), the
    page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)
