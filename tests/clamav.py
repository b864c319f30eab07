"""A real ClamAV daemon for the tests of the virus scan (Debian's ``clamav-daemon`` package).

The tests start their own ``clamd`` on a Unix socket in a temporary folder, with a signature
database of one line: the MD5 hash of the EICAR test file (a ``.hdb`` signature), so it starts
in a moment and needs no download of ClamAV's databases. ``QAF_TEST_CLAMD_SOCKET`` names a
clamd already running instead (a socket path or ``host:port``; it must know EICAR).

Without ``clamd`` installed the tests that need it are skipped, except in CI (``CI`` set),
where that is a failure: ``.ci/run`` installs the package.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from qaf.virus import ClamdScanner

# The EICAR anti-virus test file: harmless, and found by every scanner.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Eicar-Test-Signature"
START_TIMEOUT = 60.0


def _clamd_binary() -> str | None:
    return shutil.which("clamd") or next(
        (p for p in ("/usr/sbin/clamd", "/usr/local/sbin/clamd") if os.access(p, os.X_OK)), None
    )


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the virus-scan tests (apt-get install clamav-daemon)")
    pytest.skip(f"{reason} (apt-get install clamav-daemon to run the virus-scan tests)")


def start_clamd(folder: Path) -> tuple[subprocess.Popen, str]:
    """Start clamd with the EICAR-only database in ``folder``; (process, socket path)."""
    binary = _clamd_binary()
    if binary is None:
        _unavailable("clamd is not installed")
    database = folder / "db"
    database.mkdir(parents=True, exist_ok=True)
    (database / "eicar.hdb").write_text(
        f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:{SIGNATURE}\n"  # noqa: S324 - ClamAV's
    )
    socket_path = folder / "clamd.ctl"
    config = folder / "clamd.conf"
    config.write_text(
        "\n".join(
            [
                f"DatabaseDirectory {database}",
                f"LocalSocket {socket_path}",
                f"TemporaryDirectory {folder}",
                f"LogFile {folder / 'clamd.log'}",
                f"PidFile {folder / 'clamd.pid'}",
                "Foreground yes",
                # At least QAF_UPLOAD_MAX_BYTES, as in production (docs/deploy.md).
                "StreamMaxLength 100M",
                "MaxFileSize 100M",
                "",
            ]
        )
    )
    process = subprocess.Popen(  # noqa: S603 - our own arguments
        [binary, "--config-file", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    scanner = ClamdScanner(str(socket_path), timeout=5)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (folder / "clamd.log").read_text() if (folder / "clamd.log").exists() else ""
            pytest.fail(f"clamd stopped at start (exit {process.returncode}):\n{log[-2000:]}")
        if socket_path.exists() and scanner.ping():
            return process, str(socket_path)
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"clamd did not answer within {START_TIMEOUT:.0f} s")


def stop_clamd(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def clamav_daemon(tmp_path_factory):
    """The address of a real clamd that finds EICAR, for the whole test session."""
    given = os.environ.get("QAF_TEST_CLAMD_SOCKET")
    if given:
        if not ClamdScanner(given, timeout=5).ping():
            pytest.fail(f"QAF_TEST_CLAMD_SOCKET={given}: clamd does not answer there")
        yield given
        return
    process, address = start_clamd(tmp_path_factory.mktemp("clamd"))
    try:
        yield address
    finally:
        stop_clamd(process)


@pytest.fixture
def real_clamd(settings, clamav_daemon):
    """Settings that scan with the real clamd (``QAF_VIRUS_SCANNER=clamd``)."""
    settings.QAF_VIRUS_SCANNER = "clamd"
    settings.QAF_CLAMD_SOCKET = clamav_daemon
    settings.QAF_CLAMD_TIMEOUT = 10
    return clamav_daemon
