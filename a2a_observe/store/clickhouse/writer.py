"""The writer behind ``a2a-observe collect --db chdb:///…`` or ``--db clickhouse://…``.

It takes the same batches as the DuckDB writer (the receiver and the import decode OTLP once,
for either store) and inserts them as the exporter's rows. One thread inserts whatever has
queued, one ``INSERT`` per table, and resolves each batch's future only after ClickHouse has
taken it, so the receiver acknowledges nothing that is not stored. When the queue is full,
``submit`` says so at once, as the DuckDB writer does, and the receiver answers 429.

ClickHouse has no cheap "insert unless present", so a span that a sender sends twice (a retry
after a lost answer) is stored twice; the reader keeps one row per span.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from a2a_observe.store.clickhouse.client import Client, connect
from a2a_observe.store.clickhouse.location import LOGS_TABLE, TRACES_TABLE, Location
from a2a_observe.store.clickhouse.rows import LOGS_COLUMNS, TRACE_COLUMNS, log_lines, trace_lines
from a2a_observe.store.clickhouse.schema import create_tables, table
from a2a_observe.store.errors import BatchRefused, StoreError
from a2a_observe.store.rows import Batch
from a2a_observe.store.writer import DEFAULT_MAX_PENDING, QueueFull

_log = logging.getLogger("a2a_observe.store")

MAX_RECORDS_PER_INSERT = 100_000
"""ClickHouse prefers few large inserts (each makes a part on disk); this bounds one's memory."""
_DATA_ERRORS = ("CANNOT_PARSE", "Cannot parse", "TYPE_MISMATCH", "out of range", "INCORRECT_DATA")


@dataclass
class _Write:
    make: Callable[[], Batch]
    records: int
    future: Future[None]


class ClickHouseWriter:
    """Owns the connection that writes one ClickHouse database for as long as it is open."""

    def __init__(self, location: Location, *, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self.location = location
        self.path = str(location)
        """What the collector's status page names as its store."""
        self.max_pending = max_pending
        self._client: Client = connect(location)
        try:
            create_tables(self._client)
        except StoreError:
            self._client.close()
            raise
        self._traces = table(self._client, TRACES_TABLE)
        self._logs = table(self._client, LOGS_TABLE)
        self._queue: deque[_Write | Future[None]] = deque()
        self._pending = 0
        self._busy = False
        self._closing = False
        self._closed = False
        self._cond = threading.Condition()
        self.written_spans = 0
        self.written_logs = 0
        self._thread = threading.Thread(
            target=self._loop, name=f"a2a-observe-clickhouse {location}", daemon=True
        )
        self._thread.start()

    @property
    def pending(self) -> int:
        return self._pending

    def submit(
        self, make: Callable[[], Batch], records: int, source: str, *, once: bool = False
    ) -> Future[None]:
        """Queue a batch; the future resolves once ClickHouse has it. Raises :class:`QueueFull`."""
        future: Future[None] = Future()
        with self._cond:
            if self._closing:
                raise StoreError(f"{self.location} is closing; no more batches are accepted")
            if self._pending and self._pending + records > self.max_pending:
                raise QueueFull(f"{self._pending} records are waiting to be written to {self.location}")
            self._queue.append(_Write(make, records, future))
            self._pending += records
            self._cond.notify_all()
        return future

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before this call is in ClickHouse."""
        marker: Future[None] = Future()
        with self._cond:
            if self._closed or not (self._queue or self._busy):
                return True
            self._queue.append(marker)
            self._cond.notify_all()
        try:
            marker.result(timeout)
        except TimeoutError:
            return False
        return True

    def close(self, timeout: float | None = None) -> None:
        """Write everything queued, then let go of the connection (and chdb's folder)."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # -- the inserting thread -------------------------------------------------------------------
    def _next(self) -> list[_Write] | Future[None] | None:
        with self._cond:
            while not self._queue and not self._closing:
                self._cond.wait()
            if not self._queue:
                return None
            first = self._queue.popleft()
            self._busy = True
            if isinstance(first, Future):
                return first
            group, records = [first], first.records
            while self._queue and isinstance(self._queue[0], _Write):
                if records + self._queue[0].records > MAX_RECORDS_PER_INSERT:
                    break
                item = self._queue.popleft()
                assert isinstance(item, _Write)
                group.append(item)
                records += item.records
            return group

    def _loop(self) -> None:
        try:
            while True:
                work = self._next()
                if work is None:
                    return
                if isinstance(work, Future):
                    work.set_result(None)
                else:
                    self._write(work)
                    with self._cond:
                        self._pending -= sum(item.records for item in work)
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._closed = True
                for item in self._queue:
                    future = item if isinstance(item, Future) else item.future
                    if not future.done():
                        future.set_exception(
                            StoreError(f"{self.location} was closed before this was written")
                        )
                self._queue.clear()
                self._cond.notify_all()
            self._client.close()

    def _lines(self, item: _Write) -> tuple[bytes, bytes, int, int] | None:
        try:
            batch = item.make()
            if batch.metrics and not (batch.span_count or batch.log_count):
                raise BatchRefused(
                    f"{self.location} keeps spans and log records; send metrics to Prometheus "
                    "or let the Collector's clickhouseexporter write them"
                )
            return trace_lines(batch), log_lines(batch), batch.span_count, batch.log_count
        except Exception as exc:  # noqa: BLE001 - one bad batch must not stop the others
            item.future.set_exception(exc if isinstance(exc, StoreError) else BatchRefused(str(exc)))
            return None

    def _insert(self, traces: list[bytes], logs: list[bytes]) -> None:
        traces = [t for t in traces if t]
        logs = [lg for lg in logs if lg]
        if traces:
            self._client.insert_json(self._traces, TRACE_COLUMNS, b"\n".join(traces))
        if logs:
            self._client.insert_json(self._logs, LOGS_COLUMNS, b"\n".join(logs))

    def _write(self, group: list[_Write]) -> None:
        converted = [(item, self._lines(item)) for item in group]
        ready = [(item, lines) for item, lines in converted if lines is not None]
        if not ready:
            return
        try:
            self._insert([lines[0] for _, lines in ready], [lines[1] for _, lines in ready])
        except StoreError as exc:
            if len(ready) == 1:
                self._fail(ready[0][0], exc)
                return
            # Find the batch that ClickHouse refuses; the others are stored.
            for item, lines in ready:
                try:
                    self._insert([lines[0]], [lines[1]])
                except StoreError as alone:
                    self._fail(item, alone)
                else:
                    self._done(item, lines)
            return
        for item, lines in ready:
            self._done(item, lines)

    def _done(self, item: _Write, lines: tuple[bytes, bytes, int, int]) -> None:
        self.written_spans += lines[2]
        self.written_logs += lines[3]
        item.future.set_result(None)

    def _fail(self, item: _Write, exc: StoreError) -> None:
        text = str(exc)
        _log.warning("a2a-observe: a batch was not written to %s: %s", self.location, text)
        refused: Any = BatchRefused(text) if any(mark in text for mark in _DATA_ERRORS) else exc
        item.future.set_exception(refused)
