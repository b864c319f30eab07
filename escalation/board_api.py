"""``/api/v1/board-meetings/`` (SPEC §6 "Board", §9): the board's meetings in order, each with
its agenda, attendance, quorum in words, papers and decisions; arranging one (create); the
steps ``issue-papers``, ``record-attendance`` and ``cancel``; ``decide`` (a decision about an
agenda item: 409 with the reason at a meeting that was not quorate); ``notes``; and the latest
board pack as a PDF (``pack``).

Staff read it; managers and board members act; provider users are refused (403). A step the
rules refuse answers 403 or 409 with its reason and changes nothing (``qaf.drf``).
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from escalation import board, board_pack
from escalation import board_services as services
from escalation.models import (
    AgendaItem,
    Attendance,
    BoardDecision,
    BoardMeeting,
    BoardMember,
    BoardRole,
    MeetingKind,
    MeetingStatus,
    MemberKind,
)
from qaf.api import PDFRenderer, StrictIntegerField, StrictPrimaryKeyRelatedField
from qaf.concurrency import MAX_VERSION
from qaf.models import Document


def _name(user) -> str | None:
    return (user.get_full_name() or user.username) if user else None


def _label(content_type: ContentType) -> str:
    return f"{content_type.app_label}.{content_type.model}"


# --- What is read --------------------------------------------------------------------------------


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    label = serializers.CharField()


class PaperSerializer(serializers.Serializer):
    heading = serializers.CharField()
    text = serializers.CharField(allow_blank=True)


class BoardDecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    meeting = serializers.IntegerField()
    subject_type = serializers.CharField(help_text="app_label.model, e.g. escalation.case")
    subject_id = serializers.IntegerField()
    subject = serializers.CharField(help_text="The subject's title")
    outcome = serializers.CharField(help_text="The step it authorises")
    outcome_label = serializers.CharField()
    reason = serializers.CharField()
    recorded_by = serializers.CharField(allow_null=True)
    recorded_at = serializers.DateTimeField()
    used_at = serializers.DateTimeField(
        allow_null=True, help_text="When the step it authorised was taken"
    )
    decision_makers_present = serializers.ListField(
        child=serializers.CharField(), help_text="Who decided: the decision makers present"
    )


class AgendaItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    subject_type = serializers.CharField()
    subject_id = serializers.IntegerField()
    title = serializers.CharField()
    papers = PaperSerializer(many=True)
    outcomes = OutcomeSerializer(many=True, help_text="What the board may decide about it now")
    previous_decisions = BoardDecisionSerializer(many=True, help_text="Of earlier meetings")


class AttendanceSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=MemberKind.choices, help_text="On the day")
    role = serializers.ChoiceField(choices=BoardRole.choices, help_text="On the day")
    present = serializers.BooleanField()


class PackSerializer(serializers.Serializer):
    issued_at = serializers.DateTimeField()
    pdf_status = serializers.ChoiceField(choices=Document.Status.choices)
    pdf = serializers.CharField(allow_null=True, help_text="The PDF's address, once produced")


class BoardMeetingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    place = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=MeetingStatus.choices)
    agenda_count = serializers.IntegerField()
    papers_issued_at = serializers.DateTimeField(allow_null=True)
    papers_issued_by = serializers.CharField(allow_null=True)
    papers_late = serializers.BooleanField(
        allow_null=True, help_text="Issued (or due) fewer than board_papers_days days before"
    )
    papers_notice = serializers.CharField(allow_null=True, help_text="The papers' date in words")
    quorate = serializers.BooleanField(allow_null=True, help_text="Null until it is held")
    quorum = serializers.CharField(allow_null=True, help_text="The quorum in words, once held")
    cancel_reason = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    url = serializers.CharField(help_text="The meeting's page")


class BoardMeetingDetailSerializer(BoardMeetingSerializer):
    notes_label = serializers.CharField(help_text="Minutes when quorate, else notes")
    notes = serializers.CharField(allow_blank=True)
    agenda = AgendaItemSerializer(many=True)
    attendance = AttendanceSerializer(many=True, help_text="Empty until it is held")
    decisions = BoardDecisionSerializer(many=True)
    pack = PackSerializer(allow_null=True, help_text="The latest board pack")


def _decision_data(decision: BoardDecision, makers: list[str], outcomes=None) -> dict:
    subject = decision.subject
    if outcomes is None:
        outcomes = board.subject_outcomes(subject)
    return {
        "id": decision.pk,
        "meeting": decision.meeting_id,
        "subject_type": _label(decision.subject_type),
        "subject_id": decision.subject_id,
        "subject": board.subject_title(subject),
        "outcome": decision.outcome,
        "outcome_label": board.outcome_label(decision.outcome, outcomes),
        "reason": decision.reason,
        "recorded_by": _name(decision.recorded_by),
        "recorded_at": decision.recorded_at,
        "used_at": decision.used_at,
        "decision_makers_present": makers,
    }


def _makers(meeting_id: int) -> list[str]:
    present = Attendance.objects.filter(
        meeting_id=meeting_id, present=True, kind=MemberKind.DECISION_MAKER
    ).select_related("member__user")
    return sorted(_name(a.member.user) for a in present)


def _meeting_data(request, meeting: BoardMeeting, *, full: bool) -> dict:
    held = meeting.status == MeetingStatus.HELD
    notice = (
        board.meeting_papers_notice(meeting) if meeting.status != MeetingStatus.CANCELLED else None
    )
    data = {
        "id": meeting.pk,
        "starts_at": meeting.starts_at,
        "kind": meeting.kind,
        "place": meeting.place,
        "status": meeting.status,
        "agenda_count": (
            meeting.agenda_count if hasattr(meeting, "agenda_count") else meeting.agenda.count()
        ),
        "papers_issued_at": meeting.papers_issued_at,
        "papers_issued_by": _name(meeting.papers_issued_by),
        "papers_late": notice.late if notice else None,
        "papers_notice": notice.text if notice else None,
        "quorate": meeting.quorate if held else None,
        "quorum": board.meeting_quorum(meeting).reason if held else None,
        "cancel_reason": meeting.cancel_reason,
        "version": meeting.version,
        "url": request.build_absolute_uri(meeting.get_absolute_url()),
    }
    if not full:
        return data
    makers = _makers(meeting.pk) if held else []
    rows = board_pack.agenda_rows(meeting)
    agenda = [
        {
            "id": row.item.pk,
            "order": row.item.order,
            "subject_type": _label(row.item.subject_type),
            "subject_id": row.item.subject_id,
            "title": row.title,
            "papers": [{"heading": h, "text": t} for h, t in row.papers],
            "outcomes": [{"outcome": o, "label": label} for o, label in row.outcomes],
            "previous_decisions": [
                _decision_data(d.decision, _makers(d.decision.meeting_id), row.outcomes)
                for d in row.previous
            ],
        }
        for row in rows
    ]
    attendance = [
        {
            "member": a.member_id,
            "name": _name(a.member.user),
            "kind": a.kind,
            "role": a.role,
            "present": a.present,
        }
        for a in meeting.attendance.select_related("member__user").order_by("member_id")
    ]
    decisions = [
        _decision_data(d, makers)
        for d in meeting.decisions.select_related("recorded_by", "subject_type").order_by(
            "recorded_at", "pk"
        )
    ]
    latest = board_pack.packs_of(meeting).first()
    pack = None
    if latest is not None:
        ready = latest.status == Document.Status.READY
        pdf = reverse("api:board-meeting-pack", args=[meeting.pk])
        pack = {
            "issued_at": latest.issued_at,
            "pdf_status": latest.status,
            "pdf": request.build_absolute_uri(pdf) if ready else None,
        }
    return data | {
        "notes_label": meeting.notes_label,
        "notes": meeting.notes,
        "agenda": agenda,
        "attendance": attendance,
        "decisions": decisions,
        "pack": pack,
    }


# --- What is sent --------------------------------------------------------------------------------


class ArrangeSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(help_text="Date and time (Europe/London when no offset)")
    kind = serializers.ChoiceField(choices=MeetingKind.choices, default=MeetingKind.SCHEDULED)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class AttendanceBodySerializer(serializers.Serializer):
    present = StrictPrimaryKeyRelatedField(
        many=True,
        queryset=BoardMember.objects.filter(active=True),
        allow_empty=False,
        help_text="The ids of the active members present (GET board-meetings/{id}/ lists none "
        "before; the members page shows them)",
    )


class DecideSerializer(serializers.Serializer):
    agenda_item = StrictIntegerField(
        required=False, allow_null=True, help_text="The agenda item decided about"
    )
    subject_type = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Instead of agenda_item: the subject's app_label.model",
    )
    subject_id = StrictIntegerField(
        required=False, allow_null=True, min_value=1, help_text="…and its id"
    )
    outcome = serializers.CharField(max_length=40, help_text="One of the item's outcomes")
    reason = serializers.CharField()

    def validate(self, attrs):
        if attrs.get("agenda_item") is None and not (
            attrs.get("subject_type") and attrs.get("subject_id")
        ):
            raise ValidationError(
                {"agenda_item": ["Name the agenda item, or the subject_type and subject_id."]}
            )
        return attrs


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField()


class NotesSerializer(serializers.Serializer):
    notes = serializers.CharField(allow_blank=True)
    version = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_VERSION,
        help_text="The version you read the meeting at: a save since then refuses this (409)",
    )


def _item_named(meeting: BoardMeeting, data: dict) -> AgendaItem:
    """The agenda item the body names: by its id, or by its subject (a 400 if not on it)."""
    items = meeting.agenda.select_related("subject_type")
    if data.get("agenda_item") is not None:
        item = items.filter(pk=data["agenda_item"]).first()
        if item is None:
            raise ValidationError({"agenda_item": ["No such item on this meeting's agenda."]})
        return item
    app_label, _, model = data["subject_type"].partition(".")
    subject_type = ContentType.objects.filter(app_label=app_label, model=model.lower()).first()
    item = (
        items.filter(subject_type=subject_type, subject_id=data["subject_id"]).first()
        if subject_type
        else None
    )
    if item is None:
        raise ValidationError({"subject_id": ["That subject is not on this meeting's agenda."]})
    return item


class BoardMeetingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = BoardMeeting.objects.all()
    serializer_class = BoardMeetingSerializer
    filterset_fields = ["status", "kind", "quorate"]
    ordering_fields = ["starts_at", "id"]
    scope_action: str | None = None  # set per step (qaf.permissions)

    def get_queryset(self):
        return (
            BoardMeeting.objects.visible_to(self.request.user)
            .select_related("papers_issued_by")
            .annotate(agenda_count=Count("agenda"))
            .order_by("-starts_at", "-pk")
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = [_meeting_data(request, m, full=False) for m in page]
        return self.get_paginated_response(BoardMeetingSerializer(rows, many=True).data)

    @extend_schema(responses=BoardMeetingDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return self._respond(self.get_object())

    def _respond(self, meeting: BoardMeeting, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=meeting.pk)
        body = BoardMeetingDetailSerializer(_meeting_data(self.request, fresh, full=True)).data
        return Response(body, status=code)

    @extend_schema(
        request=ArrangeSerializer,
        responses={201: BoardMeetingDetailSerializer},
        summary="Arrange a meeting: scheduled, or urgent and virtual",
    )
    def create(self, request, *args, **kwargs):
        data = ArrangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = services.arrange(actor=request.user, **data.validated_data)
        return self._respond(meeting, status.HTTP_201_CREATED)

    def _step(self, request, step: str, body: type[serializers.Serializer] | None) -> Response:
        meeting = self.get_object()  # the id first: an unknown one is a 404 whatever the body
        params = {}
        if body is not None:
            data = body(data=request.data)
            data.is_valid(raise_exception=True)
            params = data.validated_data
        services.take_step(meeting, step, actor=request.user, **params)
        return self._respond(meeting)

    @extend_schema(
        request=None,
        responses=BoardMeetingDetailSerializer,
        summary="Issue the papers (the board pack) to the members; late papers are warned of",
    )
    @action(detail=True, methods=["post"], url_path="issue-papers", scope_action="act")
    def issue_papers(self, request, pk=None):
        return self._step(request, "issue-papers", None)

    @extend_schema(
        request=AttendanceBodySerializer,
        responses=BoardMeetingDetailSerializer,
        summary="Record who attended: the meeting is held, quorate or not",
    )
    @action(detail=True, methods=["post"], url_path="record-attendance", scope_action="act")
    def record_attendance(self, request, pk=None):
        return self._step(request, "record-attendance", AttendanceBodySerializer)

    @extend_schema(
        request=CancelSerializer,
        responses=BoardMeetingDetailSerializer,
        summary="Cancel a planned meeting, with the reason",
    )
    @action(detail=True, methods=["post"], scope_action="act")
    def cancel(self, request, pk=None):
        return self._step(request, "cancel", CancelSerializer)

    @extend_schema(
        request=DecideSerializer,
        responses={201: BoardDecisionSerializer},
        summary="Record the meeting's decision about an agenda item (409 unless quorate)",
    )
    @action(detail=True, methods=["post"], scope_action="decide")
    def decide(self, request, pk=None):
        meeting = self.get_object()
        data = DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = _item_named(meeting, data.validated_data)
        decision = services.decide(
            meeting,
            item=item,
            outcome=data.validated_data["outcome"],
            reason=data.validated_data["reason"],
            actor=request.user,
        )
        body = BoardDecisionSerializer(_decision_data(decision, _makers(meeting.pk))).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=NotesSerializer,
        responses=BoardMeetingDetailSerializer,
        summary="Save the minutes (quorate) or notes (not quorate) of a held meeting",
    )
    @action(detail=True, methods=["post"], scope_action="act")
    def notes(self, request, pk=None):
        meeting = self.get_object()
        data = NotesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.save_notes(
            meeting,
            actor=request.user,
            notes=data.validated_data["notes"],
            version=data.validated_data.get("version"),
        )
        return self._respond(meeting)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The latest board pack, as an attachment"
            ),
            404: OpenApiResponse(description="No such meeting, or no pack produced yet"),
        }
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, PDFRenderer],
        scope_action="view",
    )
    def pack(self, request, pk=None):
        from qaf.views import serve_document

        meeting = self.get_object()
        document = board_pack.packs_of(meeting).filter(status=Document.Status.READY).first()
        if document is None:
            raise Http404("No board pack has been produced for this meeting yet.")
        return serve_document(document)
