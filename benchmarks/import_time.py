"""What importing a2a-observe costs a process: ``import a2a_observe.auto`` (an app's first line)
and the ``a2a-observe`` command's module, against bare Python, measured in the same run.

Not a test. Each target runs in a fresh interpreter, the targets take turns round after round
(so machine noise hits them alike), and the report gives the median and the fastest wall time
of each, and what it adds to bare Python. ``auto`` runs with every exporter set to ``none``, so
it configures OpenTelemetry and instruments but sends nothing. ``--modules N`` also lists the
N modules with the largest cumulative import time under ``python -X importtime``.

    python benchmarks/import_time.py
    python benchmarks/import_time.py --rounds 30 --modules 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

TARGETS: dict[str, str] = {
    "bare python": "pass",
    "import a2a_observe": "import a2a_observe",
    "import a2a_observe.auto": "import a2a_observe.auto",
    "a2a-observe command (import a2a_observe.cli)": "import a2a_observe.cli",
}

QUIET = {
    "OTEL_TRACES_EXPORTER": "none",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    "A2A_OBSERVE_DISABLED": "",
    "A2A_OBSERVE_STORE": "",
}


def run_once(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.perf_counter() - started


def importtime_top(code: str, env: dict[str, str], count: int) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of the ``count`` costliest imports of ``code``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], env=env, capture_output=True, text=True, check=True
    )
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative_us), name.strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--modules", type=int, default=0, help="list the N costliest imports of each target")
    args = parser.parse_args()
    env = {**os.environ, **QUIET}
    for code in TARGETS.values():
        run_once(code, env)  # warm the file system cache for every target alike
    times: dict[str, list[float]] = {name: [] for name in TARGETS}
    for _ in range(args.rounds):
        for name, code in TARGETS.items():
            times[name].append(run_once(code, env))
    bare = statistics.median(times["bare python"])
    print(f"{sys.executable} ({sys.version.split()[0]}), {args.rounds} rounds, wall time per fresh process")
    print(f"{'':46} {'median':>9} {'fastest':>9} {'added':>9} {'x bare':>7}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(
            f"{name:46} {median * 1000:8.1f}ms {min(samples) * 1000:8.1f}ms "
            f"{(median - bare) * 1000:8.1f}ms {median / bare:7.2f}"
        )
    if args.modules:
        for name, code in TARGETS.items():
            if code == "pass":
                continue
            print(f"\n{name}: costliest imports (cumulative, python -X importtime, one run)")
            for us, module in importtime_top(code, env, args.modules):
                print(f"  {us / 1000:8.1f}ms  {module}")


if __name__ == "__main__":
    main()
