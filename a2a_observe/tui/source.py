"""Where the debugger reads from: a store file, or a collector it keeps polling.

A finished store is opened read-only in place: copying a million spans into memory first
would cost a second before anything could be shown. A store that someone is writing cannot
be opened in place (DuckDB allows no reader beside a writer), so it is read through a
snapshot, and a collector's store is read through snapshots taken again every few seconds.

Every read gets its own cursor, so Textual workers on different threads never share one
DuckDB connection at the same time.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from a2a_observe.store.errors import StoreError
from a2a_observe.store.schema import SCHEMA_VERSION, connect, current_version
from a2a_observe.store.snapshot import download_snapshot, find_collector, open_snapshot, reader_token
from a2a_observe.store.writer import writer_for

if TYPE_CHECKING:
    import duckdb

T = TypeVar("T")
DEFAULT_COLLECTOR = "http://127.0.0.1:4318"
"""Where ``a2a-observe collect`` listens unless told otherwise."""


@dataclass(frozen=True)
class Revision:
    """What a snapshot holds, to tell whether a fresh one has anything new."""

    spans: int
    logs: int


def _revision(con: duckdb.DuckDBPyConnection) -> Revision:
    row = con.execute("SELECT (SELECT count(*) FROM spans), (SELECT count(*) FROM logs)").fetchone()
    return Revision(int(row[0]), int(row[1])) if row else Revision(0, 0)


class Source:
    """One store as the debugger sees it; ``refresh`` is a no-op unless it is live."""

    def __init__(
        self,
        label: str,
        open_connection: Callable[[], duckdb.DuckDBPyConnection],
        *,
        live: bool,
        collector: str | None = None,
    ) -> None:
        self.label = label
        self.live = live
        self.collector = collector
        """The collector's base URL when the source is one (or a store a collector writes)."""
        self._open = open_connection
        self._lock = threading.Lock()
        self._con = open_connection()
        self.revision = _revision(self._con)

    @property
    def otlp_endpoint(self) -> str:
        """Where agents send their spans for this source to show them."""
        base = (self.collector or DEFAULT_COLLECTOR).rstrip("/")
        return f"{base}/v1/traces"

    def read(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``fn`` on a cursor of the current snapshot; safe from any thread."""
        with self._lock:
            cursor = self._con.cursor()
        try:
            return fn(cursor)
        finally:
            cursor.close()

    def refresh(self) -> bool:
        """Take a new snapshot of a live store; True when it holds new records."""
        if not self.live:
            return False
        fresh = self._open()
        revision = _revision(fresh)
        if revision == self.revision:
            fresh.close()
            return False
        with self._lock:
            self._con, self.revision = fresh, revision
        return True

    def close(self) -> None:
        """Best effort: a worker still reading keeps the database alive through its cursor."""
        with self._lock, contextlib.suppress(Exception):
            self._con.close()


def _in_place(path: Path) -> duckdb.DuckDBPyConnection | None:
    """The file itself, read-only, when no one holds it for writing."""
    if writer_for(path) is not None or find_collector(path) is not None:
        return None
    try:
        con = connect(path, read_only=True)
    except StoreError as exc:
        if "open for writing" in str(exc):
            return None
        raise
    try:
        version = current_version(con, str(path))
    except StoreError:
        con.close()
        raise
    if version != SCHEMA_VERSION:
        con.close()  # older files are migrated in a snapshot; newer ones are refused there
        return None
    return con


def open_source(
    db: str | Path | None = None,
    *,
    attach: str | None = None,
    token: str | None = None,
    timeout: float = 10.0,
) -> Source:
    """The source for a store file or a collector's URL (exactly one of them)."""
    token = token if token is not None else reader_token()
    if attach is not None:
        return Source(attach, lambda: download_snapshot(attach, token, timeout), live=True, collector=attach)
    if db is None:
        raise StoreError("a store file or a collector URL is needed")
    path = Path(db)
    if not path.exists():
        raise StoreError(f"{path} does not exist")
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store file")
    con = _in_place(path)
    if con is not None:
        opened = con

        def reuse() -> duckdb.DuckDBPyConnection:
            return opened

        return Source(str(path), reuse, live=False)
    found = find_collector(path)
    return Source(
        str(path),
        lambda: open_snapshot(path, timeout=timeout, token=token),
        live=found is not None,
        collector=found.url if found is not None else None,
    )
