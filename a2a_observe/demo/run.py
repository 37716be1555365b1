"""``a2a-observe demo``: a small agent network on 127.0.0.1 with real traffic, observed.

A user client talks to an orchestrator, which delegates over gRPC to a streaming writer and
a translator that fails on purpose when asked to. Every call is traced by a2a-observe and
each trace is printed as a tree, so the path of a failure across agents is plain to see.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import dataclass
from typing import TextIO

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import a2a_observe
from a2a_observe.render import render_traces


@dataclass(frozen=True)
class Turn:
    """One user request the demo sends."""

    text: str
    binding: str
    streaming: bool
    protocol_version: str = "1.0"


TURNS = (
    Turn("summarise the quarterly report", "JSONRPC", streaming=True),
    Turn("translate the release notes", "HTTP+JSON", streaming=False),
    Turn("please fail this translation", "JSONRPC", streaming=False),
    Turn("old clients still work", "GRPC", streaming=True, protocol_version="0.3"),
)


def _tracing() -> InMemorySpanExporter:
    """Keep spans in memory to print them; also export over OTLP when an endpoint is set."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "a2a-observe-demo"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return exporter


async def _traffic(out: TextIO) -> None:
    from a2a.types import TaskState

    from a2a_observe.demo.agents import FlakyAgent, Orchestrator, StreamingWriter
    from a2a_observe.demo.client import final_text, send_text
    from a2a_observe.demo.serving import serve_agent

    with (
        serve_agent(StreamingWriter(chunks=5, delay=0.02), "writer", description="streams a draft") as writer,
        serve_agent(FlakyAgent(), "translator", description="fails when asked to") as translator,
        serve_agent(
            Orchestrator([("writer", writer.card), ("translator", translator.card)], binding="GRPC"),
            "orchestrator",
            description="delegates to the writer and the translator",
        ) as orchestrator,
    ):
        print("Agents on 127.0.0.1:", file=out)
        for agent in (orchestrator, writer, translator):
            print(f"  {agent.name:13} {agent.base_url}  (gRPC {agent.grpc_target})", file=out)
        print(file=out)
        for turn in TURNS:
            card = orchestrator.card if turn.protocol_version == "1.0" else orchestrator.v03_card
            events = await send_text(card, turn.text, binding=turn.binding, streaming=turn.streaming)
            state, text = final_text(events)
            mode = "streaming" if turn.streaming else "unary"
            print(
                f"user → orchestrator [{turn.binding} v{turn.protocol_version}, {mode}] {turn.text!r}: "
                f"{TaskState.Name(state).removeprefix('TASK_STATE_').lower()}",
                file=out,
            )
            for line in text.splitlines():
                print(f"    {line}", file=out)
        print(file=out)


def run(out: TextIO = sys.stdout) -> int:
    # The translator fails on purpose; the SDK logs each failure with a traceback, which
    # would bury the traces this demo is about.
    logging.getLogger("a2a").setLevel(logging.CRITICAL)
    exporter = _tracing()
    a2a_observe.instrument()
    asyncio.run(_traffic(out))
    trace.get_tracer_provider().force_flush()  # type: ignore[attr-defined]
    spans = exporter.get_finished_spans()
    print(f"{len(spans)} spans in {len({s.context.trace_id for s in spans})} traces:\n", file=out)
    for line in render_traces(spans):
        print(line, file=out)
    return 0
