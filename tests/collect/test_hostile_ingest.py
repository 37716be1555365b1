"""What one sender puts in a request never costs another sender anything: a record the store
cannot hold is refused alone and for good (never a retryable 5xx), a body the collector cannot
read is a 400 that says why, and an oversized value is cut, marked and counted instead of
exhausting the store's memory."""

from __future__ import annotations

import json
import threading
import urllib.request
from concurrent.futures import Future
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from a2a_observe import semconv
from a2a_observe.collect.otlp import JSON
from a2a_observe.store import open_snapshot
from a2a_observe.store.errors import BatchRefused
from a2a_observe.store.otlp_rows import MAX_VALUE_CHARS
from a2a_observe.store.rows import Batch, resource_row, span_row
from a2a_observe.store.writer import StoreWriter
from tests.support.store import post, receiver_in_thread

POISON_END = 2**64 - 1


def spans(count: int, prefix: str = "span"):
    provider = TracerProvider(resource=Resource.create({semconv.SERVICE_NAME: "hostile"}))
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("hostile")
    for index in range(count):
        with tracer.start_as_current_span(f"{prefix} {index}"):
            pass
    return list(memory.get_finished_spans())


def stored_names(path: Path) -> list[str]:
    return sorted(row[0] for row in open_snapshot(path).execute("SELECT name FROM spans").fetchall())


def test_a_span_ending_after_2262_is_refused_alone_and_its_neighbours_are_stored(tmp_path: Path) -> None:
    request = encode_spans(spans(3))
    request.resource_spans[0].scope_spans[0].spans[1].end_time_unix_nano = POISON_END
    with receiver_in_thread(tmp_path / "p.duckdb") as (url, writer):
        status, _, reply = post(f"{url}/v1/traces", request.SerializeToString())
        assert status == 200
        response = ExportTraceServiceResponse()
        response.ParseFromString(reply)
        assert response.partial_success.rejected_spans == 1
        assert "spans[1]: endTimeUnixNano" in response.partial_success.error_message
        assert stored_names(writer.path) == ["span 0", "span 2"]


def _poison_batch() -> Batch:
    """Rows that no check stopped and DuckDB refuses: a start time beyond BIGINT."""
    resource = resource_row({semconv.SERVICE_NAME: "poison"}, None)
    row = span_row(
        trace_id="1" * 32,
        span_id="2" * 16,
        parent_span_id=None,
        trace_state=None,
        parent_is_remote=None,
        name="poison",
        kind="INTERNAL",
        start_ns=1,
        end_ns=POISON_END,
        status_code="UNSET",
        status_message=None,
        resource=resource,
        scope_name=None,
        scope_version=None,
        attributes={},
        dropped_attributes_count=0,
        dropped_events_count=0,
        dropped_links_count=0,
    )
    return Batch(resources={resource[0]: resource}, spans=[row])


def _good_batch(index: int) -> Batch:
    resource = resource_row({semconv.SERVICE_NAME: f"sender {index}"}, None)
    row = span_row(
        trace_id=f"{index + 1:032x}",
        span_id=f"{index + 1:016x}",
        parent_span_id=None,
        trace_state=None,
        parent_is_remote=None,
        name=f"good {index}",
        kind="SERVER",
        start_ns=1_000,
        end_ns=2_000,
        status_code="OK",
        status_message=None,
        resource=resource,
        scope_name=None,
        scope_version=None,
        attributes={},
        dropped_attributes_count=0,
        dropped_events_count=0,
        dropped_links_count=0,
    )
    return Batch(resources={resource[0]: resource}, spans=[row])


def test_a_batch_the_store_refuses_fails_alone_and_not_its_commit_group(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "g.duckdb")
    try:
        gate = threading.Event()
        writer.call(lambda con: gate.wait(60))
        futures: list[Future[None]] = []
        for index in range(8):
            futures.append(writer.submit(lambda i=index: _good_batch(i), 1, f"sender {index}"))
            if index == 3:
                poison = writer.submit(_poison_batch, 1, "poison")
        gate.set()
        for future in futures:
            assert future.result(60) is None
        with pytest.raises(BatchRefused):
            poison.result(60)
        assert stored_names(writer.path) == [f"good {i}" for i in range(8)]
    finally:
        writer.close()


def test_a_refused_batch_is_answered_400_not_a_retryable_503(tmp_path: Path, monkeypatch) -> None:
    from a2a_observe.collect import otlp

    monkeypatch.setattr(otlp, "traces_batch", lambda request: _poison_batch())
    with receiver_in_thread(tmp_path / "r.duckdb") as (url, _writer):
        status, headers, reply = post(f"{url}/v1/traces", encode_spans(spans(1)).SerializeToString())
    assert status == 400
    assert "retry-after" not in {k.lower() for k in headers}
    assert b"not stored" in reply


def _deep_json(levels: int) -> bytes:
    value = '{"intValue": "1"}'
    for _ in range(levels):
        value = '{"arrayValue": {"values": [' + value + "]}}"
    span = (
        '{"traceId": "' + "ab" * 16 + '", "spanId": "' + "cd" * 8 + '", "name": "deep", '
        '"attributes": [{"key": "k", "value": ' + value + "}]}"
    )
    return ('{"resourceSpans": [{"scopeSpans": [{"spans": [' + span + "]}]}]}").encode()


@pytest.mark.parametrize("body", [b"[" * 200_000, _deep_json(5_000)], ids=["brackets", "deep-attribute"])
def test_deeply_nested_json_is_a_400_that_says_so(tmp_path: Path, body: bytes) -> None:
    with receiver_in_thread(tmp_path / "d.duckdb") as (url, writer):
        status, _, reply = post(f"{url}/v1/traces", body, JSON)
        assert status == 400
        assert "levels deep" in json.loads(reply)["message"]
        assert post(f"{url}/v1/traces", encode_spans(spans(1)).SerializeToString())[0] == 200
        assert stored_names(writer.path) == ["span 0"]


def test_an_8_mb_attribute_is_cut_marked_and_counted_instead_of_exhausting_the_store(tmp_path: Path) -> None:
    request = encode_spans(spans(2))
    huge = "x" * (8 * 1024 * 1024)
    target = request.resource_spans[0].scope_spans[0].spans[0]
    target.attributes.append(KeyValue(key="huge", value=AnyValue(string_value=huge)))
    with receiver_in_thread(tmp_path / "h.duckdb") as (url, writer):
        status, _, reply = post(f"{url}/v1/traces", request.SerializeToString())
        assert status == 200
        response = ExportTraceServiceResponse()
        response.ParseFromString(reply)
        assert response.partial_success.rejected_spans == 0
        assert "1 values were cut" in response.partial_success.error_message
        con = open_snapshot(writer.path)
        (value,) = con.execute(
            """SELECT attributes ->> '$."huge"' FROM spans WHERE name = 'span 0'"""
        ).fetchone()
        assert value.startswith("x" * MAX_VALUE_CHARS)
        assert value.endswith(f"…[truncated {len(huge) - MAX_VALUE_CHARS} characters]")
        assert stored_names(writer.path) == ["span 0", "span 1"]
        health = json.loads(urllib.request.urlopen(f"{url}/", timeout=10).read())
        assert health["truncated"] == 1


def _with_events(count: int):
    provider = TracerProvider(resource=Resource.create({semconv.SERVICE_NAME: "retry"}))
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("retry")
    for index in range(count):
        with tracer.start_as_current_span(f"retried {index}") as span:
            span.add_event(semconv.EVENT_TASK_STATUS, {semconv.A2A_TASK_STATE: "working"})
            span.add_event(semconv.EVENT_TASK_STATUS, {semconv.A2A_TASK_STATE: "completed"})
    return list(memory.get_finished_spans())


def _counts(path: Path) -> tuple[int, int, int]:
    con = open_snapshot(path)
    return tuple(
        con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("spans", "span_events", "batches")
    )


def test_a_retried_request_is_stored_once(tmp_path: Path) -> None:
    body = encode_spans(_with_events(3)).SerializeToString()
    with receiver_in_thread(tmp_path / "retry.duckdb") as (url, writer):
        assert post(f"{url}/v1/traces", body)[0] == 200
        assert post(f"{url}/v1/traces", body)[0] == 200
        assert _counts(writer.path) == (3, 6, 2)
        # Twice in one request, and in two requests committed together.
        twice = encode_spans(_with_events(2))
        once = list(twice.resource_spans[0].scope_spans[0].spans)
        twice.resource_spans[0].scope_spans[0].spans.extend(once)
        gate = threading.Event()
        writer.call(lambda con: gate.wait(60))
        sent = [
            threading.Thread(target=post, args=(f"{url}/v1/traces", twice.SerializeToString()))
            for _ in range(2)
        ]
        for thread in sent:
            thread.start()
        while writer.pending < 8:
            threading.Event().wait(0.01)
        gate.set()
        for thread in sent:
            thread.join(60)
        assert _counts(writer.path) == (5, 10, 4)
        # The same ids with another start time are another span, and are kept.
        other = encode_spans(_with_events(1))
        other.resource_spans[0].scope_spans[0].spans[0].span_id = (
            twice.resource_spans[0].scope_spans[0].spans[0].span_id
        )
        other.resource_spans[0].scope_spans[0].spans[0].trace_id = (
            twice.resource_spans[0].scope_spans[0].spans[0].trace_id
        )
        assert post(f"{url}/v1/traces", other.SerializeToString())[0] == 200
        assert _counts(writer.path)[0] == 6
