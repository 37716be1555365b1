"""``a2a-observe collect`` as a separate process, the way it runs in production: readers take
snapshots while it writes, SIGTERM flushes, and SIGKILL loses nothing it acknowledged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from a2a_observe.store import open_snapshot
from a2a_observe.store.snapshot import announcement_path, find_collector
from tests.support.store import Collector, post, start_collector

SPANS_PER_BATCH = 50


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    running = start_collector(tmp_path / "collected.duckdb")
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def batch(number: int) -> bytes:
    """A batch whose trace id encodes its number: every span of it is findable afterwards."""
    trace_id = number.to_bytes(16, "big")
    spans = [
        Span(
            trace_id=trace_id,
            span_id=(index + 1).to_bytes(8, "big"),
            name=f"batch {number}",
            start_time_unix_nano=1_000 + index,
            end_time_unix_nano=2_000 + index,
            events=[Span.Event(name="tick", time_unix_nano=1_500)],
        )
        for index in range(SPANS_PER_BATCH)
    ]
    request = ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=spans)])])
    return request.SerializeToString()


@dataclass
class Sender:
    """Sends numbered batches until stopped, remembering which were acknowledged."""

    url: str
    acknowledged: list[int] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    limit: int = 2_000

    def run(self) -> None:
        for number in range(1, self.limit):
            if self.stop.is_set():
                return
            try:
                status, _, _ = post(f"{self.url}/v1/traces", batch(number))
            except OSError:
                return
            if status == 200:
                self.acknowledged.append(number)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        return thread


def _wait_for_acks(sender: Sender, count: int) -> None:
    _wait_for(lambda: len(sender.acknowledged) >= count, f"{count} acknowledged batches")


def _wait_for(predicate, what: str) -> None:
    done = threading.Event()
    for _ in range(3_000):
        if predicate():
            return
        done.wait(0.01)
    raise AssertionError(f"gave up waiting for {what}")


def _stored_batches(db: Path) -> dict[int, int]:
    con = open_snapshot(db)
    rows = con.execute("SELECT trace_id, count(*) FROM spans GROUP BY trace_id").fetchall()
    return {int(trace_id, 16): count for trace_id, count in rows}


def test_readers_get_consistent_snapshots_while_the_collector_writes(collector: Collector) -> None:
    assert find_collector(collector.db) is not None
    sender = Sender(collector.url)
    thread = sender.start()
    seen = []
    try:
        for round_ in range(5):
            _wait_for_acks(sender, (round_ + 1) * 3)
            con = open_snapshot(collector.db)
            spans, events, batches = con.execute(
                "SELECT (SELECT count(*) FROM spans), (SELECT count(*) FROM span_events), "
                "(SELECT count(*) FROM batches)"
            ).fetchone()
            partial = con.execute(
                f"SELECT count(*) FROM (SELECT trace_id FROM spans GROUP BY trace_id "
                f"HAVING count(*) <> {SPANS_PER_BATCH})"
            ).fetchone()
            assert partial == (0,), "a snapshot holds whole batches only"
            assert spans == events == batches * SPANS_PER_BATCH
            seen.append(batches)
    finally:
        sender.stop.set()
        thread.join(60)
    assert seen == sorted(seen) and seen[-1] > seen[0]


def test_sigterm_flushes_everything_acknowledged(collector: Collector) -> None:
    sender = Sender(collector.url)
    thread = sender.start()
    _wait_for(lambda: len(sender.acknowledged) >= 10, "ten acknowledged batches")
    collector.process.send_signal(signal.SIGTERM)
    assert collector.process.wait(60) == 0
    sender.stop.set()
    thread.join(60)
    stored = _stored_batches(collector.db)
    assert all(stored.get(n) == SPANS_PER_BATCH for n in sender.acknowledged)
    assert not announcement_path(collector.db).exists()


def test_sigkill_mid_ingest_keeps_every_acknowledged_batch(collector: Collector) -> None:
    sender = Sender(collector.url)
    thread = sender.start()
    _wait_for(lambda: len(sender.acknowledged) >= 20, "twenty acknowledged batches")
    os.kill(collector.process.pid, signal.SIGKILL)
    collector.process.wait(60)
    sender.stop.set()
    thread.join(60)
    acknowledged = list(sender.acknowledged)
    assert find_collector(collector.db) is None, "a dead collector is not asked for snapshots"
    stored = _stored_batches(collector.db)
    missing = [n for n in acknowledged if stored.get(n) != SPANS_PER_BATCH]
    assert missing == []
    assert all(count == SPANS_PER_BATCH for count in stored.values()), "no half-written batch"
    restarted = start_collector(collector.db)
    try:
        status, _, _ = post(f"{restarted.url}/v1/traces", batch(99_999))
        assert status == 200
    finally:
        restarted.process.send_signal(signal.SIGTERM)
        restarted.process.wait(60)
    assert _stored_batches(collector.db)[99_999] == SPANS_PER_BATCH


def test_a_token_protects_snapshots_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    running = start_collector(tmp_path / "secret.duckdb", "--token", "abc")
    try:
        assert post(f"{running.url}/v1/traces", batch(1), Authorization="Bearer abc")[0] == 200
        monkeypatch.delenv("A2A_OBSERVE_COLLECT_TOKEN", raising=False)
        with pytest.raises(Exception, match="401"):
            open_snapshot(running.db, token="")
        con = open_snapshot(running.db, token="abc")
        assert con.execute("SELECT count(*) FROM spans").fetchone() == (SPANS_PER_BATCH,)
    finally:
        running.process.send_signal(signal.SIGTERM)
        running.process.wait(60)


def test_a_port_in_use_is_a_clear_error(collector: Collector) -> None:
    port = collector.url.rsplit(":", 1)[1]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "a2a_observe.cli",
            "collect",
            "--db",
            str(collector.db.with_name("b.duckdb")),
            "--port",
            port,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
