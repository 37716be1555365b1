"""The single writer of a store file: one thread, a bounded queue and group commits.

DuckDB lets one process write a file, and a transaction per request would cap throughput at
the disk's sync rate, so every producer (exporter, receiver, import) hands its batches to this
writer. Its thread commits whatever has queued up in one transaction and only then resolves
each batch's future: a receiver that acknowledges on the future never acknowledges data that a
crash could lose. Producers never wait on the disk; when the queue is full, ``submit`` says so
at once and the producer decides (the receiver answers 429, the exporter drops and counts).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from a2a_observe.store.columnar import ArrowInserts
from a2a_observe.store.errors import StoreError
from a2a_observe.store.rows import (
    BATCH_COLUMNS,
    EVENT_COLUMNS,
    LINK_COLUMNS,
    LOG_COLUMNS,
    RESOURCE_COLUMNS,
    SPAN_COLUMNS,
    Batch,
    Row,
)
from a2a_observe.store.schema import open_store

if TYPE_CHECKING:
    import duckdb

_log = logging.getLogger("a2a_observe.store")

T = TypeVar("T")

DEFAULT_MAX_PENDING = 200_000
CHECKPOINT_THRESHOLD = "256MB"
"""Write-ahead log size that triggers a checkpoint: +20 % spans/s in benchmarks/ingest.py."""
"""Records (spans plus log records) that may wait for the writer; bounds its memory."""
MAX_RECORDS_PER_COMMIT = 100_000
MEMORY_LIMIT = "32MB"
"""DuckDB's cache for the writer. A writer only appends, so a small cache costs it little, and
without a limit DuckDB keeps the whole growing file in memory (up to 80% of the machine)."""

_INSERT_RESOURCE = f"INSERT OR IGNORE INTO resources ({', '.join(RESOURCE_COLUMNS)}) VALUES (?, ?, ?, ?)"


@dataclass
class _Write:
    make: Callable[[], Batch]
    records: int
    source: str
    future: Future[Batch]


@dataclass
class _Call:
    fn: Callable[[duckdb.DuckDBPyConnection], Any]
    future: Future[Any]


_OPEN_LOCK = threading.Lock()
_OPEN: dict[Path, StoreWriter] = {}


def writer_for(path: str | Path) -> StoreWriter | None:
    """The writer this process has open on ``path``, if any (DuckDB allows one per file)."""
    with _OPEN_LOCK:
        return _OPEN.get(Path(path).resolve())


class QueueFull(Exception):
    """The writer holds as many records as it may; try again later."""


class StoreWriter:
    """Owns a store file's one read-write connection for as long as it is open.

    ``release_when_idle`` closes the file after that many idle seconds and opens it again when
    the next batch comes, so that other processes can take snapshots of a store that an
    application writes in-process (see ``docs/store.md``).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
        release_when_idle: float | None = None,
    ) -> None:
        self.path = Path(path).resolve()
        self.max_pending = max_pending
        self.release_when_idle = release_when_idle
        self._con: duckdb.DuckDBPyConnection | None = self._open()
        self._inserts = ArrowInserts()
        self._known_resources = {
            r[0] for r in self._con.execute("SELECT resource_id FROM resources").fetchall()
        }
        row = self._con.execute("SELECT coalesce(max(batch_id), 0) FROM batches").fetchone()
        self._next_batch_id = int(row[0]) + 1 if row else 1
        self._queue: deque[_Write | _Call] = deque()
        self._pending = 0
        self._busy = False
        self._closing = False
        self._closed = False
        self._cond = threading.Condition()
        self.dropped = 0
        self.written_spans = 0
        self.written_logs = 0
        self._thread = threading.Thread(
            target=self._run, name=f"a2a-observe-store {self.path.name}", daemon=True
        )
        with _OPEN_LOCK:
            _OPEN[self.path] = self
        self._thread.start()

    def _open(self) -> duckdb.DuckDBPyConnection:
        con = open_store(self.path)
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        # Checkpoints every 16 MB of log (DuckDB's default) cost more than the inserts under
        # steady ingest; the log stays the durability guarantee, only the merge waits longer.
        con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        return con

    # -- producers ------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return self._pending

    def submit(self, make: Callable[[], Batch], records: int, source: str) -> Future[Batch]:
        """Queue a batch; the future resolves once it is committed. Raises :class:`QueueFull`."""
        future: Future[Batch] = Future()
        with self._cond:
            if self._closing:
                raise StoreError(f"{self.path} is closing; no more batches are accepted")
            if self._pending and self._pending + records > self.max_pending:
                raise QueueFull(f"{self._pending} records are waiting to be written to {self.path}")
            self._queue.append(_Write(make, records, source, future))
            self._pending += records
            self._cond.notify_all()
        return future

    def call(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> Future[T]:
        """Run ``fn`` on the writer's connection between two commits (consistent snapshots)."""
        future: Future[T] = Future()
        with self._cond:
            if self._closing:
                raise StoreError(f"{self.path} is closing")
            self._queue.append(_Call(fn, future))
            self._cond.notify_all()
        return future

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is committed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self, timeout: float | None = None) -> None:
        """Write everything queued, checkpoint and release the file."""
        with self._cond:
            if self._closing:
                already = True
            else:
                already = False
                self._closing = True
                self._cond.notify_all()
        if not already or self._thread.is_alive():
            self._thread.join(timeout)

    # -- the writer thread ------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while True:
                work = self._next_work()
                if work is None:
                    break
                if isinstance(work, _Call):
                    self._run_call(work)
                else:
                    self._write(work)
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
        finally:
            self._release()
            with _OPEN_LOCK:
                if _OPEN.get(self.path) is self:
                    del _OPEN[self.path]
            with self._cond:
                self._closed = True
                for item in self._queue:
                    item.future.set_exception(StoreError(f"{self.path} was closed before this was written"))
                self._queue.clear()
                self._cond.notify_all()

    def _next_work(self) -> list[_Write] | _Call | None:
        with self._cond:
            while not self._queue:
                if self._closing:
                    return None
                idle = self.release_when_idle if self._con is not None else None
                if not self._cond.wait(idle) and not self._queue and self._con is not None:
                    self._release()
            self._busy = True
            first = self._queue[0]
            if isinstance(first, _Call):
                self._queue.popleft()
                return first
            writes: list[_Write] = []
            records = 0
            while self._queue and isinstance(self._queue[0], _Write):
                item = self._queue[0]
                if writes and records + item.records > MAX_RECORDS_PER_COMMIT:
                    break
                self._queue.popleft()
                assert isinstance(item, _Write)
                writes.append(item)
                records += item.records
            return writes

    def _connection(self) -> duckdb.DuckDBPyConnection:
        delay = 0.05
        while self._con is None:
            try:
                self._con = self._open()
            except StoreError:
                if self._closing and delay > 2:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        return self._con

    def _release(self) -> None:
        if self._con is not None:
            try:
                self._con.close()
            except Exception as exc:  # noqa: BLE001 - closing must not kill the writer
                _log.warning("a2a-observe: closing %s failed: %s", self.path, exc)
            self._con = None

    def _run_call(self, call: _Call) -> None:
        try:
            call.future.set_result(call.fn(self._connection()))
        except Exception as exc:  # noqa: BLE001 - handed to whoever asked
            call.future.set_exception(exc)

    def _write(self, writes: list[_Write]) -> None:
        batches: list[tuple[_Write, Batch]] = []
        for item in writes:
            try:
                batches.append((item, item.make()))
            except Exception as exc:  # noqa: BLE001 - one bad batch must not stop the others
                _log.warning("a2a-observe: a batch for %s could not be converted: %s", self.path, exc)
                item.future.set_exception(exc)
        try:
            if batches:
                self._commit(batches)
        except Exception as exc:  # noqa: BLE001 - reported through every future
            _log.warning("a2a-observe: writing %d batches to %s failed: %s", len(batches), self.path, exc)
            for item, _ in batches:
                item.future.set_exception(StoreError(f"writing to {self.path} failed: {exc}"))
        else:
            for item, batch in batches:
                item.future.set_result(batch)
        finally:
            with self._cond:
                self._pending -= sum(item.records for item in writes)

    def _commit(self, batches: list[tuple[_Write, Batch]]) -> None:
        con = self._connection()
        merged = Batch()
        ledger: list[Row] = []
        now = time.time_ns()
        for item, batch in batches:
            merged.extend(batch)
            ledger.append(
                (
                    self._next_batch_id + len(ledger),
                    now,
                    item.source,
                    len(batch.spans),
                    len(batch.logs),
                    batch.rejected_spans + batch.rejected_logs,
                )
            )
        new_resources = [row for rid, row in merged.resources.items() if rid not in self._known_resources]
        tables: list[tuple[str, Sequence[str], list[Row]]] = [
            (table, columns, rows)
            for table, columns, rows in (
                ("spans", SPAN_COLUMNS, merged.spans),
                ("span_events", EVENT_COLUMNS, merged.events),
                ("span_links", LINK_COLUMNS, merged.links),
                ("logs", LOG_COLUMNS, merged.logs),
                ("batches", BATCH_COLUMNS, ledger),
            )
            if rows
        ]
        try:
            self._transaction(con, new_resources, tables, arrow=True)
        except Exception as exc:  # noqa: BLE001 - retried below, raised if that fails too
            # DuckDB refuses to scan Python objects once the interpreter is exiting, which is
            # when an app's last spans are flushed; the appender needs no Python scan.
            _log.debug("a2a-observe: Arrow insert into %s failed (%s); using the appender", self.path, exc)
            self._transaction(con, new_resources, tables, arrow=False)
        self._next_batch_id += len(ledger)
        self._known_resources.update(row[0] for row in new_resources)
        self.written_spans += len(merged.spans)
        self.written_logs += len(merged.logs)

    def _transaction(
        self,
        con: duckdb.DuckDBPyConnection,
        new_resources: list[Row],
        tables: Sequence[tuple[str, Sequence[str], list[Row]]],
        *,
        arrow: bool,
    ) -> None:
        columnar = (
            [(table, self._inserts.table(con, table, columns, rows)) for table, columns, rows in tables]
            if arrow
            else []
        )
        con.execute("BEGIN TRANSACTION")
        try:
            if new_resources:
                con.executemany(_INSERT_RESOURCE, new_resources)
            if arrow:
                for table, data in columnar:
                    self._inserts.insert(con, table, data)
            else:
                for table, columns, rows in tables:
                    appender = con.appender(table, columns=list(columns))
                    appender.append_rows(rows)
                    appender.flush()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
