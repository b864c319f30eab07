"""Generic views for scoped objects: list (filter, sort, paginate, export), detail, create, edit.

Each asks ``can(user, action, model)`` (else 403) and fetches through ``visible_to`` (else 404),
so a concrete view only declares its model, table, filters and form.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms import HiddenInput, IntegerField
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.generic import CreateView, DetailView, UpdateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin

from qaf.concurrency import MAX_VERSION, StaleEdit, check_version
from qaf.exports import ValuesExport
from qaf.scoping import can

HISTORY_LIMIT = 25
_COLUMN_NAME = re.compile(r"-?[A-Za-z_][A-Za-z0-9_]*")


def render_partial_or_page(request, page_template: str, partial_template: str, context: dict):
    """One view serves the whole page, or just the part that HTMX asked for."""
    template = partial_template if getattr(request, "htmx", False) else page_template
    return TemplateResponse(request, template, context)


def history_rows(obj, limit: int = HISTORY_LIMIT) -> list[dict]:
    """The latest changes of ``obj`` as rows of (when, who, what changed: field, old, new)."""
    records = list(obj.history.select_related("history_user").order_by("-history_id")[: limit + 1])
    rows = []
    for record, previous in zip(records, [*records[1:], None], strict=False):
        if len(rows) == limit:
            break
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                if change.field in {"version", "updated_at"}:
                    continue
                field = obj._meta.get_field(change.field)
                changes.append(
                    (
                        str(field.verbose_name).capitalize(),
                        _display(record, previous, field, change.old),
                        _display(record, previous, field, change.new),
                    )
                )
        rows.append(
            {
                "history_date": record.history_date,
                "history_user": record.history_user,
                "history_type": record.history_type,
                "changes": changes,
            }
        )
    return rows


def _display(record, previous, field, value) -> str:
    if field.many_to_many:
        return f"{len(value or [])} linked"
    if field.choices and value not in (None, ""):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, list):
        if any(isinstance(v, dict | list) for v in value):  # JSON records (a summary's ratings)
            return f"{len(value)} entr{'y' if len(value) == 1 else 'ies'}"
        labels = dict(field.base_field.flatchoices) if hasattr(field, "base_field") else {}
        return ", ".join(str(labels.get(v, v)) for v in value) or "none"
    if value in (None, ""):
        return "(blank)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return f"{date_format(timezone.localtime(value), 'j F Y H:i')}"
    if isinstance(value, date):
        return date_format(value, "j F Y")
    if field.many_to_one or field.one_to_one:
        # The history holds the id: show what it names (a person, a service).
        related = field.related_model._base_manager.filter(pk=value).first()
        if related is not None:
            full_name = getattr(related, "get_full_name", None)
            return (full_name() if full_name else "") or str(related)
    return str(value)


class ScopedMixin(LoginRequiredMixin):
    """Role check first (403 for any object), then scope (404 outside it)."""

    permission_action = "view"
    # The POLICY entry the role check reads, when it is not the model's own (a list of the
    # model's rows for staff only, such as the escalation queue).
    policy_model: str | None = None

    @property
    def policy_name(self):
        return self.policy_model or self.model

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not can(request.user, self.permission_action, self.policy_name):
            raise PermissionDenied("Your role does not allow this.")
        return super().dispatch(request, *args, **kwargs)

    def scoped_queryset(self):
        return self.model.objects.visible_to(self.request.user)


class ScopedListView(ScopedMixin, ExportMixin, SingleTableMixin, FilterView):
    """List page with django-filter filters, django-tables2 sorting/pagination and CSV/XLSX.

    An HTMX request (the filter form updating as you type) gets only the results partial.
    """

    # One paginator, the table's. ListView paginating as well counted the rows a second time:
    # a COUNT(*) of the whole filtered list, the dearest query of a 100,000-row list.
    paginate_by = None
    table_pagination = {"per_page": 50}
    template_name = "includes/list_page.html"
    page_title = ""
    add_label = ""
    add_url_name = ""
    # Filters the API and links use but the filter panel does not offer (long choice lists).
    hidden_filters: tuple[str, ...] = ()
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    partial_template_name = "includes/list_results.html"
    export_formats = ("csv", "xlsx")
    exclude_columns = ("actions",)
    # A table with export_fields is downloaded with one values_list query (qaf.exports).
    export_class = ValuesExport

    def get_queryset(self):
        qs = self.scoped_queryset()
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs

    def get(self, request, *args, **kwargs):
        # ``?sort=`` names columns; anything else (``?sort=1.5``) is dropped rather than handed
        # to django-tables2, which would read it as a path of attributes.
        sort = request.GET.getlist("sort")
        if sort and not all(_COLUMN_NAME.fullmatch(value) for value in sort):
            request.GET = request.GET.copy()
            del request.GET["sort"]
        return super().get(request, *args, **kwargs)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["request"] = self.request
        return kwargs

    def get_table_pagination(self, table):
        # A download has every row: counting them for a page nobody sees is a COUNT(*) of the
        # whole filtered list (twice: the page's table and the download's).
        if self.export_class.is_valid_format(self.request.GET.get(self.export_trigger_param)):
            return False
        return super().get_table_pagination(table)

    def get_export_filename(self, export_format):
        return f"{self.model._meta.verbose_name_plural.replace(' ', '-')}.{export_format}"

    def render_to_response(self, context, **response_kwargs):
        if self.request.GET.get(self.export_trigger_param) and not can(
            self.request.user, "export", self.policy_name
        ):
            raise PermissionDenied("Your role does not allow exports of this list.")
        return super().render_to_response(context, **response_kwargs)

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:
            return [self.partial_template_name]
        return super().get_template_names()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = self.page_title or self.model._meta.verbose_name_plural.capitalize()
        context["add_label"] = self.add_label
        context["hidden_filters"] = self.hidden_filters
        context["filters_active"] = any(
            value
            for key, value in self.request.GET.items()
            if key not in {"page", "sort", self.export_trigger_param}
        )
        context["add_url"] = reverse(self.add_url_name) if self.add_url_name else ""
        context["can_add"] = can(self.request.user, "add", self.model)
        context["can_export"] = can(self.request.user, "export", self.policy_name)
        context["verbose_name"] = self.model._meta.verbose_name
        context["verbose_name_plural"] = self.model._meta.verbose_name_plural
        return context


class ScopedDetailView(ScopedMixin, DetailView):
    select_related: tuple[str, ...] = ()

    def get_queryset(self):
        return self.scoped_queryset().select_related(*self.select_related)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_change"] = can(self.request.user, "change", self.model)
        context["history"] = history_rows(self.object)
        return context


class _ScopedFormMixin(ScopedMixin):
    success_message = "%(object)s saved"
    form_title = ""  # default: "Add a <model>"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form):
        messages.success(self.request, self.success_message % {"object": form.instance})
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        meta = self.model._meta
        context["form_title"] = self.form_title or f"Add a {meta.verbose_name}"
        context["cancel_url"] = reverse(f"{meta.app_label}:{meta.model_name}_list")
        return context


class ScopedCreateView(_ScopedFormMixin, CreateView):
    permission_action = "add"
    success_message = "%(object)s added"

    def form_valid(self, form):
        with transaction.atomic():
            return super().form_valid(form)


class ScopedUpdateView(_ScopedFormMixin, UpdateView):
    """Edit with a version check: a save that started from an old version is refused."""

    permission_action = "change"

    def get_queryset(self):
        return self.scoped_queryset()

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["version"] = IntegerField(
            widget=HiddenInput, initial=self.object.version, min_value=0, max_value=MAX_VERSION
        )
        return form

    def form_valid(self, form):
        try:
            with transaction.atomic():
                check_version(self.object, form.cleaned_data["version"])
                form.instance.version = self.object.version + 1
                response = super().form_valid(form)
        except StaleEdit as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        return response


# Ids are PostgreSQL bigints (BigAutoField).
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """An id from a request parameter, or None when it is not one ("abc", "1.5", "-1", a
    number beyond any id): never a ValueError (a 500) from ``int()`` or from the query."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) <= MAX_ID:
        return int(value)
    return None


def get_scoped_or_404(model, user, pk, action: str = "view"):
    """The healthchecks-style helper: the object if ``user`` may ``action`` it, else 403/404."""
    if not can(user, action, model):
        raise PermissionDenied("Your role does not allow this.")
    return get_object_or_404(model.objects.visible_to(user), pk=pk)
