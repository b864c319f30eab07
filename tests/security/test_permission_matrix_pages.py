"""The permission matrix's second half of the pages (the rows, the world and the checks are
test_permission_matrix.py's; a module of its own so that another worker can run it)."""

from __future__ import annotations

import pytest

from tests.security.matrix import cases
from tests.security.test_permission_matrix import HALF, WEB, run_web, world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("row", "which", "role"), list(cases(WEB[HALF:])))
def test_web(world, client, row, which, role):  # noqa: F811
    run_web(world, client, row, which, role)
