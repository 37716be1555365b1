"""Counters kept as plain sums read the same as the SDK's synchronous counters: names, units,
descriptions, monotonicity, temporality, label sets and values; shared when a meter is asked
twice for the same instrument, separate per meter provider, and a failing read never breaks a
collection."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from a2a_observe import semconv
from a2a_observe.signals.metrics import A2AMetrics
from a2a_observe.signals.totals import Totals, observable_counter, observable_up_down_counter

A = {semconv.GEN_AI_AGENT_NAME: "a", semconv.A2A_TASK_STATE: "TASK_STATE_WORKING"}
B = {semconv.GEN_AI_AGENT_NAME: "b", semconv.A2A_TASK_STATE: "TASK_STATE_WORKING"}


def _read(reader: InMemoryMetricReader) -> dict[str, Any]:
    """Each metric's name -> (unit, description, monotonic, temporality, {labels: value})."""
    out: dict[str, Any] = {}
    data = reader.get_metrics_data()
    assert data is not None
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                values = {
                    frozenset((point.attributes or {}).items()): point.value
                    for point in metric.data.data_points
                }
                out[metric.name] = (
                    metric.unit,
                    metric.description,
                    metric.data.is_monotonic,
                    metric.data.aggregation_temporality,
                    values,
                )
    return out


def test_sums_read_as_the_synchronous_counters_would() -> None:
    sync_reader, plain_reader = InMemoryMetricReader(), InMemoryMetricReader()
    sync_meter = MeterProvider(metric_readers=[sync_reader]).get_meter("m")
    plain_meter = MeterProvider(metric_readers=[plain_reader]).get_meter("m")
    sync_counter = sync_meter.create_counter("c", unit="{x}", description="counted")
    sync_gauge = sync_meter.create_up_down_counter("g", unit="{y}", description="open")
    counter = observable_counter(plain_meter, "c", unit="{x}", description="counted")
    gauge = observable_up_down_counter(plain_meter, "g", unit="{y}", description="open")

    for amount, labels in [(1, A), (1, A), (2, B)]:
        sync_counter.add(amount, labels)
        counter.add(amount, labels)
    for amount, labels in [(1, A), (1, B), (-1, A)]:
        sync_gauge.add(amount, labels)
        gauge.add(amount, labels)

    plain = _read(plain_reader)
    assert plain == _read(sync_reader)
    assert plain["c"][4] == {frozenset(A.items()): 2, frozenset(B.items()): 2}
    assert plain["g"][4] == {frozenset(A.items()): 0, frozenset(B.items()): 1}, "back at 0 is still said"
    assert counter.value(A) == 2 and gauge.value(B) == 1 and gauge.value({"other": "x"}) == 0


def test_instrumenting_again_on_the_same_meter_keeps_counting_on() -> None:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("m")
    first, second = A2AMetrics(meter), A2AMetrics(meter)
    first.transitions.add(1, A)
    second.transitions.add(1, A)
    assert second.transitions is first.transitions
    assert _read(reader)[semconv.METRIC_TASK_TRANSITIONS][4] == {frozenset(A.items()): 2}


def test_each_meter_provider_has_its_own_sums() -> None:
    readers = InMemoryMetricReader(), InMemoryMetricReader()
    one, two = (A2AMetrics(MeterProvider(metric_readers=[r]).get_meter("m")) for r in readers)
    one.errors.add(1, A)
    two.errors.add(3, A)
    assert [_read(r)[semconv.METRIC_ERRORS][4] for r in readers] == [
        {frozenset(A.items()): 1},
        {frozenset(A.items()): 3},
    ]


def test_a_failing_read_is_said_once_and_the_collection_goes_on(caplog) -> None:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("m")
    broken = observable_counter(meter, "broken", unit="1", description="fails")
    fine = observable_counter(meter, "fine", unit="1", description="works")
    broken.add(1, A)
    fine.add(1, A)
    broken._sums = None  # type: ignore[assignment]
    for _ in range(2):
        read = _read(reader)
        assert read["fine"][4] == {frozenset(A.items()): 1} and "broken" not in read
    assert sum("cannot report metric broken" in r.getMessage() for r in caplog.records) == 1


def test_label_sets_beyond_the_limit_add_up_in_the_overflow_set(monkeypatch) -> None:
    monkeypatch.setattr("a2a_observe.signals.totals.MAX_LABEL_SETS", 2)
    totals = Totals("t")
    for agent in "abcd":
        totals.add(1, {semconv.GEN_AI_AGENT_NAME: agent})
    assert totals.value({"otel.metric.overflow": True}) == 2
    assert totals.value({semconv.GEN_AI_AGENT_NAME: "a"}) == 1


def test_instruments_made_before_the_meter_provider_count_together_once_it_is_set() -> None:
    from opentelemetry.metrics._internal import _ProxyMeterProvider

    proxy = _ProxyMeterProvider()  # what the global provider is before an app sets one
    first = A2AMetrics(proxy.get_meter("scope", "1"))
    again = A2AMetrics(proxy.get_meter("scope", "1"))  # instrument() after uninstrument()
    first.transitions.add(1, A)
    again.transitions.add(1, A)
    reader = InMemoryMetricReader()
    proxy.on_set_meter_provider(MeterProvider(metric_readers=[reader]))
    later = A2AMetrics(proxy.get_meter("scope", "1"))  # now the real meter
    later.transitions.add(1, A)
    assert _read(reader)[semconv.METRIC_TASK_TRANSITIONS][4] == {frozenset(A.items()): 3}
