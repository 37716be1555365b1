"""Real instrumented agents recorded into a store, for the replay's tests.

Each scenario runs real a2a-sdk or python-a2a agents on 127.0.0.1 and notes what they did
(contexts, tasks), so a test can compare the rebuilt conversation against the agents' own
account, field by field.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from a2a.types import CancelTaskRequest, SendMessageRequest, TaskState
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import a2a_observe
from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.replay.sdk_client import make_client, send_text, user_message
from a2a_observe.store import DuckDBSpanExporter
from tests.support.store import tap


def settled(spans: list[ReadableSpan]) -> bool:
    """Every call that reached an agent has its SERVER span ended (they end last)."""
    servers = {s.parent.span_id for s in spans if s.kind.name == "SERVER" and s.parent is not None}
    clients = [
        s
        for s in spans
        if s.kind.name == "CLIENT"
        and s.name not in (semconv.AGENT_CARD_SPAN, semconv.GET_EXTENDED_AGENT_CARD)
        and s.status.status_code.name != "ERROR"
    ]
    return all(c.context.span_id in servers for c in clients)


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)


@contextmanager
def capture(on: bool, agent_spans: bool = False) -> Iterator[None]:
    """Content capture (and agent spans) on or off for a block (the session instruments
    without either)."""
    if on or agent_spans:
        a2a_observe.uninstrument()
        a2a_observe.instrument(settings=Settings(capture_content=on, agent_spans=agent_spans))
    try:
        yield
    finally:
        if on or agent_spans:
            a2a_observe.uninstrument()
            a2a_observe.instrument()


@contextmanager
def recording(provider: TracerProvider, db: Path) -> Iterator[InMemorySpanExporter]:
    """Spans of the block go to ``db`` (and to the memory exporter it yields, for waiting)."""
    memory = InMemorySpanExporter()
    with tap(provider).plugged(SimpleSpanProcessor(memory), SimpleSpanProcessor(DuckDBSpanExporter(db))):
        yield memory
        wait_for(lambda: settled(list(memory.get_finished_spans())))


def task_of(events: list[Any]) -> tuple[str, str]:
    """(task id, context id) of an a2a-sdk answer."""
    for event in events:
        which = event.WhichOneof("payload")
        if which == "task":
            return event.task.id, event.task.context_id
        if which == "status_update":
            return event.status_update.task_id, event.status_update.context_id
        if which == "artifact_update":
            return event.artifact_update.task_id, event.artifact_update.context_id
    raise AssertionError(f"no task in {events}")


@dataclass
class Recorded:
    """What the scenarios' agents did: context and task ids by scenario name."""

    contexts: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, str] = field(default_factory=dict)


async def stream_until_error(card: Any, text: str, context_id: str | None = None) -> list[Any]:
    client = make_client(card, "JSONRPC", True)
    events: list[Any] = []
    try:
        async for event in client.send_message(SendMessageRequest(message=user_message(text, context_id))):
            events.append(event)
    except Exception:
        pass
    finally:
        await client.close()
    return events


async def send_and_cancel(card: Any, text: str) -> tuple[str, str]:
    """Start a streamed task on a slow agent and cancel it once it is working."""
    client = make_client(card, "JSONRPC", True)
    ids: tuple[str, str] | None = None
    try:
        async for event in client.send_message(SendMessageRequest(message=user_message(text))):
            state = None
            which = event.WhichOneof("payload")
            if which == "status_update":
                state = event.status_update.status.state
            if ids is None:
                ids = task_of([event])
            if state == TaskState.TASK_STATE_WORKING:
                canceller = make_client(card, "JSONRPC", False)
                try:
                    await canceller.cancel_task(CancelTaskRequest(id=ids[0]))
                finally:
                    await canceller.close()
    finally:
        await client.close()
    assert ids is not None
    return ids


def new_context() -> str:
    return str(uuid.uuid4())


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def ask_twice(card: Any, first: str, second: str, *, binding: str = "JSONRPC") -> tuple[str, str]:
    events = await send_text(card, first, binding=binding, streaming=False)
    task_id, context_id = task_of(events)
    await send_text(card, second, binding=binding, streaming=False, context_id=context_id, task_id=task_id)
    return task_id, context_id
