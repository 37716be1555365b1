"""Metric measurements taken on the request path and recorded into the SDK off it.

Recording one measurement costs the OpenTelemetry SDK tens of microseconds (attribute
cleaning and hashing, exemplar sampling, aggregation under a lock), and an A2A call takes a
dozen of them on each side: more than its spans cost. So a call only queues its measurements
(a ``deque.append``), and they are recorded by a background thread, a few at a time, while the
process waits on the network.

Nothing reaches a reader late: the meter's collection runs a callback first (an observable
gauge that reports nothing), which records everything still queued before the SDK aggregates,
so a Prometheus scrape, a periodic export or a test's ``get_metrics_data()`` that starts after
a call has ended sees its measurements, as it would had they been recorded synchronously. Each
measurement keeps the context it was taken in (exemplars link to the same span) and its value;
only its timestamp is the time it was recorded. A queue that outgrows its bound is recorded on
the spot, so memory stays bounded when the thread cannot keep up.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.metrics import CallbackOptions, Meter, Observation

from a2a_observe import semconv
from a2a_observe.safety import report_internal_error

_MAX_PENDING = 10_000
"""Measurements queued at most; past it the caller records them itself."""
_INTERVAL = 0.05
"""Seconds the recording thread sleeps when there is nothing to record."""
_SLICE = 4
"""Measurements the thread records before it lets other threads run."""

Record = Callable[[float, Any, Context], None]


class MeasurementQueue:
    """The measurements of one meter still to be recorded, and the thread that records them."""

    def __init__(self, meter: Meter) -> None:
        self._pending: deque[tuple[Record, float, Any, Context]] = deque()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        meter.create_observable_gauge(
            semconv.METRIC_PENDING_FLUSH,
            callbacks=[self._before_collect],
            description="Reports nothing: records a2a-observe's queued measurements before each collection.",
        )
        _QUEUES.add(self)

    def put(self, record: Record, amount: float, attributes: Any, ctx: Context | None) -> None:
        """Queue one measurement, taken in ``ctx`` (the current context when ``None``)."""
        self._pending.append(
            (record, amount, attributes, ctx if ctx is not None else otel_context.get_current())
        )
        if self._thread is None:
            self._start()
        if len(self._pending) > _MAX_PENDING:
            self.flush()

    def flush(self) -> None:
        """Record everything queued now, in this thread."""
        with self._lock:
            self._record(len(self._pending))

    def _record(self, count: int) -> None:
        pending = self._pending
        for _ in range(count):
            try:
                record, amount, attributes, ctx = pending.popleft()
            except IndexError:
                return
            try:
                record(amount, attributes, ctx)
            except Exception as exc:  # noqa: BLE001 - never into the app; said once
                report_internal_error("metric recording", exc)

    def _before_collect(self, options: CallbackOptions) -> Iterable[Observation]:
        self.flush()
        return ()

    def _start(self) -> None:
        with _START_LOCK:
            if self._thread is None:
                thread = threading.Thread(target=_run, args=(weakref.ref(self),), daemon=True)
                thread.name = "a2a-observe-metrics"
                self._thread = thread
                thread.start()

    def _work(self) -> bool:
        """Record what is queued, a slice at a time; False when there was nothing."""
        if not self._pending:
            return False
        while self._pending:
            with self._lock:
                self._record(_SLICE)
            time.sleep(0)  # let a request thread that waits for the interpreter run now
        return True

    def _forked(self) -> None:
        """In a child process: the thread did not follow, and the lock may be held."""
        self._lock = threading.Lock()
        self._thread = None


def _run(queue_ref: weakref.ref[MeasurementQueue]) -> None:
    while True:
        queue = queue_ref()
        if queue is None:
            return
        try:
            busy = queue._work()
        except Exception as exc:  # noqa: BLE001 - the thread must go on
            report_internal_error("metric recording", exc)
            busy = False
        wake = queue._wake
        del queue  # let an unused queue go
        if not busy:
            wake.wait(_INTERVAL)


_QUEUES: weakref.WeakSet[MeasurementQueue] = weakref.WeakSet()
_START_LOCK = threading.Lock()
_BY_METER: weakref.WeakKeyDictionary[Any, MeasurementQueue] = weakref.WeakKeyDictionary()


def _after_fork_in_child() -> None:
    global _START_LOCK
    _START_LOCK = threading.Lock()
    for queue in list(_QUEUES):
        queue._forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def queue_for(meter: Meter) -> MeasurementQueue | None:
    """The queue of ``meter`` (one per meter, however often ``instrument()`` runs); ``None``
    when the meter cannot register the collection callback, and measurements are then
    recorded on the spot."""
    try:
        queue = _BY_METER.get(meter)
        if queue is None:
            queue = _BY_METER[meter] = MeasurementQueue(meter)
        return queue
    except Exception as exc:  # noqa: BLE001 - a meter we do not know: record synchronously
        report_internal_error("metric queue", exc)
        return None


class DeferredHistogram:
    """A histogram whose ``record`` queues the measurement."""

    __slots__ = ("_queue", "_record", "instrument")

    def __init__(self, instrument: Any, queue: MeasurementQueue) -> None:
        self.instrument = instrument
        self._queue = queue
        self._record = instrument.record

    def record(self, amount: float, attributes: Any = None, context: Context | None = None) -> None:
        self._queue.put(self._record, amount, attributes, context)


class DeferredCounter:
    """A counter or up-down counter whose ``add`` queues the measurement."""

    __slots__ = ("_add", "_queue", "instrument")

    def __init__(self, instrument: Any, queue: MeasurementQueue) -> None:
        self.instrument = instrument
        self._queue = queue
        self._add = instrument.add

    def add(self, amount: float, attributes: Any = None, context: Context | None = None) -> None:
        self._queue.put(self._add, amount, attributes, context)
