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

Clock = Callable[[str], float]
"""CPU seconds a process has used so far, read for the way about to run or just run: what a
way's rounds cost in CPU is the difference around them, divided by the calls."""


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
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds per clock (a process) spent during this way's rounds."""

    def cpu_per_call(self, clock: str) -> float:
        return self.cpu.get(clock, 0.0) / len(self.latencies) if self.latencies else 0.0

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
    modes: dict[str, Callable[[], None]],
    run_round: Round,
    rounds: int,
    per_round: int,
    clocks: dict[str, Clock] | None = None,
    warm: int = 0,
) -> dict[str, Samples]:
    """Every way once per round, in turn, so machine noise hits them alike; with ``clocks``,
    also the CPU each process spent during each way's rounds.

    ``warm`` calls are made untimed after each switch: switching a way on (instrumenting,
    opening a client) leaves it cold, as an app is only at its first calls, and without them
    each round would time that way's first calls while the way before it ran warm."""
    results = {name: Samples() for name in modes}
    clocks = clocks or {}
    for _ in range(rounds):
        for name, switch in modes.items():
            switch()
            if warm:
                run_round(warm)
            before = {clock: read(name) for clock, read in clocks.items()}
            latencies, elapsed = run_round(per_round)
            after = {clock: read(name) for clock, read in clocks.items()}
            samples = results[name]
            samples.add(latencies, elapsed)
            for clock in clocks:
                samples.cpu[clock] = samples.cpu.get(clock, 0.0) + after[clock] - before[clock]
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
    clocks = list(base.cpu)
    if not clocks:
        return
    print(f"CPU per call in microseconds, by process ({', '.join(clocks)}); their total; total/bare")
    print(f"{'way':14} " + " ".join(f"{clock:>9}" for clock in clocks) + f" {'total':>9} {'cpu/bare':>9}")
    base_total = sum(base.cpu_per_call(clock) for clock in clocks)
    for name, samples in results.items():
        per_call = [samples.cpu_per_call(clock) for clock in clocks]
        total = sum(per_call)
        print(
            f"{name:14} "
            + " ".join(f"{value * 1e6:9.0f}" for value in per_call)
            + f" {total * 1e6:9.0f} {total / base_total if base_total else 0.0:9.3f}"
        )
