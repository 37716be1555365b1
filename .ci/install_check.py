"""Install a2a-observe as users do, in fresh virtual environments, and time each install.

Every case gets a new ``python3 -m venv`` with the pip that Python ships (or the newest pip,
where a case says so), runs one ``pip install``, then ``pip check`` and a few imports. The
cases about resolution alone ask pip for its plan with ``--dry-run --report`` and check the
versions it chose, without installing: the newest pip, a framework beside us, and the extras
that add only third-party libraries whose code the development environment (``.[dev]``,
installed by ``make setup`` with the same pip) runs anyway. Every
extra is in at least one case (``store`` within ``collect,tui``; ``dev`` is what ``make
setup`` installs with the same pip). Installs skip byte-compiling (``--no-compile``): that is
not resolution, and it is most of an install's CPU time. It fails
when pip cannot resolve, when an install runs past ``--timeout`` (pip backtracking through
releases is a resolution failure too, just a slow one), when the installed set is
inconsistent, or when ``strands-agents`` is not its newest release beside our ``a2a-sdk``
extra. Only the standard library: it runs before any project environment exists.

    python3 .ci/install_check.py               # every case, two at a time
    python3 .ci/install_check.py --only a2a-sdk --only strands
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUIET_OTEL = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}


@dataclass(frozen=True)
class Case:
    name: str
    requirements: tuple[str, ...]
    imports: tuple[str, ...] = ("a2a_observe.auto",)
    newest_pip: bool = False
    newest: tuple[str, ...] = field(default=())  # distributions that must resolve to their newest release
    dry_run: bool = False


CASES = (  # the slowest first, so that two at a time finish close together
    Case("collect,tui", (".[collect,tui]",), ("a2a_observe.store", "a2a_observe.collect", "a2a_observe.tui")),
    Case("strands", (".[a2a-sdk]", "strands-agents[a2a]"), newest=("strands-agents",), dry_run=True),
    Case("python-a2a", (".[python-a2a]",), dry_run=True),
    Case("a2a-sdk", (".[a2a-sdk]",), ("a2a_observe.auto", "a2a.client")),
    Case(
        "strands, newest pip",
        (".[a2a-sdk]", "strands-agents[a2a]"),
        newest_pip=True,
        newest=("strands-agents",),
        dry_run=True,
    ),
    Case("demo", (".[demo]",), dry_run=True),
    Case("clickhouse", (".[clickhouse]",), ("a2a_observe.store.clickhouse.client", "clickhouse_connect")),
    # chdb's wheel is ~180 MB and the development environment installs it with the same pip.
    Case("chdb", (".[chdb]",), dry_run=True),
    Case("fasta2a", (".[fasta2a]",), ("a2a_observe.auto", "fasta2a.client")),
    Case("package", (".",)),
    Case("a2a-sdk, newest pip", (".[a2a-sdk]",), newest_pip=True, dry_run=True),
)


@dataclass
class Outcome:
    case: Case
    ok: bool
    seconds: float
    pip_version: str = ""
    detail: str = ""


def run(
    args: list[str], timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def installed_version(python: str, distribution: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    return run([python, "-c", code], 60).stdout.strip()


def planned_versions(report: Path) -> dict[str, str]:
    """Distribution name -> version from a ``pip install --report`` file."""
    plan = json.loads(report.read_text())
    return {item["metadata"]["name"].lower(): item["metadata"]["version"] for item in plan.get("install", [])}


def newest_release(python: str, distribution: str) -> str:
    """The newest release the package index offers, as the same pip sees it."""
    listing = run([python, "-m", "pip", "index", "versions", distribution], 120).stdout
    found = re.search(rf"^{re.escape(distribution)} \(([^)]+)\)", listing, re.MULTILINE)
    return found.group(1) if found else "?"


def check(case: Case, workdir: Path, timeout: float) -> Outcome:
    venv = workdir / re.sub(r"[^A-Za-z0-9]+", "-", case.name)
    shutil.rmtree(venv, ignore_errors=True)
    run([sys.executable, "-m", "venv", str(venv)], 120).check_returncode()
    python = str(venv / "bin" / "python")
    if case.newest_pip:
        upgrade = run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], 300)
        if upgrade.returncode:
            return Outcome(case, False, 0.0, detail="upgrading pip failed:\n" + tail(upgrade.stderr))
    pip_version = run([python, "-m", "pip", "--version"], 60).stdout.split()[1]
    report = venv / "report.json"
    plan = ["--dry-run", "--report", str(report)] if case.dry_run else []
    started = time.monotonic()
    try:
        install = run(
            [
                python,
                "-m",
                "pip",
                "install",
                "--progress-bar",
                "off",
                "--no-compile",
                *plan,
                *case.requirements,
            ],
            timeout,
        )
    except subprocess.TimeoutExpired:
        seconds = time.monotonic() - started
        return Outcome(case, False, seconds, pip_version, f"pip was still resolving after {timeout:.0f} s")
    seconds = time.monotonic() - started
    if install.returncode:
        return Outcome(case, False, seconds, pip_version, "pip install failed:\n" + tail(install.stderr))
    if case.dry_run:
        chosen = planned_versions(report)
    else:
        consistent = run([python, "-m", "pip", "check"], 120)
        if consistent.returncode:
            return Outcome(case, False, seconds, pip_version, "pip check:\n" + tail(consistent.stdout))
        imports = "; ".join(f"import {module}" for module in case.imports)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "A2A_OBSERVE_"))}
        imported = run([python, "-c", imports], 120, env={**env, **QUIET_OTEL})
        if imported.returncode:
            return Outcome(case, False, seconds, pip_version, f"{imports}:\n" + tail(imported.stderr))
        chosen = {d.lower(): installed_version(python, d) for d in case.newest}
    versions = []
    for distribution in case.newest:
        have, newest = chosen.get(distribution.lower(), "none"), newest_release(python, distribution)
        if have != newest:
            return Outcome(
                case, False, seconds, pip_version, f"{distribution} {have} chosen; {newest} is the newest"
            )
        versions.append(f"{distribution} {have}")
    shutil.rmtree(venv, ignore_errors=True)
    return Outcome(case, True, seconds, pip_version, ", ".join(versions))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=2, help="cases installed at once (default 2)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=600,
        help="seconds one install may take (600): a guard against pip backtracking without end, not a "
        "speed test, since make test runs this beside the unit tests on a busy machine",
    )
    parser.add_argument("--only", action="append", default=[], help="run the cases with this name")
    options = parser.parse_args()
    cases = [c for c in CASES if not options.only or c.name in options.only]
    if not cases:
        parser.error(f"no case named {options.only}; cases: {', '.join(c.name for c in CASES)}")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="a2a-observe-install-check-") as tmp:

        def one(case: Case) -> Outcome:
            outcome = check(case, Path(tmp), options.timeout)
            mark = "ok  " if outcome.ok else "FAIL"
            print(f"{mark} {outcome.seconds:6.1f} s  pip {outcome.pip_version:8} {case.name}", flush=True)
            return outcome

        with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
            outcomes = list(pool.map(one, cases))
    failed = [o for o in outcomes if not o.ok]
    for outcome in outcomes:
        if outcome.detail:
            print(f"\n{outcome.case.name} ({' '.join(outcome.case.requirements)}): {outcome.detail}")
    total = time.monotonic() - started
    print(f"\ninstall check: {len(outcomes) - len(failed)} passed, {len(failed)} failed in {total:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
