"""What tracing costs an A2A call: bare a2a-sdk, the SDK's own telemetry, and a2a-observe.

One echo agent on 127.0.0.1 over JSON-RPC, measured three ways in ONE run, the ways
interleaved round by round so that machine noise hits them alike. Both traced ways export
through the same BatchSpanProcessor into an exporter that drops the spans, so what is
measured is the instrumentation, not a backend.

    python benchmarks/overhead.py                           # spans, metrics and logs on
    python benchmarks/overhead.py --no-metrics --no-logs    # spans only
    python benchmarks/overhead.py --floor                   # plus the SDK's floor (empty spans)
    python benchmarks/overhead.py --quick                   # a smoke run
    python benchmarks/overhead.py --processes               # each way's agents in a process of their own

Prints requests/s, p50 and p99 latency per way, for SendMessage and for a 50-event stream,
and the ratios to bare. ``--floor`` adds a way that makes the same spans empty (no
attributes, no events): the cost of the spans themselves, which no instrumentation that
makes them can go below.

By default client and agents share one process and one event loop, so every span, metric and
export of both sides is paid on the path of the call. ``--processes`` runs each way's agents in
a process of their own, as deployed agents are: the client stays here, switched between the
ways as before, and calls the agents of the way being measured.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable

from measure import Discard, Samples, measure, report
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CollectorRegistry

import a2a_observe
from a2a_observe.signals.prometheus import PrometheusReader


def sdk_telemetry_off() -> object:
    """The object a2a-sdk itself puts in place of ``trace`` when its telemetry is off.

    The SDK decides once, at import, from ``OTEL_INSTRUMENTATION_A2A_SDK_ENABLED``; loading a
    private copy of its telemetry module with the variable off gives us its own no-op, so
    "bare" here is exactly the SDK with telemetry off, in the same process as the others.
    """
    spec = importlib.util.find_spec("a2a.utils.telemetry")
    assert spec is not None and spec.origin is not None
    private = importlib.util.spec_from_file_location("_a2a_telemetry_off", spec.origin)
    assert private is not None and private.loader is not None
    module = importlib.util.module_from_spec(private)
    previous = os.environ.get("OTEL_INSTRUMENTATION_A2A_SDK_ENABLED")
    os.environ["OTEL_INSTRUMENTATION_A2A_SDK_ENABLED"] = "false"
    try:
        private.loader.exec_module(module)
    finally:
        if previous is None:
            del os.environ["OTEL_INSTRUMENTATION_A2A_SDK_ENABLED"]
        else:
            os.environ["OTEL_INSTRUMENTATION_A2A_SDK_ENABLED"] = previous
    assert type(module.trace).__name__ == "_NoOp"
    return module.trace


class Modes:
    """Switches the process between the ways to run."""

    def __init__(self) -> None:
        import a2a.utils.telemetry as sdk_telemetry

        self.sdk_telemetry = sdk_telemetry
        self.real_trace = sdk_telemetry.trace
        self.off = sdk_telemetry_off()

    def bare(self) -> None:
        if a2a_observe.is_instrumented():
            a2a_observe.uninstrument()
        self.sdk_telemetry.trace = self.off

    def sdk(self) -> None:
        if a2a_observe.is_instrumented():
            a2a_observe.uninstrument()
        self.sdk_telemetry.trace = self.real_trace

    def observe(self) -> None:
        if not a2a_observe.is_instrumented():
            self.sdk_telemetry.trace = self.real_trace  # instrument() silences it again
            a2a_observe.instrument()
        self._empty_spans(False)

    def floor(self) -> None:
        """a2a-observe making the same spans with nothing in them: no attributes, no events.

        What is left is what the OpenTelemetry SDK charges for the spans themselves plus our
        hooks: the floor under any instrumentation that makes these three spans per call.
        """
        self.observe()
        self._empty_spans(True)

    _saved: dict[str, object] | None = None

    def _empty_spans(self, empty: bool) -> None:
        from a2a_observe.observation.observer import AgentRun, CallObservation, Observer

        targets = {
            "clean": (Observer, lambda self, attrs: {}),
            "call_attributes": (Observer, lambda self, facts: {}),
            "emitted": (AgentRun, lambda self, source, event: None),
            "stream_event": (CallObservation, lambda self, event: None),
        }
        if empty and self._saved is None:
            self._saved = {name: getattr(owner, name) for name, (owner, _) in targets.items()}
            for name, (owner, replacement) in targets.items():
                setattr(owner, name, replacement)
        elif not empty and self._saved is not None:
            for name, (owner, _) in targets.items():
                setattr(owner, name, self._saved[name])
            self._saved = None


async def unary_round(card: object, count: int) -> tuple[list[float], float]:
    from a2a.types import SendMessageRequest

    from a2a_observe.replay.sdk_client import make_client, user_message

    client = make_client(card, "JSONRPC", streaming=False)
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        begin = time.perf_counter()
        [e async for e in client.send_message(SendMessageRequest(message=user_message("ping")))]
        latencies.append(time.perf_counter() - begin)
    elapsed = time.perf_counter() - started
    await client.close()
    return latencies, elapsed


async def stream_round(card: object, count: int) -> tuple[list[float], float]:
    from a2a.types import SendMessageRequest

    from a2a_observe.replay.sdk_client import make_client, user_message

    client = make_client(card, "JSONRPC", streaming=True)
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        begin = time.perf_counter()
        events = [e async for e in client.send_message(SendMessageRequest(message=user_message("a b c")))]
        latencies.append(time.perf_counter() - begin)
        assert len(events) >= 50, len(events)
    elapsed = time.perf_counter() - started
    await client.close()
    return latencies, elapsed


class DiscardLogs:
    """A log record exporter that drops what it is given, as :class:`Discard` does spans."""

    def export(self, batch: object) -> object:
        from opentelemetry.sdk._logs.export import LogRecordExportResult

        return LogRecordExportResult.SUCCESS

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True

    def shutdown(self) -> None:
        return None


def enable_logs() -> None:
    """Logs on, as in production: a2a-observe's logging set-up (JSON lines with the trace and
    task ids) and the OpenTelemetry log pipeline, both ending in a sink."""
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    from a2a_observe.logs import configure_logging

    provider = LoggerProvider()
    provider.add_log_record_processor(BatchLogRecordProcessor(DiscardLogs()))  # type: ignore[arg-type]
    set_logger_provider(provider)
    configure_logging(json=True, stream=open(os.devnull, "w"), otel=True)  # noqa: SIM115


def logging_echo() -> object:
    """The echo agent, writing one structlog line per request as a real agent would."""
    import structlog

    from a2a_observe.demo.agents import EchoAgent

    log = structlog.get_logger("bench.echo")

    class LoggingEcho(EchoAgent):
        async def execute(self, context, event_queue):  # type: ignore[no-untyped-def]
            log.info("echo", chars=len(context.get_user_input()))
            await super().execute(context, event_queue)

    return LoggingEcho()


def serve_way(way: str, no_logs: bool) -> None:
    """The agents of one way, in this process, until standard input closes (``--processes``)."""
    from a2a_observe.demo.agents import EchoAgent, StreamingWriter
    from a2a_observe.demo.serving import serve_agent

    switch = Modes()
    {
        "bare": switch.bare,
        "sdk-telemetry": switch.sdk,
        "a2a-observe": switch.observe,
        "empty-spans": switch.floor,
    }[way]()
    with (
        serve_agent(EchoAgent() if no_logs else logging_echo(), "echo", grpc=False) as echo,
        serve_agent(StreamingWriter(chunks=48), "writer", grpc=False) as writer,
    ):
        print(json.dumps({"echo": echo.base_url, "writer": writer.base_url}), flush=True)
        sys.stdin.read()


def agents_in_processes(ways: list[str], argv: list[str]) -> tuple[dict[str, tuple[object, object]], list]:
    """Start one process per way; returns each way's (echo card, writer card) and the processes."""
    from urllib.parse import urlsplit

    from a2a_observe.demo.serving import build_card

    cards: dict[str, tuple[object, object]] = {}
    processes = []
    for way in ways:
        process = subprocess.Popen(
            [sys.executable, __file__, "--serve", way, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        urls = json.loads(process.stdout.readline())
        cards[way] = (
            build_card("echo", urlsplit(urls["echo"]).port or 0, None, "1.0.0"),
            build_card("writer", urlsplit(urls["writer"]).port or 0, None, "1.0.0"),
        )
        processes.append(process)
    return cards, processes


def run_ways(
    modes: dict[str, Callable[[], None]],
    echo: Callable[[], object],
    writer: Callable[[], object],
    loop: asyncio.AbstractEventLoop,
    args: argparse.Namespace,
) -> tuple[dict[str, Samples], dict[str, Samples]]:
    # warm-up: connections, imports, JIT-free but cache-warm
    for switch_to in modes.values():
        switch_to()
        loop.run_until_complete(unary_round(echo(), 20))
        loop.run_until_complete(stream_round(writer(), 2))
    unary = measure(modes, lambda n: loop.run_until_complete(unary_round(echo(), n)), args.rounds, args.unary)
    streams = measure(
        modes, lambda n: loop.run_until_complete(stream_round(writer(), n)), args.rounds, args.streams
    )
    return unary, streams


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="few requests, for a smoke run")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--unary", type=int, default=150, help="SendMessage calls per way per round")
    parser.add_argument("--streams", type=int, default=15, help="50-event streams per way per round")
    parser.add_argument("--no-metrics", action="store_true", help="spans only, no metrics")
    parser.add_argument("--no-logs", action="store_true", help="the agent logs nothing")
    parser.add_argument(
        "--floor", action="store_true", help="also a2a-observe with empty spans: the SDK's own floor"
    )
    parser.add_argument("--processes", action="store_true", help="each way's agents in their own process")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.unary, args.streams = 2, 20, 3
    logging.getLogger("a2a").setLevel(logging.CRITICAL)

    exporter = Discard()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=65536))
    trace.set_tracer_provider(provider)
    if not args.no_metrics:
        # Metrics on, as in production: recorded and aggregated on every call, read by a
        # Prometheus scrape (the reader adds no cost until scraped).
        metrics.set_meter_provider(MeterProvider(metric_readers=[PrometheusReader(CollectorRegistry())]))

    if not args.no_logs:
        enable_logs()
    if args.serve:
        serve_way(args.serve, args.no_logs)
        return
    from a2a_observe.demo.agents import EchoAgent, StreamingWriter
    from a2a_observe.demo.serving import serve_agent

    switch = Modes()
    modes = {"bare": switch.bare, "sdk-telemetry": switch.sdk, "a2a-observe": switch.observe}
    if args.floor:
        modes["empty-spans"] = switch.floor
    loop = asyncio.new_event_loop()
    if args.processes:
        argv = [flag for flag in ("--no-metrics", "--no-logs") if getattr(args, flag[2:].replace("-", "_"))]
        cards, processes = agents_in_processes(list(modes), argv)
        target: dict[str, tuple[object, object]] = {}

        def calling(way: str, switch_to: Callable[[], None]) -> Callable[[], None]:
            def go() -> None:
                switch_to()
                target["cards"] = cards[way]

            return go

        try:
            unary, streams = run_ways(
                {way: calling(way, switch_to) for way, switch_to in modes.items()},
                lambda: target["cards"][0],
                lambda: target["cards"][1],
                loop,
                args,
            )
        finally:
            for process in processes:
                process.communicate("")
    else:
        with (
            serve_agent(EchoAgent() if args.no_logs else logging_echo(), "echo", grpc=False) as echo,
            serve_agent(StreamingWriter(chunks=48), "writer", grpc=False) as writer,
        ):
            unary, streams = run_ways(modes, lambda: echo.card, lambda: writer.card, loop, args)
    loop.close()
    provider.shutdown()
    print(
        f"{args.rounds} interleaved rounds; "
        f"agents {'in a process per way' if args.processes else 'in this process'}; "
        f"{exporter.count} spans exported here; "
        f"metrics {'off' if args.no_metrics else 'on'}; logs {'off' if args.no_logs else 'on'}"
    )
    report(f"SendMessage over JSON-RPC on loopback ({args.rounds * args.unary} calls per way)", unary)
    report(f"SendStreamingMessage, 51-event stream ({args.rounds * args.streams} streams per way)", streams)


if __name__ == "__main__":
    main()
