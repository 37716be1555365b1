"""OpenTelemetry metrics exposed to Prometheus, with trace exemplars.

OpenTelemetry's own Prometheus reader drops exemplars, and an exemplar is what lets a
dashboard jump from a slow latency bucket to the trace behind it; so this module is a small
pull reader that turns each scrape into ``prometheus_client`` metric families, histogram
buckets carrying the trace and span id of a request that fell into them. Names follow the
OpenTelemetry-to-Prometheus rules: dots become underscores, the unit is appended
(``rpc.server.call.duration`` in ``s`` -> ``rpc_server_call_duration_seconds``), counters get
``_total``, up-down counters become gauges. Exemplars are only in the OpenMetrics format
(``Accept: application/openmetrics-text``), as Prometheus asks for them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
)
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    HistogramDataPoint,
    MetricReader,
    MetricsData,
    Sum,
)
from opentelemetry.sdk.metrics.export import (
    Histogram as HistogramData,
)
from prometheus_client import CollectorRegistry, make_asgi_app, make_wsgi_app, start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.samples import Exemplar

_log = logging.getLogger("a2a_observe")

REGISTRY = CollectorRegistry(auto_describe=False)
"""Where a2a-observe's readers register unless told otherwise; ``/metrics`` serves it."""

_UNITS = {
    "s": "seconds",
    "ms": "milliseconds",
    "us": "microseconds",
    "ns": "nanoseconds",
    "By": "bytes",
    "KiBy": "kibibytes",
    "MiBy": "mebibytes",
    "1": "ratio",
    "%": "percent",
}
_INVALID = re.compile(r"[^a-zA-Z0-9_:]")


def prometheus_name(name: str, unit: str | None) -> str:
    """The Prometheus name of an OpenTelemetry metric (without the ``_total`` of counters)."""
    base = _INVALID.sub("_", name)
    suffix = _UNITS.get(unit or "", "") if not (unit or "").startswith("{") else ""
    if suffix and not base.endswith(f"_{suffix}"):
        base = f"{base}_{suffix}"
    return base


def label_name(key: str) -> str:
    label = _INVALID.sub("_", key)
    return f"_{label}" if label[:1].isdigit() else label


def _labels(attributes: Any) -> dict[str, str]:
    return {label_name(str(k)): str(v) for k, v in (attributes or {}).items()}


def _exemplar(exemplar: Any) -> Exemplar | None:
    if not exemplar.trace_id:
        return None
    return Exemplar(
        {"trace_id": f"{exemplar.trace_id:032x}", "span_id": f"{exemplar.span_id:016x}"},
        float(exemplar.value),
        exemplar.time_unix_nano / 1e9,
    )


def _bucket_exemplars(point: HistogramDataPoint) -> dict[int, Exemplar]:
    """Each exemplar goes to the bucket its value falls in, as OpenMetrics requires."""
    by_bucket: dict[int, Exemplar] = {}
    bounds = list(point.explicit_bounds)
    for raw in point.exemplars or ():
        exemplar = _exemplar(raw)
        if exemplar is None:
            continue
        index = next((i for i, bound in enumerate(bounds) if raw.value <= bound), len(bounds))
        by_bucket[index] = exemplar
    return by_bucket


def _histogram_family(name: str, description: str, points: Sequence[HistogramDataPoint]) -> Metric:
    keys = sorted({label_name(str(k)) for p in points for k in (p.attributes or {})})
    family = HistogramMetricFamily(name, description, labels=keys)
    for point in points:
        labels = _labels(point.attributes)
        exemplars = _bucket_exemplars(point)
        buckets: list[Any] = []
        cumulative = 0
        bounds = [*list(point.explicit_bounds), float("inf")]
        for index, bound in enumerate(bounds):
            cumulative += point.bucket_counts[index]
            le = "+Inf" if bound == float("inf") else repr(float(bound))
            exemplar = exemplars.get(index)
            buckets.append((le, cumulative, exemplar) if exemplar else (le, cumulative))
        family.add_metric([labels.get(k, "") for k in keys], buckets, point.sum)
    return family


def _families(data: MetricsData) -> Iterable[Metric]:
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                yield from _family(metric)


def _family(metric: Any) -> Iterable[Metric]:
    name = prometheus_name(metric.name, metric.unit)
    description = metric.description or metric.name
    points = list(metric.data.data_points)
    if not points:
        return
    keys = sorted({label_name(str(k)) for p in points for k in (p.attributes or {})})
    if isinstance(metric.data, HistogramData):
        yield _histogram_family(name, description, points)
    elif isinstance(metric.data, Sum) and metric.data.is_monotonic:
        family = CounterMetricFamily(name.removesuffix("_total"), description, labels=keys)
        for point in points:
            labels = _labels(point.attributes)
            family.add_metric([labels.get(k, "") for k in keys], point.value)
        yield family
    elif isinstance(metric.data, Sum | Gauge):
        gauge = GaugeMetricFamily(name, description, labels=keys)
        for point in points:
            labels = _labels(point.attributes)
            gauge.add_metric([labels.get(k, "") for k in keys], point.value)
        yield gauge


_CUMULATIVE = {
    Counter: AggregationTemporality.CUMULATIVE,
    UpDownCounter: AggregationTemporality.CUMULATIVE,
    Histogram: AggregationTemporality.CUMULATIVE,
    ObservableCounter: AggregationTemporality.CUMULATIVE,
    ObservableUpDownCounter: AggregationTemporality.CUMULATIVE,
    ObservableGauge: AggregationTemporality.CUMULATIVE,
}


class PrometheusReader(MetricReader):
    """A pull reader: every scrape of ``registry`` collects the SDK's metrics right then."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        super().__init__(preferred_temporality=dict(_CUMULATIVE))  # type: ignore[arg-type]
        self._registry = registry if registry is not None else REGISTRY
        self._latest: MetricsData | None = None
        self._lock = threading.Lock()
        self._collector = _Collector(self._scrape)
        self._registry.register(self._collector)

    def _receive_metrics(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> None:
        self._latest = metrics_data

    def _scrape(self) -> MetricsData | None:
        with self._lock:
            self._latest = None
            self.collect()
            return self._latest

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        with contextlib.suppress(KeyError):
            self._registry.unregister(self._collector)


class _Collector:
    """What ``prometheus_client`` calls on each scrape."""

    def __init__(self, scrape: Callable[[], MetricsData | None]) -> None:
        self._scrape = scrape

    def collect(self) -> Iterable[Metric]:
        data = self._scrape()
        if data is None:
            return []
        return list(_families(data))


class EnvPrometheusReader(PrometheusReader):
    """``OTEL_METRICS_EXPORTER=prometheus``: serves ``/metrics`` on
    ``OTEL_EXPORTER_PROMETHEUS_HOST``:``OTEL_EXPORTER_PROMETHEUS_PORT`` (localhost:9464)."""

    def __init__(self) -> None:
        super().__init__()
        host = os.environ.get("OTEL_EXPORTER_PROMETHEUS_HOST", "localhost")
        port = int(os.environ.get("OTEL_EXPORTER_PROMETHEUS_PORT", "9464"))
        self.server, self.thread = start_http_server(port, addr=host, registry=self._registry)
        _log.info("a2a-observe: Prometheus metrics on http://%s:%d/metrics", host, port)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        super().shutdown(timeout_millis, **kwargs)
        self.server.shutdown()


def metrics_asgi_app(registry: CollectorRegistry | None = None) -> Any:
    """``/metrics`` for a Starlette or FastAPI app: ``app.mount("/metrics", metrics_asgi_app())``."""
    return make_asgi_app(registry if registry is not None else REGISTRY)


def metrics_wsgi_app(registry: CollectorRegistry | None = None) -> Any:
    """``/metrics`` for a Flask (WSGI) app."""
    return make_wsgi_app(registry if registry is not None else REGISTRY)


def serve_metrics(port: int, host: str = "127.0.0.1", registry: CollectorRegistry | None = None) -> Any:
    """``/metrics`` on its own port; returns the server (``.shutdown()`` stops it)."""
    server, _ = start_http_server(port, addr=host, registry=registry if registry is not None else REGISTRY)
    return server
