"""Production settings refuse to start without what production needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Not inherited by the child process: the test environment's own switches (the browser tests set
# DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy would otherwise run under).
NOT_INHERITED = {"QAF_ENV", "PYTEST_VERSION", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def _import_settings(**env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", *NOT_INHERITED}
    }
    return subprocess.run(
        [sys.executable, "-c", "import qaf.settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE)"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _import_settings(ALLOWED_HOSTS="qaf.council.example")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _import_settings(SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_has_debug_off_and_secure_cookies():
    result = _import_settings(SECRET_KEY="x" * 50, ALLOWED_HOSTS="qaf.council.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


@pytest.mark.django_db
def test_deploy_checks_pass_in_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(SECRET_KEY="k" * 64 + "-Zq9!", ALLOWED_HOSTS="qaf.council.example")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
