"""What every overhead benchmark shares: a span sink, latency samples, interleaved rounds,
and the report with ratios to the baseline measured in the same run."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

Round = Callable[[int], tuple[list[float], float]]
"""Runs ``n`` calls; returns their latencies and the elapsed time, in seconds."""


class Discard(SpanExporter):
    """Counts spans and drops them: the instrumentation is measured, not a backend."""

    def __init__(self) -> None:
        self.count = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.count += len(spans)
        return SpanExportResult.SUCCESS


@dataclass
class Samples:
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    def add(self, other: list[float], elapsed: float) -> None:
        self.latencies.extend(other)
        self.elapsed += elapsed

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


def timed(call: Callable[[], object], count: int) -> tuple[list[float], float]:
    """A :data:`Round` for a synchronous call."""
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        begin = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - begin)
    return latencies, time.perf_counter() - started


def measure(
    modes: dict[str, Callable[[], None]], run_round: Round, rounds: int, per_round: int
) -> dict[str, Samples]:
    """Every way once per round, in turn, so machine noise hits them alike."""
    results = {name: Samples() for name in modes}
    for _ in range(rounds):
        for name, switch in modes.items():
            switch()
            latencies, elapsed = run_round(per_round)
            results[name].add(latencies, elapsed)
    return results


def report(title: str, results: dict[str, Samples], baseline: str = "bare") -> None:
    base = results[baseline]
    print(f"\n{title}")
    print(
        f"{'way':14} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'p50/bare':>9} {'p99/bare':>9} {'rps/bare':>9}"
    )
    for name, samples in results.items():
        print(
            f"{name:14} {samples.rps:9.1f} {samples.p(0.5) * 1e3:9.3f} {samples.p(0.99) * 1e3:9.3f} "
            f"{samples.p(0.5) / base.p(0.5):9.3f} {samples.p(0.99) / base.p(0.99):9.3f} "
            f"{samples.rps / base.rps:9.3f}"
        )
