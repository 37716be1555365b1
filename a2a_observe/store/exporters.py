"""OpenTelemetry exporters that write spans and log records into a store in this process.

``export`` only queues the SDK's objects for the store's writer threads, which convert and
commit them, so neither the SDK's batch processor nor (with a simple processor) the
application's own thread ever waits on DuckDB. When the writer is full the batch is dropped,
counted and logged once: telemetry must never back up into the application.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from a2a_observe.safety import report_internal_error
from a2a_observe.store.rows import Batch
from a2a_observe.store.sdk_rows import logs_batch, spans_batch
from a2a_observe.store.writer import DEFAULT_MAX_PENDING, QueueFull, StoreWriter

if TYPE_CHECKING:
    from opentelemetry.sdk._logs import ReadableLogRecord
    from opentelemetry.sdk.trace import ReadableSpan

_log = logging.getLogger("a2a_observe.store")

DEFAULT_RELEASE_WHEN_IDLE = 1.0
"""Seconds without data after which an in-process writer lets go of the file for readers."""


class _SharedWriters:
    """One writer per file per process: spans and logs of one app share a file and a thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._writers: dict[Path, tuple[StoreWriter, int]] = {}

    def acquire(self, path: Path, max_pending: int, release_when_idle: float | None) -> StoreWriter:
        key = path.resolve()
        with self._lock:
            writer, users = self._writers.get(key, (None, 0))
            if writer is None:
                writer = StoreWriter(key, max_pending=max_pending, release_when_idle=release_when_idle)
            self._writers[key] = (writer, users + 1)
            return writer

    def release(self, writer: StoreWriter, timeout: float | None) -> None:
        key = writer.path
        with self._lock:
            current, users = self._writers.get(key, (None, 0))
            if current is not writer:
                return
            if users > 1:
                self._writers[key] = (writer, users - 1)
                return
            del self._writers[key]
        writer.close(timeout)


_WRITERS = _SharedWriters()


class _StoreExporter:
    def __init__(
        self,
        path: str | Path,
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
        release_when_idle: float | None = DEFAULT_RELEASE_WHEN_IDLE,
    ) -> None:
        self.writer = _WRITERS.acquire(Path(path), max_pending, release_when_idle)
        self._shut_down = False
        self.dropped = 0

    def _queue(self, make: Callable[[], Batch], records: int, source: str) -> bool:
        if self._shut_down:
            return False
        try:
            self.writer.submit(make, records, source)
        except QueueFull as exc:
            self.dropped += records
            report_internal_error(f"store exporter {self.writer.path} (queue full, records dropped)", exc)
            return False
        except Exception as exc:  # noqa: BLE001 - never raise into the SDK's processor
            self.dropped += records
            report_internal_error(f"store exporter {self.writer.path}", exc)
            return False
        return True

    def _flush(self, timeout_millis: int) -> bool:
        return self.writer.flush(timeout_millis / 1000)

    def _shutdown(self) -> None:
        if not self._shut_down:
            self._shut_down = True
            _WRITERS.release(self.writer, 30.0)


class DuckDBSpanExporter(_StoreExporter, SpanExporter):
    """Writes finished spans to a store file (see ``docs/store.md``)."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        batch = list(spans)
        if not batch:
            return SpanExportResult.SUCCESS
        ok = self._queue(lambda: spans_batch(batch), len(batch), "exporter")
        return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._flush(timeout_millis)

    def shutdown(self) -> None:
        self._shutdown()


class DuckDBLogExporter(_StoreExporter, LogRecordExporter):
    """Writes log records to a store file (see ``docs/store.md``)."""

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        records = list(batch)
        if not records:
            return LogRecordExportResult.SUCCESS
        ok = self._queue(lambda: logs_batch(records), len(records), "exporter")
        return LogRecordExportResult.SUCCESS if ok else LogRecordExportResult.FAILURE

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._flush(timeout_millis)

    def shutdown(self) -> None:
        self._shutdown()
