"""What the store and collector tests share: a switchable tap on the session's tracer provider,
and one scenario of real agents whose spans every path must store the same way."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from a2a.types import SendMessageRequest
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider

from a2a_observe.collect.otlp import PROTOBUF
from a2a_observe.collect.receiver import ReceiverSettings, create_app
from a2a_observe.collect.server import bind
from a2a_observe.demo.agents import AskingAgent, EchoAgent, FlakyAgent, StreamingWriter
from a2a_observe.demo.serving import RunningAgent, serve_agent
from a2a_observe.replay.sdk_client import make_client, send_text, user_message
from a2a_observe.store.sinks import open_writer


class Tap(SpanProcessor):
    """Added once to the session provider; forwards started and ended spans to whatever is
    plugged in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._targets: list[SpanProcessor] = []

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        with self._lock:
            targets = list(self._targets)
        for target in targets:
            target.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            targets = list(self._targets)
        for target in targets:
            target.on_end(span)

    @contextmanager
    def plugged(self, *processors: SpanProcessor) -> Iterator[None]:
        with self._lock:
            self._targets.extend(processors)
        try:
            yield
        finally:
            with self._lock:
                for processor in processors:
                    self._targets.remove(processor)
            for processor in processors:
                processor.shutdown()

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


_TAP: Tap | None = None


def tap(provider: TracerProvider) -> Tap:
    global _TAP
    if _TAP is None:
        _TAP = Tap()
        provider.add_span_processor(_TAP)
    return _TAP


@dataclass
class Agents:
    echo: RunningAgent
    writer: RunningAgent
    asking: RunningAgent
    flaky: RunningAgent

    def stop(self) -> None:
        for agent in (self.echo, self.writer, self.asking, self.flaky):
            agent.stop()


def start_agents() -> Agents:
    return Agents(
        echo=serve_agent(EchoAgent(), "echo", grpc=False),
        writer=serve_agent(StreamingWriter(chunks=3), "writer", grpc=False),
        asking=serve_agent(AskingAgent(), "asking", grpc=False),
        flaky=serve_agent(FlakyAgent(), "flaky", grpc=False),
    )


def _ids(events: list[Any]) -> tuple[str, str]:
    for event in events:
        which = event.WhichOneof("payload")
        if which == "task":
            return event.task.id, event.task.context_id
        if which == "status_update":
            return event.status_update.task_id, event.status_update.context_id
    raise AssertionError(f"no task in {events}")


async def _send_until_error(card: Any, text: str) -> list[Any]:
    """The events a stream delivered before the agent's error ended it."""
    client = make_client(card, "JSONRPC", True)
    events: list[Any] = []
    try:
        async for event in client.send_message(SendMessageRequest(message=user_message(text))):
            events.append(event)
    except Exception:
        pass
    finally:
        await client.close()
    return events


@dataclass
class Scenario:
    """What the agents really did, to check the store against."""

    contexts: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, str] = field(default_factory=dict)


def run_scenario(agents: Agents) -> Scenario:
    async def go() -> Scenario:
        out = Scenario()
        events = await send_text(agents.echo.card, "hi", streaming=False)
        out.tasks["echo"], out.contexts["echo"] = _ids(events)
        events = await send_text(agents.writer.card, "one two three", streaming=True)
        out.tasks["writer"], out.contexts["writer"] = _ids(events)
        events = await send_text(agents.asking.card, "hello", streaming=False)
        task_id, context_id = _ids(events)
        await send_text(agents.asking.card, "Ada", streaming=False, context_id=context_id, task_id=task_id)
        out.tasks["asking"], out.contexts["asking"] = task_id, context_id
        events = await _send_until_error(agents.flaky.card, "please fail")
        out.tasks["flaky"], out.contexts["flaky"] = _ids(events)
        return out

    return asyncio.run(go())


SCENARIO_SPANS = 10
"""Five turns, each a CLIENT and a SERVER span (what the agents did is events of the latter)."""


@contextmanager
def receiver_in_thread(
    db: Path | str, settings: ReceiverSettings | None = None, max_pending: int | None = None
):
    """The collector's app on a free loopback port in this process (signals stay with pytest);
    ``db`` is a store file or a ClickHouse URL."""
    import uvicorn

    writer = open_writer(db, max_pending=max_pending)
    app = create_app(writer, settings)
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.01)
    host, port = sock.getsockname()[:2]
    try:
        yield f"http://{host}:{port}", writer
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
        app.state.receiver.decoders.close()
        writer.close()
        if app.state.receiver.snapshots is not None:
            app.state.receiver.snapshots.close()


def post(
    url: str, body: bytes, content_type: str = PROTOBUF, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type, **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def table_rows(con: Any, table: str) -> list[tuple[Any, ...]]:
    return sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


@dataclass
class Collector:
    process: subprocess.Popen[str]
    url: str
    db: Path


def start_collector(db: Path, *extra: str) -> Collector:
    process = subprocess.Popen(
        [sys.executable, "-m", "a2a_observe.cli", "collect", "--db", str(db), "--port", "0", *extra],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    assert "listening on " in line, line + process.stderr.read()
    url = line.split("listening on ", 1)[1].split(",", 1)[0]
    threading.Thread(target=process.stderr.read, daemon=True).start()
    return Collector(process, url, db)
