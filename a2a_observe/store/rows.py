"""The row shapes of the store's tables and the one function per table that builds them.

The in-process exporter starts from SDK objects and the receiver from OTLP messages; both reduce
their input to plain Python values and then call the builders here, so a span stored by either
path is the same row, column for column.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from a2a_observe import semconv

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - the store extra installs it; the stdlib encoder is exact too
    _orjson = None  # type: ignore[assignment]

Row = tuple[Any, ...]

RESOURCE_COLUMNS = ("resource_id", "service_name", "attributes", "schema_url")
SPAN_COLUMNS = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "trace_state",
    "parent_is_remote",
    "name",
    "kind",
    "start_ns",
    "end_ns",
    "duration_ns",
    "status_code",
    "status_message",
    "resource_id",
    "service_name",
    "scope_name",
    "scope_version",
    "attributes",
    "dropped_attributes_count",
    "dropped_events_count",
    "dropped_links_count",
    "conversation_id",
    "task_id",
    "agent_name",
    "method",
    "task_state",
    "message_id",
    "error_type",
)
EVENT_COLUMNS = (
    "trace_id",
    "span_id",
    "seq",
    "time_ns",
    "name",
    "attributes",
    "dropped_attributes_count",
    "task_id",
    "task_state",
    "artifact_id",
    "message_id",
)
LINK_COLUMNS = (
    "trace_id",
    "span_id",
    "seq",
    "linked_trace_id",
    "linked_span_id",
    "trace_state",
    "is_remote",
    "attributes",
    "dropped_attributes_count",
)
BATCH_COLUMNS = ("batch_id", "received_ns", "source", "spans", "logs", "rejected")
LOG_COLUMNS = (
    "time_ns",
    "observed_ns",
    "severity_number",
    "severity_text",
    "body",
    "attributes",
    "trace_id",
    "span_id",
    "flags",
    "event_name",
    "resource_id",
    "service_name",
    "scope_name",
    "scope_version",
    "dropped_attributes_count",
    "conversation_id",
    "task_id",
)


@dataclass
class Batch:
    """Rows for one write, plus what was refused and why (for OTLP partial success)."""

    resources: dict[str, Row] = field(default_factory=dict)
    spans: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    links: list[Row] = field(default_factory=list)
    logs: list[Row] = field(default_factory=list)
    rejected_spans: int = 0
    rejected_logs: int = 0
    errors: list[str] = field(default_factory=list)

    def extend(self, other: Batch) -> None:
        self.resources.update(other.resources)
        self.spans.extend(other.spans)
        self.events.extend(other.events)
        self.links.extend(other.links)
        self.logs.extend(other.logs)
        self.rejected_spans += other.rejected_spans
        self.rejected_logs += other.rejected_logs
        self.errors.extend(other.errors)

    @property
    def records(self) -> int:
        return len(self.spans) + len(self.logs)


# --- values ----------------------------------------------------------------------------------
def _json_default(value: object) -> object:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, tuple | list):
        return list(value)
    return str(value)


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity; such floats are kept as their names, as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)
"""Built once: ``json.dumps`` with options builds a new encoder per call, a third of the cost."""
_STRICT_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_json_default
)


_SCALARS = frozenset((str, int, bool))
_FLAT = frozenset((str, int, bool, tuple, list))


def _orjson_safe(value: dict[Any, Any]) -> bool:
    """Whether orjson writes exactly what the standard encoder would.

    It does for strings (every code point was compared), integers, booleans and sequences of
    those, and sorts keys in the same code point order; it writes floats in another notation
    (``1e16`` for ``1e+16``) and NaN as ``null``, and serialises enums, dataclasses and str or
    int subclasses where ``_json_default`` would call ``str()``. So only flat attribute maps of
    the exact safe types take the fast path; orjson itself refuses non-string keys, lone
    surrogates and integers beyond 64 bits, which then take the standard path too.
    """
    kinds = set(map(type, value.values()))
    if kinds <= _SCALARS:
        return True
    if not kinds <= _FLAT:
        return False
    for item in value.values():
        if (type(item) is tuple or type(item) is list) and not set(map(type, item)) <= _SCALARS:
            return False
    return True


def json_text(value: Any) -> str:
    """Canonical JSON (sorted keys, compact), so equal attributes are equal text."""
    if _orjson is not None and type(value) is dict and _orjson_safe(value):
        try:
            return _orjson.dumps(value, option=_orjson.OPT_SORT_KEYS).decode()
        except _orjson.JSONEncodeError:
            pass
    try:
        return _STRICT_ENCODER.encode(value)
    except ValueError:
        return _ENCODER.encode(_finite(value))


def plain_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The SDK's attribute mappings wrap a dict; encoding that dict saves a copy per record."""
    if type(attributes) is dict:
        return attributes
    inner = getattr(attributes, "_dict", None)
    return inner if isinstance(inner, dict) else dict(attributes)


def body_text(value: Any) -> str | None:
    """A log body: strings as they are, anything else as JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json_text(value)


def _text(value: Any) -> str | None:
    """A promoted column: only scalar attributes make sense there."""
    if type(value) is str:
        return value
    if value is None or isinstance(value, list | tuple | dict | Mapping):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def trace_id_hex(value: int) -> str | None:
    return f"{value:032x}" if value else None


def span_id_hex(value: int) -> str | None:
    return f"{value:016x}" if value else None


# --- builders --------------------------------------------------------------------------------
def resource_row(attributes: Mapping[str, Any], schema_url: str | None) -> Row:
    attrs = json_text(plain_attributes(attributes))
    digest = hashlib.blake2b(f"{schema_url or ''}\n{attrs}".encode(), digest_size=8).hexdigest()
    return (digest, _text(attributes.get(semconv.SERVICE_NAME)), attrs, schema_url or None)


def span_row(
    *,
    trace_id: str,
    span_id: str,
    parent_span_id: str | None,
    trace_state: str | None,
    parent_is_remote: bool | None,
    name: str,
    kind: str,
    start_ns: int,
    end_ns: int,
    status_code: str,
    status_message: str | None,
    resource: Row,
    scope_name: str | None,
    scope_version: str | None,
    attributes: Mapping[str, Any],
    dropped_attributes_count: int,
    dropped_events_count: int,
    dropped_links_count: int,
) -> Row:
    get = attributes.get
    return (
        trace_id,
        span_id,
        parent_span_id,
        trace_state or None,
        parent_is_remote,
        name,
        kind,
        start_ns,
        end_ns,
        end_ns - start_ns if end_ns and start_ns else None,
        status_code,
        status_message or None,
        resource[0],
        resource[1],
        scope_name or None,
        scope_version or None,
        json_text(plain_attributes(attributes)),
        dropped_attributes_count,
        dropped_events_count,
        dropped_links_count,
        _text(get(semconv.GEN_AI_CONVERSATION_ID)),
        _text(get(semconv.A2A_TASK_ID)),
        _text(get(semconv.GEN_AI_AGENT_NAME)),
        _text(get(semconv.A2A_METHOD_NAME)),
        _text(get(semconv.A2A_TASK_STATE)),
        _text(get(semconv.A2A_MESSAGE_ID)),
        _text(get(semconv.ERROR_TYPE)),
    )


def event_row(
    trace_id: str,
    span_id: str,
    seq: int,
    time_ns: int,
    name: str,
    attributes: Mapping[str, Any],
    dropped_attributes_count: int,
) -> Row:
    get = attributes.get
    return (
        trace_id,
        span_id,
        seq,
        time_ns,
        name,
        json_text(plain_attributes(attributes)),
        dropped_attributes_count,
        _text(get(semconv.A2A_TASK_ID)),
        _text(get(semconv.A2A_TASK_STATE)),
        _text(get(semconv.A2A_ARTIFACT_ID)),
        _text(get(semconv.A2A_MESSAGE_ID)),
    )


def link_row(
    trace_id: str,
    span_id: str,
    seq: int,
    linked_trace_id: str | None,
    linked_span_id: str | None,
    trace_state: str | None,
    is_remote: bool | None,
    attributes: Mapping[str, Any],
    dropped_attributes_count: int,
) -> Row:
    return (
        trace_id,
        span_id,
        seq,
        linked_trace_id,
        linked_span_id,
        trace_state or None,
        is_remote,
        json_text(plain_attributes(attributes)),
        dropped_attributes_count,
    )


def log_row(
    *,
    time_ns: int | None,
    observed_ns: int | None,
    severity_number: int | None,
    severity_text: str | None,
    body: Any,
    attributes: Mapping[str, Any],
    trace_id: str | None,
    span_id: str | None,
    flags: int,
    event_name: str | None,
    resource: Row,
    scope_name: str | None,
    scope_version: str | None,
    dropped_attributes_count: int,
) -> Row:
    get = attributes.get
    return (
        time_ns or observed_ns or None,
        observed_ns or None,
        severity_number or None,
        severity_text or None,
        body_text(body),
        json_text(plain_attributes(attributes)),
        trace_id,
        span_id,
        flags & 0xFF,
        event_name or None,
        resource[0],
        resource[1],
        scope_name or None,
        scope_version or None,
        dropped_attributes_count,
        _text(get(semconv.GEN_AI_CONVERSATION_ID)),
        _text(get(semconv.A2A_TASK_ID)),
    )
