"""Register, intelligence and evidence library pages: thin declarations over qaf.generic."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from escalation import concern_views
from providers import filters, forms, portal_users, services, tables
from providers.models import Contract, Evidence, Intelligence, Provider, ScanStatus, Service
from providers.uses import describe, uses_visible_to
from qaf.files import UploadRefused, download_name, type_label
from qaf.generic import (
    ScopedCreateView,
    ScopedDetailView,
    ScopedListView,
    ScopedUpdateView,
    get_scoped_or_404,
)
from qaf.models import Document
from qaf.scoping import can
from qaf.workflow import NotNow
from reviews.models import Review
from risk import early_warning_views
from risk.explain import risk_context

logger = logging.getLogger(__name__)

# --- Providers --------------------------------------------------------------------------


class ProviderList(ScopedListView):
    model = Provider
    table_class = tables.ProviderTable
    filterset_class = filters.ProviderFilter
    add_label = "Add a provider"
    add_url_name = "providers:provider_create"

    def get_queryset(self):
        # A correlated count, worked out for the page's 50 rows only: Count("services") grouped
        # every provider with every service first (and again for the pagination count).
        services = (
            Service.objects.filter(provider=OuterRef("pk"))
            .order_by()
            .values("provider")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset()
            .annotate(service_count=Coalesce(Subquery(services), 0))
            .order_by("name", "pk")
        )


class ProviderDetail(ScopedDetailView):
    model = Provider
    template_name = "providers/provider_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["services"] = Service.objects.visible_to(user).filter(provider=self.object)
        context["contracts"] = Contract.objects.visible_to(user).filter(provider=self.object)
        context["intelligence"] = (
            Intelligence.objects.visible_to(user)
            .filter(provider=self.object)
            .select_related("author")[:20]
        )
        # Letters and reports of the provider and all its services (SPEC §7), newest first.
        context["provider_documents"] = (
            Document.objects.visible_to(user)
            .filter(provider=self.object)
            .select_related("issued_by")[:20]
        )
        context["can_add_service"] = can(user, "add", Service)
        context["can_add_contract"] = can(user, "add", Contract)
        context["can_add_intelligence"] = can(user, "add", Intelligence)
        context["can_view_users"] = portal_users.may_manage(user, self.object)
        if context["can_view_users"]:
            context["portal_user_count"] = self.object.users.filter(is_active=True).count()
            context["open_invitation_count"] = self.object.invitations.open().count()
        context.update(concern_views.provider_context(self.object, user))
        return context


class ProviderCreate(ScopedCreateView):
    model = Provider
    form_class = forms.ProviderForm
    template_name = "providers/form.html"


class ProviderEdit(ScopedUpdateView):
    model = Provider
    form_class = forms.ProviderForm
    template_name = "providers/form.html"


# --- Services ---------------------------------------------------------------------------


class ServiceList(ScopedListView):
    model = Service
    table_class = tables.ServiceTable
    filterset_class = filters.ServiceFilter
    add_label = "Add a service"
    add_url_name = "providers:service_create"
    hidden_filters = ("provider",)
    select_related = ("provider", "risk")

    def get_table_class(self):
        if self.request.GET.get(self.export_trigger_param):
            return tables.ServiceExportTable
        return super().get_table_class()

    def get_table_kwargs(self):
        if can(self.request.user, "view", "risk.servicerisk"):
            return {}
        return {"exclude": ("risk", "next_review_due")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.is_provider_user:
            context["page_title"] = "Our services"
        return context


class ServiceDetail(ScopedDetailView):
    """The hub page of a service: later issues add ratings, reviews, plans and cases."""

    model = Service
    template_name = "providers/service_detail.html"
    select_related = ("provider", "lead_officer", "risk__policy_version")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["intelligence"] = (
            Intelligence.objects.visible_to(user)
            .applying_to(self.object)
            .select_related("provider", "service", "author")[:20]
        )
        context["contracts"] = Contract.objects.visible_to(user).filter(services=self.object)
        # CQC's predecessor and successor locations (providers.cqc_sync), if the user may see them.
        context["predecessor"] = (
            Service.objects.visible_to(user).filter(pk=self.object.predecessor_id).first()
            if self.object.predecessor_id
            else None
        )
        context["successors"] = Service.objects.visible_to(user).filter(predecessor=self.object)
        context["can_add_intelligence"] = can(user, "add", Intelligence)
        context.update(risk_context(self.object, user))
        context.update(early_warning_views.service_context(self.object, user))
        context.update(concern_views.service_context(self.object, user))
        context["service_reviews"] = (
            Review.objects.visible_to(user)
            .with_visibility(user)
            .filter(service=self.object)
            .order_by("-pk")[:10]
        )
        context["can_plan_review"] = can(user, "add", Review)
        context["service_documents"] = (
            Document.objects.visible_to(user)
            .filter(service=self.object)
            .select_related("issued_by")[:20]
        )
        from escalation.case_views import service_case_context
        from escalation.views import suspension_context

        context.update(suspension_context(self.object, user))
        context.update(service_case_context(self.object, user))
        from escalation.revocation_views import service_context as revocation_context

        context.update(revocation_context(self.object, user))
        from escalation.plan_views import service_context as plan_context

        context.update(plan_context(self.object, user))
        from reviews.shared_views import service_context as shared_outcomes_context

        context.update(shared_outcomes_context(self.object, user))
        return context


class ServiceCreate(ScopedCreateView):
    model = Service
    form_class = forms.ServiceForm
    template_name = "providers/form.html"

    def get_initial(self):
        return {"provider": self.request.GET.get("provider")}


class ServiceEdit(ScopedUpdateView):
    model = Service
    form_class = forms.ServiceForm
    template_name = "providers/form.html"


# --- Contracts --------------------------------------------------------------------------


class ContractList(ScopedListView):
    model = Contract
    table_class = tables.ContractTable
    filterset_class = filters.ContractFilter
    add_label = "Add a contract"
    add_url_name = "providers:contract_create"
    hidden_filters = ("provider", "service")
    select_related = ("provider",)


class ContractDetail(ScopedDetailView):
    model = Contract
    template_name = "providers/contract_detail.html"
    select_related = ("provider",)

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("services", queryset=Service.objects.visible_to(self.request.user))
            )
        )


class ContractCreate(ScopedCreateView):
    model = Contract
    form_class = forms.ContractForm
    template_name = "providers/form.html"

    def get_initial(self):
        return {"provider": self.request.GET.get("provider")}


class ContractEdit(ScopedUpdateView):
    model = Contract
    form_class = forms.ContractForm
    template_name = "providers/form.html"


# --- Intelligence -----------------------------------------------------------------------


class IntelligenceList(ScopedListView):
    model = Intelligence
    table_class = tables.IntelligenceTable
    filterset_class = filters.IntelligenceFilter
    add_label = "Log intelligence"
    add_url_name = "providers:intelligence_create"
    page_title = "Intelligence"
    hidden_filters = ("provider", "service")
    select_related = ("service", "provider")


class IntelligenceDetail(ScopedDetailView):
    model = Intelligence
    template_name = "providers/intelligence_detail.html"
    select_related = ("service__provider", "provider", "author")

    def get_object(self, queryset=None):
        entry = super().get_object(queryset)
        # SPEC §10: who opened a confidential entry goes to the administrator's access log.
        services.record_view(
            entry, user=self.request.user, ip_address=self.request.META.get("REMOTE_ADDR")
        )
        return entry


class IntelligenceCreate(ScopedCreateView):
    model = Intelligence
    form_class = forms.IntelligenceForm
    template_name = "providers/form.html"
    success_message = "Intelligence logged: %(object)s"
    form_title = "Log intelligence"

    def get_initial(self):
        return {
            "service": self.request.GET.get("service"),
            "provider": self.request.GET.get("provider"),
            "kind": self.request.GET.get("kind"),
        }

    def get_success_url(self):
        subject = self.object.subject
        return subject.get_absolute_url() if subject else reverse("providers:intelligence_list")


class IntelligenceEdit(ScopedUpdateView):
    model = Intelligence
    form_class = forms.IntelligenceForm
    template_name = "providers/form.html"


# --- Evidence library (SPEC §6, §10) ------------------------------------------------------

EVIDENCE_PAGE_SIZE = 50


@login_required
def evidence_library(request):
    """``/evidence/``: a provider user's own library, with the upload form; for staff, the
    evidence of every provider (each provider's page has its own, with the form)."""
    user = request.user
    return _evidence_page(request, user.provider if user.is_provider_user else None)


@login_required
def provider_evidence(request, pk: int):
    """``/providers/<id>/evidence/``: one provider's library (404 outside the user's scope)."""
    return _evidence_page(request, get_scoped_or_404(Provider, request.user, pk))


def _evidence_page(request, provider: Provider | None):
    user = request.user
    if not can(user, "view", Evidence):
        raise PermissionDenied("Your role does not allow this.")
    may_upload = provider is not None and can(user, "add", Evidence)
    if request.method == "POST" and not may_upload:
        raise PermissionDenied("Your role does not allow uploads here.")
    form = forms.EvidenceForm(request.POST or None, request.FILES or None) if may_upload else None
    if request.method == "POST" and form.is_valid():
        evidence = _upload(form, services.add_evidence, provider=provider, actor=user)
        if evidence is not None:
            _uploaded_message(request, evidence)
            return redirect(request.path)
    # The current version of each document; older versions are on each file's page.
    rows = (
        Evidence.objects.visible_to(user)
        .current()
        .select_related("uploaded_by", "provider", "next_version")
    )
    if provider is not None:
        rows = rows.filter(provider=provider)
    page = Paginator(rows, EVIDENCE_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for item in page:
        _label(item, user, today)
    context = {
        "provider": provider,
        "own": user.is_provider_user,
        "form": form,
        "page_obj": page,
        "review_due_count": rows.review_due(today).count(),
    }
    return TemplateResponse(request, "providers/evidence_library.html", context)


def _upload(form, add, **kwargs) -> Evidence | None:
    """``add`` (add_evidence or add_new_version) with the form's data, or None with the
    refusal on the form: a refused file, a date rule, a newer version someone added first."""
    data = form.cleaned_data
    try:
        return add(
            title=data["title"],
            evidence_date=data["evidence_date"],
            review_by=data.get("review_by"),
            upload=data["file"],
            **kwargs,
        )
    except UploadRefused as exc:
        form.add_error("file", exc.reason)
    except ValidationError as exc:
        form.add_error(None, exc)
    except NotNow as exc:
        form.add_error(None, exc.reason)
    return None


def _uploaded_message(request, evidence: Evidence) -> None:
    messages.success(
        request,
        f"\u201c{evidence.title}\u201d uploaded. It can be downloaded once the virus "
        "scan has found it clean, usually within a minute.",
    )


def _label(item: Evidence, user, today) -> None:
    """What the library and the file's page show of a file for ``user`` on ``today``."""
    item.type_label = type_label(item.extension)
    item.downloadable = user.has_role("admin") or item.scan_status == ScanStatus.CLEAN
    item.asks_review = item.review_due(today)


def _get_evidence_for_user(request, pk: int) -> Evidence:
    """The file if ``request.user`` may see it; 404 otherwise (another provider's file)."""
    if not can(request.user, "view", Evidence):
        raise PermissionDenied("Your role does not allow this.")
    return get_object_or_404(
        Evidence.objects.visible_to(request.user).select_related(
            "provider", "uploaded_by", "next_version"
        ),
        pk=pk,
    )


USES_PAGE_SIZE = 50


@require_GET
@login_required
def evidence_detail(request, pk: int):
    """One file: its dates, scan, versions and where it was used (issue 12)."""
    user = request.user
    evidence = _get_evidence_for_user(request, pk)
    today = timezone.localdate()
    versions = evidence.versions()
    for item in versions:
        _label(item, user, today)
    page = Paginator(uses_visible_to(evidence, user), USES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "evidence": evidence,
        "own": user.is_provider_user,
        "versions": versions,
        "item": next(v for v in versions if v.pk == evidence.pk),
        "page_obj": page,
        "uses": describe(page.object_list),
        "may_replace": evidence.is_current and can(user, "add", Evidence),
    }
    return TemplateResponse(request, "providers/evidence_detail.html", context)


@login_required
def evidence_new_version(request, pk: int):
    """Upload a new version of a file: the old one stays, with its uses (issue 12)."""
    user = request.user
    evidence = _get_evidence_for_user(request, pk)
    if not can(user, "add", Evidence):
        raise PermissionDenied("Your role does not allow uploads.")
    if not evidence.is_current:
        messages.info(request, services.NEWER_VERSION_EXISTS)
        return redirect(evidence.get_absolute_url())
    initial = {"title": evidence.title}
    form = forms.NewVersionForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        new = _upload(form, services.add_new_version, previous=evidence, actor=user)
        if new is not None:
            _uploaded_message(request, new)
            return redirect(new.get_absolute_url())
    context = {"evidence": evidence, "form": form, "own": user.is_provider_user}
    return TemplateResponse(request, "providers/evidence_new_version.html", context)


@require_GET
@login_required
def evidence_download(request, pk: int):
    """One evidence file, to those who may see it once it is clean (administrators always):
    404 for everyone else, as if it did not exist."""
    evidence = get_object_or_404(Evidence.objects.downloadable_by(request.user), pk=pk)
    return serve_evidence(request, evidence)


def serve_evidence(request, evidence: Evidence) -> FileResponse:
    """The file as an attachment of its checked type, after the download is logged (the page
    and the API both answer with this)."""
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        logger.error("Evidence %s: its file %s is missing", evidence.pk, evidence.file.name)
        raise Http404("The file of this evidence is missing.") from None
    try:
        services.record_download(
            evidence, user=request.user, ip_address=request.META.get("REMOTE_ADDR")
        )
    except Exception:
        handle.close()
        raise
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(evidence.original_name, evidence.extension),
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it anyway: no scripts, no requests, no same-origin access.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Cache-Control: no-store, as on every answer to a signed-in user (qaf/caching.py).
    return response
