"""What the receiver and the import write through, whichever store a location names.

A DuckDB file gets the :class:`~a2a_observe.store.writer.StoreWriter`; a ClickHouse URL
(``chdb:///folder``, ``clickhouse://host:8123/db``) gets the writer of the exporter's schema.
Both take the same decoded batches and answer the same way (a future per batch, ``QueueFull``
when busy), so the receiver does not care which it has.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Protocol

from a2a_observe.store.clickhouse.location import is_clickhouse_location, parse_location
from a2a_observe.store.rows import Batch


class RecordWriter(Protocol):
    @property
    def path(self) -> Path | str:
        """The store, as the collector's status names it."""

    @property
    def pending(self) -> int: ...

    def submit(
        self, make: Callable[[], Batch], records: int, source: str, *, once: bool = False
    ) -> Future[None]: ...

    def flush(self, timeout: float | None = None) -> bool: ...

    def close(self, timeout: float | None = None) -> None: ...


def open_writer(location: str | Path, *, max_pending: int | None = None) -> RecordWriter:
    """The writer for a store file or a ClickHouse URL (created if missing)."""
    extra = {"max_pending": max_pending} if max_pending else {}
    if is_clickhouse_location(location):
        from a2a_observe.store.clickhouse.writer import ClickHouseWriter  # noqa: PLC0415 - optional drivers

        return ClickHouseWriter(parse_location(str(location)), **extra)
    from a2a_observe.store.writer import StoreWriter  # noqa: PLC0415 - loads duckdb

    return StoreWriter(location, **extra)
