"""The permission matrix's API rows (the rows, the world and the checks are
test_permission_matrix.py's; a module of its own so that another worker can run it)."""

from __future__ import annotations

import pytest

from tests.security.matrix import cases
from tests.security.test_permission_matrix import API, run_api, world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("row", "which", "role"), list(cases(API)))
def test_api(world, row, which, role):  # noqa: F811
    run_api(world, row, which, role)
