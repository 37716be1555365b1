"""The store's rows (see ``store/rows.py``) as the exporter's rows, one JSON object a line.

A span, its events and its links are one ``otel_traces`` row (``Events.*`` and ``Links.*`` are
parallel arrays); resource and scope are repeated on every row, as the exporter writes them.
What the exporter's schema has no column for is not written: whether a parent or a link is
remote, and the dropped counts.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson

from a2a_observe.store.clickhouse.values import text_map
from a2a_observe.store.rows import EVENT_COLUMNS, LINK_COLUMNS, LOG_COLUMNS, SPAN_COLUMNS, Batch, Row

SPAN_KINDS = {
    "UNSPECIFIED": "Unspecified",
    "INTERNAL": "Internal",
    "SERVER": "Server",
    "CLIENT": "Client",
    "PRODUCER": "Producer",
    "CONSUMER": "Consumer",
}
"""Our spelling to pdata's ``SpanKind.String()``, which the exporter stores."""
STATUS_CODES = {"UNSET": "Unset", "OK": "Ok", "ERROR": "Error"}

TRACE_COLUMNS = (
    "Timestamp",
    "TraceId",
    "SpanId",
    "ParentSpanId",
    "TraceState",
    "SpanName",
    "SpanKind",
    "ServiceName",
    "ResourceAttributes",
    "ScopeName",
    "ScopeVersion",
    "SpanAttributes",
    "Duration",
    "StatusCode",
    "StatusMessage",
    "Events.Timestamp",
    "Events.Name",
    "Events.Attributes",
    "Links.TraceId",
    "Links.SpanId",
    "Links.TraceState",
    "Links.Attributes",
)
LOGS_COLUMNS = (
    "Timestamp",
    "TraceId",
    "SpanId",
    "TraceFlags",
    "SeverityText",
    "SeverityNumber",
    "ServiceName",
    "Body",
    "ResourceSchemaUrl",
    "ResourceAttributes",
    "ScopeSchemaUrl",
    "ScopeName",
    "ScopeVersion",
    "ScopeAttributes",
    "LogAttributes",
    "EventName",
)

_S = {name: i for i, name in enumerate(SPAN_COLUMNS)}
_E = {name: i for i, name in enumerate(EVENT_COLUMNS)}
_K = {name: i for i, name in enumerate(LINK_COLUMNS)}
_L = {name: i for i, name in enumerate(LOG_COLUMNS)}


def timestamp(ns: int | None) -> str:
    """Nanoseconds since the epoch as DateTime64(9) text, exactly (a number would be seconds)."""
    ns = ns or 0
    return f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"


def _attributes(text: str | None) -> dict[str, str]:
    return text_map(orjson.loads(text)) if text else {}


class _Resources:
    def __init__(self, batch: Batch) -> None:
        self.rows = batch.resources
        self.maps: dict[str, dict[str, str]] = {}

    def attributes(self, resource_id: str) -> dict[str, str]:
        found = self.maps.get(resource_id)
        if found is None:
            row = self.rows.get(resource_id)
            found = self.maps[resource_id] = _attributes(row[2]) if row else {}
        return found

    def schema_url(self, resource_id: str) -> str:
        row = self.rows.get(resource_id)
        return str(row[3] or "") if row else ""


def _by_span(rows: list[Row], seq: int) -> dict[tuple[str, str], list[Row]]:
    grouped: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        grouped[(row[0], row[1])].append(row)
    for found in grouped.values():
        found.sort(key=lambda row: row[seq])
    return grouped


def trace_lines(batch: Batch) -> bytes:
    """The batch's spans as ``otel_traces`` rows (JSONEachRow)."""
    resources = _Resources(batch)
    events = _by_span(batch.rows("span_events"), _E["seq"])
    links = _by_span(batch.rows("span_links"), _K["seq"])
    out: list[bytes] = []
    for span in batch.rows("spans"):
        key = (span[_S["trace_id"]], span[_S["span_id"]])
        start, end = span[_S["start_ns"]], span[_S["end_ns"]]
        own_events = events.get(key, [])
        own_links = links.get(key, [])
        row: dict[str, Any] = {
            "Timestamp": timestamp(start),
            "TraceId": key[0],
            "SpanId": key[1],
            "ParentSpanId": span[_S["parent_span_id"]] or "",
            "TraceState": span[_S["trace_state"]] or "",
            "SpanName": span[_S["name"]],
            "SpanKind": SPAN_KINDS.get(span[_S["kind"]], "Unspecified"),
            "ServiceName": span[_S["service_name"]] or "",
            "ResourceAttributes": resources.attributes(span[_S["resource_id"]]),
            "ScopeName": span[_S["scope_name"]] or "",
            "ScopeVersion": span[_S["scope_version"]] or "",
            "SpanAttributes": _attributes(span[_S["attributes"]]),
            # UInt64: a span that ends before it starts (a skewed clock) is stored as zero long.
            "Duration": max(end - start, 0),
            "StatusCode": STATUS_CODES.get(span[_S["status_code"]], "Unset"),
            "StatusMessage": span[_S["status_message"]] or "",
            "Events.Timestamp": [timestamp(e[_E["time_ns"]]) for e in own_events],
            "Events.Name": [e[_E["name"]] for e in own_events],
            "Events.Attributes": [_attributes(e[_E["attributes"]]) for e in own_events],
            "Links.TraceId": [k[_K["linked_trace_id"]] or "" for k in own_links],
            "Links.SpanId": [k[_K["linked_span_id"]] or "" for k in own_links],
            "Links.TraceState": [k[_K["trace_state"]] or "" for k in own_links],
            "Links.Attributes": [_attributes(k[_K["attributes"]]) for k in own_links],
        }
        out.append(orjson.dumps(row))
    return b"\n".join(out)


def log_lines(batch: Batch) -> bytes:
    """The batch's log records as ``otel_logs`` rows (JSONEachRow)."""
    resources = _Resources(batch)
    out: list[bytes] = []
    for log in batch.rows("logs"):
        resource_id = log[_L["resource_id"]]
        row: dict[str, Any] = {
            "Timestamp": timestamp(log[_L["time_ns"]] or log[_L["observed_ns"]]),
            "TraceId": log[_L["trace_id"]] or "",
            "SpanId": log[_L["span_id"]] or "",
            "TraceFlags": log[_L["flags"]] & 255,
            "SeverityText": log[_L["severity_text"]] or "",
            "SeverityNumber": min(max(log[_L["severity_number"]] or 0, 0), 255),
            "ServiceName": log[_L["service_name"]] or "",
            "Body": log[_L["body"]] or "",
            "ResourceSchemaUrl": resources.schema_url(resource_id),
            "ResourceAttributes": resources.attributes(resource_id),
            "ScopeSchemaUrl": "",
            "ScopeName": log[_L["scope_name"]] or "",
            "ScopeVersion": log[_L["scope_version"]] or "",
            "ScopeAttributes": {},
            "LogAttributes": _attributes(log[_L["attributes"]]),
            "EventName": log[_L["event_name"]] or "",
        }
        out.append(orjson.dumps(row))
    return b"\n".join(out)
