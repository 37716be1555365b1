"""What the probe tests share: HTTP GETs that return the JSON body, and pipelines that fail."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from a2a_observe.demo.serving import LOOPBACK, free_port


def get(url: str, timeout: float = 10) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def get_status(url: str, timeout: float = 10) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def provider_exporting_to(endpoint: str, **processor: Any) -> tuple[TracerProvider, BatchSpanProcessor]:
    """A tracer provider whose only exporter is OTLP/HTTP to ``endpoint``, with a short timeout."""
    provider = TracerProvider()
    batch = BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, timeout=1), **processor)
    provider.add_span_processor(batch)
    return provider, batch


def closed_endpoint() -> str:
    """An OTLP endpoint on a loopback port nothing listens on."""
    return f"http://{LOOPBACK}:{free_port()}/v1/traces"


def export_one(provider: TracerProvider, batch: BatchSpanProcessor) -> None:
    with provider.get_tracer("tests").start_as_current_span("work"):
        pass
    batch.force_flush()


class StuckExporter(SpanExporter):
    """An exporter that holds every export until released: a collector that stopped reading."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.entered.set()
        self.release.wait(30)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.release.set()
