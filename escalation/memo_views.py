"""The Managed Placements Memo's pages (SPEC §6): the draft as it stands with the past issues,
issuing it, an issue and its PDF, and the table as CSV or Excel. Staff only: provider users
are refused (403), as by the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from escalation import memo, memo_services
from escalation.models import MemoIssue
from qaf.exports import rows_download
from qaf.generic import parse_id
from qaf.models import Document
from qaf.scoping import can
from qaf.views import serve_document
from qaf.workflow import Forbidden, NotNow

ISSUES_PER_PAGE = 20
EXPORT_PARAM = "_export"
EXPORT_FORMATS = ("csv", "xlsx")
NO_PREVIOUS = "none"  # the "previous" field when nothing had been issued


def _require(user, action: str) -> None:
    if not can(user, action, memo_services.POLICY_LABEL):
        raise PermissionDenied("Your role does not allow this.")


def _issue_for(request, number: int) -> MemoIssue:
    _require(request.user, "view")
    issues = MemoIssue.objects.visible_to(request.user).select_related("issued_by", "previous")
    return get_object_or_404(issues, number=number)


EXPORT_HEADERS = (
    "Part",
    "Area",
    memo.COLUMNS[0],
    "Provider",
    "Service",
    "Address",
    "Contact name",
    "Contact telephone",
    memo.COLUMNS[3],
    "Restrictions",
)


def _download(request, placements: memo.Memo, export_format: str):
    _require(request.user, "export")
    if export_format not in EXPORT_FORMATS:
        raise Http404("No such download.")
    rows = [
        (
            part.key.upper(),
            area.area,
            entry.type_of_service,
            entry.provider,
            entry.name,
            entry.address,
            entry.contact_name,
            entry.contact_phone,
            entry.date_added,
            entry.restriction_details,
        )
        for part in placements.parts
        for area in part.areas
        for entry in area.entries
    ]
    name = "draft" if placements.is_draft else f"issue-{placements.number}"
    filename = f"managed-placements-{name}-{placements.updated.isoformat()}.{export_format}"
    return rows_download(EXPORT_HEADERS, rows, export_format=export_format, filename=filename)


def _context(request, placements: memo.Memo) -> dict:
    return {
        "memo": placements,
        "texts": memo.texts(),
        "can_export": can(request.user, "export", memo_services.POLICY_LABEL),
    }


@login_required
def current(request):
    """The memo as it stands (not issued), and the issues so far."""
    _require(request.user, "view")
    draft = memo_services.draft()
    export_format = request.GET.get(EXPORT_PARAM)
    if export_format:
        return _download(request, draft, export_format)
    issues = MemoIssue.objects.visible_to(request.user).select_related("issued_by")
    page = Paginator(issues.order_by("-number"), ISSUES_PER_PAGE).get_page(request.GET.get("page"))
    documents = memo_services.documents_of(page.object_list)
    return render(
        request,
        "escalation/memo/current.html",
        {
            **_context(request, draft),
            "page": page,
            "issues": [(issue, documents.get(issue.pk)) for issue in page.object_list],
            "can_issue": can(request.user, "issue", memo_services.POLICY_LABEL),
            "latest": page.object_list[0] if page.number == 1 and page.object_list else None,
        },
    )


def _expected_previous(value: str | None):
    """The last issue's number when the page was shown: None (there was none), a number, or
    -1 for anything else (which no issue matches: the user is told to look again)."""
    if value == NO_PREVIOUS:
        return None
    number = parse_id(value)
    return -1 if number is None else number


@login_required
def issue(request):
    """Confirm, then issue the memo as it stands."""
    _require(request.user, "issue")
    if request.method == "POST":
        try:
            issued = memo_services.issue(
                actor=request.user,
                expected_previous=_expected_previous(request.POST.get("previous")),
            )
        except Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except NotNow as exc:
            messages.error(request, exc.reason)
            return redirect("memo:current")
        messages.success(
            request, f"Memo {issued.number} issued. Its PDF is being produced and listed below."
        )
        return redirect(issued.get_absolute_url())
    draft = memo_services.draft()
    latest = MemoIssue.objects.latest_issue()
    return render(
        request,
        "escalation/memo/issue.html",
        {
            **_context(request, draft),
            "previous": latest.number if latest else NO_PREVIOUS,
            "latest": latest,
            "next_number": latest.number + 1 if latest else 1,
        },
    )


@login_required
def issue_detail(request, number: int):
    issued = _issue_for(request, number)
    placements = issued.memo()
    export_format = request.GET.get(EXPORT_PARAM)
    if export_format:
        return _download(request, placements, export_format)
    return render(
        request,
        "escalation/memo/issue_detail.html",
        {
            **_context(request, placements),
            "issue": issued,
            "document": memo_services.documents_of([issued]).get(issued.pk),
            "latest": MemoIssue.objects.latest_issue(),
        },
    )


@login_required
def issue_pdf(request, number: int):
    issued = _issue_for(request, number)
    document = memo_services.documents_of([issued]).get(issued.pk)
    if document is None or document.status != Document.Status.READY:
        raise Http404("The PDF of this issue is still being produced.")
    return serve_document(document)
