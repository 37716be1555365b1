"""Snapshots taken while the writer keeps committing: each one is a whole, consistent store, it
holds everything committed before it was asked for, and nothing is lost or doubled."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from a2a_observe.store import open_snapshot
from a2a_observe.store.sdk_rows import spans_batch
from a2a_observe.store.writer import StoreWriter

SPANS_PER_BATCH = 50
BATCHES = 60


def _batches() -> list[list[ReadableSpan]]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("t")
    for number in range(BATCHES * SPANS_PER_BATCH):
        with tracer.start_as_current_span(f"span {number}") as span:
            span.add_event("stream", {"n": number})
    spans = list(memory.get_finished_spans())
    return [spans[i : i + SPANS_PER_BATCH] for i in range(0, len(spans), SPANS_PER_BATCH)]


def _counts(path: Path) -> tuple[int, int, int, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute(
            """SELECT (SELECT count(*) FROM spans), (SELECT count(DISTINCT span_id) FROM spans),
                      (SELECT count(*) FROM span_events), (SELECT coalesce(sum(spans), 0) FROM batches)"""
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def test_snapshots_taken_during_writes_are_consistent_and_complete(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "live.duckdb")
    batches = _batches()
    committed = [0]
    lock = threading.Lock()

    def produce() -> None:
        for spans in batches:
            future = writer.submit(lambda spans=spans: spans_batch(spans), len(spans), "test")
            future.result(30)
            with lock:
                committed[0] += len(spans)

    producer = threading.Thread(target=produce)
    producer.start()
    seen: list[tuple[int, int, int, int]] = []
    index = 0
    while producer.is_alive() or index < 2:
        with lock:
            acknowledged = committed[0]
        index += 1
        target = writer.snapshot(tmp_path / f"snapshot-{index}.duckdb")
        spans, distinct, events, ledger = _counts(target)
        # Everything acknowledged before the snapshot was asked for is in it, and every batch in
        # it is whole: its ledger row, its spans and their events, or none of them.
        assert spans >= acknowledged
        assert spans == distinct == events == ledger
        assert spans % SPANS_PER_BATCH == 0
        seen.append((spans, distinct, events, ledger))
    producer.join()
    writer.flush()
    final = writer.snapshot(tmp_path / "final.duckdb")
    assert _counts(final) == (BATCHES * SPANS_PER_BATCH,) * 4
    assert [s[0] for s in seen] == sorted(s[0] for s in seen)
    writer.close()
    # The store itself holds the same, and the replica left nothing behind.
    con = open_snapshot(tmp_path / "live.duckdb")
    assert (
        con.execute("SELECT count(*), count(DISTINCT span_id) FROM spans").fetchone()
        == (BATCHES * SPANS_PER_BATCH,) * 2
    )


def test_later_snapshots_copy_only_what_is_new(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "live.duckdb")
    batches = _batches()
    totals = []
    for round_ in range(3):
        for spans in batches[round_ * 5 : round_ * 5 + 5]:
            writer.submit(lambda spans=spans: spans_batch(spans), len(spans), "test").result(30)
        totals.append(_counts(writer.snapshot(tmp_path / f"s{round_}.duckdb"))[0])
    replica = writer._replica
    assert replica is not None
    assert (replica.rebuilds, replica.refreshes) == (1, 2)
    assert totals == [5 * SPANS_PER_BATCH, 10 * SPANS_PER_BATCH, 15 * SPANS_PER_BATCH]
    writer.close()


def test_a_store_changed_other_than_by_appends_is_copied_whole_again(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "live.duckdb")
    spans = _batches()[0]
    writer.submit(lambda: spans_batch(spans), len(spans), "test").result(30)
    writer.snapshot(tmp_path / "first.duckdb")
    writer.call(lambda con: con.execute("DELETE FROM spans WHERE rowid % 2 = 0")).result(30)
    writer.submit(lambda: spans_batch(_batches()[1]), SPANS_PER_BATCH, "test").result(30)
    target = writer.snapshot(tmp_path / "second.duckdb")
    con = duckdb.connect(str(target), read_only=True)
    assert con.execute("SELECT count(*) FROM spans").fetchone() == (SPANS_PER_BATCH // 2 + SPANS_PER_BATCH,)
    con.close()
    replica = writer._replica
    assert replica is not None and replica.rebuilds == 2
    writer.close()
