"""OTLP/HTTP request bodies in, OTLP responses out, as the OTLP specification has them.

Everything that can be wrong with a body (compression, size, encoding, schema) is found here
and reported as a :class:`PayloadError` whose message says what is wrong and where, so the
sender's logs tell its operator what to fix. Records that are individually unusable are refused
one by one (partial success) and the rest of the request is kept.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from dataclasses import dataclass
from typing import Any, Literal

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsPartialSuccess,
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from a2a_observe.store.otlp_columns import traces_batch
from a2a_observe.store.otlp_rows import logs_batch, metrics_batch
from a2a_observe.store.rows import Batch

Signal = Literal["traces", "logs", "metrics"]
PROTOBUF = "application/x-protobuf"
JSON = "application/json"

DEFAULT_MAX_BODY = 16 * 1024 * 1024
"""Bytes of a request body as sent (compressed or not)."""
DEFAULT_MAX_DECOMPRESSED = 64 * 1024 * 1024
"""Bytes of a body once decompressed: a small gzip body must not become gigabytes in memory."""

MAX_NESTING = 64
"""Levels of arrays and objects in an OTLP/JSON body. The request's own structure takes about
ten, and each level of a map inside an attribute value four more, so attribute values may nest a
dozen maps deep; deeper bodies are refused before parsing."""
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")

# google.rpc.Code values used in error bodies
CODE_INVALID_ARGUMENT = 3
CODE_RESOURCE_EXHAUSTED = 8
CODE_UNAVAILABLE = 14
CODE_UNAUTHENTICATED = 16


class PayloadError(Exception):
    """A request that cannot be used at all: the HTTP status to answer and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __reduce__(self) -> tuple[type[PayloadError], tuple[int, str]]:
        """Decoder processes hand it back to the receiver pickled."""
        return PayloadError, (self.status, self.message)


@dataclass(frozen=True)
class Limits:
    max_body: int = DEFAULT_MAX_BODY
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED


def media_type(content_type: str | None) -> str | None:
    """``application/json; charset=utf-8`` → ``application/json``; None if we cannot read it."""
    value = (content_type or "").split(";", 1)[0].strip().lower()
    return value if value in (PROTOBUF, JSON) else None


def decompress(body: bytes, encoding: str | None, limits: Limits) -> bytes:
    coding = (encoding or "identity").strip().lower()
    if coding in ("identity", ""):
        if len(body) > limits.max_decompressed:
            raise PayloadError(
                413, f"body of {len(body)} bytes exceeds the limit of {limits.max_decompressed}"
            )
        return body
    if coding not in ("gzip", "deflate"):
        raise PayloadError(415, f"Content-Encoding {encoding!r} is not supported; use gzip or none")
    wbits = 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, limits.max_decompressed + 1)
    except zlib.error as exc:
        raise PayloadError(400, f"body is not valid {coding} data: {exc}") from exc
    if len(out) > limits.max_decompressed or inflater.unconsumed_tail:
        raise PayloadError(413, f"decompressed body exceeds the limit of {limits.max_decompressed} bytes")
    if not inflater.eof:
        raise PayloadError(400, f"{coding} body is truncated: it ends after {len(body)} bytes, mid-stream")
    return out


# --- JSON ------------------------------------------------------------------------------------
_ID_KEYS = {"traceId": 16, "trace_id": 16, "spanId": 8, "span_id": 8, "parentSpanId": 8, "parent_span_id": 8}


def _items(container: Any, *keys: str) -> list[Any]:
    if not isinstance(container, dict):
        return []
    for key in keys:
        value = container.get(key)
        if isinstance(value, list):
            return value
    return []


def _ids_to_base64(record: Any) -> str | None:
    """OTLP/JSON spells ids in hex, protobuf's JSON mapping wants base64; None or what is wrong."""
    if not isinstance(record, dict):
        return None
    for key, size in _ID_KEYS.items():
        value = record.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            return f"{key} must be a hex string, got {type(value).__name__}"
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            return f"{key} {value[:40]!r} is not hex"
        if len(raw) != size:
            return f"{key} must be {size} bytes ({size * 2} hex digits), got {len(raw)}"
        record[key] = base64.b64encode(raw).decode("ascii")
    return None


def _exemplar_ids(node: Any) -> None:
    """Exemplars of metric points carry ids too; one that is unusable is dropped (they are
    optional), never the point."""
    if isinstance(node, list):
        for item in node:
            _exemplar_ids(item)
    elif isinstance(node, dict):
        for exemplar in _items(node, "exemplars"):
            if isinstance(exemplar, dict) and _ids_to_base64(exemplar) is not None:
                for key in ("traceId", "trace_id", "spanId", "span_id"):
                    exemplar.pop(key, None)
        for value in node.values():
            if isinstance(value, dict | list):
                _exemplar_ids(value)


def _prepare_json(data: Any, signal: Signal) -> tuple[int, list[str]]:
    """Convert ids in place; records whose ids are unusable are taken out and named."""
    refused: list[str] = []
    if signal == "metrics":
        _exemplar_ids(data)
        return 0, refused
    top, scopes, items = (
        ("resourceSpans", "scopeSpans", "spans")
        if signal == "traces"
        else ("resourceLogs", "scopeLogs", "logRecords")
    )
    snake = {"resourceSpans": "resource_spans", "scopeSpans": "scope_spans", "spans": "spans"}
    snake |= {"resourceLogs": "resource_logs", "scopeLogs": "scope_logs", "logRecords": "log_records"}
    for ri, resource in enumerate(_items(data, top, snake[top])):
        for si, scope in enumerate(_items(resource, scopes, snake[scopes])):
            records = _items(scope, items, snake[items])
            keep = []
            for pi, record in enumerate(records):
                problem = _ids_to_base64(record)
                for li, link in enumerate(_items(record, "links")):
                    problem = problem or (
                        f"links[{li}]: {found}" if (found := _ids_to_base64(link)) is not None else None
                    )
                if problem is None:
                    keep.append(record)
                else:
                    refused.append(f"{top}[{ri}].{scopes}[{si}].{items}[{pi}]: {problem}")
            records[:] = keep
    return len(refused), refused


def _nesting(text: bytes) -> int:
    """How deeply the JSON text nests arrays and objects (brackets inside strings are skipped).

    Checked before parsing: the standard parser and protobuf's JSON mapping recurse once per
    level, and a body of a few kilobytes of ``[`` would otherwise exhaust the interpreter's stack."""
    stripped = _JSON_STRING.sub(b'""', text)
    depth = deepest = 0
    for byte in stripped.translate(None, _NOT_BRACKETS):
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _parse_json(text: bytes, request: Message, signal: Signal) -> tuple[int, list[str]]:
    if (depth := _nesting(text)) > MAX_NESTING:
        raise PayloadError(400, f"JSON body nests {depth} levels deep; at most {MAX_NESTING} are accepted")
    try:
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        raise PayloadError(400, f"JSON body is not UTF-8: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise PayloadError(
            400, f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} (byte {exc.pos})"
        ) from exc
    if not isinstance(data, dict):
        raise PayloadError(400, f"JSON body must be an object, got {type(data).__name__}")
    refused = _prepare_json(data, signal)
    try:
        json_format.ParseDict(data, request, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise PayloadError(400, f"JSON body does not match {type(request).__name__}: {exc}") from exc
    return refused


# --- decoding --------------------------------------------------------------------------------
def parse_request(body: bytes, fmt: str, signal: Signal) -> tuple[Message, int, list[str]]:
    """The request message, plus records refused before parsing (bad ids in JSON)."""
    request: Message
    if signal == "traces":
        request = ExportTraceServiceRequest()
    elif signal == "metrics":
        request = ExportMetricsServiceRequest()
    else:
        request = ExportLogsServiceRequest()
    if fmt == JSON:
        refused, notes = _parse_json(body, request, signal)
        return request, refused, notes
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise PayloadError(
            400,
            f"body of {len(body)} bytes is not a valid {type(request).__name__} protobuf "
            f"(truncated or not protobuf): {exc}",
        ) from exc
    return request, 0, []


def batch_from(request: Message, signal: Signal, refused: int = 0, notes: list[str] | None = None) -> Batch:
    if signal == "traces":
        assert isinstance(request, ExportTraceServiceRequest)
        batch = traces_batch(request)
        batch.rejected_spans += refused
    elif signal == "metrics":
        assert isinstance(request, ExportMetricsServiceRequest)
        batch = metrics_batch(request)
    else:
        assert isinstance(request, ExportLogsServiceRequest)
        batch = logs_batch(request)
        batch.rejected_logs += refused
    if notes:
        batch.errors[:0] = notes
    return batch


def decode(
    body: bytes, content_type: str | None, content_encoding: str | None, signal: Signal, limits: Limits
) -> Batch:
    """The batch to store; every problem with the body is a :class:`PayloadError` (4xx).

    Whatever a sender puts in a body is its own problem, never the collector's: a failure this
    code did not foresee is still answered 400, naming the exception, and never a 500."""
    fmt = media_type(content_type)
    if fmt is None:
        raise PayloadError(415, f"Content-Type {content_type!r} is not supported; use {PROTOBUF} or {JSON}")
    return decode_document(decompress(body, content_encoding, limits), fmt, signal)


def decode_document(raw: bytes, fmt: str, signal: Signal) -> Batch:
    """The batch of one uncompressed request body (the receiver's, or a line of a file)."""
    try:
        request, refused, notes = parse_request(raw, fmt, signal)
        return batch_from(request, signal, refused, notes)
    except PayloadError:
        raise
    except RecursionError as exc:
        raise PayloadError(400, f"body nests too many levels deep to decode (at most {MAX_NESTING})") from exc
    except Exception as exc:  # a body we cannot read is the sender's 400, never our 500
        raise PayloadError(400, f"body could not be decoded: {type(exc).__name__}: {exc}") from exc


# --- responses -------------------------------------------------------------------------------
def _encode(message: Message, fmt: str) -> bytes:
    if fmt == JSON:
        return str(json_format.MessageToJson(message, indent=None)).encode()
    return bytes(message.SerializeToString())


def success_body(batch: Batch, signal: Signal, fmt: str) -> bytes:
    message = "; ".join(batch.errors)
    response: Message
    if signal == "traces":
        response = ExportTraceServiceResponse()
        if batch.rejected_spans or message:
            response.partial_success.CopyFrom(
                ExportTracePartialSuccess(rejected_spans=batch.rejected_spans, error_message=message)
            )
    elif signal == "metrics":
        response = ExportMetricsServiceResponse()
        if batch.rejected_points or message:
            response.partial_success.CopyFrom(
                ExportMetricsPartialSuccess(rejected_data_points=batch.rejected_points, error_message=message)
            )
    else:
        response = ExportLogsServiceResponse()
        if batch.rejected_logs or message:
            response.partial_success.CopyFrom(
                ExportLogsPartialSuccess(rejected_log_records=batch.rejected_logs, error_message=message)
            )
    return _encode(response, fmt)


def status_body(code: int, message: str, fmt: str) -> bytes:
    return _encode(status_pb2.Status(code=code, message=message), fmt)
