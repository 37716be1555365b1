"""What tracing costs an A2A call: bare a2a-sdk, hand-made empty spans, the SDK's own
telemetry, and a2a-observe, in latency and in CPU.

One echo agent (and a 50-event stream writer) on 127.0.0.1 over JSON-RPC, measured four ways
in ONE run, the ways interleaved round by round so that machine noise hits them alike:

- ``bare``: a2a-sdk with its telemetry off, nothing else.
- ``floor``: bare plus three empty spans per call made by hand with the OpenTelemetry API (a
  CLIENT span around the client's call, a SERVER span around the request handler, an
  INTERNAL span around the agent's ``execute``), on the same TracerProvider and batch export
  as the others: what any instrumentation that makes these spans pays at least.
- ``sdk-telemetry``: the SDK's own telemetry on.
- ``a2a-observe``: ``a2a_observe.instrument()`` (spans, metrics and logs).

Every traced way exports through one BatchSpanProcessor per process. By default the exporter
drops the spans; ``--otlp`` exports spans, metrics and logs over OTLP/HTTP to a sink on
127.0.0.1 that reads and discards them (a process of its own), so protobuf serialisation and
the HTTP posts are paid as in production.

    python benchmarks/overhead.py --processes --otlp        # the headline set-up (see below)
    python benchmarks/overhead.py                           # one process, spans dropped
    python benchmarks/overhead.py --no-metrics --no-logs    # spans only
    python benchmarks/overhead.py --empty-spans             # plus a2a-observe with empty spans
    python benchmarks/overhead.py --processes --otlp --gc-freeze   # start-up heaps frozen
    python benchmarks/overhead.py --quick                   # a smoke run

Prints requests/s, p50 and p99 latency per way for SendMessage and for the stream, the ratios
to bare, and the CPU each way costs per call: with ``--processes`` the client's and the
agent's process separately (each process's CPU time read around the way's rounds, after a
flush of its span and log pipelines so the export work lands on the way that caused it),
otherwise the one process's.

The headline figures (README, docs/) use ``--processes --otlp``: the client here, each way's
agents in a process of their own as deployed agents are, everything exported over OTLP to a
local sink. Without ``--processes`` client and agents share one process and one event loop,
so both sides' spans, metrics and exports are paid on the path of every call.
``--empty-spans`` adds a2a-observe's own hooks making its spans with no attributes or events,
which separates what the spans cost from what filling them costs.

It also prints the full garbage collections made during the rounds (how many, the longest
pause), which is where the p99 columns' tail comes from: each agent process's with
``--processes``, and the client's process's. ``--gc-freeze`` has every process call
``gc.freeze()`` after the warm-up, as a long-running server can after start-up, so those
collections no longer walk the start-up heap.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import importlib.util
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from measure import Clock, Discard, Samples, measure, report
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import CollectorRegistry

import a2a_observe
from a2a_observe.signals.prometheus import PrometheusReader

WAYS = ("bare", "floor", "sdk-telemetry", "a2a-observe")

WARM_CALLS = 10
"""Untimed calls after each switch of way, before its round is timed (``measure``)."""


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


# -- the floor: three empty spans per call, made by hand ---------------------------------------
_floor = {"on": False}
"""Whether the hand-made spans are made; the patches below stay in place either way, so that
switching costs the other ways nothing but this look-up."""


@functools.cache
def _floor_tracer() -> trace.Tracer:
    """Made once, as an app makes its tracer at import: ``get_tracer`` per span would add
    about 20 us a span (a new scope, a warnings filter) that no instrumentation pays."""
    return trace.get_tracer("benchmarks.floor")


@contextlib.contextmanager
def floor_client_span() -> Iterator[None]:
    """The CLIENT span the floor's caller makes around each call, when the floor is on."""
    if not _floor["on"]:
        yield
        return
    with _floor_tracer().start_as_current_span("SendMessage", kind=SpanKind.CLIENT):
        yield


def install_floor() -> None:
    """Patch the request handler and the demo agents to make the floor's SERVER and INTERNAL
    spans while ``_floor["on"]``: the way an app would add spans of its own by hand."""
    from a2a.server.request_handlers import DefaultRequestHandler

    from a2a_observe.demo.agents import EchoAgent, StreamingWriter

    unary = DefaultRequestHandler.on_message_send
    stream = DefaultRequestHandler.on_message_send_stream

    async def traced_unary(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _floor_tracer().start_as_current_span("SendMessage", kind=SpanKind.SERVER):
            return await unary(self, *args, **kwargs)

    def on_message_send(self: Any, *args: Any, **kwargs: Any) -> Any:
        return traced_unary(self, *args, **kwargs) if _floor["on"] else unary(self, *args, **kwargs)

    async def traced_stream(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        # Not made current: a context attached across the generator's yields may be detached
        # in another context when the server closes it.
        span = _floor_tracer().start_span("SendStreamingMessage", kind=SpanKind.SERVER)
        try:
            async for item in stream(self, *args, **kwargs):
                yield item
        finally:
            span.end()

    def on_message_send_stream(self: Any, *args: Any, **kwargs: Any) -> Any:
        return traced_stream(self, *args, **kwargs) if _floor["on"] else stream(self, *args, **kwargs)

    DefaultRequestHandler.on_message_send = on_message_send  # type: ignore[method-assign]
    DefaultRequestHandler.on_message_send_stream = on_message_send_stream  # type: ignore[method-assign]

    for agent in (EchoAgent, StreamingWriter):
        execute = agent.execute

        def traced_execute(self: Any, *args: Any, __execute: Any = execute, **kwargs: Any) -> Any:
            if not _floor["on"]:
                return __execute(self, *args, **kwargs)

            async def run() -> Any:
                with _floor_tracer().start_as_current_span("invoke_agent", kind=SpanKind.INTERNAL):
                    return await __execute(self, *args, **kwargs)

            return run()

        agent.execute = traced_execute  # type: ignore[method-assign]


def without_span_start_logger() -> None:
    """Take out the span-start logger ``instrument()`` adds to the tracer provider (it stays
    after ``uninstrument()``), so that the other ways sharing the provider do not log the
    start of their SERVER spans; ``instrument()`` adds it again."""
    from a2a_observe.signals.span_starts import SpanStartLogger

    multi = getattr(trace.get_tracer_provider(), "_active_span_processor", None)
    processors = getattr(multi, "_span_processors", None)
    if multi is not None and processors is not None:
        multi._span_processors = tuple(p for p in processors if not isinstance(p, SpanStartLogger))


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
            without_span_start_logger()
        self._empty_spans(False)
        _floor["on"] = False
        self.sdk_telemetry.trace = self.off

    def floor(self) -> None:
        self.bare()
        _floor["on"] = True

    def sdk(self) -> None:
        self.bare()
        self.sdk_telemetry.trace = self.real_trace

    def observe(self) -> None:
        _floor["on"] = False
        if not a2a_observe.is_instrumented():
            self.sdk_telemetry.trace = self.real_trace  # instrument() silences it again
            a2a_observe.instrument()
        self._empty_spans(False)

    def empty_spans(self) -> None:
        """a2a-observe making the same spans with nothing in them: no attributes, no events."""
        self.observe()
        self._empty_spans(True)

    def switch(self, way: str) -> Callable[[], None]:
        return {
            "bare": self.bare,
            "floor": self.floor,
            "sdk-telemetry": self.sdk,
            "a2a-observe": self.observe,
            "empty-spans": self.empty_spans,
        }[way]

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
            self._saved = {name: owner.__dict__[name] for name, (owner, _) in targets.items()}
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
        with floor_client_span():
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
        with floor_client_span():
            events = [e async for e in client.send_message(SendMessageRequest(message=user_message("a b c")))]
        latencies.append(time.perf_counter() - begin)
        assert len(events) >= 50, len(events)
    elapsed = time.perf_counter() - started
    await client.close()
    return latencies, elapsed


# -- export: dropped here, or over OTLP to a sink of its own ------------------------------------
class DiscardLogs:
    """A log record exporter that drops what it is given, as :class:`Discard` does spans."""

    def export(self, batch: object) -> object:
        from opentelemetry.sdk._logs.export import LogRecordExportResult

        return LogRecordExportResult.SUCCESS

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True

    def shutdown(self) -> None:
        return None


def serve_sink() -> None:
    """An OTLP/HTTP endpoint on 127.0.0.1 that reads every export and discards it; prints its
    URL, then on end of standard input how much it received, and exits."""
    received = {"requests": 0, "bytes": 0}
    lock = threading.Lock()

    class Sink(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                received["requests"] += 1
                received["bytes"] += len(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"url": f"http://127.0.0.1:{server.server_address[1]}"}), flush=True)
    sys.stdin.read()
    server.shutdown()
    print(json.dumps(received), flush=True)


class Pipelines:
    """This process's tracer, meter and logger providers, exporting as the run asks."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.span_exporter: SpanExporter = Discard()
        if args.otlp:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            self.span_exporter = OTLPSpanExporter(endpoint=f"{args.otlp}/v1/traces")
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(BatchSpanProcessor(self.span_exporter, max_queue_size=65536))
        trace.set_tracer_provider(self.tracer_provider)
        if not args.no_metrics:
            if args.otlp:
                from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
                from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

                reader: Any = PeriodicExportingMetricReader(
                    OTLPMetricExporter(endpoint=f"{args.otlp}/v1/metrics"), export_interval_millis=10_000
                )
            else:
                # Read by a Prometheus scrape: the reader adds no cost until scraped.
                reader = PrometheusReader(CollectorRegistry())
            metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        self.logger_provider: Any = None
        if not args.no_logs:
            self.logger_provider = enable_logs(args.otlp)

    def flush(self) -> None:
        """Export what is queued now, so its CPU counts for the way that made it."""
        self.tracer_provider.force_flush()
        if self.logger_provider is not None:
            self.logger_provider.force_flush()

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        if self.logger_provider is not None:
            self.logger_provider.shutdown()


def enable_logs(otlp: str | None) -> object:
    """Logs on, as in production: a2a-observe's logging set-up (JSON lines with the trace and
    task ids) and the OpenTelemetry log pipeline, ending in a sink."""
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    from a2a_observe.logs import configure_logging

    exporter: Any = DiscardLogs()
    if otlp:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

        exporter = OTLPLogExporter(endpoint=f"{otlp}/v1/logs")
    provider = LoggerProvider()
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    set_logger_provider(provider)
    configure_logging(json=True, stream=open(os.devnull, "w"), otel=True)  # noqa: SIM115
    return provider


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


# -- agents in a process per way -----------------------------------------------------------------
class FullCollections:
    """The interpreter's full (oldest-generation) garbage collections and how long each stopped
    the process: every thread waits while one runs, so they are where a process's latency
    tail comes from once its heap is large."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def start(self, freeze: bool) -> None:
        """Count from now on; with ``freeze``, first move every object alive into the
        permanent generation (``gc.freeze()``), so later collections do not walk them."""
        if freeze:
            gc.collect()
            gc.freeze()
        gc.callbacks.append(self)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)

    def summary(self) -> dict[str, float]:
        return {
            "full_collections": len(self.pauses),
            "longest_ms": max(self.pauses, default=0.0) * 1e3,
            "total_ms": sum(self.pauses) * 1e3,
        }


CLIENT_COLLECTIONS = FullCollections()
"""The client's process's full collections during the rounds: it calls every way's agents, so
a pause here lands on whichever way is running."""


def serve_way(way: str, args: argparse.Namespace, pipelines: Pipelines) -> None:
    """The agents of one way, in this process (``--processes``): prints their URLs, then
    answers each line of standard input with the CPU seconds this process has used (after
    flushing its exports), until standard input closes; then prints its full collections
    since the first line (the measured rounds; the warm-up before them is left out).

    With ``--gc-freeze`` the first line (it comes once the warm-up calls have loaded
    everything a call uses) also moves every object alive into the permanent generation, as
    a long-running server does after start-up, so full collections walk only what was made
    since."""
    from a2a_observe.demo.agents import EchoAgent, StreamingWriter
    from a2a_observe.demo.serving import serve_agent

    if way == "floor":
        install_floor()
    Modes().switch(way)()
    collections = FullCollections()
    with (
        serve_agent(EchoAgent() if args.no_logs else logging_echo(), "echo", grpc=False) as echo,
        serve_agent(StreamingWriter(chunks=48), "writer", grpc=False) as writer,
    ):
        print(json.dumps({"echo": echo.base_url, "writer": writer.base_url}), flush=True)
        for _ in sys.stdin:
            if collections not in gc.callbacks:
                collections.start(args.gc_freeze)
            pipelines.flush()
            print(json.dumps({"cpu": time.process_time()}), flush=True)
    print(json.dumps(collections.summary()), flush=True)


class AgentProcess:
    """One way's agents, in a process of their own."""

    def __init__(self, way: str, argv: list[str]) -> None:
        from urllib.parse import urlsplit

        from a2a_observe.demo.serving import build_card

        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", way, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        urls = self._read()
        self.cards = (
            build_card("echo", urlsplit(urls["echo"]).port or 0, None, "1.0.0"),
            build_card("writer", urlsplit(urls["writer"]).port or 0, None, "1.0.0"),
        )

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        return dict(json.loads(self.process.stdout.readline()))

    def cpu(self) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write("cpu\n")
        self.process.stdin.flush()
        return float(self._read()["cpu"])

    def stop(self) -> dict[str, float]:
        """Ends the process; returns its :meth:`FullCollections.summary` (none counted if it
        printed none: a failure it reported on its standard error)."""
        lines = self.process.communicate("")[0].strip().splitlines()
        return dict(json.loads(lines[-1])) if lines else FullCollections().summary()


def run_ways(
    modes: dict[str, Callable[[], None]],
    echo: Callable[[], object],
    writer: Callable[[], object],
    loop: asyncio.AbstractEventLoop,
    args: argparse.Namespace,
    clocks: dict[str, Clock],
) -> tuple[dict[str, Samples], dict[str, Samples]]:
    # warm-up: connections, imports, JIT-free but cache-warm
    for switch_to in modes.values():
        switch_to()
        loop.run_until_complete(unary_round(echo(), 20))
        loop.run_until_complete(stream_round(writer(), 2))
    CLIENT_COLLECTIONS.start(args.gc_freeze)
    unary = measure(
        modes,
        lambda n: loop.run_until_complete(unary_round(echo(), n)),
        args.rounds,
        args.unary,
        clocks,
        warm=WARM_CALLS,
    )
    streams = measure(
        modes,
        lambda n: loop.run_until_complete(stream_round(writer(), n)),
        args.rounds,
        args.streams,
        clocks,
        warm=1,
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
        "--empty-spans", action="store_true", help="also a2a-observe's hooks making empty spans"
    )
    parser.add_argument("--processes", action="store_true", help="each way's agents in their own process")
    parser.add_argument(
        "--otlp",
        nargs="?",
        const="sink",
        help="export over OTLP/HTTP to a local sink started for the run (or to the URL given)",
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="every process freezes what is alive after the warm-up (gc.freeze())",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        serve_sink()
        return
    if args.quick:
        args.rounds, args.unary, args.streams = 2, 20, 3
    logging.getLogger("a2a").setLevel(logging.CRITICAL)

    sink = None
    if args.otlp == "sink":
        sink = subprocess.Popen(
            [sys.executable, __file__, "--sink"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert sink.stdout is not None
        args.otlp = json.loads(sink.stdout.readline())["url"]

    pipelines = Pipelines(args)
    if args.serve:
        serve_way(args.serve, args, pipelines)
        return
    from a2a_observe.demo.agents import EchoAgent, StreamingWriter
    from a2a_observe.demo.serving import serve_agent

    switch = Modes()
    ways = [*WAYS, "empty-spans"] if args.empty_spans else list(WAYS)
    modes = {way: switch.switch(way) for way in ways}
    loop = asyncio.new_event_loop()
    collections: dict[str, dict[str, float]] = {}

    def process_cpu(way: str) -> float:
        pipelines.flush()
        return time.process_time()

    try:
        if args.processes:
            argv = [
                flag for flag in ("--no-metrics", "--no-logs") if getattr(args, flag[2:].replace("-", "_"))
            ]
            if args.otlp:
                argv += ["--otlp", args.otlp]
            if args.gc_freeze:
                argv.append("--gc-freeze")
            agents = {way: AgentProcess(way, argv) for way in ways}
            target: dict[str, tuple[object, object]] = {}

            def calling(way: str, switch_to: Callable[[], None]) -> Callable[[], None]:
                def go() -> None:
                    switch_to()
                    target["cards"] = agents[way].cards

                return go

            try:
                unary, streams = run_ways(
                    {way: calling(way, switch_to) for way, switch_to in modes.items()},
                    lambda: target["cards"][0],
                    lambda: target["cards"][1],
                    loop,
                    args,
                    {"client": process_cpu, "agent": lambda way: agents[way].cpu()},
                )
            finally:
                for way, agent in agents.items():
                    collections[way] = agent.stop()
        else:
            install_floor()
            with (
                serve_agent(EchoAgent() if args.no_logs else logging_echo(), "echo", grpc=False) as echo,
                serve_agent(StreamingWriter(chunks=48), "writer", grpc=False) as writer,
            ):
                unary, streams = run_ways(
                    modes, lambda: echo.card, lambda: writer.card, loop, args, {"process": process_cpu}
                )
        loop.close()
        pipelines.shutdown()
    finally:
        received = ""
        if sink is not None:
            stats = json.loads(sink.communicate("")[0].strip().splitlines()[-1])
            received = f" ({stats['requests']} OTLP posts, {stats['bytes'] / 1e6:.1f} MB, to the sink)"
    exported = (
        f"OTLP/HTTP to {args.otlp}{received}"
        if args.otlp
        else f"{getattr(pipelines.span_exporter, 'count', 0)} spans dropped by this process's exporter"
    )
    load = os.getloadavg()
    print(
        f"{args.rounds} interleaved rounds; "
        f"agents {'in a process per way' if args.processes else 'in this process'}; "
        f"export {exported}; "
        f"metrics {'off' if args.no_metrics else 'on'}; logs {'off' if args.no_logs else 'on'}; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    report(f"SendMessage over JSON-RPC on loopback ({args.rounds * args.unary} calls per way)", unary)
    report(f"SendStreamingMessage, 51-event stream ({args.rounds * args.streams} streams per way)", streams)
    frozen = ", objects alive after the warm-up frozen" if args.gc_freeze else ""
    own = "(client)" if args.processes else "(process)"
    print(
        f"\nFull garbage collections during the rounds{frozen}: each way's agent process; "
        f"{own}: the {'client' if args.processes else 'one'} process, all ways"
    )
    print(f"{'way':14} {'count':>9} {'longest ms':>11} {'total ms':>9}")
    for way, summary in [*collections.items(), (own, CLIENT_COLLECTIONS.summary())]:
        print(
            f"{way:14} {summary['full_collections']:9.0f} {summary['longest_ms']:11.1f} "
            f"{summary['total_ms']:9.1f}"
        )


if __name__ == "__main__":
    main()
