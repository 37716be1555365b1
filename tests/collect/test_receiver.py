"""The OTLP/HTTP receiver: what real OTLP exporters send lands in the store exactly as the
in-process exporter writes it, and every kind of bad request gets the answer the OTLP
specification asks for without touching what is already stored."""

from __future__ import annotations

import gzip
import json
import threading
from pathlib import Path

import pytest
from google.protobuf import json_format
from google.rpc import status_pb2
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from a2a_observe import semconv
from a2a_observe.collect.otlp import JSON, Limits
from a2a_observe.collect.receiver import ReceiverSettings
from a2a_observe.store import DuckDBLogExporter, DuckDBSpanExporter, open_snapshot
from tests.support.store import (
    SCENARIO_SPANS,
    post,
    receiver_in_thread,
    run_scenario,
    start_agents,
    table_rows,
    tap,
)

STORED_TABLES = ("resources", "spans", "span_events", "span_links")


def _sample_spans(count: int = 3, events: int = 1):
    provider = TracerProvider(resource=Resource.create({semconv.SERVICE_NAME: "sample"}))
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("sample")
    for index in range(count):
        with tracer.start_as_current_span(
            f"span {index}", attributes={semconv.A2A_TASK_ID: f"t{index}"}
        ) as span:
            for e in range(events):
                span.add_event(semconv.EVENT_TASK_STATUS, {semconv.A2A_TASK_STATE: f"s{e}"})
    return list(memory.get_finished_spans())


def _protobuf(spans) -> bytes:
    return encode_spans(spans).SerializeToString()


def _otlp_json(spans) -> dict:
    """OTLP/JSON as the spec spells it: ids in hex, not protobuf JSON's base64."""
    data = json_format.MessageToDict(encode_spans(spans))
    for resource in data["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = __import__("base64").b64decode(span[key]).hex()
    return data


def _status(body: bytes, content_type: str = "application/x-protobuf") -> str:
    status = status_pb2.Status()
    if content_type == JSON:
        json_format.Parse(body, status)
    else:
        status.ParseFromString(body)
    return status.message


def test_real_agents_through_otlp_and_in_process_give_identical_rows(tracer_provider, tmp_path: Path) -> None:
    direct_db, received_db = tmp_path / "direct.duckdb", tmp_path / "received.duckdb"
    agents = start_agents()
    try:
        with receiver_in_thread(received_db) as (url, _):
            memory = InMemorySpanExporter()
            otlp = OTLPSpanExporter(endpoint=f"{url}/v1/traces", compression=Compression.Gzip)
            with tap(tracer_provider).plugged(
                SimpleSpanProcessor(memory),
                BatchSpanProcessor(DuckDBSpanExporter(direct_db), schedule_delay_millis=50),
                BatchSpanProcessor(otlp, schedule_delay_millis=50),
            ):
                run_scenario(agents)
                while len(memory.get_finished_spans()) < SCENARIO_SPANS:
                    threading.Event().wait(0.02)

            loggers = LoggerProvider(resource=Resource.create({semconv.SERVICE_NAME: "logs"}))
            loggers.add_log_record_processor(BatchLogRecordProcessor(DuckDBLogExporter(direct_db)))
            loggers.add_log_record_processor(
                BatchLogRecordProcessor(
                    OTLPLogExporter(endpoint=f"{url}/v1/logs", compression=Compression.Gzip)
                )
            )
            logger = loggers.get_logger("agent", "1.2")
            logger.emit(body="plain text", severity_number=SeverityNumber.INFO, severity_text="INFO")
            logger.emit(
                body={"nested": [1, 2.5, True, None]},
                attributes={semconv.GEN_AI_CONVERSATION_ID: "ctx", "bytes": b"\x00\x01"},
                event_name="plan",
            )
            loggers.shutdown()
            received = open_snapshot(received_db)
        direct = open_snapshot(direct_db)
        for table in (*STORED_TABLES, "logs"):
            assert table_rows(received, table) == table_rows(direct, table), table
        assert direct.execute("SELECT count(*) FROM spans").fetchone() == (SCENARIO_SPANS,)
        assert direct.execute("SELECT count(*) FROM logs").fetchone() == (2,)
        for view in ("conversations", "tasks", "task_transitions", "messages", "artifacts", "agents"):
            assert table_rows(received, view) == table_rows(direct, view), view
    finally:
        agents.stop()


def test_otlp_json_and_protobuf_store_the_same_rows(tmp_path: Path) -> None:
    spans = _sample_spans()
    rows = []
    for name, body, content_type in (
        ("pb", _protobuf(spans), "application/x-protobuf"),
        ("json", json.dumps(_otlp_json(spans)).encode(), "application/json; charset=utf-8"),
    ):
        with receiver_in_thread(tmp_path / f"{name}.duckdb") as (url, writer):
            status, headers, reply = post(
                f"{url}/v1/traces", gzip.compress(body), content_type, **{"Content-Encoding": "gzip"}
            )
            assert status == 200, reply
            assert headers["content-type"].startswith(content_type.split(";")[0])
            rows.append({t: table_rows(open_snapshot(writer.path), t) for t in STORED_TABLES})
    assert rows[0] == rows[1]
    assert len(rows[0]["spans"]) == 3


@pytest.fixture
def receiver(tmp_path: Path):
    settings = ReceiverSettings(limits=Limits(max_body=64 * 1024, max_decompressed=256 * 1024))
    with receiver_in_thread(tmp_path / "r.duckdb", settings) as running:
        url, _ = running
        status, _, _ = post(f"{url}/v1/traces", _protobuf(_sample_spans(2)))
        assert status == 200
        yield running


def _stored(writer) -> dict:
    con = open_snapshot(writer.path)
    return {t: table_rows(con, t) for t in STORED_TABLES}


BAD_REQUESTS = [
    pytest.param(
        b"\xff\xfe not protobuf", {}, 400, "not a valid ExportTraceServiceRequest", id="garbage-protobuf"
    ),
    pytest.param(b"{not json", {"Content-Type": JSON}, 400, "not valid JSON", id="malformed-json"),
    pytest.param(b"[1, 2]", {"Content-Type": JSON}, 400, "must be an object", id="json-array"),
    pytest.param(
        b'{"resourceSpans": "everything"}',
        {"Content-Type": JSON},
        400,
        "resourceSpans",
        id="wrongly-typed-json",
    ),
    pytest.param(
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 5, "startTimeUnixNano": "soon"}]}]}]}',
        {"Content-Type": JSON},
        400,
        "spans field: Failed to parse name field",
        id="wrongly-typed-field",
    ),
    pytest.param(
        b"\x00" * 10, {"Content-Type": "text/plain"}, 415, "Content-Type 'text/plain'", id="media-type"
    ),
    pytest.param(b"abc", {"Content-Encoding": "br"}, 415, "Content-Encoding 'br'", id="encoding"),
    pytest.param(b"not gzip at all", {"Content-Encoding": "gzip"}, 400, "not valid gzip", id="bad-gzip"),
    pytest.param(b"x" * (65 * 1024), {}, 413, "exceeds the limit of 65536", id="oversized"),
    pytest.param(
        gzip.compress(b"\x00" * (300 * 1024)),
        {"Content-Encoding": "gzip"},
        413,
        "decompressed",
        id="gzip-bomb",
    ),
]


@pytest.mark.parametrize(("body", "headers", "status", "message"), BAD_REQUESTS)
def test_bad_requests_get_a_clear_status_and_change_nothing(receiver, body, headers, status, message) -> None:
    url, writer = receiver
    before = _stored(writer)
    content_type = headers.pop("Content-Type", "application/x-protobuf")
    got, _, reply = post(f"{url}/v1/traces", body, content_type, **headers)
    assert got == status
    expected_type = content_type if content_type == JSON else "application/x-protobuf"
    assert message in _status(reply, expected_type)
    assert _stored(writer) == before


def test_truncated_payloads_are_refused_whole(receiver) -> None:
    url, writer = receiver
    before = _stored(writer)
    body = _protobuf(_sample_spans(5, events=3))
    status, _, reply = post(f"{url}/v1/traces", body[: len(body) - 7])
    assert status == 400
    assert "truncated or not protobuf" in _status(reply)
    zipped = gzip.compress(body)
    status, _, reply = post(f"{url}/v1/traces", zipped[: len(zipped) // 2], **{"Content-Encoding": "gzip"})
    assert status == 400
    assert "truncated" in _status(reply)
    assert _stored(writer) == before


def test_unusable_spans_are_refused_one_by_one_and_the_rest_is_kept(receiver) -> None:
    url, writer = receiver
    spans = _sample_spans(4)
    request = encode_spans(spans)
    request.resource_spans[0].scope_spans[0].spans[1].trace_id = b"\x01\x02\x03"
    request.resource_spans[0].scope_spans[0].spans[2].span_id = b"\x00" * 8
    status, _, reply = post(f"{url}/v1/traces", request.SerializeToString())
    assert status == 200
    response = ExportTraceServiceResponse()
    response.ParseFromString(reply)
    assert response.partial_success.rejected_spans == 2
    assert "spans[1]: traceId must be 16 bytes, got 3" in response.partial_success.error_message
    assert "spans[2]: spanId is all zeroes" in response.partial_success.error_message
    ours = {f"{s.context.span_id:016x}" for s in spans}
    names = {row[5] for row in _stored(writer)["spans"] if row[1] in ours}
    assert names == {"span 0", "span 3"}

    data = _otlp_json(_sample_spans(2))
    data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["spanId"] = "zz-not-hex"
    status, _, reply = post(f"{url}/v1/traces", json.dumps(data).encode(), JSON)
    assert status == 200
    partial = json.loads(reply)["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "spans[0]: spanId 'zz-not-hex' is not hex" in partial["errorMessage"]


def test_a_bearer_token_is_required_when_set(tmp_path: Path) -> None:
    body = _protobuf(_sample_spans(1))
    with receiver_in_thread(tmp_path / "t.duckdb", ReceiverSettings(token="s3cret")) as (url, writer):
        status, headers, reply = post(f"{url}/v1/traces", body)
        assert status == 401
        assert headers["www-authenticate"].startswith("Bearer")
        assert "missing Authorization" in _status(reply)
        status, _, reply = post(f"{url}/v1/traces", body, Authorization="Bearer wrong")
        assert (status, "wrong bearer token" in _status(reply)) == (401, True)
        status, _, _ = post(f"{url}/v1/traces", body, Authorization="Bearer s3cret")
        assert status == 200
        assert len(_stored(writer)["spans"]) == 1


def test_a_full_queue_answers_429_with_retry_after_and_loses_nothing_acknowledged(tmp_path: Path) -> None:
    with receiver_in_thread(tmp_path / "q.duckdb", max_pending=1) as (url, writer):
        gate = threading.Event()
        writer.call(lambda con: gate.wait(60))
        first: list[int] = []
        sender = threading.Thread(
            target=lambda: first.append(post(f"{url}/v1/traces", _protobuf(_sample_spans(3)))[0])
        )
        sender.start()
        while writer.pending == 0:
            threading.Event().wait(0.01)
        status, headers, reply = post(f"{url}/v1/traces", _protobuf(_sample_spans(1)))
        assert status == 429
        assert headers["retry-after"] == "1"
        assert "busy" in _status(reply)
        gate.set()
        sender.join(60)
        assert first == [200]
        assert len(_stored(writer)["spans"]) == 3
