"""Work in progress made visible: one log record when a SERVER or agent span starts.

A span reaches an exporter only when it ends, so a task that hangs leaves no trace of the
agent's run at all, and a live view cannot tell "still running" from "lost". This processor
emits a small log record at the start of each SERVER span and each ``invoke_agent`` span,
carrying the span's own trace and span ids, name, kind, parent and the A2A attributes known at
start; the store keeps it with the other logs, and the replay shows a span that started and
has not ended as running, with its elapsed time.

``instrument()`` adds it to the SDK tracer provider when an SDK logger provider is set up (the
records go wherever the app's logs go: a collector, plain OTLP, ``A2A_OBSERVE_STORE``), unless
``A2A_OBSERVE_SPAN_STARTS=false``; elsewhere add it beside the exporters:
``tracer_provider.add_span_processor(SpanStartLogger())`` (it uses the global logger provider
unless given one). It never raises into the app.
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry import trace
from opentelemetry._logs import LoggerProvider, SeverityNumber, get_logger_provider
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import NonRecordingSpan, SpanKind

from a2a_observe import semconv
from a2a_observe.config import _flag
from a2a_observe.version import __version__

_log = logging.getLogger("a2a_observe.span_starts")
KEPT = (
    semconv.GEN_AI_AGENT_NAME,
    semconv.GEN_AI_CONVERSATION_ID,
    semconv.A2A_TASK_ID,
    semconv.A2A_METHOD_NAME,
    semconv.GEN_AI_OPERATION_NAME,
)
"""Attributes copied onto the record (when the span has them at start)."""


def signals_start(span: ReadableSpan) -> bool:
    attributes = span.attributes or {}
    agent_run = attributes.get(semconv.GEN_AI_OPERATION_NAME) == semconv.OPERATION_INVOKE_AGENT
    return span.kind == SpanKind.SERVER or agent_run or span.name.startswith(semconv.OPERATION_INVOKE_AGENT)


class SpanStartLogger(SpanProcessor):
    def __init__(self, logger_provider: LoggerProvider | None = None) -> None:
        self._provider = logger_provider
        self._failed = False
        self.enabled = True
        """Switched off by ``uninstrument()``: the SDK cannot take a span processor back out."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if not self.enabled:
            return
        try:
            if signals_start(span):
                self._emit(span)
        except Exception:  # noqa: BLE001 - never into the app; said once
            if not self._failed:
                self._failed = True
                _log.warning("a2a-observe: cannot log the start of span %s", span.name, exc_info=True)

    def _emit(self, span: Span) -> None:
        provider = self._provider or get_logger_provider()
        logger = provider.get_logger(semconv.INSTRUMENTATION_SCOPE, __version__)
        context = span.get_span_context()
        attributes: dict[str, Any] = {
            key: value for key, value in (span.attributes or {}).items() if key in KEPT
        }
        attributes[semconv.SPAN_START_NAME] = span.name
        attributes[semconv.SPAN_START_KIND] = span.kind.name
        if span.parent is not None:
            attributes[semconv.SPAN_START_PARENT] = format(span.parent.span_id, "016x")
        logger.emit(
            timestamp=span.start_time,
            context=trace.set_span_in_context(NonRecordingSpan(context)),
            severity_number=SeverityNumber.DEBUG,
            severity_text="DEBUG",
            body=f"started {span.name}",
            attributes=attributes,
            event_name=semconv.EVENT_SPAN_START,
        )


def log_span_starts(tracer_provider: Any | None = None, logger_provider: Any | None = None) -> bool:
    """Add a :class:`SpanStartLogger` to the SDK tracer provider (once per provider), so live
    views show running work wherever the app's logs are exported. Nothing is added when
    either provider is not the SDK's (no log records would go anywhere) or when
    ``A2A_OBSERVE_SPAN_STARTS`` is false. True when the provider has one."""
    import os  # noqa: PLC0415

    from opentelemetry.sdk._logs import LoggerProvider as SDKLoggerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415

    if not _flag(os.environ, semconv.ENV_SPAN_STARTS, True):
        return False
    tracer = tracer_provider if tracer_provider is not None else trace.get_tracer_provider()
    logs = logger_provider if logger_provider is not None else get_logger_provider()
    if not isinstance(tracer, TracerProvider) or not isinstance(logs, SDKLoggerProvider):
        return False
    processors = getattr(getattr(tracer, "_active_span_processor", None), "_span_processors", ())
    found = [p for p in processors if isinstance(p, SpanStartLogger)]
    for processor in found:
        processor.enabled = True
    if not found:
        processor = SpanStartLogger(logs)
        tracer.add_span_processor(processor)
        found.append(processor)
    _added.extend(p for p in found if p not in _added)
    return True


_added: list[SpanStartLogger] = []
"""Every span-start logger :func:`log_span_starts` added or switched on, for
:func:`stop_span_starts`."""


def stop_span_starts() -> None:
    """Switch off the span-start loggers :func:`log_span_starts` added: after ``uninstrument()``
    an app's spans are no longer announced (the SDK keeps the processor; it does nothing)."""
    for processor in _added:
        processor.enabled = False
    _added.clear()
