"""Spans from OTLP protobuf straight into the store's columns (the receiver's hot path).

:func:`a2a_observe.store.otlp_rows.traces_batch` builds one row tuple per span and weighs every
string against the limits as it reads it: a call per value, and most of the receiver's time.
This module gives the same batch column by column and reads a span with plain attribute access
first. Then it checks that nothing could have been cut: every string of the span appears in its
attributes' JSON texts, names and states at least as long as it is, so when those add up to no
more than :data:`~a2a_observe.store.otlp_rows.MAX_VALUE_CHARS`, no value reached a limit (arrays
and maps, which are rare, are still read by the limiter, which checks their depth and items).
A span that fails the check (huge, with repeated keys, with more attributes than are kept) is
read again by the row path, so what is cut, counted and refused is exactly what it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from a2a_observe.store.otlp_rows import (
    _INT32_MAX,
    _INT64_MAX,
    _KINDS,
    _STATUS,
    MAX_ATTRIBUTES,
    MAX_VALUE_CHARS,
    Limiter,
    _id,
    _remote,
    _span_rows,
    _summarise,
    spans_into,
)
from a2a_observe.store.rows import (
    EVENT_COLUMNS,
    EVENT_PROMOTED,
    SPAN_COLUMNS,
    SPAN_PROMOTED,
    Batch,
    Columns,
    Row,
    json_text,
    link_row,
    promoted_values,
)

_SCALARS = frozenset(("string_value", "int_value", "bool_value", "double_value"))


class _Oversized(Exception):
    """A span that a limit may cut: it takes the row path, which weighs every value."""


def _attributes(pairs: Sequence[KeyValue], limit: Limiter) -> dict[str, Any]:
    """Attributes as the limiter reads them when it cuts nothing.

    A non-empty ``string_value`` is the value set (the field is one of a oneof), which spares
    most attributes the ``WhichOneof`` call: a third of the time of reading them."""
    if len(pairs) > MAX_ATTRIBUTES:
        raise _Oversized
    out: dict[str, Any] = {}
    for kv in pairs:
        value = kv.value
        text = value.string_value
        if text:
            out[kv.key] = text
            continue
        which = value.WhichOneof("value")
        out[kv.key] = getattr(value, which) if which in _SCALARS else limit.any_value(value)
    if len(out) < len(pairs):
        raise _Oversized  # repeated keys: the row path weighs the values that are replaced too
    return out


def _time(value: int, what: str) -> int:
    if value > _INT64_MAX:
        raise ValueError(f"{what} {value} is beyond the year 2262 (more than 2^63-1 nanoseconds)")
    return value


class _Spans:
    """The columns of the spans and span_events tables, filled one span at a time."""

    def __init__(self) -> None:
        self.spans: Columns = {column: [] for column in SPAN_COLUMNS[: -len(SPAN_PROMOTED)]}
        self.span_attributes: list[dict[str, Any]] = []
        self.events: Columns = {column: [] for column in EVENT_COLUMNS[: -len(EVENT_PROMOTED)]}
        self.event_attributes: list[dict[str, Any]] = []
        self.links: list[Row] = []

    def add(self, span: Span, resource: Row, scope_name: str, scope_version: str) -> None:
        """Append one span; ``ValueError`` if it cannot be stored, :class:`_Oversized` if a limit
        may cut it. Either way nothing is appended."""
        trace_id = _id(span.trace_id, 16, "traceId")
        span_id = _id(span.span_id, 8, "spanId")
        parent_raw = span.parent_span_id
        parent = _id(parent_raw, 8, "parentSpanId") if parent_raw else None
        limit = Limiter()
        limit.budget -= MAX_VALUE_CHARS  # what the strings outside arrays and maps may take
        events = []
        for seq, event in enumerate(span.events):
            event_attributes = _attributes(event.attributes, limit)
            time_ns = event.time_unix_nano
            if time_ns > _INT64_MAX:
                _time(time_ns, f"events[{seq}].timeUnixNano")
            events.append((time_ns, event.name, event_attributes, event.dropped_attributes_count))
        links = []
        for seq, link in enumerate(span.links):
            link_attributes = _attributes(link.attributes, limit)
            links.append(
                link_row(
                    trace_id,
                    span_id,
                    seq,
                    _id(link.trace_id, 16, f"links[{seq}].traceId"),
                    _id(link.span_id, 8, f"links[{seq}].spanId"),
                    link.trace_state,
                    _remote(link.flags),
                    link_attributes,
                    min(link.dropped_attributes_count, _INT32_MAX),
                )
            )
        attributes = _attributes(span.attributes, limit)
        start = _time(span.start_time_unix_nano, "startTimeUnixNano")
        end = _time(span.end_time_unix_nano, "endTimeUnixNano")
        status = span.status
        name, message, state = span.name, status.message, span.trace_state
        attributes_json = json_text(attributes)
        events_json = [json_text(event[2]) for event in events]
        # Every string of the record appears in these texts at least as long as it is (JSON
        # escapes only lengthen it), so when they add up to no more than one value may hold, the
        # limiter would have cut nothing.
        chars = len(attributes_json) + len(name) + len(message) + len(state) + len(scope_name)
        chars += len(scope_version)
        for event, text in zip(events, events_json, strict=True):
            chars += len(text) + len(event[1])
        for row in links:
            chars += len(row[5] or "") + len(row[7])
        if chars > MAX_VALUE_CHARS or limit.truncated:
            raise _Oversized

        columns = self.spans
        columns["trace_id"].append(trace_id)
        columns["span_id"].append(span_id)
        columns["parent_span_id"].append(parent)
        columns["trace_state"].append(state or None)
        columns["parent_is_remote"].append(_remote(span.flags))
        columns["name"].append(name)
        columns["kind"].append(_KINDS.get(span.kind, "UNSPECIFIED"))
        columns["start_ns"].append(start)
        columns["end_ns"].append(end)
        columns["duration_ns"].append(end - start if end and start else None)
        columns["status_code"].append(_STATUS.get(status.code, "UNSET"))
        columns["status_message"].append(message or None)
        columns["resource_id"].append(resource[0])
        columns["service_name"].append(resource[1])
        columns["scope_name"].append(scope_name or None)
        columns["scope_version"].append(scope_version or None)
        columns["attributes"].append(attributes_json)
        columns["dropped_attributes_count"].append(min(span.dropped_attributes_count, _INT32_MAX))
        columns["dropped_events_count"].append(min(span.dropped_events_count, _INT32_MAX))
        columns["dropped_links_count"].append(min(span.dropped_links_count, _INT32_MAX))
        self.span_attributes.append(attributes)

        if events:
            ev = self.events
            for seq, (time_ns, event_name, event_attributes, dropped) in enumerate(events):
                ev["trace_id"].append(trace_id)
                ev["span_id"].append(span_id)
                ev["seq"].append(seq)
                ev["time_ns"].append(time_ns)
                ev["name"].append(event_name)
                ev["attributes"].append(events_json[seq])
                ev["dropped_attributes_count"].append(min(dropped, _INT32_MAX))
                self.event_attributes.append(event_attributes)
        self.links.extend(links)

    def into(self, batch: Batch) -> None:
        if self.span_attributes:
            for column, key in zip(SPAN_COLUMNS[-len(SPAN_PROMOTED) :], SPAN_PROMOTED, strict=True):
                self.spans[column] = promoted_values([a.get(key) for a in self.span_attributes])
            batch.columns["spans"] = self.spans
        if self.event_attributes:
            for column, key in zip(EVENT_COLUMNS[-len(EVENT_PROMOTED) :], EVENT_PROMOTED, strict=True):
                self.events[column] = promoted_values([a.get(key) for a in self.event_attributes])
            batch.columns["span_events"] = self.events
        batch.links.extend(self.links)


def traces_batch(request: ExportTraceServiceRequest) -> Batch:
    """The batch of one request: the same rows, refusals and counts as the row path."""
    batch = Batch()
    columns = _Spans()

    def add(batch: Batch, span: Span, resource: Row, name: str, version: str) -> None:
        try:
            columns.add(span, resource, name, version)
        except _Oversized:
            _span_rows(batch, span, resource, name, version)

    spans_into(batch, request, add)
    columns.into(batch)
    _summarise(batch, batch.rejected_spans, "span")
    return batch
