"""What a2a-observe costs a python-a2a call: bare python-a2a against instrumented python-a2a.

One python-a2a agent (Flask, threaded werkzeug server) on 127.0.0.1 and python-a2a's own
``A2AClient``, measured both ways in ONE run, interleaved round by round so machine noise hits
them alike. Instrumented means both sides: the client's CLIENT span and header injection, the
server's SERVER span and the agent's ``invoke_agent`` span. Spans go through a
BatchSpanProcessor into an exporter that drops them, so what is measured is the
instrumentation, not a backend.

    python benchmarks/overhead_python_a2a.py            # full run
    python benchmarks/overhead_python_a2a.py --quick    # a smoke run

Prints requests/s, p50 and p99 latency per way for ``send_message`` (tasks/send, through the
agent) and ``get_task`` (answered by python-a2a without the agent), and the ratios to bare.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

import a2a_observe


class Discard(SpanExporter):
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


def bare() -> None:
    if a2a_observe.is_instrumented():
        a2a_observe.uninstrument()


def observed() -> None:
    if not a2a_observe.is_instrumented():
        a2a_observe.instrument()


def timed(call: Callable[[], object], count: int) -> tuple[list[float], float]:
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        begin = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - begin)
    return latencies, time.perf_counter() - started


def measure(
    modes: dict[str, Callable[[], None]], call: Callable[[], object], rounds: int, per_round: int
) -> dict[str, Samples]:
    results = {name: Samples() for name in modes}
    for _ in range(rounds):
        for name, switch in modes.items():
            switch()
            latencies, elapsed = timed(call, per_round)
            results[name].add(latencies, elapsed)
    return results


def report(title: str, results: dict[str, Samples]) -> None:
    base = results["bare"]
    print(f"\n{title}")
    print(
        f"{'way':12} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'p50/bare':>9} {'p99/bare':>9} {'rps/bare':>9}"
    )
    for name, samples in results.items():
        print(
            f"{name:12} {samples.rps:9.1f} {samples.p(0.5) * 1e3:9.3f} {samples.p(0.99) * 1e3:9.3f} "
            f"{samples.p(0.5) / base.p(0.5):9.3f} {samples.p(0.99) / base.p(0.99):9.3f} "
            f"{samples.rps / base.rps:9.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="few requests, for a smoke run")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--calls", type=int, default=150, help="calls per way per round")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.calls = 2, 20
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    exporter = Discard()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=65536))
    trace.set_tracer_provider(provider)

    from python_a2a import A2AClient, Message, MessageRole, Task, TextContent

    from a2a_observe.demo.python_a2a_agents import serve_python_a2a_agent

    modes = {"bare": bare, "a2a-observe": observed}
    with serve_python_a2a_agent(name="greeter") as agent:
        client = A2AClient(agent.url)
        message = Message(content=TextContent(text="ping"), role=MessageRole.USER, conversation_id="bench")
        client._send_task(Task(id="bench-task", message=message.to_dict()))
        for switch in modes.values():  # warm-up: connections, imports, caches
            switch()
            timed(lambda: client.send_message(message), 20)
            timed(lambda: client.get_task("bench-task"), 20)
        sends = measure(modes, lambda: client.send_message(message), args.rounds, args.calls)
        gets = measure(modes, lambda: client.get_task("bench-task"), args.rounds, args.calls)
    provider.shutdown()
    print(f"{args.rounds} interleaved rounds; {exporter.count} spans exported in all")
    per_way = args.rounds * args.calls
    report(f"python-a2a send_message, tasks/send on loopback ({per_way} calls per way)", sends)
    report(f"python-a2a get_task, tasks/get on loopback ({per_way} calls per way)", gets)


if __name__ == "__main__":
    main()
