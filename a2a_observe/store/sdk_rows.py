"""Rows from the OpenTelemetry SDK's finished spans and log records (the in-process path)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from a2a_observe.store.rows import (
    Batch,
    Row,
    event_row,
    link_row,
    log_row,
    plain_attributes,
    resource_row,
    span_id_hex,
    span_row,
    trace_id_hex,
)

if TYPE_CHECKING:
    from opentelemetry.sdk._logs import ReadableLogRecord
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan


class _Resources:
    """Resources are shared by every span of a provider: build each row once per batch."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.by_object: dict[int, Row] = {}

    def row(self, resource: Resource | None) -> Row:
        key = id(resource)
        row = self.by_object.get(key)
        if row is None:
            attributes: Any = resource.attributes if resource is not None else {}
            row = resource_row(attributes, resource.schema_url if resource is not None else None)
            self.by_object[key] = row
            self.batch.resources[row[0]] = row
        return row


def _span_attributes(span: ReadableSpan) -> Mapping[str, Any]:
    """The dict inside a span's attributes.

    ``ReadableSpan.attributes`` wraps them in a read-only proxy around a bounded mapping whose
    every lookup runs Python code; copying that out cost more than the rest of the conversion.
    The SDK keeps the mapping as ``_attributes``; another implementation falls back to the proxy.
    """
    inner = getattr(span, "_attributes", None)
    found = getattr(inner, "_dict", None)
    if type(found) is dict:
        return found
    return plain_attributes(span.attributes or {})


def _trace_state(state: Any) -> str | None:
    return state.to_header() if state else None


def spans_batch(spans: Sequence[ReadableSpan]) -> Batch:
    batch = Batch()
    resources = _Resources(batch)
    for span in spans:
        ctx = span.context
        if ctx is None:
            batch.rejected_spans += 1
            continue
        trace_id = trace_id_hex(ctx.trace_id)
        span_id = span_id_hex(ctx.span_id)
        if trace_id is None or span_id is None:
            batch.rejected_spans += 1
            continue
        scope = span.instrumentation_scope
        status = span.status
        batch.spans.append(
            span_row(
                trace_id=trace_id,
                span_id=span_id,
                parent_span_id=span_id_hex(span.parent.span_id) if span.parent is not None else None,
                trace_state=_trace_state(ctx.trace_state),
                parent_is_remote=span.parent.is_remote if span.parent is not None else False,
                name=span.name,
                kind=span.kind.name,
                start_ns=span.start_time or 0,
                end_ns=span.end_time or 0,
                status_code=status.status_code.name,
                status_message=status.description,
                resource=resources.row(span.resource),
                scope_name=scope.name if scope is not None else None,
                scope_version=scope.version if scope is not None else None,
                attributes=_span_attributes(span),
                dropped_attributes_count=span.dropped_attributes,
                dropped_events_count=span.dropped_events,
                dropped_links_count=span.dropped_links,
            )
        )
        for seq, event in enumerate(span.events):
            batch.events.append(
                event_row(
                    trace_id,
                    span_id,
                    seq,
                    event.timestamp,
                    event.name,
                    plain_attributes(event.attributes or {}),
                    event.dropped_attributes,
                )
            )
        for seq, link in enumerate(span.links):
            batch.links.append(
                link_row(
                    trace_id,
                    span_id,
                    seq,
                    trace_id_hex(link.context.trace_id),
                    span_id_hex(link.context.span_id),
                    _trace_state(link.context.trace_state),
                    link.context.is_remote,
                    plain_attributes(link.attributes or {}),
                    link.dropped_attributes,
                )
            )
    return batch


def logs_batch(records: Sequence[ReadableLogRecord]) -> Batch:
    batch = Batch()
    resources = _Resources(batch)
    for readable in records:
        record = readable.log_record
        scope = readable.instrumentation_scope
        severity = record.severity_number
        batch.logs.append(
            log_row(
                time_ns=record.timestamp,
                observed_ns=record.observed_timestamp,
                severity_number=severity.value if severity is not None else None,
                severity_text=record.severity_text,
                body=record.body,
                attributes=plain_attributes(record.attributes or {}),
                trace_id=trace_id_hex(record.trace_id or 0),
                span_id=span_id_hex(record.span_id or 0),
                flags=int(record.trace_flags or 0),
                event_name=record.event_name,
                resource=resources.row(readable.resource),
                scope_name=scope.name if scope is not None else None,
                scope_version=scope.version if scope is not None else None,
                dropped_attributes_count=readable.dropped_attributes,
            )
        )
    return batch
