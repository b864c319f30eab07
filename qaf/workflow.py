"""The one workflow mechanism: every state change of every workflow goes through here.

A workflow is a table. For one model and its state field it lists the transitions: from which
states, the action's name, to which state, who may take it (a ``qaf.scoping.POLICY`` action on
the model, and optionally a rule about this actor and this object), the guards (pure functions
that return the reason the step cannot happen now, or ``None``), the field values written with
the state, and the effects (documents, notifications, re-rating: in the same transaction, or
after it commits). A new workflow is written by filling in such a table::

    REQUEST = Workflow(
        InformationRequest,
        name="request",
        transitions=[
            Transition("send", source={DRAFT}, target=SENT, permission="act",
                       changes=_dates, effects=[_issue_letter], on_commit=[_email]),
            Transition("close", source={DRAFT, SENT}, target=CLOSED, permission="act"),
        ],
    )
    REQUEST.apply(req, "send", actor=officer)

``Workflow.apply`` is the one function that changes state. In one transaction it locks the row
(``SELECT ... FOR UPDATE``, a parent's row first where the workflow names one), checks the
state and the guards on that locked, current row, and writes the new state with a conditional
``UPDATE ... WHERE state = <the state it checked>``: two people clicking at once are served one
after the other, and the second is refused with the reason, so a race has exactly one winner.
It writes the history row with the actor (who must be given, by keyword), runs the effects, and
queues the after-commit effects. Pages and the API call it through the apps' services, so a step
behaves the same from either; the API answers a refusal 403 (``Forbidden``) or 409 (``NotNow``).

Pages ask ``Workflow.actions_for(obj, user)`` which steps the user may take now, and draw those
buttons: templates hold no rules about states.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from qaf.models import record_update
from qaf.scoping import can


class WorkflowError(Exception):
    """A step the rules refuse; ``reason`` says why in words the user understands."""

    status_code = 409

    def __init__(self, reason: str, *, by_guard: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.by_guard = by_guard  # refused by a guard on the object, not by its state or role


class NotNow(WorkflowError):
    """Not allowed in the object's current state, or with this input (409)."""


class Forbidden(WorkflowError):
    """Not allowed for this user (403)."""

    status_code = 403


Reason = str | None
Guard = Callable[["Step"], Reason]


@dataclass
class Step:
    """One attempt at a transition: what the guards, changes and effects are given.

    ``obj`` is the row as it is now (locked, in ``apply``); ``parent`` the locked parent row when
    the workflow has one; ``params`` what the user sent; ``facts`` the workflow's derived facts
    (read from the database once, on first use), so guards stay pure functions of the step.
    """

    workflow: Workflow
    transition: Transition
    obj: Any
    actor: Any
    today: date
    params: dict = field(default_factory=dict)
    parent: Any = None
    facts_given: Mapping[str, Any] | None = None
    result: Any = None

    @cached_property
    def facts(self) -> Mapping[str, Any]:
        if self.facts_given is not None:
            return self.facts_given
        return _LazyFacts(self.workflow.facts, self.obj)

    @property
    def state(self) -> str:
        return getattr(self.obj, self.workflow.field)

    def text(self, name: str) -> str:
        """What the user typed for ``name``, stripped ("" when nothing was sent)."""
        return str(self.params.get(name, "") or "").strip()


class _LazyFacts(Mapping):
    """The workflow's facts about one object, each read when a guard first asks for it."""

    def __init__(self, readers: Mapping[str, Callable[[Any], Any]], obj: Any):
        self._readers, self._obj, self._values = readers, obj, {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            self._values[name] = self._readers[name](self._obj)
        return self._values[name]

    def __iter__(self):
        return iter(self._readers)

    def __len__(self) -> int:
        return len(self._readers)


@dataclass(frozen=True)
class Transition:
    """One row of a workflow's table.

    ``target`` is the new state, ``None`` for a step that records something without moving
    (asking for a manager's review), or a function of the step (the officer's answer to a
    comment). ``who`` refuses an actor who holds the role but may not take this step on this
    object (403: a provider user of another organisation, the proposer approving their own
    proposal). ``guards`` refuse on the object's state of affairs and ``checks`` on the input
    (409), each returning its reason. ``changes`` gives the fields written with the state;
    ``effects`` run in the transaction after the write, ``on_commit`` once it has committed.
    """

    action: str
    source: Collection[str]
    target: str | Callable[[Step], str] | None = None
    permission: str = "act"
    forbidden: str = ""  # the reason given to a role without the permission (else the workflow's)
    who: Guard | None = None
    guards: tuple[Guard, ...] = ()
    checks: tuple[Guard, ...] = ()
    changes: Callable[[Step], dict] | None = None
    effects: tuple[Callable[[Step], Any], ...] = ()
    on_commit: tuple[Callable[[Step], Any], ...] = ()
    # How pages show it: a page of its own (title, button) reached from a button on the
    # object's page (label), or a link to another page (url, a function of the object).
    title: str = ""
    label: str | Callable[[Any], str] = ""
    button: str = ""
    style: str = "secondary"  # "primary", "secondary" or "warning" (GOV.UK button styles)
    url: Callable[[Any], str] | None = None
    explain: bool = False  # show the guard's reason on the page when the step is not possible
    state_reason: Callable[[Any], str] | None = None

    def label_for(self, obj) -> str:
        return self.label(obj) if callable(self.label) else (self.label or self.title)


@dataclass(frozen=True)
class Action:
    """A step a user may take on an object now (``allowed``), or one they could take but for a
    guard (``reason``): what a page needs to draw its button or say why not."""

    transition: Transition
    allowed: bool
    reason: str
    url: str
    label: str

    @property
    def action(self) -> str:
        return self.transition.action

    @property
    def style(self) -> str:
        return self.transition.style


_WORKFLOWS: dict[type[models.Model], Workflow] = {}


def workflow_of(obj_or_model) -> Workflow:
    """The workflow that governs a model's state (one per model)."""
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    return _WORKFLOWS[model]


class Workflow:
    """One model's state machine: its table of transitions and the one way to apply them."""

    def __init__(
        self,
        model: type[models.Model],
        *,
        name: str,
        transitions: Iterable[Transition],
        field: str = "status",
        policy_model: str | None = None,
        parent: str | None = None,
        facts: Mapping[str, Callable[[Any], Any]] | None = None,
        forbidden: str = "Your role does not allow this.",
        not_now: Callable[[Any, Transition], str] | None = None,
        url_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        versioned: bool | None = None,
    ):
        self.model = model
        self.name = name
        self.field = field
        self.policy_model = policy_model or model._meta.label_lower
        self.parent = parent
        self.facts = dict(facts or {})
        self.forbidden = forbidden
        self._not_now = not_now
        self.url_name = url_name
        self.tags = dict(tags or {})
        self.transitions: dict[str, Transition] = {}
        for t in transitions:
            if t.action in self.transitions:
                raise ValueError(f"{name}: the action {t.action!r} is listed twice")
            self.transitions[t.action] = t
        self._field_names = {f.name for f in model._meta.concrete_fields}
        # Each step adds one to the row's edit ``version`` (qaf.concurrency), so an edit form
        # opened before it is refused; ``versioned=False`` where "version" means something else.
        self.versioned = "version" in self._field_names if versioned is None else versioned
        if model in _WORKFLOWS:
            raise ValueError(f"{model.__name__} already has a workflow: {_WORKFLOWS[model].name}")
        _WORKFLOWS[model] = self

    def __repr__(self) -> str:
        return f"<Workflow {self.name}: {', '.join(self.transitions)}>"

    def transition(self, action: str) -> Transition:
        try:
            return self.transitions[action]
        except KeyError:
            raise ValueError(f"The {self.name} workflow has no action {action!r}") from None

    # --- Asking ----------------------------------------------------------------------------

    def refusal(
        self,
        obj,
        action: str,
        user,
        *,
        params: dict | None = None,
        today: date | None = None,
        parent=None,
        facts: Mapping[str, Any] | None = None,
    ) -> WorkflowError | None:
        """Why ``user`` may not take ``action`` on ``obj`` as it is now, or ``None``.

        ``apply`` asks the same on the locked row; pages ask it to draw their buttons."""
        t = self.transition(action)
        step = Step(
            self,
            t,
            obj,
            user,
            today or timezone.localdate(),
            dict(params or {}),
            parent if parent is not None else self._parent_of(obj),
            facts,
        )
        return self._refusal(step, with_checks=params is not None)

    def allows(self, obj, action: str, user, **kwargs) -> bool:
        return self.refusal(obj, action, user, **kwargs) is None

    def actions_for(self, obj, user, *, today: date | None = None) -> list[Action]:
        """The steps with a button that ``user`` may take on ``obj`` now, in the table's order,
        with the ones only a guard stops (and that say why) included as not allowed."""
        shown = []
        facts = _LazyFacts(self.facts, obj)
        parent = self._parent_of(obj)
        for t in self.transitions.values():
            if not t.label and not t.title:
                continue  # a step that other steps take, or that has a form of its own
            refusal = self.refusal(obj, t.action, user, today=today, parent=parent, facts=facts)
            if refusal is None:
                shown.append(Action(t, True, "", self.url(obj, t), t.label_for(obj)))
            elif t.explain and refusal.by_guard:
                shown.append(Action(t, False, refusal.reason, "", t.label_for(obj)))
        return shown

    def url(self, obj, t: Transition) -> str:
        if t.url is not None:
            return t.url(obj)
        if self.url_name is None:
            return ""
        return reverse(self.url_name, args=[obj.pk, t.action])

    def tag(self, obj) -> str:
        """The GOV.UK tag colour for the object's state (``govuk-tag--<colour>``)."""
        return self.tags.get(getattr(obj, self.field), "blue")

    def not_now(self, obj, t: Transition) -> str:
        if t.state_reason is not None:
            return t.state_reason(obj)
        if self._not_now is not None:
            return self._not_now(obj, t)
        state = _display(obj, self.field)
        return f"This is {state.lower()}: “{(t.title or t.action).lower()}” is not possible now."

    def _refusal(self, step: Step, *, with_checks: bool) -> WorkflowError | None:
        t, actor = step.transition, step.actor
        if actor is None or not getattr(actor, "pk", None):
            return Forbidden("Nobody is named as taking this step.")
        if not can(actor, t.permission, self.policy_model):
            return Forbidden(t.forbidden or self.forbidden)
        if t.who is not None and (reason := t.who(step)):
            return Forbidden(reason)
        if step.state not in t.source:
            return NotNow(self.not_now(step.obj, t))
        for guard in t.guards:
            if reason := guard(step):
                return NotNow(reason, by_guard=True)
        if with_checks:
            for check in t.checks:
                if reason := check(step):
                    return NotNow(reason)
        return None

    # --- Changing ----------------------------------------------------------------------------

    def apply(self, obj, action: str, *, actor, today: date | None = None, **params) -> Step:
        """Take ``action`` on ``obj`` for ``actor``, or raise ``Forbidden``/``NotNow`` having
        changed nothing. Returns the step: ``step.obj`` is the row as written, ``step.result``
        what an effect made (a new comment, say). ``obj`` is refreshed to the new state."""
        t = self.transition(action)
        today = today or timezone.localdate()
        with transaction.atomic():
            parent = self._lock_parent(obj)
            locked = self.model._default_manager.select_for_update().get(pk=obj.pk)
            step = Step(self, t, locked, actor, today, dict(params), parent)
            refusal = self._refusal(step, with_checks=True)
            if refusal is not None:
                raise refusal
            values = dict(t.changes(step)) if t.changes else {}
            target = t.target(step) if callable(t.target) else t.target
            if target is not None:
                values[self.field] = target
            if values:
                self._write(step, values)
            for effect in t.effects:
                effect(step)
            for after in t.on_commit:
                transaction.on_commit(lambda after=after: after(step))
        if values and obj is not step.obj:
            obj.refresh_from_db()
        return step

    def _write(self, step: Step, values: dict) -> None:
        """The conditional UPDATE (on the state it checked) and the history row with the actor."""
        extra = {}
        if self.versioned:
            extra["version"] = F("version") + 1
        if "updated_at" in self._field_names:
            extra["updated_at"] = timezone.now()
        updated = self.model._default_manager.filter(
            pk=step.obj.pk, **{self.field: step.state}
        ).update(**values, **extra)
        if updated != 1:  # pragma: no cover - the row is locked: nobody can move it meanwhile
            raise NotNow(self.not_now(step.obj, step.transition))
        marker = "updated_at" if "updated_at" in extra else next(iter(values))
        record_update(step.obj, step.actor, marker)

    def _parent_of(self, obj):
        return getattr(obj, self.parent) if self.parent else None

    def _lock_parent(self, obj):
        """Lock the parent row first (always parent, then child: no deadlock between steps on
        the parent and steps on its children), so guards on the parent's state hold."""
        if not self.parent:
            return None
        relation = self.model._meta.get_field(self.parent)
        parent_id = getattr(obj, relation.attname)
        return relation.related_model._default_manager.select_for_update().get(pk=parent_id)


def _display(obj, name: str) -> str:
    getter = getattr(obj, f"get_{name}_display", None)
    return str(getter()) if getter else str(getattr(obj, name))
