"""Maya, a quality manager, finds what the night's CQC change sync recorded: Oak Lodge was
deregistered and replaced by Oak Lodge Care Home, whose page carries the old rating history; the
nightly jobs page offers "Run CQC sync now". Every page passes axe."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from providers.cqc_sync import apply_location, read_location
from providers.models import RegulatorRating
from tests.factories import ServiceFactory

pytestmark = pytest.mark.browser

RECORDED = Path(__file__).parent.parent / "providers" / "cqc_recorded"


def test_manager_follows_a_deregistered_service_to_the_one_that_replaced_it(
    page, login, axe_check, settings, manager_maya, oak_lodge
):
    settings.QAF_CQC_SUBSCRIPTION_KEY = "demo-key"
    oak = ServiceFactory(provider=oak_lodge, name="Oak Lodge", regulator_id="1-3000000002")
    new = ServiceFactory(
        provider=oak_lodge,
        name="Oak Lodge Care Home",
        regulator_id="1-3000000003",
        regulator_rating=RegulatorRating.NOT_RATED,
    )
    today = date(2026, 12, 4)
    detail = json.loads((RECORDED / "location_deregistered.json").read_text())
    apply_location(oak, read_location(detail, today), today=today, now=timezone.now())

    login(page, manager_maya)
    page.goto(oak.get_absolute_url())
    expect(page.get_by_text("Deregistered by CQC on 30 November 2026")).to_be_visible()
    axe_check(page)
    link = page.get_by_role("link", name="Oak Lodge Care Home")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{new.get_absolute_url()}")
    expect(page.get_by_text("Its rating history carries over")).to_be_visible()
    axe_check(page)

    page.goto("/jobs/")
    expect(page.get_by_role("heading", name="CQC change sync")).to_be_visible()
    expect(page.get_by_role("button", name="Run CQC sync now")).to_be_enabled()
    axe_check(page)
