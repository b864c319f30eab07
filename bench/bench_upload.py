"""Benchmark: a 50 MB evidence upload through the library's form, and the web process's memory.

    .venv/bin/python bench/bench_upload.py [--megabytes 50] [--runs 3] [--keep]

Target (issue 12): a 50 MB evidence upload raises the web process's peak RSS by less than
10 MB: the file is streamed to storage, never read into memory whole. A last control run holds
uploads in memory (bench/upload_control_settings.py) to show that the measure would see it.

The web process is started as the Dockerfile starts it in production: gunicorn serving
``qaf.wsgi`` (sync workers), here with one worker so the worker that serves the upload is the
one measured, against a fresh database ``qaf_bench_upload`` (migrated, one provider and its
user) and a media directory of its own under var/. ``DEBUG`` is off; the virus scanner is
``none`` (ClamAV scans in the Celery worker, not in the web process; see qaf/virus.py).

A client process signs in as the provider user through the login form, opens the library and
uploads a small file (so every module and cache the upload path needs is loaded), reads the
worker's peak resident set size (``VmHWM`` in /proc/<pid>/status), uploads a valid PDF of
``--megabytes`` MB (a 50 MB content stream) through the library's upload form, checks that the
file was stored whole (size and sha256 of the row and of the stored file), and reads ``VmHWM``
again. The rise of the peak is the figure. Each run starts a fresh worker.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

NAME = "qaf_bench_upload"
SECTION = "## Evidence upload: memory of the web process"
USERNAME = "bench_provider"
PASSWORD = "bench-upload-password-2026"  # noqa: S105 - a throwaway benchmark database
TARGET_MB = 10
WORK = common.BASE_DIR / "var" / "bench-upload"


def setup_child() -> None:
    """Inside the benchmark database: the provider and its user."""
    common.setup_django()
    from providers.models import Provider
    from qaf.models import User

    provider, _ = Provider.objects.get_or_create(name="Bench Care Ltd")
    user, _ = User.objects.get_or_create(
        username=USERNAME, defaults={"provider": provider, "first_name": "Bench"}
    )
    user.set_password(PASSWORD)
    user.save()
    print("{}")


def big_pdf(path: Path, size: int) -> str:
    """A valid PDF of exactly ``size`` bytes (one large content stream); its sha256."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    head += b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    tail = b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R /Size 4 >>\nstartxref\n0\n%%EOF\n"
    length = size - len(head) - len(tail)
    opening = f"3 0 obj\n<< /Length {length:>12} >>\nstream\n".encode()
    length -= len(opening)
    opening = f"3 0 obj\n<< /Length {length:>12} >>\nstream\n".encode()
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for part in (head, opening):
            out.write(part)
            digest.update(part)
        line = b"0.5 0.5 0.5 rg 10 10 100 100 re f % filler for a large content stream\n"
        block = line * (1024 * 1024 // len(line))
        left = length
        while left:
            piece = block[: min(left, len(block))]
            out.write(piece)
            digest.update(piece)
            left -= len(piece)
        out.write(tail)
        digest.update(tail)
    assert path.stat().st_size == size, path.stat().st_size
    return digest.hexdigest()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def worker_of(master: int, timeout: float = 30) -> int:
    """The pid of gunicorn's one worker (a child of the master)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise SystemExit("gunicorn started no worker")


def wait_for(url: str, timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"the web process did not answer at {url}")


def start_web(port: int, media: Path, *, control: bool = False) -> subprocess.Popen:
    env = {
        **common.child_env(NAME),
        # The control run: the same server with uploads held in memory (no temporary file).
        **({"DJANGO_SETTINGS_MODULE": "bench.upload_control_settings"} if control else {}),
        "MEDIA_ROOT": str(media),
        "QAF_VIRUS_SCANNER": "none",
        "QAF_UPLOAD_MAX_BYTES": str(50 * 1024 * 1024),
    }
    return subprocess.Popen(
        [
            common.PYTHON,
            "-m",
            "gunicorn",
            "qaf.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "300",
            "--error-logfile",
            "-",
        ],
        env=env,
        cwd=common.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def sign_in(base: str):
    import requests

    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": USERNAME, "password": PASSWORD},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, (answer.status_code, answer.text[:500])
    return session


def upload(session, base: str, path: Path, title: str) -> float:
    library = session.get(f"{base}/evidence/", timeout=30)
    assert library.status_code == 200, library.status_code
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', library.text).group(1)
    started = time.perf_counter()
    with path.open("rb") as handle:
        answer = session.post(
            f"{base}/evidence/",
            data={
                "csrfmiddlewaretoken": token,
                "title": title,
                "evidence_date": "1/11/2026",
            },
            files={"file": (path.name, handle, "application/pdf")},
            headers={"Referer": f"{base}/evidence/"},
            allow_redirects=False,
            timeout=300,
        )
    elapsed = time.perf_counter() - started
    assert answer.status_code == 302, (answer.status_code, answer.text[:2000])
    return elapsed


def stored(title: str) -> tuple[int, str, str]:
    import psycopg

    with psycopg.connect(common.database_url(NAME)) as conn:
        return conn.execute(
            "SELECT size, sha256, file FROM providers_evidence WHERE title = %s", [title]
        ).fetchone()


def run_once(n: int, size: int, big: Path, small: Path, sha: str, *, control=False) -> dict:
    media = WORK / f"media-{n}"
    shutil.rmtree(media, ignore_errors=True)
    media.mkdir(parents=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = start_web(port, media, control=control)
    try:
        wait_for(f"{base}/accounts/login/")
        worker = worker_of(web.pid)
        session = sign_in(base)
        upload(session, base, small, f"warm-up {n}")
        before_hwm, before_rss = status_kb(worker, "VmHWM"), status_kb(worker, "VmRSS")
        seconds = upload(session, base, big, f"large {n}")
        after_hwm, after_rss = status_kb(worker, "VmHWM"), status_kb(worker, "VmRSS")
        assert worker_of(web.pid) == worker, "the worker was replaced during the upload"
        row_size, row_sha, name = stored(f"large {n}")
        assert (row_size, row_sha) == (size, sha), (row_size, row_sha)
        on_disk = media / name
        assert on_disk.stat().st_size == size
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        try:
            web.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(web.pid, signal.SIGKILL)
            web.wait()
        shutil.rmtree(media, ignore_errors=True)
    result = {
        "before_hwm_mb": before_hwm / 1024,
        "after_hwm_mb": after_hwm / 1024,
        "rise_mb": (after_hwm - before_hwm) / 1024,
        "rss_after_mb": after_rss / 1024,
        "rss_before_mb": before_rss / 1024,
        "seconds": seconds,
    }
    print(
        f"run {n}{' (control)' if control else ''}: peak RSS "
        f"{result['before_hwm_mb']:.1f} MB -> {result['after_hwm_mb']:.1f} MB "
        f"(+{result['rise_mb']:.1f} MB), upload {seconds:.1f} s"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--setup-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup_child:
        setup_child()
        return

    size = args.megabytes * 1024 * 1024
    WORK.mkdir(parents=True, exist_ok=True)
    big, small = WORK / "large.pdf", WORK / "small.pdf"
    sha = big_pdf(big, size)
    big_pdf(small, 100 * 1024)
    info = common.machine()
    print(f"--- database {NAME}: migrations, one provider user")
    common.create_database(NAME)
    common._run(NAME, Path(__file__), "--setup-child")
    loads = []
    try:
        results = []
        for n in range(1, args.runs + 1):
            results.append(run_once(n, size, big, small, sha))
            loads.append(common.load_average())
        control = run_once(args.runs + 1, size, big, small, sha, control=True)
    finally:
        if not args.keep:
            common.drop_database(NAME)
        big.unlink(missing_ok=True)
        small.unlink(missing_ok=True)
    worst = max(r["rise_mb"] for r in results)
    verdict = "met" if worst < TARGET_MB else "NOT met"
    rows = [
        [
            n,
            f"{r['before_hwm_mb']:.1f}",
            f"{r['after_hwm_mb']:.1f}",
            f"**{r['rise_mb']:.1f}**",
            f"{r['rss_after_mb']:.1f}",
            f"{r['seconds']:.1f}",
        ]
        for n, r in enumerate(results, start=1)
    ]
    table = common.table(
        ["run", "peak RSS before (MB)", "peak RSS after (MB)", "rise (MB)", "RSS after (MB)"]
        + ["upload (s)"],
        rows,
    )
    body = f"""
Target (issue 12): a {args.megabytes} MB evidence upload raises the web process's peak RSS by
less than {TARGET_MB} MB (streamed to storage, not read into memory). **Target {verdict}**:
the largest rise in {len(results)} runs was {worst:.1f} MB.

`bench/bench_upload.py` starts the web process as the Dockerfile does (gunicorn, `qaf.wsgi`,
sync workers; one worker here, so the worker that serves the upload is the one measured) on a
fresh database, signs in as a provider user through the login form, opens the evidence library
and uploads a small file to warm the upload path, then uploads a valid {args.megabytes} MB PDF
(one large content stream) through the library's upload form and compares the worker's
`VmHWM` (peak resident set size, /proc/<pid>/status) before and after. Each run checks that
the stored file and its row have the uploaded size and sha256. The virus scan is not in the
web process (the Celery worker streams the file to clamd in 64 KB chunks).

A control run with `FILE_UPLOAD_MAX_MEMORY_SIZE` raised to 200 MB
(`bench/upload_control_settings.py`: the upload held in memory, as a careless setting or
upload handler would) measured a rise of {control["rise_mb"]:.1f} MB on the same server, so the
measure does see a file read into memory whole.

{table}

Why it stays flat: Django writes any upload over `FILE_UPLOAD_MAX_MEMORY_SIZE` (2.5 MB) to a
temporary file as it arrives (`TemporaryUploadedFile`); `qaf.files.check_upload` reads it in
64 KB chunks (type, size, sha256 and the PDF checks in one pass); the storage moves or copies
it in chunks. `tests/providers/test_upload_streaming.py` holds these properties without timing.

{common.machine_line(info, loads)}
"""
    common.write_section(SECTION, body)
    if worst >= TARGET_MB:
        raise SystemExit(f"Target not met: +{worst:.1f} MB")


if __name__ == "__main__":
    main()
