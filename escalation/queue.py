"""The escalation queue (issue 11 item 3, SPEC §6 "Board"): the open cases, for the board
members and managers who work through them (and the officers and partners who read them), with
each case's stage, days in stage, next deadline, next board meeting, concern level and the
service's commissioning status; sortable, filterable and downloadable like every list.

The columns are database expressions on one query (``queue_rows``), so sorting, filtering and
the download work on them as on any field, for a page or for every row:

- *days in stage*: today less the day the case entered its stage;
- *next deadline*: the earliest of the case's clocks (6 months from the referral to the board,
  6 months from a final warning, the sustainability review 6 months after leaving one) and
  whatever else an app adds to ``DEADLINES`` (a Quality Improvement Meeting's open actions);
- *next meeting*: the first board meeting still to be held with the case on its agenda.

The queue is the council's: provider users never see it (each sees its own case on its
service's page).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import django_filters as df
import django_tables2 as tables
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    DateField,
    DateTimeField,
    Expression,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least, TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from escalation.models import (
    CLOCK_STAGES,
    LADDER,
    AgendaItem,
    EscalationCase,
    Level,
    MeetingStatus,
    Stage,
)
from providers.filters import ScopedFilterSet, _checkboxes
from providers.models import CommissioningStatus
from providers.tables import DateColumn
from qaf.exports import choice, field, iso_date
from qaf.generic import ScopedListView

QUEUE = "escalation.queue"  # the pseudo-model of qaf.scoping.POLICY


def _qim_action_due() -> Subquery:
    """The earliest date of the case's open QIM actions (an overdue one is earliest of all)."""
    from escalation.models import QimAction

    actions = QimAction.objects.filter(qim__case=OuterRef("pk")).open().order_by("due_on")
    return Subquery(actions.values("due_on")[:1], output_field=DateField())


def _qim_meeting_day() -> Subquery:
    """The day of the case's next QIM not yet held."""
    from escalation.models import QualityImprovementMeeting
    from escalation.qim_services import OPEN_MEETINGS

    meetings = QualityImprovementMeeting.objects.filter(
        case=OuterRef("pk"), status__in=OPEN_MEETINGS
    ).order_by("starts_at")
    return Subquery(
        meetings.annotate(day=TruncDate("starts_at")).values("day")[:1], output_field=DateField()
    )


# Further deadlines of a case, as expressions on EscalationCase rows: name -> a function
# returning the expression. The next deadline is the earliest of these and the case's running
# clocks (the same as ``escalation.qim_services.next_qim_deadline`` says on the case's page).
DEADLINES: dict[str, Callable[[], Expression]] = {
    "qim_action": _qim_action_due,
    "qim_meeting": _qim_meeting_day,
}


class DaysSince(Func):
    """``day - column`` in whole days (PostgreSQL: date minus date is an integer)."""

    template = "(%(expressions)s)"
    arg_joiner = " - "
    output_field = IntegerField()

    def __init__(self, day: date, column: str):
        super().__init__(Value(day, output_field=DateField()), F(column))


def _stage_order() -> Expression:
    return Case(
        *(When(stage=stage, then=Value(n)) for n, stage in enumerate(LADDER)),
        default=Value(len(LADDER)),
        output_field=IntegerField(),
    )


def _next_meeting() -> Subquery:
    items = AgendaItem.objects.filter(
        subject_type=ContentType.objects.get_for_model(EscalationCase),
        subject_id=OuterRef("pk"),
        meeting__status=MeetingStatus.PLANNED,
        meeting__starts_at__gte=timezone.now(),
    ).order_by("meeting__starts_at")
    return Subquery(items.values("meeting__starts_at")[:1], output_field=DateTimeField())


def _next_deadline() -> Expression:
    """The earliest running clock (``CLOCK_STAGES``: a clock counts only at its stages) and
    the apps' own deadlines. PostgreSQL's LEAST passes over NULLs."""
    running = [
        Case(When(stage__in=sorted(stages), then=F(name)), default=None, output_field=DateField())
        for name, stages in CLOCK_STAGES.items()
    ]
    return Least(*running, *(make() for make in DEADLINES.values()), output_field=DateField())


def queue_rows(user, *, today: date | None = None) -> QuerySet:
    """The open cases this user may see, with the queue's columns as annotations."""
    today = today or timezone.localdate()
    return (
        EscalationCase.objects.visible_to(user)
        .open()
        .select_related("service", "service__provider", "lead")
        .annotate(
            stage_order=_stage_order(),
            days_in_stage=DaysSince(today, "stage_entered_on"),
            next_deadline=_next_deadline(),
            next_meeting=_next_meeting(),
            concern_level=Coalesce(F("service__concern__level"), Value(Level.ONE)),
        )
    )


STAGE_LABELS = dict(Stage.choices)
LEVEL_LABELS = dict(Level.choices)
STATUS_LABELS = dict(CommissioningStatus.choices)
# The page's narrow column says it in a word or two; the download has the whole label.
SHORT_STATUS = {
    CommissioningStatus.OPEN: "Open",
    CommissioningStatus.RESTRICTED: "Restricted",
    CommissioningStatus.SUSPENDED: "Suspended",
    CommissioningStatus.DECOMMISSIONED: "Decommissioned",
}


QUEUE_EXPORT = (
    field("service", "service__name"),
    field("provider", "service__provider__name"),
    field("stage", convert=choice(STAGE_LABELS)),
    field("days_in_stage"),
    field("next_deadline", convert=iso_date),
    field("next_meeting", convert=lambda v: timezone.localdate(v).isoformat() if v else None),
    field("concern_level", convert=choice(LEVEL_LABELS)),
    field("commissioning_status", "service__commissioning_status", convert=choice(STATUS_LABELS)),
)


class MeetingColumn(tables.Column):
    """A meeting's start, as its day: en-GB on the page, ISO in downloads."""

    def render(self, value):
        return date_format(timezone.localtime(value), "j M Y")

    def value(self, value):
        return timezone.localdate(value).isoformat() if value else ""


class DeadlineColumn(DateColumn):
    """The next deadline, tagged when it has passed."""

    def render(self, value):
        text = super().render(value)
        if value < timezone.localdate():
            return format_html('{} <strong class="govuk-tag govuk-tag--red">Overdue</strong>', text)
        return text


class QueueTable(tables.Table):
    service = tables.Column(order_by=("service__name",))
    # On the page the provider is under the service's name; the download has its own column.
    provider = tables.Column(
        accessor="service__provider__name", verbose_name="Provider", visible=False
    )
    stage = tables.Column(order_by=("stage_order",))
    days_in_stage = tables.Column(
        verbose_name="Days in stage", attrs={"td": {"class": "govuk-table__cell--numeric"}}
    )
    next_deadline = DeadlineColumn(verbose_name="Next deadline")
    next_meeting = MeetingColumn(verbose_name="Board meeting", empty_values=(None,))
    concern_level = tables.Column(verbose_name="Concern")
    commissioning_status = tables.Column(
        accessor="service__commissioning_status", verbose_name="Placements"
    )

    class Meta:
        model = EscalationCase
        fields = [
            "service",
            "provider",
            "stage",
            "days_in_stage",
            "next_deadline",
            "next_meeting",
            "concern_level",
            "commissioning_status",
        ]
        order_by = ("-days_in_stage",)
        empty_text = (
            "No open escalation cases match. An officer or manager opens a case from a "
            "service's page."
        )

    export_fields = QUEUE_EXPORT

    def render_service(self, record, value):
        return format_html(
            '<a class="govuk-link" href="{}">{}</a><br>'
            '<span class="govuk-caption-m govuk-!-font-size-16">{}</span>',
            record.get_absolute_url(),
            value,
            record.service.provider.name,
        )

    def value_service(self, value):
        return value

    def render_concern_level(self, value):
        return f"Level {value}"

    def value_concern_level(self, value):
        return LEVEL_LABELS.get(value, value)

    def render_commissioning_status(self, record, value):
        # ``value`` is already the choice's label (django-tables2 reads get_FOO_display).
        return SHORT_STATUS.get(record.service.commissioning_status, value)

    def value_commissioning_status(self, value):
        return STATUS_LABELS.get(value, value)


class QueueFilter(ScopedFilterSet):
    q = df.CharFilter(method="filter_q", label="Service or provider name")
    stage = df.MultipleChoiceFilter(
        choices=[(s.value, s.label) for s in LADDER], widget=_checkboxes(), distinct=False
    )
    concern_level = df.MultipleChoiceFilter(
        choices=Level.choices, widget=_checkboxes(), distinct=False, label="Concern level"
    )
    commissioning_status = df.MultipleChoiceFilter(
        field_name="service__commissioning_status",
        choices=CommissioningStatus.choices,
        widget=_checkboxes(),
        distinct=False,
        label="Commissioning status",
    )
    overdue = df.BooleanFilter(
        method="filter_overdue", label="Only cases past a deadline", widget=forms.CheckboxInput
    )
    on_agenda = df.BooleanFilter(
        method="filter_on_agenda",
        label="Only cases on a coming board meeting's agenda",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = EscalationCase
        fields = ["q", "stage", "concern_level", "commissioning_status", "overdue", "on_agenda"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(service__name__icontains=value) | queryset.filter(
            service__provider__name__icontains=value
        )

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(next_deadline__lt=timezone.localdate()) if value else queryset

    def filter_on_agenda(self, queryset, name, value):
        return queryset.filter(next_meeting__isnull=False) if value else queryset


class QueueView(ScopedListView):
    model = EscalationCase
    table_class = QueueTable
    filterset_class = QueueFilter
    page_title = "Escalation queue"
    template_name = "escalation/queue.html"
    policy_model = QUEUE

    def get_queryset(self):
        return queue_rows(self.request.user)

    def get_export_filename(self, export_format):
        return f"escalation-queue.{export_format}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = False
        return context


case_queue = QueueView.as_view()
