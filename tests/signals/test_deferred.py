"""Histogram records queued on an event loop: made a moment later, never missed by a
collection, with the exemplar of the span they were queued in; made at once without a loop;
a failing record is logged once and never raised."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

from a2a_observe import semconv
from a2a_observe.signals import deferred
from a2a_observe.signals.metrics import A2AMetrics

LABELS = {semconv.GEN_AI_AGENT_NAME: "echo", semconv.A2A_METHOD_NAME: "SendMessage"}


def _durations(reader: InMemoryMetricReader) -> list[HistogramDataPoint]:
    data = reader.get_metrics_data()
    assert data is not None
    return [
        point
        for resource_metrics in data.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
        if metric.name == semconv.METRIC_RPC_CLIENT_DURATION
        for point in metric.data.data_points
        if isinstance(point, HistogramDataPoint)
    ]


@pytest.fixture
def metered() -> tuple[A2AMetrics, InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    return A2AMetrics(MeterProvider(metric_readers=[reader]).get_meter("test")), reader


def test_a_record_queued_on_a_loop_is_made_once_the_loop_waits(metered: Any) -> None:
    """Not on the loop's very next turn (the caller's next request has not left yet), but
    by the time the loop has waited the delay."""
    metrics, reader = metered

    async def call() -> tuple[int, int, int]:
        metrics.client_duration.record(0.25, LABELS)
        queued = deferred.pending()
        await asyncio.sleep(0)
        after_a_turn = deferred.pending()
        await asyncio.sleep(deferred.DELAY_SECONDS * 2)
        return queued, after_a_turn, deferred.pending()

    assert asyncio.run(call()) == (1, 1, 0)
    [point] = _durations(reader)
    assert (point.count, point.sum, dict(point.attributes)) == (1, 0.25, LABELS)


def test_a_collection_makes_what_is_still_queued(metered: Any) -> None:
    """A reader that collects before the loop turned (a scrape served by the same loop, a
    metric reader's thread) still sees every record made so far."""
    metrics, reader = metered

    async def call_then_collect() -> list[HistogramDataPoint]:
        for seconds in (0.1, 0.2, 0.3):
            metrics.client_duration.record(seconds, LABELS)
        return _durations(reader)  # no await in between: the loop has not turned

    [point] = asyncio.run(call_then_collect())
    assert point.count == 3
    assert point.sum == pytest.approx(0.6)


def test_without_a_loop_a_record_is_made_at_once(metered: Any) -> None:
    metrics, reader = metered
    metrics.client_duration.record(0.5, LABELS)
    assert deferred.pending() == 0
    [point] = _durations(reader)
    assert point.count == 1


def test_the_exemplar_is_the_span_the_record_was_queued_in(metered: Any) -> None:
    metrics, reader = metered
    tracer = TracerProvider().get_tracer("test")

    async def call() -> int:
        with tracer.start_as_current_span("SendMessage") as span:
            metrics.client_duration.record(0.25, LABELS)
        await asyncio.sleep(0)  # made here, with no span current any more
        return span.get_span_context().trace_id

    trace_id = asyncio.run(call())
    [point] = _durations(reader)
    assert [exemplar.trace_id for exemplar in point.exemplars] == [trace_id]


def test_uninstrument_makes_what_is_queued(metered: Any) -> None:
    import a2a_observe

    metrics, reader = metered

    async def call() -> None:
        metrics.client_duration.record(0.25, LABELS)
        a2a_observe.uninstrument()
        try:
            assert deferred.pending() == 0
        finally:
            a2a_observe.instrument()

    asyncio.run(call())
    assert len(_durations(reader)) == 1


class Refusing:
    def record(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        raise RuntimeError("no")


def test_a_failing_record_is_logged_once_and_never_raised(
    metered: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deferred, "_failed", False)
    refusing = deferred.RecordedLater(Refusing())
    metrics, reader = metered

    async def calls() -> None:
        for _ in range(3):
            refusing.record(1.0, LABELS)
            metrics.client_duration.record(0.25, LABELS)
        await asyncio.sleep(deferred.DELAY_SECONDS * 2)

    with caplog.at_level(logging.WARNING, logger="a2a_observe"):
        asyncio.run(calls())
    assert sum("histogram record failed" in r.getMessage() for r in caplog.records) == 1
    [point] = _durations(reader)
    assert point.count == 3  # the others were made all the same
