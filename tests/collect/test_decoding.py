"""Bodies decoded in decoder processes: the same batches, the same answers, and a decoder that
dies does not take the collector with it."""

from __future__ import annotations

import asyncio
import gzip
import os
import signal
import time
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from a2a_observe.collect.decoding import Decoders
from a2a_observe.collect.otlp import PROTOBUF, Limits, PayloadError, decode
from a2a_observe.collect.receiver import Receiver, ReceiverSettings
from a2a_observe.store import open_snapshot
from a2a_observe.store.rows import TABLE_COLUMNS
from a2a_observe.store.writer import StoreWriter
from tests.store.test_otlp_columns import _request, _span
from tests.support.store import post, receiver_in_thread


def _body(*numbers: int) -> bytes:
    request: ExportTraceServiceRequest = _request(*(_span(n) for n in numbers))
    return gzip.compress(request.SerializeToString())


@pytest.fixture
def decoders():
    pool = Decoders(1)
    yield pool
    pool.close()


def test_a_decoder_process_gives_the_batch_decoded_in_process(decoders: Decoders) -> None:
    body = _body(1, 2, 3)
    batch = asyncio.run(decoders.decode(body, PROTOBUF, "gzip", "traces", Limits()))
    assert batch == decode(body, PROTOBUF, "gzip", "traces", Limits())
    assert batch.span_count == 3


def test_a_bad_body_is_a_payload_error_from_the_decoder_process(decoders: Decoders) -> None:
    with pytest.raises(PayloadError) as caught:
        asyncio.run(decoders.decode(b"not gzip", PROTOBUF, "gzip", "traces", Limits()))
    assert caught.value.status == 400
    assert "not valid gzip" in caught.value.message


def test_a_killed_decoder_is_replaced_and_the_body_still_decoded(decoders: Decoders) -> None:
    asyncio.run(decoders.decode(_body(1), PROTOBUF, "gzip", "traces", Limits()))
    pool = decoders._pool
    assert pool is not None
    for pid in list(pool._processes):  # the pool's own record of its workers
        os.kill(pid, signal.SIGKILL)
    batch = asyncio.run(decoders.decode(_body(4), PROTOBUF, "gzip", "traces", Limits()))
    assert batch.span_count == 1


def test_the_collector_stores_what_its_decoder_processes_decode(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    with receiver_in_thread(db, ReceiverSettings(decoders=1)) as (url, _writer):
        status, _, reply = post(f"{url}/v1/traces", _body(1, 2), **{"Content-Encoding": "gzip"})
        assert status == 200
        assert not ExportTraceServiceResponse.FromString(reply).HasField("partial_success")
        status, _, _ = post(f"{url}/v1/traces", b"\x0a\xff", **{"Content-Encoding": "identity"})
        assert status == 400
    rows = open_snapshot(db).execute("SELECT count(*) FROM spans").fetchall()
    assert rows == [(2,)]


def test_the_store_holds_the_same_rows_whether_decoded_in_a_process_or_in_threads(tmp_path: Path) -> None:
    stored = []
    for decoders in (0, 1):
        db = tmp_path / f"decoders-{decoders}.duckdb"
        with receiver_in_thread(db, ReceiverSettings(decoders=decoders)) as (url, _writer):
            assert post(f"{url}/v1/traces", _body(1, 2, 3), **{"Content-Encoding": "gzip"})[0] == 200
        con = open_snapshot(db)
        stored.append(
            [con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall() for table in TABLE_COLUMNS]
        )
    assert stored[0] == stored[1]
    assert len(stored[0][0]) == 3


def test_a_started_receiver_spawns_its_decoders_before_the_first_request(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "warm.duckdb")
    receiver = Receiver(writer, ReceiverSettings(decoders=1))
    try:
        receiver.start()
        pool = receiver.decoders._pool
        assert pool is not None
        deadline = time.monotonic() + 60
        while not pool._processes and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [process.is_alive() for process in pool._processes.values()] == [True]
        writer.warm().result(30)  # what the first insert loads is loaded, and nothing failed
    finally:
        receiver.close()
        writer.close()
