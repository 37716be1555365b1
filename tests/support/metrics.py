"""Read the session's metrics (cumulative) and compare before/after a test's traffic."""

from __future__ import annotations

from typing import Any

from tests.conftest import METRICS


def points(name: str) -> list[Any]:
    data = METRICS.get_metrics_data()
    found: list[Any] = []
    if data is None:
        return found
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                if metric.name == name:
                    found.extend(metric.data.data_points)
    return found


def matching(point: Any, where: dict[str, Any]) -> bool:
    attrs = dict(point.attributes or {})
    return all(attrs.get(k) == v for k, v in where.items())


def total(name: str, **where: Any) -> float:
    """Sum of counter values / histogram counts / gauge values over matching points."""
    result = 0.0
    for point in points(name):
        if not matching(point, where):
            continue
        result += point.count if hasattr(point, "count") else point.value
    return result


def labels(name: str) -> set[str]:
    return {k for point in points(name) for k in (point.attributes or {})}
