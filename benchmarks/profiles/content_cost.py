"""What the OpenTelemetry SDK charges for the content a2a-observe records, with none of our code
on the path: the bound under which no SDK-based instrumentation that records it can go.

Five ways, in one process, interleaved round by round, CPU per SendMessage (both sides):

- ``floor``: the overhead benchmark's floor, three empty spans (CLIENT, SERVER, INTERNAL).
- ``conventions``: the two spans a2a-observe makes for a SendMessage (CLIENT and SERVER) with
  only the attributes the A2A conventions require or recommend, no events: what any
  instrumentation that follows the conventions records at least.
- ``conventions+context``: the same, the SERVER span's parent carried through headers by the
  global propagator (inject, then extract) as between two processes: the least an
  instrumentation that makes client and server ONE trace does per call.
- ``content``: the two spans a2a-observe makes for a SendMessage (CLIENT and SERVER), made by
  hand with exactly the names, kinds, attributes, events and status it records, copied from a
  real observation.
- ``content+metrics``: those plus the same histogram records (durations, sizes, task duration)
  with the same label sets.
- ``a2a-observe``: a2a-observe's observer making all of it from real a2a-sdk objects
  (``observer_cost.py``); the app's objects (request, task, events) are made before the
  round, so only the observation is counted.

Spans go through a batch processor into an exporter that encodes them to OTLP protobuf and
drops the bytes, so encoding (which a process pays in its export thread) is counted; each
way's rounds end with a flush, so its export lands on it. ``--no-encoding`` drops them
unencoded instead, which leaves the share paid on the request path.

    python benchmarks/profiles/content_cost.py [--rounds 6] [--calls 1000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

from observer_cost import Drop, observation
from opentelemetry import metrics, trace
from opentelemetry import propagate as propagate_api
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

from a2a_observe import semconv

CONVENTIONS = frozenset(
    {
        semconv.A2A_METHOD_NAME,
        semconv.A2A_MESSAGE_ID,
        semconv.A2A_TASK_ID,
        semconv.A2A_TASK_STATE,
        semconv.A2A_TENANT,
        semconv.A2A_MESSAGE_REFERENCE_TASK_IDS,
        semconv.A2A_PROTOCOL_VERSION,
        semconv.ERROR_TYPE,
        semconv.GEN_AI_AGENT_NAME,
        semconv.GEN_AI_AGENT_VERSION,
        semconv.GEN_AI_AGENT_DESCRIPTION,
        semconv.GEN_AI_CONVERSATION_ID,
        semconv.SERVER_ADDRESS,
        semconv.SERVER_PORT,
        semconv.CLIENT_ADDRESS,
        semconv.CLIENT_PORT,
    }
)
"""The span attributes the A2A conventions require or recommend (``docs/semconv.md``)."""

Record = tuple[Any, float, dict[str, Any]]
"""A histogram record: the instrument, the value, the labels."""


class EncodeAndDrop(SpanExporter):
    """Pays the OTLP encoding an exporter pays, then drops the bytes."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        encode_spans(spans).SerializePartialToString()
        return SpanExportResult.SUCCESS


class Capture(SpanProcessor):
    """Keeps the spans that end while ``on`` is set."""

    def __init__(self) -> None:
        self.on = False
        self.spans: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        if self.on:
            self.spans.append(span)


def floor(tracer: trace.Tracer) -> Callable[[], None]:
    def call() -> None:
        with (
            tracer.start_as_current_span("SendMessage", kind=SpanKind.CLIENT),
            tracer.start_as_current_span("SendMessage", kind=SpanKind.SERVER),
            tracer.start_as_current_span("invoke_agent", kind=SpanKind.INTERNAL),
        ):
            pass

    return call


def by_hand(
    tracer: trace.Tracer,
    spans: list[ReadableSpan],
    *,
    conventions_only: bool = False,
    propagate: bool = False,
) -> Callable[[], None]:
    """The captured spans made again through the SDK, each child under the one before it; with
    ``conventions_only``, only the conventions' attributes and no events. With ``propagate``
    each child's parent goes through headers as between two processes (the global
    propagator's inject, then extract), as it must for client and server to be one trace; the
    floor's spans skip that."""
    shapes = [
        (
            span.name,
            span.kind,
            {k: v for k, v in (span.attributes or {}).items() if not conventions_only or k in CONVENTIONS},
            [] if conventions_only else [(event.name, dict(event.attributes or {})) for event in span.events],
            span.status,
        )
        for span in sorted(spans, key=lambda s: s.start_time or 0)
    ]

    def call() -> None:
        context = None
        made = []
        for name, kind, attributes, events, status in shapes:
            span = tracer.start_span(name, context=context, kind=kind, attributes=attributes)
            for event_name, event_attributes in events:
                span.add_event(event_name, event_attributes)
            span.set_status(status)
            made.append(span)
            context = trace.set_span_in_context(span)
            if propagate:
                headers: dict[str, str] = {}
                propagate_api.inject(headers, context)
                context = propagate_api.extract(headers)
        for span in reversed(made):
            span.end()

    return call


def histogram_records(reader: InMemoryMetricReader, meter: metrics.Meter) -> list[Record]:
    """One (instrument, value, labels) per histogram record the captured call made."""
    data = reader.get_metrics_data()
    records = []
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    if isinstance(point, HistogramDataPoint) and point.count:
                        histogram = meter.create_histogram(metric.name + ".by_hand", unit=metric.unit)
                        for _ in range(point.count):
                            records.append((histogram, point.sum / point.count, dict(point.attributes)))
    return records


def with_metrics(spans: Callable[[], None], records: list[Record]) -> Callable[[], None]:
    def call() -> None:
        spans()
        for histogram, value, labels in records:
            histogram.record(value, labels)

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--calls", type=int, default=1000, help="calls per way per round")
    parser.add_argument(
        "--no-encoding", action="store_true", help="drop the spans unencoded: the request path's share alone"
    )
    args = parser.parse_args()

    provider = TracerProvider()
    capture = Capture()
    provider.add_span_processor(capture)
    exporter = Drop() if args.no_encoding else EncodeAndDrop()
    provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=65536))
    trace.set_tracer_provider(provider)
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    tracer = trace.get_tracer("benchmarks.content")

    app_objects, observe = observation()
    prepared: list[tuple[Any, Any, list[Any]]] = []

    def observed() -> None:
        observe(*(prepared.pop() if prepared else app_objects()))

    def prepare(calls: int) -> None:
        prepared[:] = [app_objects() for _ in range(calls)]

    reader.get_metrics_data()  # nothing recorded yet; starts the cumulative points at zero
    capture.on = True
    observed()
    capture.on = False
    spans = [span for span in capture.spans if span.kind in (SpanKind.CLIENT, SpanKind.SERVER)]
    content = by_hand(tracer, spans)
    records = histogram_records(reader, metrics.get_meter("benchmarks.content"))
    ways: dict[str, Callable[[], None]] = {
        "floor": floor(tracer),
        "conventions": by_hand(tracer, spans, conventions_only=True),
        "conventions+context": by_hand(tracer, spans, conventions_only=True, propagate=True),
        "content": content,
        "content+metrics": with_metrics(content, records),
        "a2a-observe": observed,
    }
    attributes = sum(len(span.attributes or {}) for span in spans)
    events = sum(len(span.events) for span in spans)
    print(
        f"a2a-observe's SendMessage: {len(spans)} spans, {attributes} attributes, {events} events, "
        f"{len(records)} histogram records; {args.rounds} rounds of {args.calls} calls per way"
    )

    for call in ways.values():
        for _ in range(200):
            call()
    provider.force_flush()
    cpu = dict.fromkeys(ways, 0.0)
    for _ in range(args.rounds):
        for name, call in ways.items():
            prepare(args.calls if name == "a2a-observe" else 0)
            started = time.process_time()
            for _ in range(args.calls):
                call()
            provider.force_flush()
            cpu[name] += time.process_time() - started
    provider.shutdown()

    calls = args.rounds * args.calls
    base = cpu["floor"] / calls
    print(f"{'way':20} {'CPU us/call':>12} {'/floor':>8}")
    for name, seconds in cpu.items():
        per_call = seconds / calls
        print(f"{name:20} {per_call * 1e6:12.1f} {per_call / base:8.2f}")


if __name__ == "__main__":
    main()
