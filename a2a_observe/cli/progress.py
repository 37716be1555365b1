"""A one-line progress bar on stderr, redrawn at most a few times a second.

Small enough to write here rather than pull in a dependency; on a terminal it redraws in
place, elsewhere (CI logs, pipes) it prints only the closing line.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_WIDTH = 30


def _size(value: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, interval: float = 0.2) -> None:
        self.total = max(total, 1)
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval
        self.done = 0
        self.note = ""
        self._last = 0.0

    def line(self) -> str:
        fraction = min(self.done / self.total, 1.0)
        filled = int(fraction * _WIDTH)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        return f"[{bar}] {fraction:4.0%} {_size(self.done)}/{_size(self.total)} {self.note}".rstrip()

    def update(self, done: int, note: str = "") -> None:
        self.done, self.note = done, note
        now = time.monotonic()
        if self.interactive and now - self._last >= self.interval:
            self._last = now
            self.stream.write("\r" + self.line())
            self.stream.flush()

    def finish(self) -> None:
        self.stream.write(("\r" if self.interactive else "") + self.line() + "\n")
        self.stream.flush()


class CountProgress(Progress):
    """The same one-line bar, labelled with a count and a noun (conversations, turns)."""

    def __init__(self, total: int, noun: str, stream: TextIO | None = None, interval: float = 0.2) -> None:
        super().__init__(total, stream, interval)
        self.noun = noun

    def line(self) -> str:
        fraction = min(self.done / self.total, 1.0)
        filled = int(fraction * _WIDTH)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        return f"[{bar}] {fraction:4.0%} {self.done}/{self.total} {self.noun} {self.note}".rstrip()

    def step(self, done: int, total: int) -> None:
        """A callback for work that reports ``(done, total)``."""
        self.total = max(total, 1)
        self.update(done)
