"""The administrator's settings (qaf.policy): one registry of names, defaults, labels and
limits; read from the current policy version; shown and validated by the policy form."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from qaf import policy
from risk.models import PolicyVersion

# SPEC §5's defaults, each registered once by the app whose workflow reads it.
SPEC_DEFAULTS = {
    "information_request_days": 28,
    "provider_comment_days": 14,
    "improvement_plan_days": 14,
    "final_warning_months": 6,
    "sustainability_review_months": 6,
    "board_papers_days": 7,
    "suspension_concern_months": 3,
    "due_soon_days": 30,
    "worsened_days": 30,
    "follow_up_months": 6,
    "review_interval_months": {"green": 24, "amber": 12, "red": 6},
}


def test_every_deadline_is_registered_with_its_spec_default():
    defaults = policy.defaults()
    for name, value in SPEC_DEFAULTS.items():
        assert defaults[name] == value, name


def test_a_name_is_registered_once():
    entry = policy.get("provider_comment_days")
    again = policy.register(
        entry.name, entry.default, entry.label, section=entry.section, unit=entry.unit
    )
    assert again == entry
    with pytest.raises(ValueError, match="already registered differently"):
        policy.register(entry.name, 10, entry.label, section=entry.section)
    with pytest.raises(KeyError, match="No policy setting"):
        policy.setting("no_such_setting")


def test_units():
    assert policy.get("provider_comment_days").describe(14) == "14 days"
    assert policy.get("final_warning_months").describe(1) == "1 month"
    with pytest.raises(ValueError, match="not a number of days"):
        policy.deadline("final_warning_months", policy=PolicyVersion(schedules={}))


def test_values_come_from_the_version_else_the_registered_default():
    version = PolicyVersion(
        schedules={"provider_comment_days": 21, "review_interval_months": {"green": 36}}
    )
    assert policy.deadline("provider_comment_days", policy=version) == 21
    # Not in this version (registered after it was saved): the registered default.
    assert policy.deadline("information_request_days", policy=version) == 28
    assert policy.setting("review_interval_months", policy=version) == {
        "green": 36,
        "amber": 12,
        "red": 6,
    }
    start = date(2026, 1, 31)
    assert policy.due_date("provider_comment_days", start, policy=version) == date(2026, 2, 21)
    assert policy.due_date("final_warning_months", start, policy=version) == date(2026, 7, 31)


@pytest.mark.django_db
def test_the_current_version_is_read():
    assert policy.deadline("information_request_days") == 28
    current = PolicyVersion.current()
    PolicyVersion.objects.create(
        number=current.number + 1,
        matrix=current.matrix,
        schedules={**current.schedules, "information_request_days": 21},
    )
    assert policy.deadline("information_request_days") == 21
    assert policy.current_values()["information_request_days"] == 21


def _no_more_than_60(value):
    if value > 60:
        raise ValidationError("Sixty days at most")


@pytest.fixture
def escalation_deadline():
    """A deadline a new workflow registers: no form, template or migration changes."""
    entry = policy.register(
        "test_board_decision_days",
        30,
        "Board decision recorded within",
        section=policy.ESCALATION,
        validators=(_no_more_than_60,),
    )
    yield entry
    del policy._REGISTRY[entry.name]


def _post(client, **changes):
    form = client.get(reverse("risk:policy_edit")).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    data.update(based_on=PolicyVersion.current().pk, note="Board deadline", **changes)
    return client.post(reverse("risk:policy_edit"), data)


@pytest.mark.django_db
def test_a_registered_setting_is_on_the_policy_pages_validated_and_saved(
    client, admin_alex, escalation_deadline, django_capture_on_commit_callbacks
):
    client.force_login(admin_alex)
    page = client.get(reverse("risk:policy_edit"))
    field = page.context["form"].fields["schedule__test_board_decision_days"]
    assert field.label == "Board decision recorded within (days)"
    assert page.context["form"]["schedule__test_board_decision_days"].value() == 30
    assert "Board decision recorded within" in client.get(reverse("risk:policy")).content.decode()

    too_long = _post(client, schedule__test_board_decision_days=90)
    assert "Sixty days at most" in too_long.content.decode()
    too_short = _post(client, schedule__test_board_decision_days=0)
    assert too_short.status_code == 200 and PolicyVersion.objects.count() == 1

    with django_capture_on_commit_callbacks():  # (the re-rating is queued, not run here)
        assert _post(client, schedule__test_board_decision_days=45).status_code == 302
    assert policy.deadline("test_board_decision_days") == 45
    assert PolicyVersion.current().schedules["test_board_decision_days"] == 45
