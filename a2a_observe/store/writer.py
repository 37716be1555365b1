"""The single writer of a store file: a bounded queue, two threads and group commits.

DuckDB lets one process write a file, and a transaction per request would cap throughput at
the disk's sync rate, so every producer (exporter, receiver, import) hands its batches to this
writer. One thread converts batches into rows and Arrow tables (Python, holding the interpreter
lock); the other inserts them and commits (mostly DuckDB's own C++), so on two cores the two
halves overlap instead of taking turns. The committing thread commits whatever has been converted
in one transaction and only then resolves each batch's future: a receiver that acknowledges on
the future never acknowledges data that a crash could lose. Producers never wait on the disk;
when the queue is full, ``submit`` says so at once and the producer decides (the receiver answers
429, the exporter drops and counts).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from a2a_observe.store.columnar import ArrowInserts
from a2a_observe.store.errors import StoreError
from a2a_observe.store.rows import BATCH_COLUMNS, RESOURCE_COLUMNS, TABLE_COLUMNS, Batch, Row
from a2a_observe.store.schema import open_store

if TYPE_CHECKING:
    import duckdb
    import pyarrow

_log = logging.getLogger("a2a_observe.store")

T = TypeVar("T")

DEFAULT_MAX_PENDING = 200_000
"""Records (spans plus log records) that may wait for the writer; bounds its memory."""
CHECKPOINT_THRESHOLD = "64MB"
"""Write-ahead log size that triggers a checkpoint. DuckDB's 16 MB checkpoints more often than the
inserts it merges are worth; 64, 256 and 1024 MB measured the same within noise in
``benchmarks/ingest.py`` (timed to the final checkpoint), and the smallest keeps the log short."""
MAX_RECORDS_PER_COMMIT = 100_000
GROUP_COMMIT_RECORDS = 10_000
"""While more is being converted, the committing thread waits until this many records are ready."""
MEMORY_LIMIT = "32MB"
"""DuckDB's cache for the writer. A writer only appends, so a small cache costs it little, and
without a limit DuckDB keeps the whole growing file in memory (up to 80% of the machine)."""
THREADS = 1
"""DuckDB threads for the writer's connection: the other core converts the next batches, and
an insert this size gained nothing from a second thread in ``benchmarks/ingest.py``."""

_INSERT_RESOURCE = f"INSERT OR IGNORE INTO resources ({', '.join(RESOURCE_COLUMNS)}) VALUES (?, ?, ?, ?)"


@dataclass
class _Write:
    make: Callable[[], Batch]
    records: int
    source: str
    future: Future[Batch]


@dataclass
class _Converted:
    """A write after conversion: its rows, and the same rows as Arrow tables when those could
    be built (``None`` sends the commit that holds it through DuckDB's appender instead)."""

    write: _Write
    batch: Batch | None
    tables: dict[str, pyarrow.Table] | None


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
        self._inserts = ArrowInserts(self._con)
        self._known_resources = {
            r[0] for r in self._con.execute("SELECT resource_id FROM resources").fetchall()
        }
        row = self._con.execute("SELECT coalesce(max(batch_id), 0) FROM batches").fetchone()
        self._next_batch_id = int(row[0]) + 1 if row else 1
        self._queue: deque[_Write | _Call] = deque()
        """Submitted, waiting to be converted."""
        self._converted: deque[_Converted | _Call | None] = deque()
        """Converted, waiting to be committed, in submission order; ``None`` ends the stream."""
        self._pending = 0
        self._converting = False
        self._committing = False
        self._closing = False
        self._closed = False
        self._cond = threading.Condition()
        self.dropped = 0
        self.written_spans = 0
        self.written_logs = 0
        self._converter = threading.Thread(
            target=self._convert_loop, name=f"a2a-observe-store-convert {self.path.name}", daemon=True
        )
        self._thread = threading.Thread(
            target=self._commit_loop, name=f"a2a-observe-store {self.path.name}", daemon=True
        )
        with _OPEN_LOCK:
            _OPEN[self.path] = self
        self._converter.start()
        self._thread.start()

    def _open(self) -> duckdb.DuckDBPyConnection:
        con = open_store(self.path)
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        con.execute(f"SET threads = {THREADS}")
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
        """Run ``fn`` on the writer's connection after everything queued before it is committed
        and before anything queued after it (consistent snapshots)."""
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
            while self._queue or self._converted or self._converting or self._committing:
                if self._closed:
                    break
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self, timeout: float | None = None) -> None:
        """Write everything queued, checkpoint and release the file."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in (self._converter, self._thread):
            if thread.is_alive():
                thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    # -- the converting thread ------------------------------------------------------------------
    def _convert_loop(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._queue and not self._closing:
                        self._cond.wait()
                    if not self._queue:
                        return
                    item = self._queue.popleft()
                    self._converting = True
                converted = item if isinstance(item, _Call) else self._convert(item)
                with self._cond:
                    self._converted.append(converted)
                    self._converting = False
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._converted.append(None)
                self._converting = False
                self._cond.notify_all()

    def _convert(self, item: _Write) -> _Converted:
        try:
            batch = item.make()
        except Exception as exc:  # noqa: BLE001 - one bad batch must not stop the others
            _log.warning("a2a-observe: a batch for %s could not be converted: %s", self.path, exc)
            item.future.set_exception(exc)
            return _Converted(item, None, None)
        try:
            tables = {table: self._inserts.for_batch(batch, table) for table in TABLE_COLUMNS}
            tables = {table: arrow for table, arrow in tables.items() if arrow.num_rows}
        except Exception as exc:  # noqa: BLE001 - the appender takes this batch instead
            _log.debug("a2a-observe: no Arrow tables for a batch of %s (%s)", self.path, exc)
            return _Converted(item, batch, None)
        return _Converted(item, batch, tables)

    # -- the committing thread ------------------------------------------------------------------
    def _commit_loop(self) -> None:
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
                    self._committing = False
                    self._cond.notify_all()
        finally:
            self._release()
            with _OPEN_LOCK:
                if _OPEN.get(self.path) is self:
                    del _OPEN[self.path]
            with self._cond:
                self._closing = True
                self._closed = True
                self._committing = False
                self._cond.notify_all()
            self._converter.join()
            with self._cond:
                for item in [*self._queue, *self._converted]:
                    future = (
                        item.write.future if isinstance(item, _Converted) else item.future if item else None
                    )
                    if future is not None and not future.done():
                        future.set_exception(StoreError(f"{self.path} was closed before this was written"))
                self._queue.clear()
                self._converted.clear()
                self._cond.notify_all()

    def _next_work(self) -> list[_Converted] | _Call | None:
        with self._cond:
            while not self._converted:
                idle = self.release_when_idle if self._con is not None else None
                if not self._cond.wait(idle) and not self._converted and self._con is not None:
                    self._release()
            # Under load, wait for the converter to hand over more: a commit costs a log sync
            # whatever its size, so one per converted batch would halve the throughput.
            while (
                (self._queue or self._converting)
                and isinstance(self._converted[-1], _Converted)
                and self._converted_records() < GROUP_COMMIT_RECORDS
            ):
                self._cond.wait()
            first = self._converted[0]
            if first is None:
                return None
            self._committing = True
            if isinstance(first, _Call):
                self._converted.popleft()
                return first
            group: list[_Converted] = []
            records = 0
            while self._converted and isinstance(self._converted[0], _Converted):
                item = self._converted[0]
                if group and records + item.write.records > MAX_RECORDS_PER_COMMIT:
                    break
                self._converted.popleft()
                group.append(item)
                records += item.write.records
            return group

    def _converted_records(self) -> int:
        return sum(item.write.records for item in self._converted if isinstance(item, _Converted))

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

    def _write(self, group: list[_Converted]) -> None:
        converted = [item for item in group if item.batch is not None]
        try:
            if converted:
                self._commit(converted)
        except Exception as exc:  # noqa: BLE001 - reported through every future
            _log.warning("a2a-observe: writing %d batches to %s failed: %s", len(converted), self.path, exc)
            for item in converted:
                item.write.future.set_exception(StoreError(f"writing to {self.path} failed: {exc}"))
        else:
            for item in converted:
                assert item.batch is not None
                item.write.future.set_result(item.batch)
        finally:
            with self._cond:
                self._pending -= sum(item.write.records for item in group)

    def _commit(self, group: list[_Converted]) -> None:
        con = self._connection()
        batches = [item.batch for item in group if item.batch is not None]
        now = time.time_ns()
        ledger: list[Row] = [
            (
                self._next_batch_id + index,
                now,
                item.write.source,
                batch.span_count,
                batch.log_count,
                batch.rejected_spans + batch.rejected_logs,
            )
            for index, (item, batch) in enumerate(zip(group, batches, strict=True))
        ]
        resources: dict[str, Row] = {}
        for batch in batches:
            resources.update(batch.resources)
        new_resources = [row for rid, row in resources.items() if rid not in self._known_resources]
        try:
            self._transaction(con, new_resources, lambda: self._insert_arrow(con, group, ledger))
        except Exception as exc:  # noqa: BLE001 - retried below, raised if that fails too
            # DuckDB refuses to scan Python objects once the interpreter is exiting, which is
            # when an app's last spans are flushed; the appender needs no Python scan.
            _log.debug("a2a-observe: Arrow insert into %s failed (%s); using the appender", self.path, exc)
            self._transaction(con, new_resources, lambda: self._append(con, batches, ledger))
        self._next_batch_id += len(ledger)
        self._known_resources.update(row[0] for row in new_resources)
        self.written_spans += sum(batch.span_count for batch in batches)
        self.written_logs += sum(batch.log_count for batch in batches)

    def _insert_arrow(
        self, con: duckdb.DuckDBPyConnection, group: list[_Converted], ledger: list[Row]
    ) -> None:
        if any(item.tables is None for item in group):
            raise StoreError("a batch in this commit has no Arrow tables")
        for table in TABLE_COLUMNS:
            parts = [item.tables[table] for item in group if item.tables is not None and table in item.tables]
            if parts:
                self._inserts.insert(con, table, self._inserts.concat(parts))
        self._inserts.insert(con, "batches", self._inserts.table("batches", BATCH_COLUMNS, ledger))

    @staticmethod
    def _append(con: duckdb.DuckDBPyConnection, batches: list[Batch], ledger: list[Row]) -> None:
        sets = [
            (table, columns, [row for batch in batches for row in batch.rows(table)])
            for table, columns in TABLE_COLUMNS.items()
        ]
        for table, columns, rows in [*sets, ("batches", BATCH_COLUMNS, ledger)]:
            if rows:
                appender = con.appender(table, columns=list(columns))
                appender.append_rows(rows)
                appender.flush()

    @staticmethod
    def _transaction(
        con: duckdb.DuckDBPyConnection, new_resources: list[Row], insert: Callable[[], None]
    ) -> None:
        con.execute("BEGIN TRANSACTION")
        try:
            if new_resources:
                con.executemany(_INSERT_RESOURCE, new_resources)
            insert()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
