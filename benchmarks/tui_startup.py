"""Time from typing ``a2a-observe replay demo.duckdb`` to the first frame, in a real terminal.

Not a test. Each launch is a fresh process in a pseudo-terminal of 120x40, timed from the
launch to the first frame (the header's title on screen) and to the conversation list (the
count of conversations under it). Next to it, in the same run, a bare Textual app that draws one
line: the floor that Python and Textual set on this machine. Launches alternate, and the median
of each is printed with its ratio to the floor.

    python benchmarks/tui_startup.py                  # the recorded demo, 5 launches each
    python benchmarks/tui_startup.py --db my.duckdb   # any store
    python benchmarks/tui_startup.py --runs 9

Without ``--db`` the store is the recorded demo traffic (tests/data/replay_demo.otlp.jsonl, real
demo agents) imported through the store's writer, the same conversations ``a2a-observe demo``
stores.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "replay_demo.otlp.jsonl"
COLUMNS, LINES = 120, 40
TITLE = "a2a-observe replay"
LISTED = re.compile(r"\d+ conversations?\b")
ESCAPES = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][A-Z0-9]|\x1b[=>]"
)

BARE = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("bare textual app")
Bare().run()
"""


def demo_store(folder: Path) -> Path:
    from a2a_observe.collect.importer import import_files
    from a2a_observe.store.writer import StoreWriter

    db = folder / "demo.duckdb"
    writer = StoreWriter(db)
    try:
        report = import_files([FIXTURE], writer)
    finally:
        writer.close()
    if not report.ok:
        raise SystemExit(f"the demo recording did not import: {report.problems}")
    return db


def launch(
    argv: list[str], first: str, then: re.Pattern[str] | None, timeout: float = 60.0
) -> tuple[float, float]:
    """Seconds to the first text ``first`` on screen and to ``then`` (0 when not asked)."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of the given size, then the command
        fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        os.environ.update({"TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(LINES)})
        os.execvp(argv[0], argv)
    seen = b""
    painted = listed = 0.0
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            text = ESCAPES.sub(b"", seen).decode("utf-8", "replace")
            now = time.perf_counter() - started
            if not painted and first in text:
                painted = now
            if painted and (then is None or LISTED.search(text)):
                listed = now if then is not None else 0.0
                break
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)
    if not painted:
        raise SystemExit(f"{' '.join(argv)} drew nothing recognisable within {timeout} s")
    return painted, listed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="the store to open (default: the recorded demo)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cli = str(Path(sys.executable).with_name("a2a-observe"))
    with tempfile.TemporaryDirectory(prefix="a2a-observe-bench-") as tmp:
        db = args.db or demo_store(Path(tmp))
        bare, frames, lists = [], [], []
        for _ in range(args.runs):
            bare.append(launch([sys.executable, "-c", BARE], "bare textual app", None)[0])
            frame, listed = launch([cli, "replay", str(db)], TITLE, LISTED)
            frames.append(frame)
            lists.append(listed)
    floor = statistics.median(bare)
    load = os.getloadavg()
    print(
        f"{COLUMNS}x{LINES}, {args.runs} launches each, load average {load[0]:.2f} on {os.cpu_count()} cpus"
    )
    print(f"  bare Textual app, first frame   {floor * 1000:6.0f} ms  (floor)")
    for label, values in (("replay, first frame", frames), ("replay, conversation list", lists)):
        median = statistics.median(values)
        print(
            f"  {label:31s} {median * 1000:6.0f} ms  {median / floor:4.2f}x floor  "
            f"(range {min(values) * 1000:.0f}-{max(values) * 1000:.0f} ms)"
        )


if __name__ == "__main__":
    main()
