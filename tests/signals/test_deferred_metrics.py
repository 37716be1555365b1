"""Measurements queued off the request path: a reader that collects after a measurement was
taken sees it, with its value, labels and exemplar, and a failing record never reaches the app."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader, NumberDataPoint
from opentelemetry.sdk.trace import TracerProvider

from a2a_observe.signals.deferred import DeferredCounter, DeferredHistogram, MeasurementQueue, queue_for
from a2a_observe.signals.metrics import A2AMetrics


def points(reader: InMemoryMetricReader) -> dict[str, list[HistogramDataPoint | NumberDataPoint]]:
    data = reader.get_metrics_data()
    assert data is not None
    return {
        metric.name: list(metric.data.data_points)
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }


def test_a_collection_records_what_is_queued_first() -> None:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    queue = MeasurementQueue(meter)
    histogram = DeferredHistogram(meter.create_histogram("h"), queue)
    counter = DeferredCounter(meter.create_counter("c"), queue)
    span = TracerProvider().get_tracer("test").start_span("call")
    for _ in range(3):
        histogram.record(0.25, {"agent": "echo"}, trace.set_span_in_context(span))
        counter.add(2, {"agent": "echo"})

    seen = points(reader)

    assert set(seen) == {"h", "c"}  # the collection callback itself reports nothing
    [h] = seen["h"]
    assert isinstance(h, HistogramDataPoint)
    assert (h.count, h.sum, dict(h.attributes)) == (3, 0.75, {"agent": "echo"})
    assert {e.span_id for e in h.exemplars} == {span.get_span_context().span_id}
    [c] = seen["c"]
    assert isinstance(c, NumberDataPoint)
    assert c.value == 6


def test_the_current_context_is_the_one_at_the_time_of_the_call() -> None:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    counter = DeferredCounter(meter.create_counter("c"), MeasurementQueue(meter))
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        counter.add(1, {"agent": "echo"})
    [c] = points(reader)["c"]
    assert [e.span_id for e in c.exemplars] == [span.get_span_context().span_id]


def test_a_measurement_the_sdk_refuses_is_reported_not_raised(caplog) -> None:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    queue = MeasurementQueue(meter)

    def broken(amount: float, attributes: object, context: object) -> None:
        raise RuntimeError("broken instrument")

    counter = DeferredCounter(meter.create_counter("c"), queue)
    queue.put(broken, 1, None, None)
    counter.add(1)
    assert points(reader)["c"][0].value == 1
    assert "metric recording" in caplog.text


def test_one_queue_per_meter_and_the_instruments_of_every_instrument_call_share_it() -> None:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    assert queue_for(meter) is queue_for(meter)
    first, second = A2AMetrics(meter, queue_for(meter)), A2AMetrics(meter, queue_for(meter))
    first.errors.add(1, {"error.type": "x"})
    second.errors.add(1, {"error.type": "x"})
    [errors] = points(reader)["a2a.errors"]
    assert errors.value == 2


def test_what_is_queued_at_exit_is_exported_at_shutdown(tmp_path) -> None:
    """A process that ends right after a call still exports the call's measurements: the
    provider's shutdown collects, and the collection records the queue first."""
    script = textwrap.dedent(
        """
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
        from a2a_observe.signals.metrics import A2AMetrics
        from a2a_observe.signals.deferred import queue_for

        exporter = ConsoleMetricExporter(out=open(r"{out}", "w"))
        provider = MeterProvider(metric_readers=[PeriodicExportingMetricReader(exporter, 3_600_000)])
        meter = provider.get_meter("exit")
        metrics = A2AMetrics(meter, queue_for(meter))
        metrics.errors.add(5, {{"error.type": "at-exit"}})
        provider.shutdown()
        """
    ).format(out=tmp_path / "out.json")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60, env=dict(os.environ))
    exported = (tmp_path / "out.json").read_text()
    assert '"at-exit"' in exported
    assert '"value": 5' in exported
