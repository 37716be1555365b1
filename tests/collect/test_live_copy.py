"""Readers of a live collector keep a copy of their own and fetch only the rows stored since:
after any number of polls while agents send, the copy holds exactly what the store holds, a
reader the collector cannot answer from its cursor gets a whole snapshot, and the route is
behind the token like every other."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from a2a_observe import semconv
from a2a_observe.collect.receiver import ReceiverSettings
from a2a_observe.store import open_snapshot, open_source
from a2a_observe.store.changes import CHANGES_TYPE, CURSOR_HEADER, SNAPSHOT_PATH, SNAPSHOT_TYPE, Cursor
from a2a_observe.store.duckdb_source import DuckDBSource
from a2a_observe.store.errors import StoreError
from a2a_observe.store.live_copy import LiveCopy
from tests.support.store import post, receiver_in_thread, table_rows

SPANS_PER_REQUEST = 20
REQUESTS = 40
TABLES = ("resources", "spans", "span_events", "span_links", "logs", "batches")


def _requests(count: int = REQUESTS) -> list[bytes]:
    """OTLP bodies, each with its own spans (one event each) in a conversation of its own."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({semconv.SERVICE_NAME: "sender"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("sender")
    for number in range(count * SPANS_PER_REQUEST):
        attributes = {semconv.GEN_AI_CONVERSATION_ID: f"ctx-{number // SPANS_PER_REQUEST}"}
        with tracer.start_as_current_span(f"span {number}", attributes=attributes) as span:
            span.add_event(semconv.EVENT_STREAM, {"n": number})
    spans: list[ReadableSpan] = list(memory.get_finished_spans())
    return [
        encode_spans(spans[i : i + SPANS_PER_REQUEST]).SerializeToString()
        for i in range(0, len(spans), SPANS_PER_REQUEST)
    ]


def _send(url: str, body: bytes, **headers: str) -> None:
    status, _, answer = post(url + "/v1/traces", body, **headers)
    assert status == 200, answer


def _get(url: str, since: str | None = None, token: str | None = None) -> tuple[int, str, str | None]:
    query = "" if since is None else "?" + urllib.parse.urlencode({"since": since})
    request = urllib.request.Request(url + SNAPSHOT_PATH + query)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status, response.headers.get_content_type(), response.headers.get(CURSOR_HEADER)
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code, "", exc.headers.get(CURSOR_HEADER)


def _copy_of(source: DuckDBSource) -> LiveCopy:
    copy = source._copy
    assert copy is not None, "a collector is read through a live copy"
    return copy


def _rows(con: object, tables: tuple[str, ...] = TABLES) -> dict[str, list[tuple[object, ...]]]:
    return {table: table_rows(con, table) for table in tables}


def test_a_reader_polling_while_agents_send_ends_with_exactly_the_stores_rows(tmp_path: Path) -> None:
    bodies = _requests()
    with receiver_in_thread(tmp_path / "live.duckdb") as (url, writer):
        _send(url, bodies[0])
        source = open_source(url)
        assert isinstance(source, DuckDBSource)
        acknowledged = [1]
        lock = threading.Lock()

        def produce() -> None:
            for body in bodies[1:]:
                _send(url, body)
                with lock:
                    acknowledged[0] += 1

        producer = threading.Thread(target=produce)
        producer.start()
        seen: list[int] = []
        polls = 0
        while producer.is_alive() or polls < 3:
            with lock:
                before = acknowledged[0] * SPANS_PER_REQUEST
            source.refresh()
            polls += 1
            stats = source.stats()
            events = source.conversation(f"ctx-{stats.conversations - 1}").events
            # Everything acknowledged before the poll is there, in whole requests, never fewer
            # than the poll before.
            assert stats.spans >= before
            assert stats.spans % SPANS_PER_REQUEST == 0
            assert len(events) == SPANS_PER_REQUEST
            seen.append(stats.spans)
        producer.join()
        source.refresh()
        assert seen == sorted(seen)
        copy = _copy_of(source)
        assert copy.wholes == 1, "one whole snapshot, then only changes"
        assert copy.changes >= 1
        writer.flush()
        expected = _rows(open_snapshot(writer.path))
        with source._cursor() as con:
            assert _rows(con) == expected
        assert (
            len(expected["spans"])
            == len({row[:2] for row in expected["spans"]})
            == REQUESTS * SPANS_PER_REQUEST
        )
        source.close()


def test_nothing_new_is_answered_without_a_body_and_changes_only_past_the_cursor(tmp_path: Path) -> None:
    bodies = _requests(3)
    with receiver_in_thread(tmp_path / "live.duckdb") as (url, _writer):
        _send(url, bodies[0])
        status, media, cursor = _get(url)
        assert (status, media) == (200, SNAPSHOT_TYPE) and cursor is not None
        assert _get(url, cursor) == (304, "", cursor)
        _send(url, bodies[1])
        status, media, later = _get(url, cursor)
        assert (status, media) == (200, CHANGES_TYPE)
        assert later is not None and Cursor.parse(later).tables["spans"] == (2 * SPANS_PER_REQUEST,) * 2
        source = open_source(url)
        assert source.refresh() is False
        _send(url, bodies[2])
        assert source.refresh() is True
        assert source.stats().spans == 3 * SPANS_PER_REQUEST
        source.close()


def test_an_unknown_or_stale_cursor_gets_a_whole_snapshot(tmp_path: Path) -> None:
    with receiver_in_thread(tmp_path / "live.duckdb") as (url, _writer):
        _send(url, _requests(1)[0])
        _, _, cursor = _get(url)
        assert cursor is not None
        parsed = Cursor.parse(cursor)
        other_epoch = str(Cursor("0" * 16, parsed.tables))
        fewer_tables = str(Cursor(parsed.epoch, {"spans": parsed.tables["spans"]}))
        for since in ("not a cursor", "", other_epoch, fewer_tables):
            status, media, given = _get(url, since)
            assert (status, media, given) == (200, SNAPSHOT_TYPE, cursor), since


def test_a_store_changed_other_than_by_appends_is_sent_whole_again(tmp_path: Path) -> None:
    bodies = _requests(3)
    with receiver_in_thread(tmp_path / "live.duckdb") as (url, writer):
        _send(url, bodies[0])
        _send(url, bodies[1])
        source = open_source(url)
        assert isinstance(source, DuckDBSource)
        writer.call(lambda con: con.execute("DELETE FROM spans WHERE rowid % 2 = 0")).result(30)
        _send(url, bodies[2])
        assert source.refresh() is True
        copy = _copy_of(source)
        assert (copy.wholes, copy.changes) == (2, 0)
        writer.flush()
        expected = _rows(open_snapshot(writer.path))
        with source._cursor() as con:
            assert _rows(con) == expected
        assert len(expected["spans"]) == (2 * SPANS_PER_REQUEST) // 2 + SPANS_PER_REQUEST
        source.close()


def test_a_collector_started_again_on_a_new_store_is_read_whole(tmp_path: Path) -> None:
    with receiver_in_thread(tmp_path / "first.duckdb") as (url, _writer):
        _send(url, _requests(1)[0])
        _, _, cursor = _get(url)
    assert cursor is not None
    with receiver_in_thread(tmp_path / "second.duckdb") as (url, _writer):
        _send(url, _requests(2)[1])
        status, media, given = _get(url, cursor)
        assert (status, media) == (200, SNAPSHOT_TYPE) and given != cursor


def test_changes_need_the_token_too(tmp_path: Path) -> None:
    settings = ReceiverSettings(token="s3cret")
    with receiver_in_thread(tmp_path / "live.duckdb", settings) as (url, _writer):
        _send(url, _requests(1)[0], Authorization="Bearer s3cret")
        status, _, cursor = _get(url, token="s3cret")
        assert status == 200 and cursor is not None
        assert _get(url, cursor)[0] == 401
        assert _get(url, cursor, token="wrong")[0] == 401
        assert _get(url, cursor, token="s3cret")[0] == 304
        with pytest.raises(StoreError, match="401"):
            open_source(url, token="wrong")
        source = open_source(url, token="s3cret")
        assert source.stats().spans == SPANS_PER_REQUEST
        source.close()


def test_a_reader_that_gets_no_answer_in_time_is_told_so_clearly(tmp_path: Path) -> None:
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections, never answers
    host, port = silent.getsockname()
    try:
        with pytest.raises(StoreError, match=r"did not send a snapshot within 0\.5 s"):
            open_source(f"http://{host}:{port}", timeout=0.5)
    finally:
        silent.close()


def test_a_cursor_reads_back_as_written_and_nothing_else_parses() -> None:
    cursor = Cursor("0a1b", {"spans": (10, 9), "span_events": (30, 30)})
    assert Cursor.parse(str(cursor)) == cursor
    for text in (
        "",
        "0a1b",
        "zz.spans:1:1",
        "0a1b.spans:1",
        "0a1b.spans:-1:1",
        "0a1b.x y:1:1",
        "0a1b.spans:1:1.spans:2:2",
    ):
        with pytest.raises(ValueError, match="not a store cursor"):
            Cursor.parse(text)


def test_a_changes_bundle_with_anything_but_known_tables_is_refused(tmp_path: Path) -> None:
    import io
    import tarfile

    from a2a_observe.store.changes import unpack

    for name in ("../spans.parquet", "/tmp/spans.parquet", "other.parquet", "spans.duckdb"):
        bundle = tmp_path / "changes.tar"
        with tarfile.open(bundle, "w") as archive:
            member = tarfile.TarInfo(name)
            member.size = 3
            archive.addfile(member, io.BytesIO(b"abc"))
        out = tmp_path / "out"
        out.mkdir(exist_ok=True)
        with pytest.raises(ValueError, match="unexpected member"):
            list(unpack(bundle, out, {"spans"}))
        assert list(out.iterdir()) == []
    assert not (tmp_path.parent / "spans.parquet").exists()
