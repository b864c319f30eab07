"""The board's pages (SPEC §6 "Board", source 003 Appendix 4): its meetings, upcoming and past
(with CSV and Excel downloads); arranging one; a meeting's page (agenda, members and
attendance, the quorum in words, the papers and their warning, notes or minutes, decisions);
its steps (issue the papers, record the attendance, cancel); a decision per agenda item; the
notes; the board pack; the members.

Thin: each is a form and a call to ``escalation.board_services``. Staff read everything;
managers and board members act; provider users are refused every page (403), and the pack is
a council document they never see. A decision at a meeting that was not quorate is refused
with the reason (409), and its form is not offered there.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from escalation import board, board_pack
from escalation import board_services as services
from escalation.board_forms import (
    ArrangeForm,
    AttendanceForm,
    CancelForm,
    DecisionForm,
    MemberForm,
    NotesForm,
)
from escalation.board_workflows import MEETING
from escalation.models import (
    Attendance,
    BoardDecision,
    BoardMeeting,
    BoardMember,
    MeetingStatus,
    MemberKind,
)
from qaf.concurrency import BadVersion, StaleEdit
from qaf.exports import rows_download
from qaf.forms import add_model_errors
from qaf.generic import history_rows
from qaf.models import Document, User
from qaf.scoping import can

PAST_PER_PAGE = 25
EXPORT_PARAM = "_export"
EXPORT_FORMATS = ("csv", "xlsx")
ROLE_REFUSED = "Your role does not allow this."


def _require(user: User, action: str, model=BoardMeeting) -> None:
    if not can(user, action, model):
        raise PermissionDenied(ROLE_REFUSED)


def _meeting_for(request, pk: int, action: str = "view") -> BoardMeeting:
    """The role first (403), then the meeting (404)."""
    _require(request.user, action)
    meetings = BoardMeeting.objects.visible_to(request.user).select_related("papers_issued_by")
    return get_object_or_404(meetings, pk=pk)


def _with_counts(meetings):
    decisions = (
        BoardDecision.objects.filter(meeting=OuterRef("pk"))
        .order_by()
        .values("meeting")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return meetings.annotate(
        agenda_count=Count("agenda", distinct=True),
        present_count=Count("attendance", filter=Q(attendance__present=True), distinct=True),
        decision_count=Subquery(decisions),
    )


def quorum_words(meeting: BoardMeeting) -> str:
    """The list's quorum column: quorate or not once held."""
    if meeting.status != MeetingStatus.HELD:
        return "Not recorded yet" if meeting.status == MeetingStatus.PLANNED else "Cancelled"
    return "Quorate" if meeting.quorate else "Not quorate"


def _start_of(today: date) -> datetime:
    """Midnight at the start of ``today`` in London: a meeting from then on is upcoming."""
    return timezone.make_aware(datetime.combine(today, time.min))


def _notice(meeting: BoardMeeting, today, days: int | None = None):
    if meeting.status == MeetingStatus.CANCELLED:
        return None
    return board.meeting_papers_notice(meeting, today=today, days=days)


# --- What other pages show -----------------------------------------------------------------------


def home_context(user: User) -> dict:
    """The home page of managers and board members: the next meeting and its agenda."""
    if not can(user, "act", BoardMeeting):
        return {}
    today = timezone.localdate()
    upcoming = _with_counts(
        BoardMeeting.objects.visible_to(user).filter(
            status=MeetingStatus.PLANNED, starts_at__gte=_start_of(today)
        )
    ).order_by("starts_at", "pk")
    meeting = upcoming.first()
    return {
        "board_home": {
            "next": meeting,
            "when": board_pack.when(meeting) if meeting else "",
            "notice": _notice(meeting, today) if meeting else None,
        }
    }


# --- The meetings --------------------------------------------------------------------------------

EXPORT_HEADERS = (
    "Date",
    "Time",
    "Kind",
    "Place",
    "Status",
    "Agenda items",
    "Papers issued",
    "Papers late",
    "Members present",
    "Quorum",
    "Decisions",
)


def _download(meetings, export_format: str, today):
    if export_format not in EXPORT_FORMATS:
        raise Http404("No such download.")
    rows = []
    days = board.papers_days()
    for m in meetings.order_by("-starts_at", "-pk"):
        local = timezone.localtime(m.starts_at)
        notice = _notice(m, today, days)
        rows.append(
            (
                local.date(),
                local.strftime("%H:%M"),
                m.get_kind_display(),
                m.place,
                m.get_status_display(),
                m.agenda_count,
                timezone.localdate(m.papers_issued_at) if m.papers_issued_at else None,
                "Yes" if notice and notice.late else "No",
                m.present_count if m.status == MeetingStatus.HELD else None,
                quorum_words(m),
                m.decision_count or 0,
            )
        )
    filename = f"board-meetings-{today.isoformat()}.{export_format}"
    return rows_download(EXPORT_HEADERS, rows, export_format=export_format, filename=filename)


@login_required
def meetings(request):
    """Upcoming meetings (planned, from today), then the past and cancelled ones."""
    user = request.user
    _require(user, "view")
    today = timezone.localdate()
    every = _with_counts(BoardMeeting.objects.visible_to(user))
    export_format = request.GET.get(EXPORT_PARAM)
    if export_format:
        _require(user, "export")
        return _download(every, export_format, today)
    is_upcoming = Q(status=MeetingStatus.PLANNED, starts_at__gte=_start_of(today))
    upcoming = list(every.filter(is_upcoming).order_by("starts_at", "pk"))
    past = every.exclude(is_upcoming).order_by("-starts_at", "-pk")
    page = Paginator(past, PAST_PER_PAGE).get_page(request.GET.get("page"))
    days = board.papers_days()
    for meeting in [*upcoming, *page.object_list]:
        meeting.notice = _notice(meeting, today, days)
        meeting.quorum_words = quorum_words(meeting)
        meeting.when = board_pack.when(meeting)
    return render(
        request,
        "escalation/board/meetings.html",
        {
            "upcoming": upcoming,
            "page": page,
            "can_add": can(user, "add", BoardMeeting),
            "can_export": can(user, "export", BoardMeeting),
            "can_see_members": can(user, "view", services.MEMBERS_POLICY),
            "required_roles": _required_role_labels(),
        },
    )


def _required_role_labels() -> list[str]:
    from escalation.models import BoardRole

    labels = dict(BoardRole.choices)
    return sorted(str(labels.get(role, role)) for role in board.required_roles())


@login_required
def arrange(request):
    _require(request.user, "add")
    form = ArrangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.arrange(
                actor=request.user,
                starts_at=data["starts_at"],
                kind=data["kind"],
                place=data["place"],
            )
        except services.Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except ValidationError as exc:
            if "starts_at" in getattr(exc, "error_dict", {}):
                exc = ValidationError({"day": exc.error_dict.pop("starts_at")})
            add_model_errors(form, exc)
        else:
            messages.success(request, f"{meeting} arranged. Issue its papers a week before.")
            return redirect(meeting)
    return render(request, "escalation/board/arrange.html", {"form": form})


def _decision_makers_present(meeting: BoardMeeting) -> dict[str, list[str]]:
    """Who decided: the members present, by kind."""
    present = meeting.attendance.filter(present=True).select_related("member__user")
    by_kind: dict[str, list[str]] = {MemberKind.DECISION_MAKER: [], MemberKind.ADVISER: []}
    for a in present.order_by("member__user__last_name", "member__user__first_name"):
        by_kind.setdefault(a.kind, []).append(str(a.member.user))
    return by_kind


@login_required
def meeting_detail(request, pk: int):
    meeting = _meeting_for(request, pk)
    user = request.user
    today = timezone.localdate()
    rows = board_pack.agenda_rows(meeting)
    refusal = board.decision_refusal(meeting)
    can_decide = can(user, "decide", BoardMeeting)
    can_act = can(user, "act", BoardMeeting)
    planned = meeting.status == MeetingStatus.PLANNED
    for row in rows:
        row.can_decide = can_decide and not refusal and not row.decisions and bool(row.outcomes)
        row.can_remove = can_act and planned
    decisions = [
        board_pack._decision_row(d, board.subject_outcomes(d.subject))
        for d in meeting.decisions.select_related("meeting", "recorded_by").prefetch_related(
            "subject"
        )
    ]
    for row in decisions:
        row.title = board.subject_title(row.decision.subject)
        row.url = board.subject_url(row.decision.subject) if row.decision.subject else ""
    held = meeting.status == MeetingStatus.HELD
    return render(
        request,
        "escalation/board/meeting.html",
        {
            "meeting": meeting,
            "when": board_pack.when(meeting),
            "agenda": rows,
            "members": board_pack.members_of(meeting),
            "quorum": board.meeting_quorum(meeting) if held else None,
            "required_roles": _required_role_labels(),
            "notice": _notice(meeting, today),
            "papers_days": board.papers_days(),
            "decision_refusal": refusal if held else "",
            "decisions": decisions,
            "who_decided": _decision_makers_present(meeting) if decisions else None,
            "next_steps": MEETING.actions_for(meeting, user),
            "can_edit_notes": can_act and held,
            "packs": board_pack.packs_of(meeting),
            "history": history_rows(meeting),
        },
    )


# --- Steps ---------------------------------------------------------------------------------------


def _step_form(step: str, meeting: BoardMeeting, data, members):
    if step == "record-attendance":
        return AttendanceForm(data, members=members)
    if step == "cancel":
        return CancelForm(data)
    return None  # issue-papers: a confirmation


def _done(step: str, meeting: BoardMeeting, result) -> str:
    if step == "record-attendance":
        return f"Attendance recorded. {result.reason}"
    if step == "cancel":
        return "The meeting is cancelled."
    notice = board.meeting_papers_notice(meeting)
    return f"The papers are issued and the pack is being produced. {notice.text}"


@login_required
def meeting_step(request, pk: int, step: str):
    t = MEETING.transitions.get(step)
    if t is None or not t.title:
        raise Http404("No such step.")
    meeting = _meeting_for(request, pk, t.permission)
    refusal = MEETING.refusal(meeting, step, request.user)
    if isinstance(refusal, services.Forbidden):
        raise PermissionDenied(refusal.reason)
    members = list(BoardMember.objects.filter(active=True).select_related("user"))
    data = request.POST if request.method == "POST" else None
    form = _step_form(step, meeting, data, members)
    status = 200
    if request.method == "POST" and (form is None or form.is_valid()):
        params = dict(form.cleaned_data) if form is not None else {}
        try:
            done = MEETING.apply(meeting, step, actor=request.user, **params)
        except services.Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except services.WorkflowError as exc:
            status = 409
            if form is None:
                messages.error(request, exc.reason)
            else:
                form.add_error(None, exc.reason)
            refusal = exc
        else:
            messages.success(request, _done(step, meeting, done.result))
            return redirect(meeting)
    today = timezone.localdate()
    preview = None
    if step == "issue-papers":
        preview = board.papers_notice(
            timezone.localdate(meeting.starts_at),
            today,
            days=board.papers_days(),
            today=today,
        )
    return render(
        request,
        "escalation/board/step.html",
        {
            "meeting": meeting,
            "when": board_pack.when(meeting),
            "step": step,
            "title": t.title,
            "button": t.button or t.title,
            "style": t.style,
            "form": form,
            "refusal": refusal.reason if refusal else "",
            "preview": preview,
            "agenda_count": meeting.agenda.count(),
            "required_roles": _required_role_labels(),
        },
        status=status,
    )


def _item_for(meeting: BoardMeeting, item_pk: int):
    return get_object_or_404(meeting.agenda.select_related("subject_type"), pk=item_pk)


@login_required
def decide(request, pk: int, item_pk: int):
    """The meeting's decision about one agenda item: refused, with the reason, at a meeting
    that was not quorate (and not offered there)."""
    meeting = _meeting_for(request, pk, "decide")
    item = _item_for(meeting, item_pk)
    subject = item.subject
    outcomes = board.subject_outcomes(subject)
    refusal = board.decision_refusal(meeting)
    form = DecisionForm(request.POST if request.method == "POST" else None, outcomes=outcomes)
    status = 200
    if request.method == "POST":
        if refusal:
            status = 409  # the reason is on the page; nothing is recorded
        elif form.is_valid():
            try:
                services.decide(meeting, item=item, actor=request.user, **form.cleaned_data)
            except services.Forbidden as exc:
                raise PermissionDenied(exc.reason) from exc
            except services.WorkflowError as exc:
                status = 409
                form.add_error(None, exc.reason)
            else:
                label = board.outcome_label(form.cleaned_data["outcome"], outcomes)
                messages.success(request, f"Decision recorded: {label}.")
                return redirect(meeting)
    return render(
        request,
        "escalation/board/decide.html",
        {
            "meeting": meeting,
            "when": board_pack.when(meeting),
            "item": item,
            "title": board.subject_title(subject),
            "url": board.subject_url(subject) if subject is not None else "",
            "papers": board.subject_papers(subject),
            "refusal": refusal,
            "quorum": board.meeting_quorum(meeting),
            "form": None if refusal else form,
        },
        status=status,
    )


@login_required
def remove_item(request, pk: int, item_pk: int):
    meeting = _meeting_for(request, pk, "act")
    item = _item_for(meeting, item_pk)
    title = board.subject_title(item.subject)
    error = ""
    if request.method == "POST":
        try:
            board.remove_from_agenda(item, actor=request.user)
        except services.Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except services.WorkflowError as exc:
            error = exc.reason
        else:
            messages.success(request, f"{title} is off the agenda.")
            return redirect(meeting)
    return render(
        request,
        "escalation/board/remove_item.html",
        {"meeting": meeting, "when": board_pack.when(meeting), "title": title, "error": error},
        status=409 if error else 200,
    )


@login_required
def notes(request, pk: int):
    meeting = _meeting_for(request, pk, "act")
    label = meeting.notes_label
    initial = {"notes": meeting.notes, "version": meeting.version}
    form = NotesForm(
        request.POST if request.method == "POST" else None, initial=initial, label=label
    )
    status = 200
    if meeting.status != MeetingStatus.HELD:
        status = 409 if request.method == "POST" else 200
        form = None
    elif request.method == "POST" and form.is_valid():
        try:
            services.save_notes(
                meeting,
                actor=request.user,
                notes=form.cleaned_data["notes"],
                version=form.cleaned_data["version"],
            )
        except services.Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except (services.WorkflowError, StaleEdit, BadVersion) as exc:
            status = 409
            form.add_error(None, getattr(exc, "reason", str(exc)))
        else:
            messages.success(request, f"{label.split(' (')[0]} saved.")
            return redirect(meeting)
    return render(
        request,
        "escalation/board/notes.html",
        {
            "meeting": meeting,
            "when": board_pack.when(meeting),
            "label": label,
            "form": form,
            "quorum": board.meeting_quorum(meeting)
            if meeting.status == MeetingStatus.HELD
            else None,
        },
        status=status,
    )


@login_required
def pack(request, pk: int):
    """The meeting's latest board pack, once produced."""
    from qaf.views import serve_document  # qaf.views imports this module (the home page)

    meeting = _meeting_for(request, pk)
    document = board_pack.packs_of(meeting).filter(status=Document.Status.READY).first()
    if document is None:
        raise Http404("No board pack has been produced for this meeting yet.")
    return serve_document(document)


# --- Members -------------------------------------------------------------------------------------


@login_required
def members(request):
    """Who sits on the board; managers and the administrator add members and change roles."""
    user = request.user
    _require(user, "view", services.MEMBERS_POLICY)
    can_change = can(user, "change", services.MEMBERS_POLICY)
    if request.method == "POST" and not can_change:
        raise PermissionDenied(ROLE_REFUSED)
    form = MemberForm(request.POST if request.method == "POST" else None) if can_change else None
    status = 200
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            member = services.add_member(actor=user, **form.cleaned_data)
        except services.Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except services.WorkflowError as exc:
            status = 409
            form.add_error(None, exc.reason)
        except ValidationError as exc:
            add_model_errors(form, exc)
        else:
            messages.success(request, f"{member.user} sits on the board: {member}.")
            return redirect("board:members")
    rows = BoardMember.objects.visible_to(user).select_related("user")
    last_present = (
        Attendance.objects.filter(member=OuterRef("pk"), present=True)
        .order_by("-meeting__starts_at")
        .values("meeting__starts_at")[:1]
    )
    rows = rows.annotate(last_present=Subquery(last_present)).order_by(
        "-active", "user__last_name", "user__first_name"
    )
    roles = _required_role_labels()
    return render(
        request,
        "escalation/board/members.html",
        {
            "members": rows,
            "form": form,
            "can_change": can_change,
            "required_roles": roles,
        },
        status=status,
    )


@login_required
def deactivate_member(request, pk: int):
    _require(request.user, "change", services.MEMBERS_POLICY)
    member = get_object_or_404(
        BoardMember.objects.visible_to(request.user).select_related("user"), pk=pk
    )
    error = ""
    if request.method == "POST":
        try:
            services.deactivate_member(member, actor=request.user)
        except services.Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except services.WorkflowError as exc:
            error = exc.reason
        else:
            messages.success(request, f"{member.user} no longer sits on the board.")
            return redirect("board:members")
    return render(
        request,
        "escalation/board/deactivate.html",
        {"member": member, "error": error},
        status=409 if error else 200,
    )
