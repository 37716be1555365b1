"""The metric instruments, fed by the same observations that make the spans.

RED per agent and method, task lifecycle, streaming and sizes. Ids never go on a metric
(cardinality); they reach the metrics as exemplars, through the span context passed with
each duration, so a dashboard can jump from a slow bucket to the trace. Histograms are the
SDK's synchronous ones (exemplars need the request's context), made by the event loop a
moment after the call, while it waits on the network (:mod:`a2a_observe.signals.deferred`); counters and
up-down counters are plain sums read at collection (:mod:`a2a_observe.signals.totals`). Both
keep the metrics off the cost of a request.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from opentelemetry import trace
from opentelemetry.metrics import Meter

from a2a_observe import semconv
from a2a_observe.signals.deferred import RecordedLater
from a2a_observe.signals.totals import Totals, observable_counter, observable_up_down_counter

_MAX_LABEL_SETS = 1024
"""(agent, state) label sets kept; past it the table starts over rather than grow."""

_MAX_TRACKED_TASKS = 100_000
"""Tasks whose lifecycle is followed at once; beyond it the oldest are forgotten (and leave
the active gauge), so an agent whose tasks never end cannot grow memory without bound."""


_HISTOGRAMS: dict[str, tuple[str, str, tuple[float, ...], str]] = {
    # attribute: (name, unit, bucket boundaries, description)
    "client_duration": (
        semconv.METRIC_RPC_CLIENT_DURATION,
        "s",
        semconv.DURATION_BUCKETS,
        "Duration of A2A calls made by this process, as the caller saw them.",
    ),
    "server_duration": (
        semconv.METRIC_RPC_SERVER_DURATION,
        "s",
        semconv.DURATION_BUCKETS,
        "Duration of A2A requests served by this process's agents.",
    ),
    "task_duration": (
        semconv.METRIC_TASK_DURATION,
        "s",
        semconv.DURATION_BUCKETS,
        "Time from a task's first state to its terminal state, by final state.",
    ),
    "time_to_first_event": (
        semconv.METRIC_STREAM_TIME_TO_FIRST_EVENT,
        "s",
        semconv.DURATION_BUCKETS,
        "Time from the start of a streaming call to its first event.",
    ),
    "stream_duration": (
        semconv.METRIC_STREAM_DURATION,
        "s",
        semconv.DURATION_BUCKETS,
        "Duration of A2A streams, by how they ended.",
    ),
    "request_size": (
        semconv.METRIC_REQUEST_SIZE,
        "By",
        semconv.SIZE_BUCKETS,
        "Serialised size of the message sent with a call.",
    ),
    "response_size": (
        semconv.METRIC_RESPONSE_SIZE,
        "By",
        semconv.SIZE_BUCKETS,
        "Serialised size of what a call returned (all events of a stream).",
    ),
}

_SUMS: dict[str, tuple[str, str, bool, str]] = {
    # attribute: (name, unit, monotonic, description)
    "active_requests": (
        semconv.METRIC_SERVER_ACTIVE_REQUESTS,
        "{request}",
        False,
        "A2A requests being served right now.",
    ),
    "transitions": (
        semconv.METRIC_TASK_TRANSITIONS,
        "{transition}",
        True,
        "Task state changes published by agents, by the state entered.",
    ),
    "active_tasks": (
        semconv.METRIC_TASK_ACTIVE,
        "{task}",
        False,
        "Tasks currently in each non-terminal state.",
    ),
    "stream_events": (
        semconv.METRIC_STREAM_EVENTS,
        "{event}",
        True,
        "Events carried by A2A streams, by kind.",
    ),
    "active_streams": (semconv.METRIC_STREAM_ACTIVE, "{stream}", False, "A2A streams open right now."),
    "errors": (semconv.METRIC_ERRORS, "{error}", True, "Failed A2A calls, by error type and wire status."),
}


class A2AMetrics:
    """Every a2a-observe instrument, created once per ``instrument()``."""

    client_duration: RecordedLater
    server_duration: RecordedLater
    task_duration: RecordedLater
    time_to_first_event: RecordedLater
    stream_duration: RecordedLater
    request_size: RecordedLater
    response_size: RecordedLater
    active_requests: Totals
    transitions: Totals
    active_tasks: Totals
    stream_events: Totals
    active_streams: Totals
    errors: Totals

    def __init__(self, meter: Meter) -> None:
        for attribute, (name, unit, buckets, description) in _HISTOGRAMS.items():
            histogram = meter.create_histogram(
                name, unit=unit, description=description, explicit_bucket_boundaries_advisory=list(buckets)
            )
            setattr(self, attribute, RecordedLater(histogram))
        for attribute, (name, unit, monotonic, description) in _SUMS.items():
            make = observable_counter if monotonic else observable_up_down_counter
            setattr(self, attribute, make(meter, name, unit=unit, description=description))
        self._tasks: OrderedDict[str, tuple[str, float, str]] = OrderedDict()
        self._tasks_lock = threading.Lock()
        self._state_labels: dict[tuple[str, str], dict[str, Any]] = {}
        """The labels of each (agent, state), built once: every transition records with them."""

    def _labels(self, agent: str, state: str) -> dict[str, Any]:
        labels = self._state_labels.get((agent, state))
        if labels is None:
            if len(self._state_labels) >= _MAX_LABEL_SETS:
                self._state_labels.clear()
            labels = {semconv.GEN_AI_AGENT_NAME: agent, semconv.A2A_TASK_STATE: state}
            self._state_labels[(agent, state)] = labels
        return labels

    # -- task lifecycle ----------------------------------------------------------------------
    def task_state(self, task_id: str | None, agent: str | None, state: str, span: trace.Span) -> None:
        """An agent published ``state`` for ``task_id`` while ``span`` reported its work (the
        task's duration takes it as its exemplar)."""
        agent_name = agent or ""
        labels = self._labels(agent_name, state)
        self.transitions.add(1, labels)
        if not task_id:
            return
        now = time.monotonic()
        terminal = state in semconv.TERMINAL_TASK_STATES
        with self._tasks_lock:
            previous = self._tasks.pop(task_id, None)
            started = previous[1] if previous else now
            if not terminal:
                self._tasks[task_id] = (state, started, agent_name)
                evicted = self._tasks.popitem(last=False) if len(self._tasks) > _MAX_TRACKED_TASKS else None
            else:
                evicted = None
        if previous is not None and previous[0] == state:
            return
        if previous is not None:
            self._leave(previous[0], previous[2])
        if evicted is not None:
            self._leave(evicted[1][0], evicted[1][2])
        if terminal:
            self.task_duration.record(now - started, labels, trace.set_span_in_context(span))
        else:
            self.active_tasks.add(1, labels)

    def _leave(self, state: str, agent: str) -> None:
        self.active_tasks.add(-1, self._labels(agent, state))


def call_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    """The low-cardinality subset of a call's span attributes that labels its metrics."""
    return {key: attrs[key] for key in _CALL_KEYS if attrs.get(key) is not None}


_CALL_KEYS = (
    semconv.RPC_SYSTEM_NAME,
    semconv.RPC_METHOD,
    semconv.A2A_METHOD_NAME,
    semconv.GEN_AI_AGENT_NAME,
    semconv.A2A_PROTOCOL_BINDING,
    semconv.A2A_PROTOCOL_VERSION,
)
