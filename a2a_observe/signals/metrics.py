"""The metric instruments, fed by the same observations that make the spans.

RED per agent and method, task lifecycle, streaming and sizes. Ids never go on a metric
(cardinality); they reach the metrics as exemplars, through the span context passed with
each duration, so a dashboard can jump from a slow bucket to the trace. Histograms are the
SDK's synchronous ones (exemplars need the request's context), made on the event loop's next
turn, once the caller has its answer (:mod:`a2a_observe.signals.deferred`); counters and
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
from a2a_observe.signals.totals import observable_counter, observable_up_down_counter

_MAX_LABEL_SETS = 1024
"""(agent, state) label sets kept; past it the table starts over rather than grow."""

_MAX_TRACKED_TASKS = 100_000
"""Tasks whose lifecycle is followed at once; beyond it the oldest are forgotten (and leave
the active gauge), so an agent whose tasks never end cannot grow memory without bound."""


class A2AMetrics:
    """Every a2a-observe instrument, created once per ``instrument()``."""

    def __init__(self, meter: Meter) -> None:
        durations = list(semconv.DURATION_BUCKETS)
        sizes = list(semconv.SIZE_BUCKETS)
        self.client_duration = RecordedLater(
            meter.create_histogram(
                semconv.METRIC_RPC_CLIENT_DURATION,
                unit="s",
                description="Duration of A2A calls made by this process, as the caller saw them.",
                explicit_bucket_boundaries_advisory=durations,
            )
        )
        self.server_duration = RecordedLater(
            meter.create_histogram(
                semconv.METRIC_RPC_SERVER_DURATION,
                unit="s",
                description="Duration of A2A requests served by this process's agents.",
                explicit_bucket_boundaries_advisory=durations,
            )
        )
        self.active_requests = observable_up_down_counter(
            meter,
            semconv.METRIC_SERVER_ACTIVE_REQUESTS,
            unit="{request}",
            description="A2A requests being served right now.",
        )
        self.transitions = observable_counter(
            meter,
            semconv.METRIC_TASK_TRANSITIONS,
            unit="{transition}",
            description="Task state changes published by agents, by the state entered.",
        )
        self.task_duration = RecordedLater(
            meter.create_histogram(
                semconv.METRIC_TASK_DURATION,
                unit="s",
                description="Time from a task's first state to its terminal state, by final state.",
                explicit_bucket_boundaries_advisory=durations,
            )
        )
        self.active_tasks = observable_up_down_counter(
            meter,
            semconv.METRIC_TASK_ACTIVE,
            unit="{task}",
            description="Tasks currently in each non-terminal state.",
        )
        self.stream_events = observable_counter(
            meter,
            semconv.METRIC_STREAM_EVENTS,
            unit="{event}",
            description="Events carried by A2A streams, by kind.",
        )
        self.time_to_first_event = RecordedLater(
            meter.create_histogram(
                semconv.METRIC_STREAM_TIME_TO_FIRST_EVENT,
                unit="s",
                description="Time from the start of a streaming call to its first event.",
                explicit_bucket_boundaries_advisory=durations,
            )
        )
        self.stream_duration = RecordedLater(
            meter.create_histogram(
                semconv.METRIC_STREAM_DURATION,
                unit="s",
                description="Duration of A2A streams, by how they ended.",
                explicit_bucket_boundaries_advisory=durations,
            )
        )
        self.active_streams = observable_up_down_counter(
            meter,
            semconv.METRIC_STREAM_ACTIVE,
            unit="{stream}",
            description="A2A streams open right now.",
        )
        self.request_size = RecordedLater(
            meter.create_histogram(
                semconv.METRIC_REQUEST_SIZE,
                unit="By",
                description="Serialised size of the message sent with a call.",
                explicit_bucket_boundaries_advisory=sizes,
            )
        )
        self.response_size = RecordedLater(
            meter.create_histogram(
                semconv.METRIC_RESPONSE_SIZE,
                unit="By",
                description="Serialised size of what a call returned (all events of a stream).",
                explicit_bucket_boundaries_advisory=sizes,
            )
        )
        self.errors = observable_counter(
            meter,
            semconv.METRIC_ERRORS,
            unit="{error}",
            description="Failed A2A calls, by error type and wire status.",
        )
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
