"""Records the demo network once into ``replay_demo.otlp.jsonl``: OTLP JSON as the Collector's
file exporter writes it (one request per line, hex ids), spans and log records.

The debugger's screenshot tests import this file, so their store holds real agents' spans
with ids and times that never change. Run it again only to refresh the recording:

    python tests/data/make_replay_fixture.py
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from opentelemetry import trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

HERE = Path(__file__).parent
TARGET = HERE / "replay_demo.otlp.jsonl"
sys.path.insert(0, str(HERE.parent.parent))  # run as a script from anywhere: tests.support

from tests.support.otlp_json import otlp_json_lines  # noqa: E402


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
    TARGET.write_text(otlp_json_lines(spans.get_finished_spans(), logs.get_finished_logs()))
    print(f"{len(spans.get_finished_spans())} spans, {len(logs.get_finished_logs())} logs → {TARGET}")


if __name__ == "__main__":
    main()
