"""Rows from OTLP protobuf messages (the receiver and import path).

A request is checked one record at a time: a span or log record that cannot be stored (an id of
the wrong length, a time beyond what a ``BIGINT`` holds, say) is refused and named, and the rest of
the request is kept, which is what OTLP's partial success is for. Everything that reaches the
writer from here fits its column, so one sender's bad record can never fail a commit that holds
other senders' batches.

Values are bounded as the SDK's attribute limits bound them, so that one huge attribute cannot
exhaust the store's memory: a string longer than :data:`MAX_VALUE_CHARS` is cut and ends with a
marker saying how much was cut, a record's strings together get at most :data:`MAX_RECORD_CHARS`,
attributes beyond :data:`MAX_ATTRIBUTES` are dropped and counted in ``dropped_attributes_count``,
and values nested deeper than :data:`MAX_DEPTH` are refused. Every cut is counted in the batch.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality, Exemplar, Metric
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from a2a_observe.store.rows import (
    Batch,
    Row,
    event_row,
    link_row,
    log_row,
    metric_row,
    resource_row,
    span_row,
)

MAX_VALUE_CHARS = 64 * 1024
"""Characters kept of one string value (attribute, body, name, status message)."""
MAX_RECORD_CHARS = 1024 * 1024
"""Characters kept of all the strings of one record together."""
MAX_ATTRIBUTES = 1024
"""Attributes kept per record (span, event, link, log record, resource)."""
MAX_ARRAY_ITEMS = 4096
"""Items kept of one array value."""
MAX_DEPTH = 32
"""Nesting of arrays and maps inside one attribute value."""
TRUNCATED_MARKER = "…[truncated {cut} characters]"
_INT64_MAX = 2**63 - 1
_INT32_MAX = 2**31 - 1

_MAX_ERRORS = 10
"""Partial-success messages name at most this many refused records, then say how many more."""

_FLAG_HAS_IS_REMOTE = 0x100
_FLAG_IS_REMOTE = 0x200

_KINDS = {
    Span.SPAN_KIND_UNSPECIFIED: "UNSPECIFIED",
    Span.SPAN_KIND_INTERNAL: "INTERNAL",
    Span.SPAN_KIND_SERVER: "SERVER",
    Span.SPAN_KIND_CLIENT: "CLIENT",
    Span.SPAN_KIND_PRODUCER: "PRODUCER",
    Span.SPAN_KIND_CONSUMER: "CONSUMER",
}
_STATUS = {
    Status.STATUS_CODE_UNSET: "UNSET",
    Status.STATUS_CODE_OK: "OK",
    Status.STATUS_CODE_ERROR: "ERROR",
}


class Limiter:
    """Bounds the values of one record and counts what it cut (see the module's docstring)."""

    def __init__(self) -> None:
        self.budget = MAX_RECORD_CHARS
        self.truncated = 0

    def text(self, value: str) -> str:
        size = len(value)
        if size <= MAX_VALUE_CHARS and size <= self.budget:  # nearly always: no cut, no calls
            self.budget -= size
            return value
        keep = min(MAX_VALUE_CHARS, max(self.budget, 0))
        if len(value) <= keep:
            self.budget -= len(value)
            return value
        self.budget -= keep
        self.truncated += 1
        return value[:keep] + TRUNCATED_MARKER.format(cut=len(value) - keep)

    def any_value(self, value: AnyValue, depth: int = 0) -> Any:
        which = value.WhichOneof("value")
        if which == "string_value":
            text = value.string_value
            size = len(text)
            if size <= MAX_VALUE_CHARS and size <= self.budget:  # ``text`` without a call
                self.budget -= size
                return text
            return self.text(text)
        if which == "int_value":
            return value.int_value
        if which == "bool_value":
            return value.bool_value
        if which == "double_value":
            return value.double_value
        if which in ("array_value", "kvlist_value") and depth >= MAX_DEPTH:
            raise ValueError(f"an attribute value is nested more than {MAX_DEPTH} levels deep")
        if which == "array_value":
            items = value.array_value.values
            if len(items) > MAX_ARRAY_ITEMS:
                self.truncated += 1
            return [self.any_value(v, depth + 1) for v in items[:MAX_ARRAY_ITEMS]]
        if which == "kvlist_value":
            return self.attributes(value.kvlist_value.values, depth + 1)[0]
        if which == "bytes_value":
            return self.text(base64.b64encode(value.bytes_value).decode("ascii"))
        return None

    def attributes(self, pairs: Sequence[KeyValue], depth: int = 0) -> tuple[dict[str, Any], int]:
        """The attributes kept, and how many were dropped over :data:`MAX_ATTRIBUTES`."""
        count = len(pairs)
        kept = {
            self.text(kv.key): self.any_value(kv.value, depth)
            for kv in (pairs if count <= MAX_ATTRIBUTES else pairs[:MAX_ATTRIBUTES])
        }
        return kept, max(count - MAX_ATTRIBUTES, 0)


def _time(value: int, what: str) -> int:
    """A time in nanoseconds that a ``BIGINT`` holds (OTLP's are unsigned 64-bit)."""
    if value > _INT64_MAX:
        raise ValueError(f"{what} {value} is beyond the year 2262 (more than 2^63-1 nanoseconds)")
    return value


def _count(value: int) -> int:
    """A dropped-items count (unsigned 32-bit in OTLP) in an ``INTEGER`` column, saturated."""
    return min(value, _INT32_MAX)


def _remote(flags: int) -> bool | None:
    return bool(flags & _FLAG_IS_REMOTE) if flags & _FLAG_HAS_IS_REMOTE else None


_ZEROES = {8: bytes(8), 16: bytes(16)}
"""The all-zero span and trace ids, compared against whole: cheaper than looking at each byte."""


def _id(raw: bytes, size: int, what: str) -> str:
    """An id as hex; a valid one (the right length, not all zeroes) passes one comparison."""
    if len(raw) == size and raw != _ZEROES[size]:
        return raw.hex()
    if len(raw) != size:
        raise ValueError(f"{what} must be {size} bytes, got {len(raw)}")
    raise ValueError(f"{what} is all zeroes")


def _optional_id(raw: bytes, size: int, what: str) -> str | None:
    return _id(raw, size, what) if raw else None


class _Collector:
    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.resources: dict[bytes, Row] = {}

    def resource(self, resource: Resource, schema_url: str) -> Row:
        key = resource.SerializeToString(deterministic=True) + schema_url.encode()
        row = self.resources.get(key)
        if row is None:
            limiter = Limiter()
            row = resource_row(limiter.attributes(resource.attributes)[0], limiter.text(schema_url))
            self.batch.truncated += limiter.truncated
            self.resources[key] = row
            self.batch.resources[row[0]] = row
        return row

    def refuse(self, where: str, error: Exception) -> None:
        if len(self.batch.errors) < _MAX_ERRORS:
            self.batch.errors.append(f"{where}: {error}")


def _span_rows(batch: Batch, span: Span, resource: Row, scope_name: str, scope_version: str) -> None:
    trace_id = _id(span.trace_id, 16, "traceId")
    span_id = _id(span.span_id, 8, "spanId")
    parent = _optional_id(span.parent_span_id, 8, "parentSpanId")
    limit = Limiter()
    events = []
    for seq, event in enumerate(span.events):
        attrs, dropped = limit.attributes(event.attributes)
        events.append(
            event_row(
                trace_id,
                span_id,
                seq,
                _time(event.time_unix_nano, f"events[{seq}].timeUnixNano"),
                limit.text(event.name),
                attrs,
                _count(event.dropped_attributes_count + dropped),
            )
        )
    links = []
    for seq, link in enumerate(span.links):
        attrs, dropped = limit.attributes(link.attributes)
        links.append(
            link_row(
                trace_id,
                span_id,
                seq,
                _id(link.trace_id, 16, f"links[{seq}].traceId"),
                _id(link.span_id, 8, f"links[{seq}].spanId"),
                limit.text(link.trace_state),
                _remote(link.flags),
                attrs,
                _count(link.dropped_attributes_count + dropped),
            )
        )
    attrs, dropped = limit.attributes(span.attributes)
    row = span_row(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        trace_state=limit.text(span.trace_state),
        parent_is_remote=_remote(span.flags),
        name=limit.text(span.name),
        kind=_KINDS.get(span.kind, "UNSPECIFIED"),
        start_ns=_time(span.start_time_unix_nano, "startTimeUnixNano"),
        end_ns=_time(span.end_time_unix_nano, "endTimeUnixNano"),
        status_code=_STATUS.get(span.status.code, "UNSET"),
        status_message=limit.text(span.status.message),
        resource=resource,
        scope_name=limit.text(scope_name),
        scope_version=limit.text(scope_version),
        attributes=attrs,
        dropped_attributes_count=_count(span.dropped_attributes_count + dropped),
        dropped_events_count=_count(span.dropped_events_count),
        dropped_links_count=_count(span.dropped_links_count),
    )
    batch.spans.append(row)
    batch.events.extend(events)
    batch.links.extend(links)
    batch.truncated += limit.truncated


def _log_row(batch: Batch, record: LogRecord, resource: Row, scope_name: str, scope_version: str) -> Row:
    limit = Limiter()
    attrs, dropped = limit.attributes(record.attributes)
    row = log_row(
        time_ns=_time(record.time_unix_nano, "timeUnixNano"),
        observed_ns=_time(record.observed_time_unix_nano, "observedTimeUnixNano"),
        severity_number=record.severity_number,
        severity_text=limit.text(record.severity_text),
        body=limit.any_value(record.body) if record.HasField("body") else None,
        attributes=attrs,
        trace_id=_optional_id(record.trace_id, 16, "traceId"),
        span_id=_optional_id(record.span_id, 8, "spanId"),
        flags=record.flags,
        event_name=limit.text(record.event_name),
        resource=resource,
        scope_name=limit.text(scope_name),
        scope_version=limit.text(scope_version),
        dropped_attributes_count=_count(record.dropped_attributes_count + dropped),
    )
    batch.truncated += limit.truncated
    return row


SpanSink = Callable[[Batch, Span, Row, str, str], None]
"""Takes one span of a request into a batch, with its resource's row and its scope's name and
version; raises ``ValueError`` for a span that cannot be stored."""


def spans_into(batch: Batch, request: ExportTraceServiceRequest, add: SpanSink) -> None:
    """Hand each span of ``request`` to ``add``; a resource or a span that cannot be stored is
    refused, counted and named by its place in the request, and the rest is kept."""
    rows = _Collector(batch)
    for ri, resource_spans in enumerate(request.resource_spans):
        try:
            resource = rows.resource(resource_spans.resource, resource_spans.schema_url)
        except ValueError as exc:
            refused = sum(len(scope.spans) for scope in resource_spans.scope_spans)
            batch.rejected_spans += refused
            rows.refuse(f"resourceSpans[{ri}].resource", exc)
            continue
        for si, scope_spans in enumerate(resource_spans.scope_spans):
            name, version = scope_spans.scope.name, scope_spans.scope.version
            for pi, span in enumerate(scope_spans.spans):
                try:
                    add(batch, span, resource, name, version)
                except ValueError as exc:
                    batch.rejected_spans += 1
                    rows.refuse(f"resourceSpans[{ri}].scopeSpans[{si}].spans[{pi}]", exc)


def traces_batch(request: ExportTraceServiceRequest) -> Batch:
    batch = Batch()
    spans_into(batch, request, _span_rows)
    _summarise(batch, batch.rejected_spans, "span")
    return batch


def logs_batch(request: ExportLogsServiceRequest) -> Batch:
    batch = Batch()
    rows = _Collector(batch)
    for ri, resource_logs in enumerate(request.resource_logs):
        try:
            resource = rows.resource(resource_logs.resource, resource_logs.schema_url)
        except ValueError as exc:
            batch.rejected_logs += sum(len(scope.log_records) for scope in resource_logs.scope_logs)
            rows.refuse(f"resourceLogs[{ri}].resource", exc)
            continue
        for si, scope_logs in enumerate(resource_logs.scope_logs):
            name, version = scope_logs.scope.name, scope_logs.scope.version
            for li, record in enumerate(scope_logs.log_records):
                try:
                    row = _log_row(batch, record, resource, name, version)
                except ValueError as exc:
                    batch.rejected_logs += 1
                    rows.refuse(f"resourceLogs[{ri}].scopeLogs[{si}].logRecords[{li}]", exc)
                    continue
                batch.logs.append(row)
    _summarise(batch, batch.rejected_logs, "log record")
    return batch


_TEMPORALITY = {
    AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA: "delta",
    AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE: "cumulative",
}


def _unsigned(value: int, what: str) -> int:
    if value > _INT64_MAX:
        raise ValueError(f"{what} {value} is beyond 2^63-1")
    return value


def _exemplars(limit: Limiter, exemplars: Sequence[Exemplar]) -> list[dict[str, Any]]:
    out = []
    for exemplar in exemplars:
        which = exemplar.WhichOneof("value")
        out.append(
            {
                "time_ns": _time(exemplar.time_unix_nano, "exemplars.timeUnixNano"),
                "value": exemplar.as_int if which == "as_int" else exemplar.as_double,
                "trace_id": exemplar.trace_id.hex() if len(exemplar.trace_id) == 16 else None,
                "span_id": exemplar.span_id.hex() if len(exemplar.span_id) == 8 else None,
                "attributes": limit.attributes(exemplar.filtered_attributes)[0],
            }
        )
    return out


def _point_rows(metric: Metric, limit: Limiter) -> list[dict[str, Any]]:
    """Each data point of a metric as the columns it fills (see ``rows.metric_row``)."""
    kind = metric.WhichOneof("data")
    points: list[dict[str, Any]] = []
    if kind in ("gauge", "sum"):
        data = metric.gauge if kind == "gauge" else metric.sum
        for point in data.data_points:
            which = point.WhichOneof("value")
            points.append(
                {
                    "point": point,
                    "value": float(point.as_int) if which == "as_int" else point.as_double,
                    "temporality": _TEMPORALITY.get(metric.sum.aggregation_temporality)
                    if kind == "sum"
                    else None,
                    "monotonic": metric.sum.is_monotonic if kind == "sum" else None,
                }
            )
    elif kind == "histogram":
        for hpoint in metric.histogram.data_points:
            points.append(
                {
                    "point": hpoint,
                    "count": _unsigned(hpoint.count, "count"),
                    "sum": hpoint.sum if hpoint.HasField("sum") else None,
                    "min": hpoint.min if hpoint.HasField("min") else None,
                    "max": hpoint.max if hpoint.HasField("max") else None,
                    "buckets": {"bounds": list(hpoint.explicit_bounds), "counts": list(hpoint.bucket_counts)},
                    "temporality": _TEMPORALITY.get(metric.histogram.aggregation_temporality),
                }
            )
    elif kind == "exponential_histogram":
        for epoint in metric.exponential_histogram.data_points:
            points.append(
                {
                    "point": epoint,
                    "count": _unsigned(epoint.count, "count"),
                    "sum": epoint.sum if epoint.HasField("sum") else None,
                    "min": epoint.min if epoint.HasField("min") else None,
                    "max": epoint.max if epoint.HasField("max") else None,
                    "buckets": {
                        "scale": epoint.scale,
                        "zero_count": epoint.zero_count,
                        "zero_threshold": epoint.zero_threshold,
                        "positive": {
                            "offset": epoint.positive.offset,
                            "counts": list(epoint.positive.bucket_counts),
                        },
                        "negative": {
                            "offset": epoint.negative.offset,
                            "counts": list(epoint.negative.bucket_counts),
                        },
                    },
                    "temporality": _TEMPORALITY.get(metric.exponential_histogram.aggregation_temporality),
                }
            )
    elif kind == "summary":
        for spoint in metric.summary.data_points:
            points.append(
                {
                    "point": spoint,
                    "count": _unsigned(spoint.count, "count"),
                    "sum": spoint.sum,
                    "buckets": {"quantiles": [[q.quantile, q.value] for q in spoint.quantile_values]},
                }
            )
    return points


def metrics_batch(request: ExportMetricsServiceRequest) -> Batch:
    """One row per data point; a point that cannot be stored is refused and named."""
    batch = Batch()
    rows = _Collector(batch)
    for ri, resource_metrics in enumerate(request.resource_metrics):
        try:
            resource = rows.resource(resource_metrics.resource, resource_metrics.schema_url)
        except ValueError as exc:
            batch.rejected_points += 1
            rows.refuse(f"resourceMetrics[{ri}].resource", exc)
            continue
        for si, scope_metrics in enumerate(resource_metrics.scope_metrics):
            scope_name, scope_version = scope_metrics.scope.name, scope_metrics.scope.version
            for mi, metric in enumerate(scope_metrics.metrics):
                limit = Limiter()
                name, description, unit = (
                    limit.text(metric.name),
                    limit.text(metric.description),
                    limit.text(metric.unit),
                )
                if not name:
                    batch.rejected_points += 1
                    rows.refuse(
                        f"resourceMetrics[{ri}].scopeMetrics[{si}].metrics[{mi}]", ValueError("no name")
                    )
                    continue
                try:
                    points = _point_rows(metric, limit)
                    for fields in points:
                        point = fields["point"]
                        batch.metrics.append(
                            metric_row(
                                time_ns=_time(point.time_unix_nano, "timeUnixNano"),
                                start_ns=_time(point.start_time_unix_nano, "startTimeUnixNano"),
                                name=name,
                                description=description,
                                unit=unit,
                                kind=str(metric.WhichOneof("data")),
                                temporality=fields.get("temporality"),
                                monotonic=fields.get("monotonic"),
                                value=fields.get("value"),
                                count=fields.get("count"),
                                total=fields.get("sum"),
                                minimum=fields.get("min"),
                                maximum=fields.get("max"),
                                buckets=fields.get("buckets"),
                                attributes=limit.attributes(point.attributes)[0],
                                exemplars=_exemplars(limit, getattr(point, "exemplars", ())),
                                flags=point.flags,
                                resource=resource,
                                scope_name=limit.text(scope_name),
                                scope_version=limit.text(scope_version),
                            )
                        )
                except ValueError as exc:
                    batch.rejected_points += 1
                    rows.refuse(f"resourceMetrics[{ri}].scopeMetrics[{si}].metrics[{mi}]", exc)
                batch.truncated += limit.truncated
    _summarise(batch, batch.rejected_points, "metric")
    return batch


def _summarise(batch: Batch, rejected: int, what: str) -> None:
    if rejected > len(batch.errors):
        batch.errors.append(f"and {rejected - len(batch.errors)} more {what}s refused")
    if batch.truncated:
        batch.errors.append(
            f"{batch.truncated} values were cut to fit the collector's limits "
            f"({MAX_VALUE_CHARS} characters a value, {MAX_RECORD_CHARS} a record, "
            f"{MAX_ATTRIBUTES} attributes, {MAX_ARRAY_ITEMS} array items); the rest is stored"
        )
