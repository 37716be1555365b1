"""The in-process path's two conversions (columns for the SDK's spans, rows for any other
``ReadableSpan``) give the same rows, attribute JSON keeps what orjson would lose, and the
writer's two threads keep submission order."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from a2a_observe import semconv
from a2a_observe.store import open_snapshot
from a2a_observe.store.errors import StoreError
from a2a_observe.store.rows import TABLE_COLUMNS, json_text
from a2a_observe.store.sdk_rows import span_rows_batch, spans_batch
from a2a_observe.store.writer import QueueFull, StoreWriter


def _spans() -> list[ReadableSpan]:
    """Spans with everything a row holds: parents, links, events, errors, odd attribute types."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({semconv.SERVICE_NAME: "conversion"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer(semconv.INSTRUMENTATION_SCOPE, "1.2.3")
    with tracer.start_as_current_span(
        semconv.SEND_MESSAGE,
        kind=SpanKind.CLIENT,
        attributes={semconv.A2A_TASK_ID: "task-1", semconv.GEN_AI_CONVERSATION_ID: "ctx-1", "ratio": 0.5},
    ) as parent:
        parent.add_event(semconv.EVENT_STREAM, {semconv.A2A_TASK_STATE: "working", "n": 1})
        parent.add_event("empty")
        link = Link(parent.get_span_context(), {"why": "follows"})
        with tracer.start_as_current_span("child", kind=SpanKind.SERVER, links=[link]) as child:
            child.set_attribute(semconv.A2A_TASK_ID, 42)  # not a string: promoted as text
            child.set_attribute("flags", (True, False))
            child.set_attribute("nan", math.nan)
            child.set_status(Status(StatusCode.ERROR, "it broke"))
    return list(memory.get_finished_spans())


class _LookAlike:
    """Not a ``ReadableSpan`` but shaped like one, as another tracing library's spans may be."""

    def __init__(self, span: ReadableSpan) -> None:
        self._span = span

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._span, name)


def test_columns_and_rows_are_the_same_values() -> None:
    spans = _spans()
    columns, rows = spans_batch(spans), span_rows_batch(spans)
    assert columns.columns, "the SDK's own spans take the column path"
    for table in TABLE_COLUMNS:
        assert columns.rows(table) == rows.rows(table), table
    assert columns.resources == rows.resources
    assert columns.span_count == len(spans) == rows.span_count
    assert len(columns.rows("span_links")) == 1


def test_a_hand_built_readable_span_converts_the_same_either_way() -> None:
    span = _spans()[1]
    built = ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=dict(span.attributes or {}),
        events=span.events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )
    columns, rows = spans_batch([built]), span_rows_batch([built])
    for table in TABLE_COLUMNS:
        assert columns.rows(table) == rows.rows(table) == spans_batch([span]).rows(table), table


def test_a_span_that_is_not_a_readable_span_takes_the_row_path() -> None:
    spans = _spans()
    batch = spans_batch([_LookAlike(span) for span in spans])  # type: ignore[misc]
    assert not batch.columns
    for table in TABLE_COLUMNS:
        assert batch.rows(table) == spans_batch(spans).rows(table), table


def test_attribute_json_keeps_non_finite_floats_and_sorts_keys() -> None:
    assert json_text({"b": 1, "a": [1, 2.5, "x"]}) == '{"a":[1,2.5,"x"],"b":1}'
    assert json.loads(json_text({"a": math.nan, "b": -math.inf})) == {"a": "nan", "b": "-inf"}
    assert json_text({"a": None}) == '{"a":null}'
    assert json_text({"a": b"\x00\x01"}) == '{"a":"AAE="}'
    assert json.loads(json_text({"a": 2**70})) == {"a": 2**70}  # beyond orjson's integers
    assert json.loads(json_text({1: "x"})) == {"1": "x"}  # orjson refuses non-string keys


def test_a_call_runs_after_every_batch_queued_before_it(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "order.duckdb")
    spans = _spans()
    try:
        for _ in range(20):
            writer.submit(lambda: spans_batch(spans), len(spans), "test")
        seen = writer.call(lambda con: con.execute("SELECT count(*) FROM spans").fetchone())
        assert seen.result(30) == (20 * len(spans),)
        assert writer.flush(30)
    finally:
        writer.close(30)
    con = open_snapshot(tmp_path / "order.duckdb")
    assert con.execute("SELECT count(*) FROM span_events").fetchone() == (20 * 2,)
    assert con.execute("SELECT count(*), sum(spans) FROM batches").fetchone() == (20, 20 * len(spans))


def test_a_batch_that_fails_to_convert_fails_alone(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "bad.duckdb")
    spans = _spans()

    def broken() -> None:
        raise ValueError("not a batch")

    try:
        good = writer.submit(lambda: spans_batch(spans), len(spans), "test")
        bad = writer.submit(broken, 1, "test")  # type: ignore[arg-type]
        assert good.result(30) is None
        assert isinstance(bad.exception(30), ValueError)
        assert writer.pending == 0
        stored = writer.call(lambda con: con.execute("SELECT count(*) FROM spans").fetchone())
        assert stored.result(30) == (len(spans),)
    finally:
        writer.close(30)


def test_a_batch_that_fails_to_insert_is_reported_and_the_rest_are_stored(tmp_path: Path) -> None:
    """Batches committed together share a transaction, so a statement that fails takes the other
    batches of its group with it: each of them is reported, every other batch is stored, and the
    writer goes on."""
    writer = StoreWriter(tmp_path / "insert.duckdb")
    spans = _spans()
    bad_batch = spans_batch(spans)
    bad_batch.columns["spans"]["name"][0] = None  # type: ignore[index]  # NOT NULL in the store
    try:
        futures = [writer.submit(lambda: spans_batch(spans), len(spans), "test") for _ in range(30)]
        bad = writer.submit(lambda: bad_batch, len(spans), "test")
        futures += [writer.submit(lambda: spans_batch(spans), len(spans), "test") for _ in range(30)]
        assert "NOT NULL" in str(bad.exception(30))
        stored_batches = sum(1 for future in futures if future.exception(30) is None)
        assert all(isinstance(f.exception(), StoreError) for f in futures if f.exception() is not None)
        after = writer.submit(lambda: spans_batch(spans), len(spans), "test")
        assert after.result(30) is None
        count = writer.call(lambda con: con.execute("SELECT count(*) FROM spans").fetchone())
        assert count.result(30) == ((stored_batches + 1) * len(spans),)
        assert writer.pending == 0
    finally:
        writer.close(30)


def test_flush_commits_at_once_while_other_batches_keep_coming(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "flush.duckdb", max_pending=400)
    spans = _spans()
    stop = threading.Event()

    def produce() -> None:
        while not stop.is_set():
            try:
                writer.submit(lambda: spans_batch(spans), len(spans), "load")
            except QueueFull:
                stop.wait(0.001)

    try:
        for _ in range(50):
            writer.submit(lambda: spans_batch(spans), len(spans), "test")
        producer = threading.Thread(target=produce)
        producer.start()
        try:
            assert writer.flush(30)
            assert writer.written_spans >= 50 * len(spans)
        finally:
            stop.set()
            producer.join()
    finally:
        writer.close(30)
    con = open_snapshot(tmp_path / "flush.duckdb")
    assert con.execute("SELECT count(*) FROM spans").fetchone() == (writer.written_spans,)
