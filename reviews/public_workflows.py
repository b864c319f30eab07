"""A public summary of a final review as a workflow table (qaf.workflow; issue 14 item 5).

    draft --publish--> published (the summary, and what the public page shows, copied from the
                                  review and the register; only for a final review)
    published --withdraw--> withdrawn (on request, with the reason: the public page then says
                                       it was withdrawn, and the summary leaves the index)

A draft exists only inside the publishing transaction (``reviews.public.publish``), which locks
the review first: two people publishing at once are served one after the other, and the second
is told the summary is published already. A withdrawn summary is not published again.
"""

from __future__ import annotations

from django.utils import timezone

from qaf.workflow import Step, Transition, Workflow
from reviews.models import SUMMARY_MAX_LENGTH, PublishedSummary, ReviewStatus, SummaryState

S = SummaryState
CASEWORK_ONLY = "Only quality officers and managers publish and withdraw public summaries."


def _review_final(step: Step):
    review = step.parent if step.parent is not None else step.obj.review
    if review.status != ReviewStatus.FINAL:
        return (
            "Only a final review has a public summary: this review is "
            f"{review.get_status_display().lower()}."
        )
    return None


def _summary_given(step: Step):
    text = step.text("summary")
    if not text:
        return "Write the plain-language summary the public will read."
    if len(text) > SUMMARY_MAX_LENGTH:
        return f"The summary must be {SUMMARY_MAX_LENGTH:,} characters or fewer."
    return None


def _names_nobody(step: Step):
    """A safety net under the form's guidance: the full name of a member of staff, or of a user
    of the provider, in the summary is refused (people who use the service have no accounts:
    the guidance and the preview are what keeps them out)."""
    from reviews.public import names_in

    named = names_in(step.text("summary"), step.facts["provider"])
    if named:
        return (
            f"The summary names {', '.join(named)}. A public summary names nobody: "
            "say “the manager” or “staff” instead."
        )
    return None


def _provider_of(summary: PublishedSummary) -> int:
    return summary.review.service.provider_id


def _reason_given(step: Step):
    return None if step.text("reason") else "Say why the summary is withdrawn."


def _not_now(summary: PublishedSummary, t: Transition) -> str:
    if summary.state == S.PUBLISHED:
        return "This review's public summary is published already."
    if summary.state == S.WITHDRAWN:
        return (
            "This review's public summary was withdrawn: it is not published again "
            "(a withdrawn summary stays withdrawn)."
        )
    return "This summary is not published: there is nothing to withdraw."


def _published(step: Step) -> dict:
    from reviews.public import public_facts

    return {
        "summary": step.text("summary"),
        **public_facts(step.parent),
        "published_at": timezone.now(),
        "published_by": step.actor,
    }


def _withdrawn(step: Step) -> dict:
    return {
        "withdrawn_at": timezone.now(),
        "withdrawn_by": step.actor,
        "withdrawal_reason": step.text("reason"),
    }


SUMMARY = Workflow(
    PublishedSummary,
    name="public summary",
    field="state",
    parent="review",
    url_name="summaries:step",
    forbidden=CASEWORK_ONLY,
    not_now=_not_now,
    facts={"provider": _provider_of},
    tags={S.DRAFT: "grey", S.PUBLISHED: "green", S.WITHDRAWN: "grey"},
    transitions=[
        # Taken from the publishing page (a form with a preview), not a step page of its own.
        Transition(
            "publish",
            source={S.DRAFT},
            target=S.PUBLISHED,
            guards=(_review_final,),
            checks=(_summary_given, _names_nobody),
            changes=_published,
        ),
        Transition(
            "withdraw",
            source={S.PUBLISHED},
            target=S.WITHDRAWN,
            checks=(_reason_given,),
            changes=_withdrawn,
            title="Withdraw the public summary",
            button="Withdraw the summary",
            style="warning",
        ),
    ],
)
