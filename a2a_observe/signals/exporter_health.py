"""Is the telemetry pipeline delivering? Read from the SDK's processors, without I/O.

The SDK does not say whether its exporters are getting through: the batch processor drops
each export's result and only logs a warning when its queue is full. So we look inside:

- a ``BatchSpanProcessor`` / ``BatchLogRecordProcessor`` keeps its work in
  ``processor._batch_processor`` (``_queue``, ``_max_queue_size``, ``_exporter``); a
  ``SimpleSpanProcessor`` its exporter in ``span_exporter``, a ``SimpleLogRecordProcessor``
  in ``_exporter``;
- a ``PeriodicExportingMetricReader`` keeps its exporter in ``_exporter``; the meter provider
  its readers in ``_metric_readers``;
- the exporter is wrapped in a :class:`TrackingExporter` that remembers the outcome and time
  of its last export and otherwise passes every call through.

These are private SDK attributes. Every access is guarded: when a release renames them, the
exporter is reported ``unknown`` (which does not fail readiness) instead of raising.
"""

from __future__ import annotations

import atexit
import contextlib
import inspect
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry._logs import get_logger_provider

from a2a_observe.config import env_seconds
from a2a_observe.semconv import ENV_SHUTDOWN_TIMEOUT

STATUS_OK = "ok"
STATUS_FAIL = "fail"
STATUS_UNKNOWN = "unknown"

FAILURE_WINDOW_S = 60.0
"""How long a failed export keeps the pipeline failing when no export has been tried since.

An agent taken out of rotation gets no traffic, so makes no spans, so tries no export: were
a failure to count for ever, readiness could never come back."""


DEFAULT_EXIT_TIMEOUT_S = 5.0
"""How long exporting may hold up an exiting app (``A2A_OBSERVE_SHUTDOWN_TIMEOUT``)."""


class TrackingExporter:
    """Passes everything to the exporter it wraps and remembers how the last export went.

    Its first failure is written once to standard error, whatever the app's logging does with
    the exporter's own messages (a logs exporter's failures are dropped by the very logging
    bridge that feeds it)."""

    def __init__(self, inner: Any, what: str = "telemetry") -> None:
        self.inner = inner
        self.what = what
        self._lock = threading.Lock()
        self.last_success: bool | None = None
        self.last_export_at: float | None = None
        self.consecutive_failures = 0
        self.told = False
        self.abandoned = False

    def _record(self, success: bool) -> None:
        with self._lock:
            self.last_success = success
            self.last_export_at = time.monotonic()
            self.consecutive_failures = 0 if success else self.consecutive_failures + 1
            tell = not success and not self.told
            self.told = self.told or tell
        if tell:
            _say(
                f"a2a-observe: exporting {self.what} with {type(self.inner).__name__} failed; "
                "they are being lost until it recovers (readiness reports it; this is said once)"
            )

    def abandon(self) -> None:
        """Stop the exporter now: retries in progress end, later exports fail at once."""
        with self._lock:
            if self.abandoned:
                return
            self.abandoned = True
        with contextlib.suppress(Exception):
            self.inner.shutdown()

    def export(self, batch: Any, *args: Any, **kwargs: Any) -> Any:
        """A batch of spans or log records, or a metric reader's ``MetricsData`` (with its
        ``timeout_millis``)."""
        try:
            result = self.inner.export(batch, *args, **kwargs)
        except BaseException:
            self._record(False)
            raise
        self._record(getattr(result, "name", None) == "SUCCESS")
        return result

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> Any:
        if self.abandoned:
            return None
        # The batch processor looks at this signature to decide whether to pass a timeout.
        try:
            accepts_timeout = "timeout_millis" in inspect.signature(self.inner.shutdown).parameters
        except (TypeError, ValueError):
            accepts_timeout = False
        if accepts_timeout:
            return self.inner.shutdown(timeout_millis=timeout_millis, **kwargs)
        return self.inner.shutdown(**kwargs)

    def force_flush(self, timeout_millis: int = 30_000) -> Any:
        flush = getattr(self.inner, "force_flush", None)
        return flush(timeout_millis) if callable(flush) else True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _exporter_slot(processor: Any) -> tuple[Any, str] | None:
    """(object holding the exporter, attribute name), or None if the processor exports nothing
    we know how to find."""
    batch = getattr(processor, "_batch_processor", None)
    if batch is not None and hasattr(batch, "_exporter"):
        return batch, "_exporter"
    if hasattr(processor, "span_exporter"):
        return processor, "span_exporter"
    if type(processor).__name__ == "SimpleLogRecordProcessor" and hasattr(processor, "_exporter"):
        return processor, "_exporter"
    return None


def track(processor: Any) -> TrackingExporter | None:
    """Wrap the processor's exporter (once); None when it has no exporter we can reach."""
    slot = _exporter_slot(processor)
    if slot is None:
        return None
    holder, attribute = slot
    exporter = getattr(holder, attribute)
    if isinstance(exporter, TrackingExporter):
        return exporter
    what = "log records" if "Log" in type(processor).__name__ else "spans"
    tracking = TrackingExporter(exporter, what)
    setattr(holder, attribute, tracking)
    with _TRACKED_LOCK:
        _TRACKED.append(tracking)
    return tracking


_TRACKED: list[TrackingExporter] = []
_TRACKED_LOCK = threading.Lock()
_EXIT_BOUND = threading.Event()


def _say(text: str) -> None:
    """One write per line, so lines said from two threads at exit do not interleave."""
    with contextlib.suppress(Exception):
        sys.stderr.write(text + "\n")
        sys.stderr.flush()


def exit_timeout(env: Mapping[str, str] | None = None) -> float:
    """``A2A_OBSERVE_SHUTDOWN_TIMEOUT`` in seconds (more than 0: exporting at exit must end)."""
    return env_seconds(ENV_SHUTDOWN_TIMEOUT, DEFAULT_EXIT_TIMEOUT_S, zero=False, env=env)


def _at_exit(timeout: float) -> None:
    """Runs before the SDK's own exit handlers (registered earlier), which flush and shut
    every exporter down: an exporter that cannot reach its endpoint retries each export for up
    to its own timeout (10 s by default, for spans and again for logs). After ``timeout``
    seconds every tracked exporter is stopped, so the app exits in about that time."""

    def stop() -> None:
        with _TRACKED_LOCK:
            tracked = list(_TRACKED)
        busy = [t for t in tracked if not t.abandoned]
        for tracking in busy:
            tracking.abandon()
        if busy:
            _say(f"a2a-observe: gave up exporting at exit after {timeout:g} s (A2A_OBSERVE_SHUTDOWN_TIMEOUT)")

    timer = threading.Timer(timeout, stop)
    timer.daemon = True
    timer.start()


def track_metric_exporters(meter_provider: Any | None = None) -> None:
    """Wrap the exporter of each pushing metric reader of the SDK meter provider (once): the
    provider exports once more when it shuts down at exit, and an exporter that cannot reach
    its endpoint retries for up to its own timeout, as the span and log exporters do."""
    from opentelemetry import metrics  # noqa: PLC0415
    from opentelemetry.sdk.metrics import MeterProvider  # noqa: PLC0415

    provider = meter_provider if meter_provider is not None else metrics.get_meter_provider()
    if not isinstance(provider, MeterProvider):
        return
    readers = getattr(provider, "_metric_readers", None) or ()
    for reader in readers:
        exporter = getattr(reader, "_exporter", None)
        if exporter is None or isinstance(exporter, TrackingExporter):
            continue
        tracking = TrackingExporter(exporter, "metrics")
        reader._exporter = tracking
        with _TRACKED_LOCK:
            _TRACKED.append(tracking)


def bound_exit(
    tracer_provider: Any | None = None, logger_provider: Any | None = None, meter_provider: Any | None = None
) -> None:
    """Track every exporter of the SDK providers now and bound the time exporting may take
    when the app exits (:func:`exit_timeout`). Call it after the providers are set up."""
    track_pipeline(tracer_provider, logger_provider)
    with contextlib.suppress(Exception):  # private attributes changed: metrics stay unbounded
        track_metric_exporters(meter_provider)
    if not _EXIT_BOUND.is_set():
        _EXIT_BOUND.set()
        atexit.register(_at_exit, exit_timeout())


def _processors(provider: Any, signal: str) -> list[Any] | None:
    """The provider's processors, or None when they cannot be read."""
    if signal == "traces":
        multi = getattr(provider, "_active_span_processor", None)
        found = getattr(multi, "_span_processors", None)
    else:
        multi = getattr(provider, "_multi_log_record_processor", None)
        found = getattr(multi, "_log_record_processors", None)
    return list(found) if isinstance(found, tuple | list) else None


def _queue(processor: Any) -> tuple[int, int] | None:
    batch = getattr(processor, "_batch_processor", None)
    queue = getattr(batch, "_queue", None)
    limit = getattr(batch, "_max_queue_size", None)
    if queue is None or not isinstance(limit, int):
        return None
    return len(queue), limit


def exporter_status(signal: str, processor: Any, now: float) -> dict[str, Any] | None:
    """The health of one exporting processor, or None if it is not an exporting one."""
    try:
        slot = _exporter_slot(processor)
        if slot is None:
            return None
        tracking = track(processor)
    except Exception:  # noqa: BLE001 - private attributes changed: say so, do not fail
        return {"signal": signal, "processor": type(processor).__name__, "status": STATUS_UNKNOWN}
    exporter = tracking.inner if tracking is not None else getattr(*slot)
    entry: dict[str, Any] = {
        "signal": signal,
        "processor": type(processor).__name__,
        "exporter": type(exporter).__name__,
    }
    failing: list[str] = []
    queue = _queue(processor)
    if queue is not None:
        entry["queue_size"], entry["queue_max"] = queue
        if queue[1] > 0 and queue[0] >= queue[1]:
            failing.append("queue_full")
    if tracking is None or tracking.last_success is None:
        entry["last_export"] = "none"
    else:
        entry["last_export"] = "success" if tracking.last_success else "failure"
        age = now - (tracking.last_export_at or now)
        entry["seconds_since_export"] = round(age, 3)
        if not tracking.last_success:
            entry["consecutive_failures"] = tracking.consecutive_failures
            if age <= FAILURE_WINDOW_S:
                failing.append("export_failed")
    if failing:
        entry["status"], entry["reasons"] = STATUS_FAIL, failing
    elif entry["last_export"] == "failure":
        entry["status"] = STATUS_UNKNOWN  # failed long ago, nothing tried since
    else:
        entry["status"] = STATUS_OK
    return entry


def _signal_entries(signal: str, provider: Any, now: float) -> list[dict[str, Any]]:
    processors = _processors(provider, signal)
    if processors is None:
        return [{"signal": signal, "status": STATUS_UNKNOWN}]
    entries = []
    for processor in processors:
        entry = exporter_status(signal, processor, now)
        if entry is not None:
            entries.append(entry)
    return entries


def _sdk_providers(tracer_provider: Any | None, logger_provider: Any | None) -> dict[str, Any]:
    from opentelemetry.sdk._logs import LoggerProvider  # noqa: PLC0415 - the SDK, see docs/architecture.md
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415 - the SDK

    tracer = tracer_provider if tracer_provider is not None else trace.get_tracer_provider()
    logger = logger_provider if logger_provider is not None else get_logger_provider()
    found: dict[str, Any] = {}
    if isinstance(tracer, TracerProvider):
        found["traces"] = tracer
    if isinstance(logger, LoggerProvider):
        found["logs"] = logger
    return found


def pipeline_status(tracer_provider: Any | None = None, logger_provider: Any | None = None) -> dict[str, Any]:
    """``{"status": ..., "exporters": [...]}`` for the SDK tracer and logger providers.

    ``fail`` when an exporter's queue is full or its last export failed (within
    :data:`FAILURE_WINDOW_S`); ``unknown`` when nothing could be read (no SDK provider, or
    private attributes that changed); otherwise ``ok``. Only class names, counts and ages are
    reported: no endpoint (it may hold credentials), no error text.
    """
    now = time.monotonic()
    try:
        providers = _sdk_providers(tracer_provider, logger_provider)
        entries: list[dict[str, Any]] = []
        for signal, provider in providers.items():
            entries.extend(_signal_entries(signal, provider, now))
    except Exception:  # noqa: BLE001 - never let a probe crash on SDK internals
        return {"status": STATUS_UNKNOWN, "exporters": []}
    statuses = {entry["status"] for entry in entries}
    if STATUS_FAIL in statuses:
        status = STATUS_FAIL
    elif STATUS_OK in statuses:
        status = STATUS_OK
    else:
        status = STATUS_UNKNOWN
    return {"status": status, "exporters": entries}


def track_pipeline(tracer_provider: Any | None = None, logger_provider: Any | None = None) -> None:
    """Wrap every exporter now, so the first export's outcome is already seen."""
    pipeline_status(tracer_provider, logger_provider)
