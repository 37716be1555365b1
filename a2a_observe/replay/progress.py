"""A progress bar that counts things (conversations, turns) rather than bytes."""

from __future__ import annotations

from typing import TextIO

from a2a_observe.collect.progress import Progress


class CountProgress(Progress):
    """The collector's one-line bar, labelled with a count and a noun."""

    def __init__(self, total: int, noun: str, stream: TextIO | None = None, interval: float = 0.2) -> None:
        super().__init__(total, stream, interval)
        self.noun = noun

    def line(self) -> str:
        fraction = min(self.done / self.total, 1.0)
        filled = int(fraction * 30)
        bar = "#" * filled + "-" * (30 - filled)
        return f"[{bar}] {fraction:4.0%} {self.done}/{self.total} {self.noun} {self.note}".rstrip()

    def step(self, done: int, total: int) -> None:
        """A callback for work that reports ``(done, total)``."""
        self.total = max(total, 1)
        self.update(done)
