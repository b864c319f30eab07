"""A provider's appeal against a decision that holds its service (a suspension of new placements,
a revocation), one way for both (source 000 §8): the provider's own users appeal in the portal,
with files from their own library; a manager who did not take the decision decides it, upheld
(the decision is overturned by its own workflow's "overturn" step) or refused; each workflow
issues its own letter saying which.

    Transition("appeal", ..., who=providers_own_user(REFUSAL), checks=(appeal_written(WHY),),
               effects=(add_appeal(Appeal, "suspension"),))
    APPEAL = appeal_workflow(Appeal, name=..., policy_model=..., parent="suspension",
                             who=_not_the_approver, overturn=lambda: SUSPENSION,
                             letter=_issue_appeal_letter)

and ``step_page``: a step of either from its page, the appeal's upload in the step's transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from qaf.workflow import Step, Transition, Workflow

PENDING, UPHELD, REFUSED = "pending", "upheld", "refused"
MANAGERS_ONLY = "Only a quality manager changes a service's commissioning status."


def text(step: Step, name: str) -> str:
    return str(step.params.get(name, "") or "").strip()


def providers_own_user(refusal: str) -> Callable[[Step], str | None]:
    """Only the users of the provider whose service it is appeal (``refusal`` otherwise)."""

    def who(step: Step):
        actor = step.actor
        if actor.is_provider_user and actor.provider_id == step.obj.service.provider_id:
            return None
        return refusal

    return who


def appeal_written(missing: str) -> Callable[[Step], str | None]:
    """The appeal says why (``missing`` when it does not)."""
    return lambda step: None if text(step, "text") else missing


def outcome_chosen(step: Step):
    if step.params.get("outcome") not in (UPHELD, REFUSED):
        return "Choose whether the appeal is upheld or refused."
    if not text(step, "reason"):
        return "Give the reason for the decision."
    return None


def add_appeal(model, parent_field: str) -> Callable[[Step], None]:
    """The effect of the parent's "appeal" step: the appeal, with its evidence, as the step's
    result."""

    def effect(step: Step) -> None:
        appeal = model(**{parent_field: step.obj}, text=text(step, "text"), submitted_by=step.actor)
        appeal._history_user = step.actor
        appeal.save()
        if step.params.get("evidence"):
            appeal.evidence.set(step.params["evidence"])
        step.result = appeal

    return effect


def appeal_workflow(
    model,
    *,
    name: str,
    policy_model: str,
    parent: str,
    who: Callable[[Step], str | None],
    overturn: Callable[[], Workflow],
    letter: Callable[[Step], None],
) -> Workflow:
    """The appeal's own table: one step, "decide", by a manager ``who`` allows; upheld, the
    parent's workflow (``overturn()``, named late: the tables refer to each other) takes its
    "overturn" step; either way ``letter`` tells the provider."""

    def overturn_if_upheld(step: Step) -> None:
        if step.obj.status == UPHELD:
            overturn().apply(step.parent, "overturn", actor=step.actor, today=step.today)

    return Workflow(
        model,
        name=name,
        policy_model=policy_model,
        parent=parent,
        forbidden=MANAGERS_ONLY,
        tags={PENDING: "yellow", UPHELD: "green", REFUSED: "red"},
        transitions=[
            Transition(
                "decide",
                source={PENDING},
                target=lambda step: step.params["outcome"],
                permission="change_commissioning_status",
                who=who,
                checks=(outcome_chosen,),
                changes=lambda step: {
                    "decided_by": step.actor,
                    "decided_on": step.today,
                    "decision_reason": text(step, "reason"),
                },
                effects=(overturn_if_upheld, letter),
                state_reason=lambda appeal: "This appeal has been decided already.",
                title="Decide the appeal",
            ),
        ],
    )


def step_page(request, step: str, *, fetch, workflow: Workflow, forms: dict, services, appeal_form):
    """A step of a suspension or a revocation from its page: a step without a page is 404, the
    role is checked before the object is fetched (403, then ``fetch()``'s 404, as everywhere:
    qaf/scoping.py), then the step's form, and on a valid POST the step itself, in one
    transaction with the appeal's new upload (a refused step leaves nothing behind). Returns
    ``(obj, transition, form, refusal, redirect)``: the redirect when the step was taken, else
    the form to show with its errors and the reason the step cannot be taken now (or None)."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied
    from django.db import transaction
    from django.http import Http404
    from django.shortcuts import redirect

    from qaf.files import UploadRefused
    from qaf.scoping import can
    from qaf.workflow import Forbidden, WorkflowError

    t = workflow.transitions.get(step)
    if t is None or step not in forms:
        raise Http404("No such step.")
    if not can(request.user, t.permission, workflow.policy_model):
        raise PermissionDenied(t.forbidden or workflow.forbidden)
    obj = fetch()
    refusal = workflow.refusal(obj, step, request.user)
    if isinstance(refusal, Forbidden):
        raise PermissionDenied(refusal.reason)
    form_class = forms[step]
    data = request.POST if request.method == "POST" else None
    kwargs = {"provider_id": obj.service.provider_id} if form_class is appeal_form else {}
    form = form_class(data, request.FILES or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                if step == "appeal":
                    files = form.attached(provider=obj.service.provider, actor=request.user)
                    services.appeal(
                        obj, actor=request.user, text=form.cleaned_data["text"], evidence=files
                    )
                else:
                    services.take_step(obj, step, actor=request.user, **form.cleaned_data)
        except UploadRefused as exc:
            form.add_error("file", exc.reason)
        except Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except WorkflowError as exc:
            form.add_error(None, exc.reason)
        else:
            messages.success(request, f"Done: {t.title.lower()}")
            return obj, t, form, refusal, redirect(obj)
    return obj, t, form, refusal, None


def own_evidence(user, ids) -> list:
    """The files of the appellant's own library with these ids, for an appeal through the API;
    another provider's file and a missing one get the same answer (403)."""
    from rest_framework.exceptions import PermissionDenied

    from providers.models import Evidence

    ids = set(ids)
    files = list(Evidence.objects.visible_to(user).filter(pk__in=ids))
    if len(files) != len(ids):
        raise PermissionDenied("Only evidence from your own library can go with an appeal.")
    return files
