"""``{% policy_setting "provider_comment_days" %}``: a setting of the current policy
(``qaf.policy``) in a template, so that no page states a deadline as a literal."""

from __future__ import annotations

from django import template

from qaf import policy

register = template.Library()


@register.simple_tag
def policy_setting(name: str):
    return policy.setting(name)
