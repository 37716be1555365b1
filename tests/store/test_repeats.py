"""A span a sender sends twice is stored once, whether the writer remembers it or asks DuckDB.

The writer keeps hashes of the spans it inserted lately (``store/repeats.py``) and asks DuckDB
only when one matches or a span started before what they cover; these tests go through every
one of those ways with a real writer and real OTLP batches.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from a2a_observe import semconv
from a2a_observe.store import open_snapshot, otlp_columns, repeats
from a2a_observe.store.repeats import RecentSpans
from a2a_observe.store.sdk_rows import spans_batch
from a2a_observe.store.writer import StoreWriter


def _spans(count: int, name: str) -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({semconv.SERVICE_NAME: "repeats"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("repeats")
    for index in range(count):
        with tracer.start_as_current_span(f"{name} {index}") as span:
            span.add_event(semconv.EVENT_TASK_STATUS, {semconv.A2A_TASK_STATE: "completed"})
    return list(memory.get_finished_spans())


def _send(writer: StoreWriter, spans: list[ReadableSpan]) -> None:
    """As the receiver hands a request over: decoded from OTLP, possibly a retry."""
    request = ExportTraceServiceRequest.FromString(encode_spans(spans).SerializeToString())
    batch = otlp_columns.traces_batch(request)
    writer.submit(lambda: batch, batch.records, "otlp traces", once=True).result(30)


def _counts(path: Path) -> tuple[int, int]:
    con = open_snapshot(path)
    try:
        spans = con.execute("SELECT count(*), count(DISTINCT (trace_id, span_id)) FROM spans").fetchone()
        events = con.execute("SELECT count(*) FROM span_events").fetchone()
    finally:
        con.close()
    assert spans is not None and events is not None
    assert spans[0] == spans[1], "a span is stored twice"
    return int(spans[0]), int(events[0])


def test_retries_remembered_and_forgotten_are_stored_once(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(repeats, "GENERATION", 4)
    path = tmp_path / "retries.duckdb"
    first, second, third = _spans(3, "first"), _spans(3, "second"), _spans(3, "third")
    writer = StoreWriter(path, release_when_idle=None)
    try:
        _send(writer, first)
        _send(writer, first)  # remembered: the hashes match, DuckDB confirms
        assert _counts(path) == (3, 3)
        _send(writer, second)
        _send(writer, third)  # two generations of 4: the first spans are forgotten
        _send(writer, first)  # started before what is remembered: DuckDB is asked
        _send(writer, first + _spans(1, "new"))  # part retry, part new
        assert _counts(path) == (10, 10)
    finally:
        writer.close()
    writer = StoreWriter(path, release_when_idle=None)  # a new writer remembers nothing
    try:
        _send(writer, third)
        _send(writer, _spans(2, "after"))
        assert _counts(path) == (12, 12)
    finally:
        writer.close()


def test_spans_of_other_producers_are_not_taken_for_new(tmp_path: Path) -> None:
    """The in-process exporter's spans are inserted without hashes; a receiver's copy of them
    afterwards is still found (they are not covered, so DuckDB is asked)."""
    path = tmp_path / "mixed.duckdb"
    writer = StoreWriter(path, release_when_idle=None)
    try:
        _send(writer, _spans(2, "received"))
        own = _spans(2, "own")
        batch = spans_batch(own)
        writer.submit(lambda: batch, batch.records, "exporter").result(30)
        _send(writer, own)
        twice = _spans(2, "twice")
        _send(writer, twice + twice)  # the same span twice in one request
        assert _counts(path) == (6, 6)
    finally:
        writer.close()


@pytest.mark.parametrize("earliest", [-5, 100])
def test_recent_spans_answer_no_only_for_what_they_cover(earliest: int) -> None:
    recent = RecentSpans(covers_from=0)
    recent.stored([1, 2, 3], latest=50)
    assert recent.may_repeat([4, 5], earliest) is (earliest < 0)
    assert recent.may_repeat([5, 2], 100)
    assert recent.may_repeat([6, 6], 100)
    recent.stored_unseen(latest=200)
    assert recent.covers_from == 201
    assert recent.may_repeat([7], 150)
    assert not recent.may_repeat([7], 201)
