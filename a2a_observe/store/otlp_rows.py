"""Rows from OTLP protobuf messages (the receiver and import path).

A request is checked one record at a time: a span or log record that cannot be stored (an id of
the wrong length, say) is refused and named, and the rest of the request is kept, which is what
OTLP's partial success is for.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from a2a_observe.store.rows import Batch, Row, event_row, link_row, log_row, resource_row, span_row

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


def any_value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which == "string_value":
        return value.string_value
    if which == "int_value":
        return value.int_value
    if which == "bool_value":
        return value.bool_value
    if which == "double_value":
        return value.double_value
    if which == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return attributes(value.kvlist_value.values)
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return None


def attributes(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    return {kv.key: any_value(kv.value) for kv in pairs}


def _remote(flags: int) -> bool | None:
    return bool(flags & _FLAG_IS_REMOTE) if flags & _FLAG_HAS_IS_REMOTE else None


def _id(raw: bytes, size: int, what: str) -> str:
    if len(raw) != size:
        raise ValueError(f"{what} must be {size} bytes, got {len(raw)}")
    if not any(raw):
        raise ValueError(f"{what} is all zeroes")
    return raw.hex()


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
            row = resource_row(attributes(resource.attributes), schema_url)
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
    events = [
        event_row(
            trace_id,
            span_id,
            seq,
            event.time_unix_nano,
            event.name,
            attributes(event.attributes),
            event.dropped_attributes_count,
        )
        for seq, event in enumerate(span.events)
    ]
    links = [
        link_row(
            trace_id,
            span_id,
            seq,
            _id(link.trace_id, 16, f"links[{seq}].traceId"),
            _id(link.span_id, 8, f"links[{seq}].spanId"),
            link.trace_state,
            _remote(link.flags),
            attributes(link.attributes),
            link.dropped_attributes_count,
        )
        for seq, link in enumerate(span.links)
    ]
    row = span_row(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        trace_state=span.trace_state,
        parent_is_remote=_remote(span.flags),
        name=span.name,
        kind=_KINDS.get(span.kind, "UNSPECIFIED"),
        start_ns=span.start_time_unix_nano,
        end_ns=span.end_time_unix_nano,
        status_code=_STATUS.get(span.status.code, "UNSET"),
        status_message=span.status.message,
        resource=resource,
        scope_name=scope_name,
        scope_version=scope_version,
        attributes=attributes(span.attributes),
        dropped_attributes_count=span.dropped_attributes_count,
        dropped_events_count=span.dropped_events_count,
        dropped_links_count=span.dropped_links_count,
    )
    batch.spans.append(row)
    batch.events.extend(events)
    batch.links.extend(links)


def traces_batch(request: ExportTraceServiceRequest) -> Batch:
    batch = Batch()
    rows = _Collector(batch)
    for ri, resource_spans in enumerate(request.resource_spans):
        resource = rows.resource(resource_spans.resource, resource_spans.schema_url)
        for si, scope_spans in enumerate(resource_spans.scope_spans):
            name, version = scope_spans.scope.name, scope_spans.scope.version
            for pi, span in enumerate(scope_spans.spans):
                try:
                    _span_rows(batch, span, resource, name, version)
                except ValueError as exc:
                    batch.rejected_spans += 1
                    rows.refuse(f"resourceSpans[{ri}].scopeSpans[{si}].spans[{pi}]", exc)
    _summarise(batch, batch.rejected_spans, "span")
    return batch


def logs_batch(request: ExportLogsServiceRequest) -> Batch:
    batch = Batch()
    rows = _Collector(batch)
    for ri, resource_logs in enumerate(request.resource_logs):
        resource = rows.resource(resource_logs.resource, resource_logs.schema_url)
        for si, scope_logs in enumerate(resource_logs.scope_logs):
            name, version = scope_logs.scope.name, scope_logs.scope.version
            for li, record in enumerate(scope_logs.log_records):
                try:
                    row = log_row(
                        time_ns=record.time_unix_nano,
                        observed_ns=record.observed_time_unix_nano,
                        severity_number=record.severity_number,
                        severity_text=record.severity_text,
                        body=any_value(record.body) if record.HasField("body") else None,
                        attributes=attributes(record.attributes),
                        trace_id=_optional_id(record.trace_id, 16, "traceId"),
                        span_id=_optional_id(record.span_id, 8, "spanId"),
                        flags=record.flags,
                        event_name=record.event_name,
                        resource=resource,
                        scope_name=name,
                        scope_version=version,
                        dropped_attributes_count=record.dropped_attributes_count,
                    )
                except ValueError as exc:
                    batch.rejected_logs += 1
                    rows.refuse(f"resourceLogs[{ri}].scopeLogs[{si}].logRecords[{li}]", exc)
                    continue
                batch.logs.append(row)
    _summarise(batch, batch.rejected_logs, "log record")
    return batch


def _summarise(batch: Batch, rejected: int, what: str) -> None:
    if rejected > len(batch.errors):
        batch.errors.append(f"and {rejected - len(batch.errors)} more {what}s refused")
