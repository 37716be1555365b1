"""``a2a-observe import``: OTLP JSON files, as the Collector's file exporter writes them, into a store.

The file exporter writes one export request per line (``{"resourceSpans": [...]}``,
``{"resourceLogs": [...]}`` or ``{"resourceMetrics": [...]}``); a file holding a single
pretty-printed request is read too, and ``.gz`` files are decompressed. Metric points go to the
same table as the collector's ``/v1/metrics`` (``metric_points``). A line that cannot be used
is reported with its file and line number and skipped; every other line is stored, so one bad
line loses nothing else.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

from a2a_observe.collect.otlp import JSON, PayloadError, Signal, decode_document
from a2a_observe.store.errors import BatchRefused
from a2a_observe.store.rows import Batch
from a2a_observe.store.sinks import RecordWriter
from a2a_observe.store.writer import QueueFull

_MAX_PROBLEMS_SHOWN = 20


@dataclass
class ImportReport:
    spans: int = 0
    logs: int = 0
    points: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.rejected


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _documents(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, text) of every request in the file; a whole-file document is line 1."""
    with _open(path) as handle:
        first = handle.readline()
        rest = handle.read() if first.strip() and not _is_complete(first) else None
    if rest is not None:
        yield 1, first + rest
        return
    with _open(path) as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def _is_complete(line: bytes) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _signal(document: bytes) -> Signal | None:
    head = document[:4096]
    if b"resourceSpans" in head or b"resource_spans" in head:
        return "traces"
    if b"resourceLogs" in head or b"resource_logs" in head:
        return "logs"
    if b"resourceMetrics" in head or b"resource_metrics" in head:
        return "metrics"
    return None


def _not_otlp(document: bytes) -> str:
    try:
        json.loads(document)
    except UnicodeDecodeError:
        return "line is not UTF-8 text"
    except json.JSONDecodeError as exc:
        return f"body is not valid JSON: {exc.msg} at column {exc.colno}"
    except RecursionError:
        return "JSON nests too many levels deep"
    return "not an OTLP request (no resourceSpans, resourceLogs or resourceMetrics)"


class _Sink:
    """Hands batches to the writer, waiting for earlier ones when its queue is full."""

    def __init__(self, writer: RecordWriter, report: ImportReport) -> None:
        self.writer = writer
        self.report = report
        self.futures: list[tuple[str, Future[None]]] = []

    def put(self, batch: Batch, source: str, where: str) -> None:
        while True:
            try:
                future = self.writer.submit(lambda: batch, batch.records, source, once=True)
                self.futures.append((where, future))
                return
            except QueueFull:
                self.drain(keep=len(self.futures) // 2)

    def drain(self, keep: int = 0) -> None:
        while len(self.futures) > keep:
            where, future = self.futures.pop(0)
            try:
                future.result()
            except BatchRefused as exc:
                self.report.problems.append(f"{where}: {exc}")


def import_files(
    paths: list[Path], writer: RecordWriter, on_progress: Callable[[int, str], None] | None = None
) -> ImportReport:
    """Load the files into the store; ``on_progress(bytes read, note)`` follows along."""
    report = ImportReport()
    sink = _Sink(writer, report)
    done = 0
    for path in paths:
        size = path.stat().st_size
        read = 0
        for number, document in _documents(path):
            where = f"{path}:{number}"
            read += len(document)
            signal = _signal(document)
            if signal is None:
                report.problems.append(f"{where}: {_not_otlp(document)}")
            else:
                try:
                    batch = decode_document(document, JSON, signal)
                except PayloadError as exc:
                    report.problems.append(f"{where}: {exc.message}")
                else:
                    report.spans += batch.span_count
                    report.logs += batch.log_count
                    report.points += len(batch.metrics)
                    report.rejected += batch.rejected_spans + batch.rejected_logs + batch.rejected_points
                    report.problems.extend(f"{where}: {error}" for error in batch.errors)
                    if batch.records:
                        sink.put(batch, f"import {path.name}", where)
            if on_progress is not None:
                on_progress(done + min(read, size), f"{report.spans} spans, {report.logs} logs")
        done += size
    sink.drain()
    if on_progress is not None:
        on_progress(done, f"{report.spans} spans, {report.logs} logs")
    return report
