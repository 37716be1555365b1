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

import atexit
import logging
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from a2a_observe.store.changes import Changes, Cursor
from a2a_observe.store.columnar import ArrowInserts
from a2a_observe.store.errors import BatchRefused, StoreError
from a2a_observe.store.repeats import RecentSpans
from a2a_observe.store.replica import Replica
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
GROUP_COMMIT_RECORDS = 16_000
"""While more is being converted, the committing thread waits until this many records are ready
and commits them in one transaction, one statement per table. DuckDB's Python binding takes the
interpreter lock back many times during every statement, each time waiting (up to the
interpreter's switch interval) for the converting thread to let go of it, so under load the
number of statements, more than their size, sets the cost. 16,000 measured faster than 10,000
in ``benchmarks/ingest.py``; 24,000 and transactions of a whole row group (122,880 records, which
DuckDB writes without copying them through its log) were no faster and took more memory."""
MEMORY_LIMIT = "256MB"
"""DuckDB's memory for the writer's database: without a limit DuckDB keeps the whole growing file
in memory (up to 80% of the machine). The writer only appends, but the same database also
serves readers (the replica's refresh, the Parquet files of new rows a polling reader fetches)
while a group commit of up to :data:`GROUP_COMMIT_RECORDS` records is in flight: at 32 MB a
poll during such a commit ran out of memory (a 503 for the reader, and for a sender whose
commit it was, a retry)."""
THREADS = 1
"""DuckDB threads for the writer's connection: the other core converts the next batches, and
an insert this size gained nothing from a second thread in ``benchmarks/ingest.py``."""

_INSERT_RESOURCE = f"INSERT OR IGNORE INTO resources ({', '.join(RESOURCE_COLUMNS)}) VALUES (?, ?, ?, ?)"


@dataclass
class _Write:
    make: Callable[[], Batch]
    records: int
    source: str
    future: Future[None]
    once: bool = False


@dataclass
class _Converted:
    """A write after conversion, ready to insert.

    Once its Arrow tables are built, the Python rows or columns they came from are let go (they
    take about three times the memory); only what the ledger and resources need is kept. A batch
    whose Arrow tables could not be built keeps its rows for DuckDB's appender."""

    write: _Write
    spans: int
    logs: int
    rejected: int
    resources: dict[str, Row]
    tables: dict[str, pyarrow.Table] | None
    batch: Batch | None

    def rows(self, table: str) -> list[Row]:
        if self.tables is None:
            assert self.batch is not None
            return self.batch.rows(table)
        arrow = self.tables.get(table)
        if arrow is None:
            return []
        return list(zip(*(column.to_pylist() for column in arrow.columns), strict=True))


@dataclass
class _Call:
    """A function to run on the writer's connection in submission order; ``None`` only marks a
    point that :meth:`StoreWriter.flush` waits for."""

    fn: Callable[[duckdb.DuckDBPyConnection], Any] | None
    future: Future[Any]


_PYTHON_SCANS = threading.Lock()
"""Held while a writer inserts Arrow tables, which DuckDB scans through Python objects."""
_EXITING = threading.Event()
"""Set at interpreter exit, before DuckDB's own exit handler stops scanning Python objects."""


def _stop_python_scans() -> None:
    """Switch every writer to DuckDB's appender for the spans an app flushes while it exits.

    DuckDB refuses queries that scan Python objects once its exit handler has run, and a refused
    statement would abort its group's transaction with every batch in it. This handler is registered
    after ``duckdb`` is imported, so it runs before DuckDB's, and it waits for an insert under
    way to finish."""
    with _PYTHON_SCANS:
        _EXITING.set()


_OPEN_LOCK = threading.Lock()
_OPEN: dict[Path, StoreWriter] = {}


def writer_for(path: str | Path) -> StoreWriter | None:
    """The writer this process has open on ``path``, if any (DuckDB allows one per file)."""
    with _OPEN_LOCK:
        return _OPEN.get(Path(path).resolve())


def configure_writer(con: duckdb.DuckDBPyConnection) -> None:
    """The writer's connection settings (:data:`MEMORY_LIMIT`, :data:`CHECKPOINT_THRESHOLD`,
    :data:`THREADS`), also for benchmarks that price its statements on their own."""
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    con.execute(f"SET threads = {THREADS}")


def _is_data_error(exc: Exception) -> bool:
    """DuckDB's errors about values (out of range, not convertible, violating a constraint), as
    opposed to errors about the file or the machine (I/O, memory), which a retry may get past."""
    import duckdb  # noqa: PLC0415 - loaded with the store already

    data_errors = (duckdb.DataError, duckdb.ConstraintException, duckdb.InvalidInputException)
    return isinstance(exc, data_errors)


_NEW_SPANS = "a2a_observe_new_spans"
_NEW_ROWS = "a2a_observe_new_rows"
_SEEN = "a2a_observe_seen_spans"
_PER_SPAN_KEYS = {"spans": "trace_id, span_id", "span_events": "trace_id, span_id, seq"}
_PER_SPAN_KEYS["span_links"] = _PER_SPAN_KEYS["span_events"]


def _start_window(spans: pyarrow.Table) -> tuple[int, int] | None:
    """The earliest and latest start of the spans about to be inserted."""
    import pyarrow.compute as pc  # noqa: PLC0415 - loaded with the writer's Arrow tables

    bounds = pc.min_max(spans.column("start_ns")).as_py()
    if bounds["min"] is None or bounds["max"] is None:
        return None
    return int(bounds["min"]), int(bounds["max"])


def _has_repeats(con: duckdb.DuckDBPyConnection, spans: pyarrow.Table, window: tuple[int, int]) -> bool:
    """Whether any span about to be inserted is stored already, or comes twice.

    A sender whose request timed out after the store committed it sends the same spans again
    (OTLP exporters retry); a span is the same span when its trace id, span id and start are.
    The lookup is limited to stored spans that started within the new spans' window, so DuckDB
    reads only the row groups whose zone maps overlap it (recent ones, as spans come roughly in
    time order)."""
    con.register(_NEW_SPANS, spans)
    try:
        row = con.execute(
            f"""SELECT EXISTS (SELECT 1 FROM {_NEW_SPANS} n WHERE EXISTS (
                    SELECT 1 FROM spans s WHERE s.start_ns BETWEEN ? AND ?
                    AND s.trace_id = n.trace_id AND s.span_id = n.span_id AND s.start_ns = n.start_ns))
                OR EXISTS (SELECT 1 FROM {_NEW_SPANS} GROUP BY trace_id, span_id HAVING count(*) > 1)""",
            list(window),
        ).fetchall()
    finally:
        con.unregister(_NEW_SPANS)
    return bool(row and row[0][0])


def _insert_once(
    con: duckdb.DuckDBPyConnection, tables: dict[str, pyarrow.Table], window: tuple[int, int]
) -> None:
    """Insert a group that repeats spans: each span once, with its events and links once, and
    nothing of a span the store holds already."""
    con.register(_NEW_SPANS, tables["spans"])
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {_SEEN} AS SELECT DISTINCT n.trace_id, n.span_id
                FROM {_NEW_SPANS} n JOIN spans s ON s.start_ns BETWEEN ? AND ?
                AND s.trace_id = n.trace_id AND s.span_id = n.span_id AND s.start_ns = n.start_ns""",
            list(window),
        )
    finally:
        con.unregister(_NEW_SPANS)
    try:
        for table, arrow in tables.items():
            keys = _PER_SPAN_KEYS.get(table)
            columns = ", ".join(arrow.column_names)
            con.register(_NEW_ROWS, arrow)
            try:
                if keys is None:
                    con.execute(f"INSERT INTO {table} ({columns}) SELECT * FROM {_NEW_ROWS}")
                    continue
                con.execute(
                    f"""INSERT INTO {table} ({columns})
                        SELECT {columns} FROM (
                            SELECT *, row_number() OVER (PARTITION BY {keys}) AS a2a_observe_copy
                            FROM {_NEW_ROWS}) n
                        WHERE a2a_observe_copy = 1 AND NOT EXISTS (SELECT 1 FROM {_SEEN} k
                            WHERE k.trace_id = n.trace_id AND k.span_id = n.span_id)"""
                )
            finally:
                con.unregister(_NEW_ROWS)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_SEEN}")


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
        self._recent: RecentSpans | None = None
        """The spans inserted lately, for batches that may repeat some (see ``repeats``)."""
        self._replica_lock = threading.Lock()
        self._replica: Replica | None = None
        self._reader: duckdb.DuckDBPyConnection | None = None
        """A cursor beside the writer's connection, for the replica (see ``snapshot``)."""
        self._con: duckdb.DuckDBPyConnection | None = self._open()
        self._inserts = ArrowInserts(self._con)
        self._known_resources = {
            r[0] for r in self._con.execute("SELECT resource_id FROM resources").fetchall()
        }
        rows = self._con.execute("SELECT coalesce(max(batch_id), 0) FROM batches").fetchall()
        self._next_batch_id = int(rows[0][0]) + 1 if rows else 1
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
        self._recent = None
        con = open_store(self.path)
        atexit.unregister(_stop_python_scans)
        atexit.register(_stop_python_scans)  # after duckdb's own, so it runs before it
        configure_writer(con)
        with self._replica_lock:
            self._reader = con.cursor()
        return con

    # -- producers ------------------------------------------------------------------------------
    def warm(self) -> Future[None]:
        """Load now what the first insert would load (a server calls this as it starts)."""
        return self.call(self._inserts.warm)

    @property
    def pending(self) -> int:
        return self._pending

    def submit(
        self, make: Callable[[], Batch], records: int, source: str, *, once: bool = False
    ) -> Future[None]:
        """Queue a batch; the future resolves once it is committed. Raises :class:`QueueFull`.

        ``once``: the batch may repeat spans already stored (a sender retrying a request whose
        answer it never got), and those are stored only once (see ``_has_repeats``). The
        in-process exporter never sends a span twice and skips the lookup."""
        future: Future[None] = Future()
        with self._cond:
            if self._closing:
                raise StoreError(f"{self.path} is closing; no more batches are accepted")
            if self._pending and self._pending + records > self.max_pending:
                raise QueueFull(f"{self._pending} records are waiting to be written to {self.path}")
            self._queue.append(_Write(make, records, source, future, once))
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

    def snapshot(self, target: Path, timeout: float | None = None) -> Path:
        """Write into ``target`` a store holding everything committed before this call.

        Made from the replica (:mod:`a2a_observe.store.replica`) on the calling thread, so the
        writer goes on committing meanwhile. While the file is released (see
        ``release_when_idle``) it is copied between two commits instead."""
        self.snapshot_at(target, timeout)
        return target

    def snapshot_at(self, target: Path, timeout: float | None = None) -> Cursor | None:
        """:meth:`snapshot`, and the cursor where it ends (None when it was not made from the
        replica, so no changes can be asked for after it)."""
        replica = self._current_replica(create=True)
        if replica is not None:
            try:
                return replica.copy(target)
            except RuntimeError:  # closed meanwhile with the connection; copy the file instead
                pass
        from a2a_observe.store.snapshot import write_snapshot  # noqa: PLC0415 - imports this module

        self.call(lambda con: write_snapshot(con, target)).result(timeout)
        return None

    def changes(self, since: Cursor, folder: Path) -> Changes | None:
        """The rows committed past ``since`` (:meth:`Replica.changes`), or None when the reader
        needs a whole snapshot. Made on the calling thread; the writer goes on committing."""
        replica = self._current_replica(create=False)
        if replica is None:
            return None
        try:
            return replica.changes(since, folder)
        except RuntimeError:
            return None

    def _current_replica(self, *, create: bool) -> Replica | None:
        with self._replica_lock:
            replica = self._replica
            if create and replica is None and self._reader is not None and self._con is not None:
                folder = Path(tempfile.mkdtemp(prefix="a2a-observe-replica-"))
                replica = self._replica = Replica(self._reader, folder)
            return replica

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before this call is committed; batches that keep coming
        meanwhile neither delay it nor are waited for."""
        marker: Future[Any] = Future()
        with self._cond:
            if self._closed or not (self._queue or self._converted or self._converting or self._committing):
                return True
            self._queue.append(_Call(None, marker))
            self._cond.notify_all()
        try:
            marker.result(timeout)
        except TimeoutError:
            return False
        except StoreError:
            return self._closed
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
                    if converted is not None:
                        self._converted.append(converted)
                    elif isinstance(item, _Write):
                        self._pending -= item.records
                    self._converting = False
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._converted.append(None)
                self._converting = False
                self._cond.notify_all()

    def _convert(self, item: _Write) -> _Converted | None:
        """``None`` when the batch could not be converted (its future already says why)."""
        try:
            batch = item.make()
        except Exception as exc:  # noqa: BLE001 - one bad batch must not stop the others
            _log.warning("a2a-observe: a batch for %s could not be converted: %s", self.path, exc)
            item.future.set_exception(exc)
            return None
        tables: dict[str, pyarrow.Table] | None
        try:
            tables = {table: self._inserts.for_batch(batch, table) for table in TABLE_COLUMNS}
            tables = {table: arrow for table, arrow in tables.items() if arrow.num_rows}
        except Exception as exc:  # noqa: BLE001 - the appender takes this batch instead
            _log.debug("a2a-observe: no Arrow tables for a batch of %s (%s)", self.path, exc)
            tables = None
        return _Converted(
            item,
            spans=batch.span_count,
            logs=batch.log_count,
            rejected=batch.rejected_spans + batch.rejected_logs + batch.rejected_points,
            resources=batch.resources,
            tables=tables,
            batch=batch if tables is None else None,
        )

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
            # Under load, wait for the converter to hand over more (see GROUP_COMMIT_RECORDS).
            while (
                (self._queue or self._converting)
                and isinstance(self._converted[-1], _Converted)
                and self._converted_records() < GROUP_COMMIT_RECORDS
                and not any(isinstance(item, _Call) for item in self._queue)
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
        with self._replica_lock:
            replica, reader = self._replica, self._reader
            self._replica = self._reader = None
        if replica is not None:
            replica.close()  # closes the cursor too
        elif reader is not None:
            reader.close()
        if self._con is not None:
            try:
                self._con.close()
            except Exception as exc:  # noqa: BLE001 - closing must not kill the writer
                _log.warning("a2a-observe: closing %s failed: %s", self.path, exc)
            self._con = None

    def _run_call(self, call: _Call) -> None:
        try:
            call.future.set_result(None if call.fn is None else call.fn(self._connection()))
        except Exception as exc:  # noqa: BLE001 - handed to whoever asked
            call.future.set_exception(exc)

    def _write(self, group: list[_Converted]) -> None:
        """Commit a group in one transaction, then resolve its futures.

        If the group's transaction fails, each batch is committed again on its own, so a batch
        the store cannot take fails alone (:class:`BatchRefused`) and never takes the batches of
        other producers that shared its transaction down with it."""
        released = [False]

        def release() -> None:
            """The group's records stop counting against ``max_pending`` once DuckDB holds them,
            before the commit's log sync, so producers refill the queue meanwhile."""
            if not released[0]:
                released[0] = True
                with self._cond:
                    self._pending -= sum(item.write.records for item in group)
                    self._cond.notify_all()

        try:
            self._commit(group, release)
        except Exception as exc:  # noqa: BLE001 - retried batch by batch, then reported
            if len(group) == 1:
                self._fail(group[0], exc, alone=False)
            else:
                self._write_alone(group)
        else:
            for item in group:
                item.write.future.set_result(None)
        finally:
            release()

    def _write_alone(self, group: list[_Converted]) -> None:
        failed: list[tuple[_Converted, Exception]] = []
        for item in group:
            try:
                self._commit([item], lambda: None)
            except Exception as exc:  # noqa: BLE001 - reported through its own future
                failed.append((item, exc))
            else:
                item.write.future.set_result(None)
        # When every batch failed on its own too, the store is at fault, not the data.
        alone = len(failed) < len(group)
        for item, error in failed:
            self._fail(item, error, alone=alone)

    def _fail(self, item: _Converted, exc: Exception, *, alone: bool) -> None:
        refused = alone or _is_data_error(exc)
        _log.warning(
            "a2a-observe: a batch of %d records from %s was not written to %s: %s",
            item.write.records,
            item.write.source,
            self.path,
            exc,
        )
        kind = BatchRefused if refused else StoreError
        item.write.future.set_exception(kind(f"writing to {self.path} failed: {exc}"))

    def _commit(self, group: list[_Converted], inserted: Callable[[], None]) -> None:
        con = self._connection()
        now = time.time_ns()
        ledger: list[Row] = [
            (self._next_batch_id + index, now, item.write.source, item.spans, item.logs, item.rejected)
            for index, item in enumerate(group)
        ]
        resources: dict[str, Row] = {}
        for item in group:
            resources.update(item.resources)
        new_resources = [row for rid, row in resources.items() if rid not in self._known_resources]
        con.execute("BEGIN TRANSACTION")
        try:
            if new_resources:
                con.executemany(_INSERT_RESOURCE, new_resources)
            with _PYTHON_SCANS:
                arrow = not _EXITING.is_set() and all(item.tables is not None for item in group)
                if arrow:
                    self._insert_arrow(con, group, ledger)
            if not arrow:
                # Batches without Arrow tables, and what an app flushes at exit (see
                # ``_stop_python_scans``), go through the appender, which scans no Python object.
                self._append(con, group, ledger)
            inserted()
            con.execute("COMMIT")
        except BaseException:
            try:
                con.execute("ROLLBACK")
            except Exception as exc:  # noqa: BLE001 - the first error is the one to report
                _log.debug("a2a-observe: rollback on %s failed: %s", self.path, exc)
            raise
        self._next_batch_id += len(ledger)
        self._known_resources.update(row[0] for row in new_resources)
        self.written_spans += sum(item.spans for item in group)
        self.written_logs += sum(item.logs for item in group)

    def _insert_arrow(
        self, con: duckdb.DuckDBPyConnection, group: list[_Converted], ledger: list[Row]
    ) -> None:
        tables: dict[str, pyarrow.Table] = {}
        for table in TABLE_COLUMNS:
            parts = [item.tables[table] for item in group if item.tables is not None and table in item.tables]
            if parts:
                tables[table] = self._inserts.concat(parts)
        spans = tables.get("spans")
        once = any(item.write.once for item in group)
        repeated = self._repeated_window(con, spans, once=once) if spans is not None else None
        if repeated is not None:
            _insert_once(con, tables, repeated)
        else:
            for table, arrow in tables.items():
                self._inserts.insert(con, table, arrow)
        self._inserts.insert(con, "batches", self._inserts.table("batches", BATCH_COLUMNS, ledger))

    def _repeated_window(
        self, con: duckdb.DuckDBPyConnection, spans: pyarrow.Table, *, once: bool
    ) -> tuple[int, int] | None:
        """The start window of spans about to be inserted when some of them are stored already
        or come twice, else None; either way the recent spans (``repeats``) learn of them."""
        recent = self._recent
        if not once and recent is None:
            return None
        window = _start_window(spans)
        if window is None:
            return None
        if not once:
            assert recent is not None
            recent.stored_unseen(window[1])
            return None
        recent = self._recent_spans(con)
        keys = recent.keys(spans)
        repeats = recent.may_repeat(keys, window[0]) and _has_repeats(con, spans, window)
        recent.stored(keys, window[1])
        return window if repeats else None

    def _recent_spans(self, con: duckdb.DuckDBPyConnection) -> RecentSpans:
        """Made when the first batch that may repeat spans comes (a receiver's), covering what
        starts after everything the file holds; forgotten whenever the file is let go, as
        another process may write it meanwhile."""
        if self._recent is None:
            rows = con.execute("SELECT max(start_ns) FROM spans").fetchall()
            latest = rows[0][0] if rows else None
            self._recent = RecentSpans(-(2**63) if latest is None else int(latest) + 1)
        return self._recent

    @staticmethod
    def _append(con: duckdb.DuckDBPyConnection, group: list[_Converted], ledger: list[Row]) -> None:
        sets = [
            (table, columns, [row for item in group for row in item.rows(table)])
            for table, columns in TABLE_COLUMNS.items()
        ]
        for table, columns, rows in [*sets, ("batches", BATCH_COLUMNS, ledger)]:
            if rows:
                appender = con.appender(table, columns=list(columns))
                appender.append_rows(rows)
                appender.flush()
