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
    _optional_id,
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


_BUDGET = Limiter().budget - MAX_VALUE_CHARS
"""What the strings in a span's arrays and maps may take: the rest of a record's budget once the
plain strings have had the most one value may hold (see the module's docstring)."""


class _Spans:
    """The spans and span_events tables of one request, a tuple per record (promoted attributes
    included), turned into columns once at the end (one C-level transposition instead of an
    append per value)."""

    def __init__(self) -> None:
        self.spans: list[Row] = []
        self.events: list[Row] = []
        self.links: list[Row] = []
        self._limit = Limiter()

    def add(self, span: Span, resource: Row, scope_name: str, scope_version: str) -> None:
        """Append one span; ``ValueError`` if it cannot be stored, :class:`_Oversized` if a limit
        may cut it. Either way nothing is appended."""
        trace_id = _id(span.trace_id, 16, "traceId")
        span_id = _id(span.span_id, 8, "spanId")
        parent = _optional_id(span.parent_span_id, 8, "parentSpanId")
        limit = self._limit
        limit.budget = _BUDGET  # what the strings outside arrays and maps may take
        limit.truncated = 0
        # Every string of the record appears in these texts at least as long as it is (JSON
        # escapes only lengthen it), so when they add up to no more than one value may hold, the
        # limiter would have cut nothing.
        chars = 0
        events: list[Row] = []
        for seq, event in enumerate(span.events):
            event_attributes = _attributes(event.attributes, limit)
            time_ns = event.time_unix_nano
            if time_ns > _INT64_MAX:
                _time(time_ns, f"events[{seq}].timeUnixNano")
            text = json_text(event_attributes)
            event_name = event.name
            chars += len(text) + len(event_name)
            dropped = event.dropped_attributes_count
            own = (
                trace_id,
                span_id,
                seq,
                time_ns,
                event_name,
                text,
                dropped if dropped <= _INT32_MAX else _INT32_MAX,
            )
            events.append(own + tuple(map(event_attributes.get, EVENT_PROMOTED)))
        links = []
        for seq, link in enumerate(span.links):
            link_attributes = _attributes(link.attributes, limit)
            row = link_row(
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
            chars += len(row[5] or "") + len(row[7])
            links.append(row)
        attributes = _attributes(span.attributes, limit)
        attributes_json = json_text(attributes)
        name, status, state = span.name, span.status, span.trace_state
        message = status.message
        chars += len(attributes_json) + len(name) + len(message) + len(state) + len(scope_name)
        chars += len(scope_version)
        if chars > MAX_VALUE_CHARS or limit.truncated:
            raise _Oversized
        start = span.start_time_unix_nano
        end = span.end_time_unix_nano
        if start > _INT64_MAX or end > _INT64_MAX:
            _time(start, "startTimeUnixNano")
            _time(end, "endTimeUnixNano")
        dropped_attributes = span.dropped_attributes_count
        dropped_events = span.dropped_events_count
        dropped_links = span.dropped_links_count
        record: Row = (
            trace_id,
            span_id,
            parent,
            state or None,
            _remote(span.flags),
            name,
            _KINDS.get(span.kind, "UNSPECIFIED"),
            start,
            end,
            end - start if end and start else None,
            _STATUS.get(status.code, "UNSET"),
            message or None,
            resource[0],
            resource[1],
            scope_name or None,
            scope_version or None,
            attributes_json,
            dropped_attributes if dropped_attributes <= _INT32_MAX else _INT32_MAX,
            dropped_events if dropped_events <= _INT32_MAX else _INT32_MAX,
            dropped_links if dropped_links <= _INT32_MAX else _INT32_MAX,
        )
        self.spans.append(record + tuple(map(attributes.get, SPAN_PROMOTED)))
        if events:
            self.events.extend(events)
        if links:
            self.links.extend(links)

    def into(self, batch: Batch) -> None:
        if self.spans:
            batch.columns["spans"] = _columns(self.spans, SPAN_COLUMNS, len(SPAN_PROMOTED))
        if self.events:
            batch.columns["span_events"] = _columns(self.events, EVENT_COLUMNS, len(EVENT_PROMOTED))
        batch.links.extend(self.links)


def _columns(rows: list[Row], columns: Sequence[str], promoted: int) -> Columns:
    """Rows into columns; the last ``promoted`` hold attribute values, as promoted columns do."""
    values = list(map(list, zip(*rows, strict=True)))
    for index in range(len(columns) - promoted, len(columns)):
        values[index] = promoted_values(values[index])
    return dict(zip(columns, values, strict=True))


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
