"""``{{ value|rag_label }}``: "Green", "Amber", "Red" from qaf.rag (the one definition), for
pages that show a RAG held as a plain value (a factor, a standard's score)."""

from __future__ import annotations

from django import template

from qaf.rag import label

register = template.Library()


@register.filter
def rag_label(value: str | None) -> str:
    return label(value, str(value or "").capitalize())
