"""Where a re-drive's own spans go: into the store it replays from.

A collector that writes the store holds the file, so the spans then go to that collector over
OTLP; otherwise they are written in-process. Content capture is on for the re-drive's calls,
because comparing texts is the point (the recording had to have it too).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from a2a_observe import semconv

SERVICE = "a2a-observe-redrive"


def _exporter(db: Path) -> SpanExporter:
    from a2a_observe.store.snapshot import find_collector, reader_token  # noqa: PLC0415

    found = find_collector(db)
    if found is None:
        from a2a_observe.store.exporters import DuckDBSpanExporter  # noqa: PLC0415

        return DuckDBSpanExporter(db, release_when_idle=None)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

    token = reader_token()
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return OTLPSpanExporter(endpoint=found.url.rstrip("/") + "/v1/traces", headers=headers)


@contextmanager
def recording_into(db: Path) -> Iterator[None]:
    """Instrument A2A with content capture for the block; its spans end up in ``db``."""
    import a2a_observe  # noqa: PLC0415
    from a2a_observe.config import Settings  # noqa: PLC0415

    current = trace.get_tracer_provider()
    own = not isinstance(current, TracerProvider)
    provider = TracerProvider(resource=Resource.create({semconv.SERVICE_NAME: SERVICE})) if own else current
    assert isinstance(provider, TracerProvider)
    processor = BatchSpanProcessor(_exporter(db), schedule_delay_millis=100)
    provider.add_span_processor(processor)
    was_instrumented = a2a_observe.is_instrumented()
    if was_instrumented:
        a2a_observe.uninstrument()
    a2a_observe.instrument(
        tracer_provider=provider, settings=dataclasses.replace(Settings.from_env(), capture_content=True)
    )
    try:
        yield
    finally:
        a2a_observe.uninstrument()
        if was_instrumented:
            a2a_observe.instrument()
        processor.force_flush()
        processor.shutdown()  # type: ignore[no-untyped-call]
