"""Work in progress made visible: one log record for a SERVER or agent span still open.

A span reaches an exporter only when it ends, so a task that hangs leaves no trace of the
agent's run at all, and a live view cannot tell "still running" from "lost". This processor
emits a small log record for each SERVER span and each ``invoke_agent`` span that is still
open ``A2A_OBSERVE_SPAN_START_DELAY`` seconds (0.5 by default) after it started, carrying the
span's own start time, trace and span ids, name, kind, parent and the A2A attributes known at
start; the store keeps it with the other logs, and the replay shows a span that started and
has not ended as running, with its elapsed time. A call that ends sooner needs no record (its
span says everything), so the request path only notes the span and forgets it at its end; a
daemon thread writes the records of the spans still open. ``A2A_OBSERVE_SPAN_START_DELAY=0``
writes every start at once, on the request path.

``instrument()`` adds it to the SDK tracer provider when an SDK logger provider is set up (the
records go wherever the app's logs go: a collector, plain OTLP, ``A2A_OBSERVE_STORE``), unless
``A2A_OBSERVE_SPAN_STARTS=false``; elsewhere add it beside the exporters:
``tracer_provider.add_span_processor(SpanStartLogger())`` (it uses the global logger provider
unless given one). It never raises into the app.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry._logs import LoggerProvider, SeverityNumber, get_logger_provider
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import NonRecordingSpan, SpanKind

from a2a_observe import semconv
from a2a_observe.config import _flag, env_seconds
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

DEFAULT_DELAY_S = 0.5
"""How long a span stays open before its start is logged, unless
``A2A_OBSERVE_SPAN_START_DELAY`` says otherwise: longer than a fast call, far shorter than
anything a person would call hung."""

_JOIN_S = 1.0
"""How long stopping waits for the thread (it may be handing a record to an exporter)."""


def start_delay(env: Mapping[str, str] | None = None) -> float:
    """``A2A_OBSERVE_SPAN_START_DELAY`` in seconds (0: every start at once)."""
    return env_seconds(semconv.ENV_SPAN_START_DELAY, DEFAULT_DELAY_S, zero=True, env=env)


def signals_start(span: ReadableSpan) -> bool:
    attributes = span.attributes or {}
    agent_run = attributes.get(semconv.GEN_AI_OPERATION_NAME) == semconv.OPERATION_INVOKE_AGENT
    return span.kind == SpanKind.SERVER or agent_run or span.name.startswith(semconv.OPERATION_INVOKE_AGENT)


def _kept(span: ReadableSpan) -> dict[str, Any]:
    return {key: value for key, value in (span.attributes or {}).items() if key in KEPT}


class SpanStartLogger(SpanProcessor):
    """Logs the start of SERVER and agent spans still open after ``delay`` seconds
    (``A2A_OBSERVE_SPAN_START_DELAY`` when not given; 0 logs each start at once)."""

    def __init__(self, logger_provider: LoggerProvider | None = None, delay: float | None = None) -> None:
        self._provider = logger_provider
        self._failed = False
        self._enabled = True
        self.delay = start_delay() if delay is None else max(0.0, delay)
        self._pending: dict[int, tuple[float, Span, dict[str, Any]]] = {}
        """Spans that started and have not ended nor been logged, by span id, oldest first."""
        self._wake = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._idle = False
        """The thread waits for a first span with no time limit: only then is it woken (waking
        it for every span would hand the GIL back and forth on every call)."""
        _loggers.add(self)

    @property
    def enabled(self) -> bool:
        """Switched off by ``uninstrument()`` (the SDK cannot take a span processor back out):
        nothing more is logged, the spans waiting are forgotten and the thread stops."""
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._enabled = value
        if not value:
            self._stop()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if not self._enabled:
            return
        try:
            if not signals_start(span):
                return
            if self.delay <= 0:
                self._emit(span, _kept(span))
                return
            due = time.monotonic() + self.delay
            with self._wake:
                pending = self._pending
                pending[span.context.span_id] = (due, span, _kept(span))
                if len(pending) == 1:
                    if self._idle:
                        self._idle = False
                        self._wake.notify()
                    elif self._thread is None:
                        self._start_thread()
        except Exception:  # noqa: BLE001 - never into the app; said once
            self._failed_once(span)

    def on_end(self, span: ReadableSpan) -> None:
        pending = self._pending
        if not pending:
            return
        context = span.context
        if context is not None and context.span_id in pending:
            with self._wake:
                pending.pop(context.span_id, None)

    def shutdown(self) -> None:
        """The tracer provider shuts down: no thread is started again for spans after it."""
        self.enabled = False

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    # -- the thread that logs what is still open --------------------------------------------
    def _start_thread(self) -> None:
        """Called with the lock held."""
        self._stopping = False
        thread = threading.Thread(target=self._run, name="a2a-observe-span-starts", daemon=True)
        self._thread = thread
        thread.start()

    def _forked(self) -> None:
        """In a child process: the thread did not come along, its lock may be held."""
        self._wake = threading.Condition(threading.Lock())
        self._thread = None
        self._idle = False
        self._pending.clear()

    def _run(self) -> None:
        while True:
            with self._wake:
                while True:
                    if self._stopping:
                        return
                    if not self._pending:
                        self._idle = True
                        self._wake.wait()
                        continue
                    span_id, (due, span, attributes) = next(iter(self._pending.items()))
                    wait = due - time.monotonic()
                    if wait <= 0:
                        del self._pending[span_id]
                        break
                    self._wake.wait(wait)
            try:
                self._emit(span, attributes)
            except Exception:  # noqa: BLE001 - a record lost is said once; the thread goes on
                self._failed_once(span)

    def _stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._pending.clear()
            thread, self._thread = self._thread, None
            self._idle = False
            self._wake.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(_JOIN_S)

    # -- the record ---------------------------------------------------------------------------
    def _failed_once(self, span: ReadableSpan) -> None:
        if not self._failed:
            self._failed = True
            _log.warning("a2a-observe: cannot log the start of span %s", span.name, exc_info=True)

    def _emit(self, span: Span, kept: dict[str, Any]) -> None:
        provider = self._provider or get_logger_provider()
        logger = provider.get_logger(semconv.INSTRUMENTATION_SCOPE, __version__)
        context = span.get_span_context()
        attributes: dict[str, Any] = dict(kept)
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


_loggers: weakref.WeakSet[SpanStartLogger] = weakref.WeakSet()
"""Every span-start logger of this process, set right in a forked child."""


def _after_fork() -> None:
    for logger in list(_loggers):
        logger._forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def log_span_starts(tracer_provider: Any | None = None, logger_provider: Any | None = None) -> bool:
    """Add a :class:`SpanStartLogger` to the SDK tracer provider (once per provider), so live
    views show running work wherever the app's logs are exported. Nothing is added when
    either provider is not the SDK's (no log records would go anywhere) or when
    ``A2A_OBSERVE_SPAN_STARTS`` is false. True when the provider has one."""
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
