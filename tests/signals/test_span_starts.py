"""Span-start log records: added once per tracer provider, and silent after ``uninstrument()``
(the SDK cannot remove a span processor, so the logger is switched off instead)."""

from __future__ import annotations

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind

from a2a_observe import semconv
from a2a_observe.signals.span_starts import SpanStartLogger, log_span_starts, stop_span_starts


def _announced(exporter: InMemoryLogRecordExporter) -> list[str]:
    return [
        str(record.log_record.body)
        for record in exporter.get_finished_logs()
        if record.log_record.event_name == semconv.EVENT_SPAN_START
    ]


def test_span_starts_stop_when_switched_off_and_come_back_once() -> None:
    tracer_provider = TracerProvider()
    exporter = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    tracer = tracer_provider.get_tracer("test")

    assert log_span_starts(tracer_provider, logger_provider)
    with tracer.start_as_current_span("first", kind=SpanKind.SERVER):
        pass
    stop_span_starts()
    with tracer.start_as_current_span("second", kind=SpanKind.SERVER):
        pass
    assert log_span_starts(tracer_provider, logger_provider)
    assert log_span_starts(tracer_provider, logger_provider)
    with tracer.start_as_current_span("third", kind=SpanKind.SERVER):
        pass

    assert _announced(exporter) == ["started first", "started third"]
    processors = tracer_provider._active_span_processor._span_processors
    assert sum(isinstance(p, SpanStartLogger) for p in processors) == 1
    stop_span_starts()
