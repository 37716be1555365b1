"""Property-based fuzzing of the receiver with hostile OTLP bodies, protobuf and JSON.

Whatever the body, the collector answers with a status a sender can act on (200, possibly with
partial success, or a 4xx that says what is wrong), never a 5xx and never a crash, and a valid
request sent afterwards is still stored. The examples are bounded so the suite takes seconds.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from google.protobuf import json_format
from google.rpc import status_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from a2a_observe.collect.otlp import JSON, PROTOBUF, Limits
from a2a_observe.collect.receiver import ReceiverSettings
from a2a_observe.store import open_snapshot
from tests.support.store import post, receiver_in_thread

EXAMPLES = int(os.environ.get("A2A_OBSERVE_FUZZ_EXAMPLES", "80"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ANSWERS = {200, 400, 413, 415}

u64 = st.one_of(
    st.sampled_from([0, 1, 2**31, 2**32 - 1, 2**63 - 1, 2**63, 2**64 - 1]), st.integers(0, 2**64 - 1)
)
u32 = st.one_of(st.sampled_from([0, 2**31 - 1, 2**31, 2**32 - 1]), st.integers(0, 2**32 - 1))
i32 = st.integers(-(2**31), 2**31 - 1)
hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["[/]", "[link=javascript:alert(1)]x[/link]", "\x1b]52;c;SGVsbG8=\x07", "\x00", "%%{init}%%"]
    ),
)
ids = st.one_of(
    st.binary(min_size=0, max_size=20), st.sampled_from([b"\x00" * 16, b"\x00" * 8, b"\x01" * 16])
)


def _any_value() -> st.SearchStrategy[AnyValue]:
    leaves = st.one_of(
        hostile_text.map(lambda v: AnyValue(string_value=v)),
        st.integers(-(2**63), 2**63 - 1).map(lambda v: AnyValue(int_value=v)),
        st.floats(allow_nan=True, allow_infinity=True).map(lambda v: AnyValue(double_value=v)),
        st.booleans().map(lambda v: AnyValue(bool_value=v)),
        st.binary(max_size=20).map(lambda v: AnyValue(bytes_value=v)),
        st.just(AnyValue()),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(lambda vs: AnyValue(array_value=ArrayValue(values=vs))),
            st.lists(st.tuples(hostile_text, inner), max_size=4).map(
                lambda kvs: AnyValue(
                    kvlist_value=KeyValueList(values=[KeyValue(key=k, value=v) for k, v in kvs])
                )
            ),
        ),
        max_leaves=12,
    )


attributes = st.lists(st.tuples(hostile_text, _any_value()), max_size=5).map(
    lambda kvs: [KeyValue(key=k, value=v) for k, v in kvs]
)


@st.composite
def spans(draw: st.DrawFn) -> Span:
    span = Span(
        trace_id=draw(ids),
        span_id=draw(ids),
        parent_span_id=draw(ids),
        trace_state=draw(hostile_text),
        name=draw(hostile_text),
        kind=draw(st.one_of(st.integers(0, 5), i32)),
        start_time_unix_nano=draw(u64),
        end_time_unix_nano=draw(u64),
        dropped_attributes_count=draw(u32),
        dropped_events_count=draw(u32),
        dropped_links_count=draw(u32),
        flags=draw(u32),
        status=Status(code=draw(st.one_of(st.integers(0, 2), i32)), message=draw(hostile_text)),
    )
    span.attributes.extend(draw(attributes))
    for _ in range(draw(st.integers(0, 2))):
        event = span.events.add(time_unix_nano=draw(u64), name=draw(hostile_text))
        event.attributes.extend(draw(attributes))
        event.dropped_attributes_count = draw(u32)
    for _ in range(draw(st.integers(0, 1))):
        link = span.links.add(trace_id=draw(ids), span_id=draw(ids), flags=draw(u32))
        link.attributes.extend(draw(attributes))
    return span


@st.composite
def trace_requests(draw: st.DrawFn) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for _ in range(draw(st.integers(0, 2))):
        resource = Resource(attributes=draw(attributes), dropped_attributes_count=draw(u32))
        scopes = [
            ScopeSpans(spans=draw(st.lists(spans(), max_size=3))) for _ in range(draw(st.integers(0, 2)))
        ]
        request.resource_spans.append(
            ResourceSpans(resource=resource, scope_spans=scopes, schema_url=draw(hostile_text))
        )
    return request


@st.composite
def log_requests(draw: st.DrawFn) -> ExportLogsServiceRequest:
    records = [
        LogRecord(
            time_unix_nano=draw(u64),
            observed_time_unix_nano=draw(u64),
            severity_number=draw(st.one_of(st.integers(0, 24), i32)),
            severity_text=draw(hostile_text),
            body=draw(_any_value()),
            attributes=draw(attributes),
            trace_id=draw(ids),
            span_id=draw(ids),
            flags=draw(u32),
            event_name=draw(hostile_text),
            dropped_attributes_count=draw(u32),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    return ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=Resource(attributes=draw(attributes)), scope_logs=[ScopeLogs(log_records=records)]
            )
        ]
    )


def _hex_ids(data: object) -> object:
    """OTLP/JSON spells ids in hex where protobuf's JSON mapping has base64."""
    if isinstance(data, dict):
        return {
            k: base64.b64decode(v).hex()
            if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str)
            else _hex_ids(v)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_hex_ids(v) for v in data]
    return data


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False),
        hostile_text,
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)),
    max_leaves=10,
)
KEYS = [
    "resourceSpans",
    "scopeSpans",
    "spans",
    "traceId",
    "spanId",
    "name",
    "attributes",
    "key",
    "value",
    "stringValue",
    "intValue",
    "arrayValue",
    "kvlistValue",
    "values",
    "startTimeUnixNano",
    "events",
    "links",
    "status",
    "resourceLogs",
    "scopeLogs",
    "logRecords",
    "body",
    "resource",
]


def _mutate(data: object, draw: st.DrawFn) -> object:
    """Replace one value somewhere in a document with something of any type."""
    if isinstance(data, dict) and data and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(data)))
        return {**data, key: _mutate(data[key], draw)}
    if isinstance(data, list) and data and draw(st.booleans()):
        index = draw(st.integers(0, len(data) - 1))
        return [*data[:index], _mutate(data[index], draw), *data[index + 1 :]]
    return draw(st.one_of(json_values, st.dictionaries(st.sampled_from(KEYS), json_values, max_size=3)))


@st.composite
def json_bodies(draw: st.DrawFn) -> bytes:
    request = draw(trace_requests())
    document = _hex_ids(json_format.MessageToDict(request))
    for _ in range(draw(st.integers(0, 3))):
        document = _mutate(document, draw)
    return json.dumps(document).encode()


@st.composite
def corrupted_protobuf(draw: st.DrawFn) -> bytes:
    body = bytearray(draw(trace_requests()).SerializeToString())
    for _ in range(draw(st.integers(1, 4))):
        if not body:
            break
        index = draw(st.integers(0, len(body) - 1))
        body[index] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(body)))
    return bytes(body[:cut] if draw(st.booleans()) else body)


RESPONSES = {
    "/v1/traces": ExportTraceServiceResponse,
    "/v1/logs": ExportLogsServiceResponse,
    "/v1/metrics": ExportMetricsServiceResponse,
}

CANARY = ExportTraceServiceRequest(
    resource_spans=[
        ResourceSpans(
            scope_spans=[
                ScopeSpans(
                    spans=[
                        Span(
                            trace_id=b"\x0c" * 16,
                            span_id=b"\x0d" * 8,
                            name="canary",
                            start_time_unix_nano=1,
                            end_time_unix_nano=2,
                        )
                    ]
                )
            ]
        )
    ]
).SerializeToString()


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory):
    db = Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.duckdb"
    settings_ = ReceiverSettings(limits=Limits(max_body=256 * 1024, max_decompressed=1024 * 1024))
    with receiver_in_thread(db, settings_) as running:
        yield running
        url, writer = running
        assert post(f"{url}/v1/traces", CANARY)[0] == 200
        con = open_snapshot(writer.path)
        # Every stored row is readable, and the canary sent after all the fuzz is there.
        assert con.execute("SELECT count(*) FROM spans WHERE name = 'canary'").fetchone() == (1,)
        con.execute("SELECT * FROM conversations").fetchall()
        con.execute("SELECT * FROM messages").fetchall()


def _check_answer(status: int, reply: bytes, fmt: str, response_type: type) -> None:
    assert status in ANSWERS, (status, reply[:300])
    if status == 200:
        response = response_type()
        if fmt == JSON:
            json_format.Parse(reply, response)
        else:
            response.ParseFromString(reply)
    else:
        answer = status_pb2.Status()
        if fmt == JSON:
            json_format.Parse(reply, answer)
        else:
            answer.ParseFromString(reply)
        assert answer.message


@FUZZ
@given(request=trace_requests())
def test_any_protobuf_trace_request_gets_a_clear_answer(
    collector, request: ExportTraceServiceRequest
) -> None:
    url, _ = collector
    status, _, reply = post(f"{url}/v1/traces", request.SerializeToString())
    _check_answer(status, reply, PROTOBUF, ExportTraceServiceResponse)


@FUZZ
@given(request=log_requests())
def test_any_protobuf_log_request_gets_a_clear_answer(collector, request: ExportLogsServiceRequest) -> None:
    url, _ = collector
    status, _, reply = post(f"{url}/v1/logs", request.SerializeToString())
    _check_answer(status, reply, PROTOBUF, ExportLogsServiceResponse)


@FUZZ
@given(body=corrupted_protobuf())
def test_corrupted_protobuf_gets_a_clear_answer(collector, body: bytes) -> None:
    url, _ = collector
    status, _, reply = post(f"{url}/v1/traces", body)
    _check_answer(status, reply, PROTOBUF, ExportTraceServiceResponse)


@FUZZ
@given(body=json_bodies())
def test_mangled_otlp_json_gets_a_clear_answer(collector, body: bytes) -> None:
    url, _ = collector
    status, _, reply = post(f"{url}/v1/traces", body, JSON)
    _check_answer(status, reply, JSON, ExportTraceServiceResponse)


@FUZZ
@given(body=st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())))
def test_arbitrary_bytes_get_a_clear_answer(collector, body: bytes) -> None:
    url, _ = collector
    for path, fmt in (("/v1/traces", JSON), ("/v1/logs", PROTOBUF), ("/v1/metrics", PROTOBUF)):
        status, _, reply = post(f"{url}{path}", body, fmt)
        _check_answer(status, reply, fmt, RESPONSES[path])
