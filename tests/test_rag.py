"""The one RAG (qaf.rag): its values, its order, and every model and rule using it."""

from __future__ import annotations

import pytest

from qaf.rag import AMBER, GREEN, ORDER, RED, WORST_FIRST, Rag, is_worse, label, severity, worst
from qaf.rag import NOT_APPLICABLE as NA


def test_the_stored_values_and_labels_never_change():
    assert Rag.choices == [("green", "Green"), ("amber", "Amber"), ("red", "Red")]
    assert ORDER == ("green", "amber", "red") and WORST_FIRST == ("red", "amber", "green")


@pytest.mark.parametrize(
    ("rags", "expected"),
    [
        ([], None),
        ([None, "", NA], None),
        ([GREEN], GREEN),
        ([GREEN, NA, AMBER], AMBER),
        ([AMBER, RED, GREEN], RED),
        ((r for r in [RED, GREEN]), RED),  # any iterable, read once
    ],
)
def test_worst_is_red_over_amber_over_green_leaving_out_what_is_not_a_rag(rags, expected):
    assert worst(rags) == expected


def test_severity_and_worse():
    assert [severity(r) for r in (None, "", NA, GREEN, AMBER, RED)] == [-1, -1, -1, 0, 1, 2]
    assert is_worse(AMBER, GREEN) and is_worse(RED, AMBER) and is_worse(RED, GREEN)
    assert not is_worse(GREEN, AMBER) and not is_worse(AMBER, AMBER)
    assert not is_worse(RED, "")  # a first rating is no change for the worse


def test_label():
    assert (
        label(AMBER) == "Amber"
        and label("") == ""
        and label(None, "Not yet rated") == ("Not yet rated")
    )


def test_every_rag_field_and_rule_uses_the_one_definition():
    from reviews.models import Review
    from reviews.scoring import suggested_rating
    from risk.models import RatingChange, ServiceRisk

    for model, name in [
        (ServiceRisk, "rating"),
        (RatingChange, "from_rating"),
        (RatingChange, "to_rating"),
        (Review, "rating"),
        (Review, "suggested_rating"),
    ]:
        assert model._meta.get_field(name).choices == Rag.choices, (model, name)
    assert suggested_rating([]) is None
    assert RatingChange(from_rating=GREEN, to_rating=RED).worsened
    assert not RatingChange(from_rating="", to_rating=RED).worsened


def test_pages_label_a_plain_rag_value_through_the_one_definition():
    from django.template import Context, Template

    page = Template("{% load qaf_rag %}{{ a|rag_label }} {{ b|rag_label }} {{ c|rag_label }}")
    assert page.render(Context({"a": "amber", "b": "red", "c": ""})) == "Amber Red "
