"""The OTLP/HTTP receiver as an ASGI app: ``/v1/traces``, ``/v1/logs``, ``/v1/metrics``,
``/v1/snapshot``, the status at ``/`` and an open ``/health``.

A request is acknowledged only after the store has committed it, so a 200 means the data
survives a crash of the collector. When the writer's queue is full the answer is 429 with
``Retry-After`` (OTLP exporters retry those), which keeps the collector's memory bounded
however fast agents send.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from a2a_observe.collect.decoding import Decoders
from a2a_observe.collect.otlp import (
    CODE_INVALID_ARGUMENT,
    CODE_RESOURCE_EXHAUSTED,
    CODE_UNAUTHENTICATED,
    CODE_UNAVAILABLE,
    JSON,
    PROTOBUF,
    Limits,
    PayloadError,
    Signal,
    media_type,
    status_body,
    success_body,
)
from a2a_observe.store.changes import (
    CHANGES_TYPE,
    CURSOR_HEADER,
    SINCE,
    SNAPSHOT_PATH,
    SNAPSHOT_TYPE,
    Cursor,
    pack,
)
from a2a_observe.store.errors import BatchRefused, StoreError
from a2a_observe.store.sinks import RecordWriter
from a2a_observe.store.writer import QueueFull, StoreWriter

TRACES_PATH = "/v1/traces"
LOGS_PATH = "/v1/logs"
METRICS_PATH = "/v1/metrics"
HEALTH_PATH = "/health"
RETRY_AFTER_FULL = 1
RETRY_AFTER_UNAVAILABLE = 5


@dataclass
class ReceiverSettings:
    token: str | None = None
    limits: Limits = field(default_factory=Limits)
    decoders: int = 0
    """Processes that decode request bodies (see ``collect.decoding``); 0 decodes in threads."""


@dataclass
class ReceiverStats:
    accepted_spans: int = 0
    accepted_logs: int = 0
    accepted_points: int = 0
    rejected: int = 0
    truncated: int = 0
    refused_requests: int = 0


def _error(status: int, code: int, message: str, fmt: str, retry_after: int | None = None) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="a2a-observe"'}
    return Response(status_body(code, message, fmt), status_code=status, media_type=fmt, headers=headers)


SNAPSHOT_BUDGET = 0.1
"""Share of the time that making whole snapshots may take. They no longer stop the writer (see
``StoreWriter.snapshot``), but on a small machine they still take a core from it, and a reader
polling in a loop (a live debugger, ``check`` in a script) would otherwise take as much as it
asks for. Readers that poll ask for changes instead (:mod:`a2a_observe.store.changes`), which
cost in proportion to what is new, so they are not held back."""
MAX_SNAPSHOT_WAIT = 5.0
"""The longest a reader is held back by the budget, well inside a reader's default timeout
(10 s): after a snapshot of a very large store the budget would otherwise outlast it."""


class Snapshots:
    """Snapshots made at most as often as :data:`SNAPSHOT_BUDGET` allows, shared by readers.

    A reader always gets a snapshot made after its request arrived, so it sees everything
    acknowledged before it asked. A new one is made no sooner than the last one's cost divided
    by the budget after it (a copy that took 50 ms is made again at most every 0.5 s): a reader
    asking sooner waits for it, and readers asking meanwhile share it. Each reader streams from
    its own open file handle, so a newer snapshot can replace the file while it reads."""

    def __init__(self, writer: StoreWriter, budget: float = SNAPSHOT_BUDGET) -> None:
        self.writer = writer
        self.budget = budget
        self.folder = Path(tempfile.mkdtemp(prefix="a2a-observe-snapshots-"))
        self.current: Path | None = None
        self.started = 0.0
        """When the last snapshot was asked of the writer: it holds what was committed before."""
        self.made_at = 0.0
        self.cost = 0.0
        self.cursor: Cursor | None = None
        self.taken = 0
        self._lock = asyncio.Lock()

    async def latest(self) -> tuple[BinaryIO, int, Cursor | None]:
        """An open snapshot file, its size, and the cursor where it ends."""
        asked = time.monotonic()
        async with self._lock:
            if self.current is None or self.started < asked:
                wait = self.made_at + self.cost / self.budget - time.monotonic()
                await asyncio.sleep(min(max(0.0, wait), MAX_SNAPSHOT_WAIT))
                self.taken += 1
                target = self.folder / f"snapshot-{self.taken}.duckdb"
                started = time.monotonic()
                try:
                    cursor = await asyncio.to_thread(self.writer.snapshot_at, target)
                except BaseException:
                    target.unlink(missing_ok=True)
                    raise
                self.started = started
                self.made_at = time.monotonic()
                self.cost = self.made_at - started
                previous, self.current, self.cursor = self.current, target, cursor
                if previous is not None:
                    previous.unlink(missing_ok=True)  # readers still streaming it keep their handle
            handle = self.current.open("rb")
            return handle, os.fstat(handle.fileno()).st_size, self.cursor

    async def changes(self, since: Cursor) -> tuple[BinaryIO, int, Cursor] | Cursor | None:
        """The rows committed past ``since`` as an open bundle, its size and the cursor it brings
        the reader to; only that cursor when nothing is new; None when a whole snapshot is needed."""
        self.taken += 1
        folder = self.folder / f"changes-{self.taken}"
        folder.mkdir()
        try:
            found = await asyncio.to_thread(self.writer.changes, since, folder)
            if found is None or found.empty:
                return None if found is None else found.until
            bundle = await asyncio.to_thread(pack, found, folder / "changes.tar")
            handle = bundle.open("rb")
            return handle, os.fstat(handle.fileno()).st_size, found.until
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # an open bundle is read through its handle

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _cursor(text: str | None) -> Cursor | None:
    """A reader's cursor; one that does not parse is unknown, and gets a whole snapshot."""
    if text is None:
        return None
    try:
        return Cursor.parse(text)
    except ValueError:
        return None


def _file(handle: BinaryIO, size: int, cursor: Cursor | None, media: str, name: str) -> Response:
    def chunks() -> Iterator[bytes]:
        while chunk := handle.read(1 << 20):
            yield chunk

    headers = {"Content-Length": str(size), "Content-Disposition": f'attachment; filename="{name}"'}
    if cursor is not None:
        headers[CURSOR_HEADER] = str(cursor)
    return StreamingResponse(
        chunks(), media_type=media, headers=headers, background=BackgroundTask(handle.close)
    )


class Receiver:
    def __init__(self, writer: RecordWriter, settings: ReceiverSettings) -> None:
        self.writer = writer
        self.settings = settings
        self.stats = ReceiverStats()
        self.snapshots = Snapshots(writer) if isinstance(writer, StoreWriter) else None
        self.decoders = Decoders(settings.decoders)

    def start(self) -> None:
        """Spawn the decoders and load what the first batch needs before the first request."""
        self.decoders.start()
        if isinstance(self.writer, StoreWriter):
            self.writer.warm()

    def close(self) -> None:
        self.decoders.close()
        if self.snapshots is not None:
            self.snapshots.close()

    def _unauthorized(self, request: Request, fmt: str) -> Response | None:
        token = self.settings.token
        if not token:
            return None
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode()):
            return None
        why = "missing Authorization header" if not given else "wrong bearer token"
        return _error(401, CODE_UNAUTHENTICATED, f"{why}; this collector requires a bearer token", fmt)

    async def _body(self, request: Request) -> bytes:
        limit = self.settings.limits.max_body
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise PayloadError(413, f"body of {declared} bytes exceeds the limit of {limit}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadError(413, f"body exceeds the limit of {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def endpoint(self, signal: Signal) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            content_type = request.headers.get("content-type")
            fmt = media_type(content_type) or PROTOBUF
            refused = self._unauthorized(request, fmt)
            if refused is not None:
                return refused
            try:
                body = await self._body(request)
                batch = await self.decoders.decode(
                    body,
                    content_type,
                    request.headers.get("content-encoding"),
                    signal,
                    self.settings.limits,
                )
            except PayloadError as exc:
                self.stats.refused_requests += 1
                return _error(exc.status, CODE_INVALID_ARGUMENT, exc.message, fmt)
            if batch.records:
                try:
                    future = self.writer.submit(lambda: batch, batch.records, f"otlp {signal}", once=True)
                except QueueFull as exc:
                    return _error(
                        429, CODE_RESOURCE_EXHAUSTED, f"collector is busy: {exc}", fmt, RETRY_AFTER_FULL
                    )
                except StoreError as exc:
                    return _error(503, CODE_UNAVAILABLE, str(exc), fmt, RETRY_AFTER_UNAVAILABLE)
                try:
                    await asyncio.wrap_future(future)
                except BatchRefused as exc:
                    # The data itself cannot be stored: a retry would fail the same way.
                    self.stats.refused_requests += 1
                    return _error(400, CODE_INVALID_ARGUMENT, f"not stored: {exc}", fmt)
                except Exception as exc:  # noqa: BLE001 - the sender is told and retries
                    return _error(
                        503, CODE_UNAVAILABLE, f"not stored, try again: {exc}", fmt, RETRY_AFTER_UNAVAILABLE
                    )
            self.stats.accepted_spans += batch.span_count
            self.stats.accepted_logs += batch.log_count
            self.stats.accepted_points += len(batch.metrics)
            self.stats.rejected += batch.rejected_spans + batch.rejected_logs + batch.rejected_points
            self.stats.truncated += batch.truncated
            return Response(success_body(batch, signal, fmt), media_type=fmt)

        return handle

    async def snapshot(self, request: Request) -> Response:
        refused = self._unauthorized(request, JSON)
        if refused is not None:
            return refused
        if self.snapshots is None:
            return _error(
                404,
                CODE_INVALID_ARGUMENT,
                f"this collector writes {self.writer.path}; readers open it there, no snapshot is needed",
                JSON,
            )
        try:
            since = _cursor(request.query_params.get(SINCE))
            if since is not None:
                found = await self.snapshots.changes(since)
                if isinstance(found, Cursor):
                    return Response(status_code=304, headers={CURSOR_HEADER: str(found)})
                if found is not None:
                    handle, size, until = found
                    return _file(handle, size, until, CHANGES_TYPE, "changes.tar")
            handle, size, cursor = await self.snapshots.latest()
        except Exception as exc:  # noqa: BLE001 - reported to the reader
            return _error(503, CODE_UNAVAILABLE, f"snapshot failed: {exc}", JSON, RETRY_AFTER_UNAVAILABLE)
        return _file(handle, size, cursor, SNAPSHOT_TYPE, "snapshot.duckdb")

    async def health(self, request: Request) -> Response:
        """Liveness for load balancers and probes: open to all, so it says nothing else."""
        return JSONResponse({"status": "ok"})

    async def status(self, request: Request) -> Response:
        """What the collector writes and has taken in; behind the token like everything else."""
        refused = self._unauthorized(request, JSON)
        if refused is not None:
            return refused
        return JSONResponse(
            {
                "store": str(self.writer.path),
                "pending": self.writer.pending,
                "accepted_spans": self.stats.accepted_spans,
                "accepted_logs": self.stats.accepted_logs,
                "accepted_points": self.stats.accepted_points,
                "rejected": self.stats.rejected,
                "truncated": self.stats.truncated,
                "refused_requests": self.stats.refused_requests,
            }
        )


def create_app(writer: RecordWriter, settings: ReceiverSettings | None = None) -> Starlette:
    receiver = Receiver(writer, settings or ReceiverSettings())
    app = Starlette(
        routes=[
            Route(TRACES_PATH, receiver.endpoint("traces"), methods=["POST"]),
            Route(LOGS_PATH, receiver.endpoint("logs"), methods=["POST"]),
            Route(METRICS_PATH, receiver.endpoint("metrics"), methods=["POST"]),
            Route(SNAPSHOT_PATH, receiver.snapshot, methods=["GET"]),
            Route(HEALTH_PATH, receiver.health, methods=["GET"]),
            Route("/", receiver.status, methods=["GET"]),
        ]
    )
    app.state.receiver = receiver
    return app
