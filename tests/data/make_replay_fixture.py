"""Records the demo network once into ``replay_demo.otlp.jsonl``: OTLP JSON as the Collector's
file exporter writes it (one request per line, hex ids), spans and log records.

The debugger's screenshot tests import this file, so their store holds real agents' spans
with ids and times that never change. Run it again only to refresh the recording:

    python tests/data/make_replay_fixture.py
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry import trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

HERE = Path(__file__).parent
TARGET = HERE / "replay_demo.otlp.jsonl"
ID_KEYS = ("traceId", "spanId", "parentSpanId")


def _hex_ids(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: base64.b64decode(v).hex() if k in ID_KEYS and isinstance(v, str) else _hex_ids(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_hex_ids(v) for v in node]
    return node


def main() -> None:
    import python_a2a  # noqa: F401 - configures the root logger at import; quietened below

    import a2a_observe
    from a2a_observe.config import Settings
    from a2a_observe.demo.network import TURNS, demo_network, send_turn

    resource = Resource.create({"service.name": "demo-agents"})
    spans = InMemorySpanExporter()
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(spans))
    trace.set_tracer_provider(provider)
    logs = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    set_logger_provider(logger_provider)
    logging.getLogger().handlers = [LoggingHandler(level=logging.WARNING, logger_provider=logger_provider)]
    logging.getLogger().setLevel(logging.WARNING)
    a2a_observe.instrument(settings=Settings(capture_content=True))

    async def go() -> None:
        with demo_network(slow_seconds=0.05) as network:
            for turn in (TURNS[0], TURNS[2], TURNS[6]):
                await send_turn(network, turn)

    asyncio.run(go())
    provider.force_flush()
    logger_provider.force_flush()
    lines = [
        json.dumps(_hex_ids(MessageToDict(encode_spans(spans.get_finished_spans()))), sort_keys=True),
        json.dumps(_hex_ids(MessageToDict(encode_logs(logs.get_finished_logs()))), sort_keys=True),
    ]
    TARGET.write_text("\n".join(lines) + "\n")
    print(f"{len(spans.get_finished_spans())} spans, {len(logs.get_finished_logs())} logs → {TARGET}")


if __name__ == "__main__":
    main()
