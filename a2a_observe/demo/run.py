"""``a2a-observe demo``: a small agent network on 127.0.0.1 with real traffic, observed.

A user talks to an orchestrator, which delegates over gRPC to a streaming writer and a
translator that fails on purpose when asked to; a python-a2a agent relays to the writer; a
slow agent and one that asks for input complete the picture. Every call is traced and
measured by a2a-observe; each trace is printed as a tree, so the path of a failure across
agents is plain to see, and the process's metrics are served for Prometheus.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import TextIO

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import a2a_observe
from a2a_observe.config import Settings
from a2a_observe.demo.render import render_traces

SERVICE = "a2a-observe-demo"


def _telemetry(db: str | None = None) -> InMemorySpanExporter:
    """Keep spans in memory to print them, metrics for Prometheus; OTLP too when configured;
    a store file for the replay debugger when ``db`` is given."""
    resource = Resource.create({"service.name": SERVICE})
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    if db:
        from opentelemetry._logs import set_logger_provider
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

        from a2a_observe.signals.span_starts import SpanStartLogger
        from a2a_observe.store import DuckDBLogExporter, DuckDBSpanExporter

        provider.add_span_processor(BatchSpanProcessor(DuckDBSpanExporter(db)))
        # The start of each agent's run is logged too, so the batch job that hangs shows as
        # running in the debugger instead of missing.
        logger_provider = LoggerProvider(resource=resource)
        logger_provider.add_log_record_processor(
            BatchLogRecordProcessor(DuckDBLogExporter(db), schedule_delay_millis=500)
        )
        set_logger_provider(logger_provider)
        provider.add_span_processor(SpanStartLogger(logger_provider))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    from a2a_observe.signals.prometheus import PrometheusReader

    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[PrometheusReader()]))
    return exporter


async def _traffic(out: TextIO, hold: float) -> None:
    from a2a_observe.demo.network import demo_network, traffic
    from a2a_observe.demo.serving import free_port
    from a2a_observe.signals.prometheus import serve_metrics

    with demo_network() as network:
        metrics_server = serve_metrics(free_port())
        try:
            print("Agents on 127.0.0.1:", file=out)
            for agent in network.agents.values():
                print(f"  {agent.name:13} {agent.base_url}  (gRPC {agent.grpc_target})", file=out)
            print(f"  {'relay':13} {network.relay_url}  (python-a2a)", file=out)
            orchestrator = network.agents["orchestrator"].base_url
            print(
                f"Metrics: http://127.0.0.1:{metrics_server.server_port}/metrics "
                "(the whole process; also /metrics on every agent)",
                file=out,
            )
            print(
                f"Health:  {orchestrator}/healthz (liveness), {orchestrator}/readyz (readiness); "
                "the same on every agent\n",
                file=out,
            )
            for result in await traffic(network):
                turn = result.turn
                mode = "streaming" if turn.streaming else "unary"
                how = (
                    "python-a2a"
                    if turn.agent == "relay"
                    else f"{turn.binding} v{turn.protocol_version}, {mode}"
                )
                print(f"user → {turn.agent} [{how}] {turn.text!r}: {result.state}", file=out)
                for line in result.text.splitlines():
                    print(f"    {line}", file=out)
            print(file=out)
            if hold:
                print(f"Serving for {hold:.0f} s more; Ctrl-C to stop.", file=out)
                out.flush()
                await asyncio.sleep(hold)
        finally:
            metrics_server.shutdown()


def run(out: TextIO = sys.stdout, hold: float = 0.0, db: str | None = None) -> int:
    # The translator fails on purpose; the SDK and gRPC log each failure with a traceback,
    # which would bury the traces this demo is about. python-a2a configures the root logger
    # at import, so it is imported first and quietened after.
    import python_a2a  # noqa: F401

    logging.getLogger().setLevel(logging.WARNING)
    for noisy in ("a2a", "python_a2a", "grpc", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    exporter = _telemetry(db)
    # The demo's messages are its own, so it records their content (off by default
    # everywhere else): the replay debugger then shows the text, and re-drive can resend it.
    a2a_observe.instrument(settings=dataclasses.replace(Settings.from_env(), capture_content=True))
    started = time.monotonic()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_traffic(out, hold))
    trace.get_tracer_provider().force_flush()  # type: ignore[attr-defined]
    if db:
        from opentelemetry._logs import get_logger_provider

        get_logger_provider().force_flush()  # type: ignore[attr-defined]
    spans = exporter.get_finished_spans()
    print(
        f"{len(spans)} spans in {len({s.context.trace_id for s in spans})} traces "
        f"({time.monotonic() - started:.1f} s):\n",
        file=out,
    )
    for line in render_traces(spans):
        print(line, file=out)
    if db:
        print(f"\nStep through these conversations: {own_command()} replay {shlex.quote(db)}", file=out)
    return 0


def own_command() -> str:
    """How to run ``a2a-observe`` from here, as typed: the bare name when the shell finds this
    very program on its PATH, else its path (``.venv/bin/a2a-observe`` after ``make demo``)."""
    program = Path(sys.argv[0])
    if program.name != "a2a-observe" or not program.exists():
        return f"{shlex.quote(sys.executable)} -m a2a_observe.cli"
    found = shutil.which("a2a-observe")
    if found is not None and Path(found).resolve() == program.resolve():
        return "a2a-observe"
    absolute = program.absolute()
    try:
        relative = absolute.relative_to(Path.cwd())
    except ValueError:
        return shlex.quote(str(absolute))
    return shlex.quote(str(relative))
