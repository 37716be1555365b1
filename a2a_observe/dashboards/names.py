"""Prometheus names of the metrics a2a-observe exports, derived from the instruments themselves.

A dashboard that names a metric we do not emit shows nothing and nobody notices; so no name
here is typed by hand. The instruments are created once against a meter that only records
what was asked for (name, unit, kind, description), and the Prometheus spelling follows from
the same function the exporter uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from a2a_observe import semconv
from a2a_observe.signals.metrics import A2AMetrics
from a2a_observe.signals.prometheus import label_name, prometheus_name


@dataclass(frozen=True)
class MetricName:
    """One exported metric: its OpenTelemetry name and how Prometheus spells its series."""

    otel: str
    unit: str
    kind: str
    """``counter``, ``histogram`` or ``gauge`` (up-down counters are gauges in Prometheus)."""
    description: str

    @property
    def base(self) -> str:
        return prometheus_name(self.otel, self.unit)

    @property
    def series(self) -> str:
        """The name to select for a counter or gauge (``_total`` on counters)."""
        return f"{self.base}_total" if self.kind == "counter" else self.base

    @property
    def bucket(self) -> str:
        return f"{self.base}_bucket"

    @property
    def count(self) -> str:
        return f"{self.base}_count"

    @property
    def sum(self) -> str:
        return f"{self.base}_sum"

    def sample_names(self) -> tuple[str, ...]:
        """Every series name the exposition carries for this metric."""
        if self.kind == "histogram":
            return (self.bucket, self.count, self.sum)
        return (self.series,)


class _Recorder:
    """A meter that creates nothing and remembers every instrument asked of it."""

    def __init__(self) -> None:
        self.created: dict[str, MetricName] = {}

    def _make(self, kind: str, name: str, unit: str = "", description: str = "", **_: Any) -> object:
        self.created[name] = MetricName(name, unit, kind, description)
        return object()

    def create_counter(self, name: str, unit: str = "", description: str = "", **kw: Any) -> object:
        return self._make("counter", name, unit, description)

    def create_up_down_counter(self, name: str, unit: str = "", description: str = "", **kw: Any) -> object:
        return self._make("gauge", name, unit, description)

    def create_observable_counter(
        self, name: str, callbacks: Any = None, unit: str = "", description: str = ""
    ) -> object:
        return self._make("counter", name, unit, description)

    def create_observable_up_down_counter(
        self, name: str, callbacks: Any = None, unit: str = "", description: str = ""
    ) -> object:
        return self._make("gauge", name, unit, description)

    def create_histogram(self, name: str, unit: str = "", description: str = "", **kw: Any) -> object:
        return self._make("histogram", name, unit, description)


def _instruments() -> dict[str, MetricName]:
    recorder = _Recorder()
    A2AMetrics(recorder)  # type: ignore[arg-type]
    return recorder.created


METRICS: Final = _instruments()

SERVER_DURATION: Final = METRICS[semconv.METRIC_RPC_SERVER_DURATION]
CLIENT_DURATION: Final = METRICS[semconv.METRIC_RPC_CLIENT_DURATION]
ACTIVE_REQUESTS: Final = METRICS[semconv.METRIC_SERVER_ACTIVE_REQUESTS]
TASK_TRANSITIONS: Final = METRICS[semconv.METRIC_TASK_TRANSITIONS]
TASK_DURATION: Final = METRICS[semconv.METRIC_TASK_DURATION]
TASK_ACTIVE: Final = METRICS[semconv.METRIC_TASK_ACTIVE]
STREAM_EVENTS: Final = METRICS[semconv.METRIC_STREAM_EVENTS]
STREAM_FIRST_EVENT: Final = METRICS[semconv.METRIC_STREAM_TIME_TO_FIRST_EVENT]
STREAM_DURATION: Final = METRICS[semconv.METRIC_STREAM_DURATION]
STREAM_ACTIVE: Final = METRICS[semconv.METRIC_STREAM_ACTIVE]
REQUEST_SIZE: Final = METRICS[semconv.METRIC_REQUEST_SIZE]
RESPONSE_SIZE: Final = METRICS[semconv.METRIC_RESPONSE_SIZE]
ERRORS: Final = METRICS[semconv.METRIC_ERRORS]

# Labels (attribute names as Prometheus spells them).
AGENT: Final = label_name(semconv.GEN_AI_AGENT_NAME)
METHOD: Final = label_name(semconv.A2A_METHOD_NAME)
BINDING: Final = label_name(semconv.A2A_PROTOCOL_BINDING)
ERROR_TYPE: Final = label_name(semconv.ERROR_TYPE)
TASK_STATE: Final = label_name(semconv.A2A_TASK_STATE)
SIDE: Final = label_name(semconv.A2A_CALL_SIDE)
EVENT_KIND: Final = label_name(semconv.A2A_STREAM_EVENT_KIND)
STREAM_END: Final = label_name(semconv.A2A_STREAM_END)
RPC_STATUS: Final = label_name(semconv.RPC_RESPONSE_STATUS_CODE)
HTTP_STATUS: Final = label_name(semconv.HTTP_RESPONSE_STATUS_CODE)
JOB: Final = "job"
INSTANCE: Final = "instance"
LE: Final = "le"
