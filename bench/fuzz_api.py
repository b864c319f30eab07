"""The API fuzzing run, longer than the suite's (issue 13 item 3).

    QAF_ENV=test DATABASE_URL=postgres://.../qaf REDIS_URL=redis://.../0 \
        .venv/bin/python bench/fuzz_api.py [--examples 50] [--no-doc]

tests/security/test_schema_conformance.py sends every operation of ``/api/schema/`` 4
schemathesis-generated requests per user and mode (valid requests on real objects, and invalid
ones where the operation takes input), as an officer and as a provider user, and checks every
answer: no server error, and status code, content type, headers and body as the schema says.
This runs that same test (``tests.security.schema_tools.sweep``, same fixtures, same checks)
with ``--examples`` per operation, user and mode instead, through pytest (``--reuse-db``: the
test database of ``DATABASE_URL``), and prints the operations, the requests sent, the failures
by check and the time; unless ``--no-doc``, it writes them to docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

SECTION = "## API fuzzing: the long run"
TEST = "tests/security/test_schema_conformance.py::test_every_operation_answers_as_the_schema_says"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=50, help="per operation, user and mode")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/performance.md")
    args = parser.parse_args()

    loads = [common.load_average()]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "fuzz.json"
        env = {
            **os.environ,
            "QAF_ENV": os.environ.get("QAF_ENV", "test"),
            "QAF_FUZZ_EXAMPLES": str(args.examples),
            "QAF_FUZZ_REPORT": str(report),
        }
        started = time.perf_counter()
        done = subprocess.run(
            [common.PYTHON, "-m", "pytest", TEST, "-q", "-p", "no:cacheprovider", "--reuse-db"],
            cwd=common.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        loads.append(common.load_average())
        if not report.exists():
            raise SystemExit(f"The test did not run:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        result = json.loads(report.read_text())

    failures = result["failures"]
    print(f"examples per operation, user and mode: {args.examples}")
    print(f"operations: {result['operations']}")
    print(f"requests:   {result['requests']:,}")
    print(f"failures:   {len(failures)} requests")
    for check, n in sorted(result["by_check"].items()):
        print(f"  {check}: {n}")
    print(f"time:       {seconds:.0f} s (pytest {'passed' if done.returncode == 0 else 'failed'})")
    for line in failures[:40]:
        print(" ", line)
    if not args.no_doc:
        write_doc(args.examples, result, seconds, loads)


def write_doc(examples: int, result: dict, seconds: float, loads: list[str]) -> None:
    info = common.machine()
    by_check = ", ".join(f"{check} {n}" for check, n in sorted(result["by_check"].items()))
    rows = [
        [
            examples,
            result["operations"],
            f"{result['requests']:,}",
            len(result["failures"]),
            by_check or "none",
            f"{seconds:.0f}",
        ]
    ]
    body = f"""
`QAF_ENV=test DATABASE_URL=... .venv/bin/python bench/fuzz_api.py --examples {examples}` (see
its docstring): the suite's schema sweep (`tests/security/test_schema_conformance.py`, 4
generated requests per operation, user and mode) run with {examples} instead, as
`officer_olivia` and as `provider_pat`: valid requests on the objects of `api_world` and,
where an operation takes input, invalid ones; every answer checked for no server error and
for its status code, content type, headers and body against `/api/schema/`. "requests" counts
the requests sent (hypothesis stops early where an operation has fewer distinct cases);
"failures" the requests with any failed check. {common.machine_line(info, loads)}

{common.table(["examples", "operations", "requests", "failures", "by check", "time s"], rows)}
"""
    common.write_section(SECTION, body)


if __name__ == "__main__":
    main()
