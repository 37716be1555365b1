"""Serve a framework's A2A app (Starlette or FastAPI) on 127.0.0.1 in a thread of its own.

Each framework builds its own ASGI app and most of them write their URL into the agent card
they serve, so the port is chosen first and handed to the builder.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from a2a_observe.demo.serving import LOOPBACK, free_port


@contextmanager
def served(build: Callable[[int], Any]) -> Iterator[str]:
    """Run ``build(port)`` with uvicorn until the block ends; yields the base URL."""
    port = free_port()
    app = build(port)
    server = uvicorn.Server(uvicorn.Config(app, host=LOOPBACK, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the app on port {port} did not start")
        time.sleep(0.02)
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
