"""docker-compose.yml, read as Compose reads it (no Docker engine here): the services QAF
needs are there and agree with the settings they depend on."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.conf import settings

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_every_qaf_service_scans_uploads_with_the_clamav_service():
    compose = _compose()
    assert "clamav" in compose["services"]
    for name in ("web", "worker", "beat", "migrate"):
        environment = compose["services"][name]["environment"]
        assert environment["QAF_ENV"] == "production"
        assert environment["QAF_CLAMD_SOCKET"] == "clamav:3310"


def _size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([KkMm]?)", value).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit.lower()]


def test_clamd_takes_a_stream_as_large_as_the_largest_upload():
    conf = _compose()["configs"]["clamd_conf"]["content"]
    options = dict(line.split(None, 1) for line in conf.splitlines() if line.strip())
    assert options["TCPSocket"] == "3310"
    assert _size(options["StreamMaxLength"]) >= settings.QAF_UPLOAD_MAX_BYTES
    assert _size(options["MaxFileSize"]) >= settings.QAF_UPLOAD_MAX_BYTES


def test_exactly_one_beat():
    """One service runs Celery beat, once: two would queue every scheduled job twice (the
    nightly job's advisory lock refuses the second run, but the scan sweep would scan files
    twice). Workers do not embed a beat (``worker -B``)."""
    services = _compose()["services"]
    beats = [name for name, service in services.items() if "beat" in service.get("command", [])]
    assert beats == ["beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    assert services["beat"].get("scale", 1) == 1
    for name, service in services.items():
        command = service.get("command", [])
        assert "-B" not in command and "--beat" not in command, name


def test_the_image_installs_the_runtime_dependencies_at_the_locked_versions_only():
    """The Dockerfile installs pyproject.toml's dependencies constrained by requirements.lock:
    each must be pinned there (or the image would take whatever version is newest), and the
    dev extras (test tools, load and S3 test servers) stay out of the production image."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    root = COMPOSE.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    pinned = {
        canonicalize_name(line.split("==")[0]): line.split("==")[1]
        for line in (root / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    runtime = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    dev_only = {
        canonicalize_name(Requirement(r).name) for r in project["optional-dependencies"]["dev"]
    } - runtime
    assert runtime - set(pinned) == set()
    assert {"pytest", "locust", "moto"} <= dev_only
    dockerfile = (root / "Dockerfile").read_text()
    assert "pip install -c requirements.lock -r /tmp/runtime.txt" in dockerfile
    assert '["project"]["dependencies"]' in dockerfile
    assert "pip install -r requirements.lock" not in dockerfile
