"""Running the receiver: bind, announce, serve until SIGTERM or SIGINT, then close the store.

uvicorn stops taking connections on SIGTERM and lets requests in flight finish; each of those
is acknowledged only after its commit, and the store is closed (checkpointed) before exit, so
everything acknowledged is in the file. The address is announced next to the store so that
readers can ask this process for snapshots.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import FrameType

from starlette.applications import Starlette

from a2a_observe.collect.receiver import ReceiverSettings, create_app
from a2a_observe.store.clickhouse.location import is_clickhouse_location
from a2a_observe.store.sinks import open_writer
from a2a_observe.store.snapshot import announce, announcement_path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4318
PRIVATE_UMASK = 0o077
SWITCH_INTERVAL = 0.0002
"""Seconds a Python thread may keep the interpreter lock while another waits for it (the
default is 0.005). DuckDB's insert takes the lock back many times per statement and waits each
time for whichever thread holds it (the event loop, the writer's conversion): with one busy
Python thread beside it, the writer alone fell from about 18k to 4k spans/s at the default and
was back at 10k at 0.0005. The whole collector measured 6.3-8.2k spans/s at the default,
7.3-9.8k at 0.0005 and 8.9-10.2k at 0.0002 (``benchmarks/ingest.py``, a loaded machine). Set for
the collector's own process only, never in an instrumented application."""


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(
    db: Path | str,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    settings: ReceiverSettings | None = None,
    max_pending: int | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> int:
    import uvicorn  # noqa: PLC0415 - the server is only loaded by the collect command

    # Everything this process creates (the store, its write-ahead log, snapshots, the
    # announcement) holds what agents sent: readable by this user only.
    os.umask(PRIVATE_UMASK)
    sys.setswitchinterval(SWITCH_INTERVAL)
    writer = open_writer(db, max_pending=max_pending)
    # Readers of a DuckDB file ask this process for snapshots; ClickHouse is read where it is.
    announced = None if is_clickhouse_location(db) else Path(db)
    sock = bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    url = f"http://{bound_host if ':' not in bound_host else f'[{bound_host}]'}:{bound_port}"

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.receiver.start()
        if announced is not None:
            announce(announced, url)
        if on_ready is not None:
            on_ready(url)
        try:
            yield
        finally:
            if announced is not None:
                announcement_path(announced).unlink(missing_ok=True)
            app.state.receiver.decoders.close()
            writer.close()
            if app.state.receiver.snapshots is not None:
                app.state.receiver.snapshots.close()

    app = create_app(writer, settings)
    app.router.lifespan_context = lifespan
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=30)
    server = uvicorn.Server(config)
    stopped_by: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        stopped_by.append(signum)

    # uvicorn re-raises the signal that stopped it; this keeps that from killing the process
    # before the store is closed and lets the command exit normally.
    previous = {sig: signal.signal(sig, remember) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        writer.close()
        sock.close()
    if not server.started:
        print(f"a2a-observe collect: the server did not start on {url}", file=sys.stderr)
        return 1
    return 0
