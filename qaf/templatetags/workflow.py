"""``{% state_tag obj %}``: an object's state as a GOV.UK tag, in its workflow's colour."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from qaf.workflow import workflow_of

register = template.Library()


@register.simple_tag
def state_tag(obj) -> str:
    workflow = workflow_of(obj)
    label = getattr(obj, f"get_{workflow.field}_display")()
    return format_html(
        '<strong class="govuk-tag govuk-tag--{}">{}</strong>', workflow.tag(obj), label
    )
