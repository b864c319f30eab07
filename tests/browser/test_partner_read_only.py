"""Pia, from the safeguarding team, reads the register and finds nothing she could change."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ContractFactory

pytestmark = pytest.mark.browser

# Any control that would add or change something: "Add a service", "Edit provider",
# "Log intelligence", ...
CHANGE_CONTROL = re.compile(r"^\s*(Add|Edit|Log|Save|Delete|Remove)\b", re.IGNORECASE)


def _assert_read_only(page):
    main = page.get_by_role("main")
    for role in ("button", "link"):
        names = [name.strip() for name in main.get_by_role(role).all_inner_texts()]
        changing = [name for name in names if CHANGE_CONTROL.match(name)]
        assert not changing, f"{page.url} offers {role}s to change things: {changing}"


def test_partner_sees_no_add_or_edit_buttons(
    page, login, axe_check, partner_pia, sunrise, sunrise_house, meeting_at_sunrise
):
    contract = ContractFactory(reference="C-SUN-02", provider=sunrise, services=[sunrise_house])
    login(page, partner_pia)
    axe_check(page)
    _assert_read_only(page)

    for list_url, heading in (
        ("/providers/", "Providers"),
        ("/services/", "Services"),
        ("/contracts/", "Contracts"),
        ("/intelligence/", "Intelligence"),
    ):
        page.goto(list_url)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.locator("#results tbody tr")).not_to_have_count(0)
        axe_check(page)
        _assert_read_only(page)

    for obj in (sunrise, sunrise_house, contract, meeting_at_sunrise):
        page.goto(obj.get_absolute_url())
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        axe_check(page)
        _assert_read_only(page)

    # Typing the edit address does not help: the role is refused (403) with a proper page.
    edit_url = f"/services/{sunrise_house.pk}/edit/"
    page.problems.expect_error_status(edit_url)
    response = page.goto(edit_url)
    assert response.status == 403
    expect(page.get_by_role("main")).not_to_contain_text("Save")
    axe_check(page)
