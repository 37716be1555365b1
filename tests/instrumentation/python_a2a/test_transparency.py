"""Observing python-a2a never changes what the app sees, and our own faults never reach it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from python_a2a import A2AClient, Conversation, Message, MessageRole, StreamingClient, Task, TextContent

import a2a_observe
from a2a_observe import safety
from a2a_observe.demo.python_a2a_agents import RunningPythonA2AAgent, serve_python_a2a_agent
from a2a_observe.instrumentation.python_a2a import client as client_hooks
from a2a_observe.instrumentation.python_a2a import translate
from a2a_observe.observation.observer import Observer
from a2a_observe.semconv import INSTRUMENTATION_SCOPE as SCOPE
from tests.support.python_a2a import Failing


@pytest.fixture(scope="module")
def agents() -> Iterator[tuple[RunningPythonA2AAgent, RunningPythonA2AAgent]]:
    with (
        serve_python_a2a_agent(name="greeter") as greeter,
        serve_python_a2a_agent(Failing, name="failing") as failing,
    ):
        yield greeter, failing


@pytest.fixture
def fresh_reports() -> Iterator[None]:
    safety.reset_reports()
    yield
    safety.reset_reports()


def user(text: str) -> Message:
    return Message(content=TextContent(text=text), role=MessageRole.USER, conversation_id="same")


def _end_marker(chunk: Any) -> bool:
    """python-a2a's empty last chunk, which its client yields only when the event arrives before
    the server closes the stream: a race of python-a2a's own, seen with and without
    instrumentation (2 to 7 and 8 of 150 streams on a loaded machine), so not part of what is
    compared."""
    return isinstance(chunk, dict) and chunk.get("lastChunk") is True and not chunk.get("content")


async def _async_part(greeter: RunningPythonA2AAgent, failing: RunningPythonA2AAgent) -> list[Any]:
    seen: list[Any] = []
    client = await asyncio.to_thread(A2AClient, greeter.url)
    seen.append((await client.send_message_async(user("async"))).content.text)
    chunks = [chunk async for chunk in client.stream_response(user("x y"))]
    seen.append([chunk for chunk in chunks if not _end_marker(chunk)])
    streaming = StreamingClient(failing.url)
    try:
        await streaming.send_message_async(user("boom"))
    except Exception as exc:
        seen.append((type(exc), str(exc)))
    updates = [t async for t in StreamingClient(greeter.url).tasks_resubscribe("same-task")]
    seen.append([(t.id, t.status.state.value, t.artifacts) for t in updates])
    return seen


def scenario(greeter: RunningPythonA2AAgent, failing: RunningPythonA2AAgent) -> list[Any]:
    """What an app sees of python-a2a calls: answers, tasks, stream items, errors, headers."""
    headers = {"X-Caller": "mine"}
    client = A2AClient(greeter.url, headers=headers)
    seen: list[Any] = [client.agent_card.name, client.agent_card.version, dict(headers)]
    seen.append(client.ask("same"))
    result = client._send_task(Task(id="same-task", message=user("task").to_dict()))
    seen.append((result.id, result.status.state.value, result.artifacts))
    seen.append(client.get_task("same-task").status.state.value)
    missing = client.get_task("missing")
    seen.append((missing.status.state.value, missing.status.message))
    conversation = Conversation(conversation_id="same-conversation")
    conversation.create_text_message("hello", role=MessageRole.USER)
    seen.append([m.content.text for m in client.send_conversation(conversation).messages])
    broken = A2AClient(failing.url).send_message(user("boom"))
    seen.append((broken.content.type, broken.content.message))
    body = {"jsonrpc": "2.0", "id": 3, "method": "tasks/sendSubscribe", "params": Task(id="sub").to_dict()}
    response = requests.post(f"{greeter.url}/tasks/stream", json=body, timeout=10)
    seen.append(
        (response.status_code, [line for line in response.text.splitlines() if line.startswith("event")])
    )
    seen.extend(asyncio.run(_async_part(greeter, failing)))
    return seen


def ours(spans: Any) -> list[Any]:
    return [s for s in spans.all() if s.instrumentation_scope and s.instrumentation_scope.name == SCOPE]


def test_results_are_the_same_with_and_without_instrumentation(spans, agents, reinstrument) -> None:
    greeter, failing = agents
    with_instrumentation = scenario(greeter, failing)
    assert ours(spans), "the instrumented run made spans"

    a2a_observe.uninstrument()
    since = time.time_ns()
    without = scenario(greeter, failing)
    assert [s for s in ours(spans) if (s.start_time or 0) >= since] == [], (
        "uninstrument() removes every patch"
    )
    assert with_instrumentation == without
    reinstrument()


def _boom(*args: object, **kwargs: object) -> Any:
    raise ValueError("forced fault inside a2a-observe")


FAULTS = {
    "reading requests": ["message_facts", "conversation_facts", "task_ids", "request_ids", "agent_facts"],
    "reading results and streams": ["event_facts", "chunk_facts", "sse_data", "error_text"],
}


@pytest.mark.parametrize("where", sorted(FAULTS))
def test_a_fault_in_our_translation_never_reaches_the_app(
    spans, agents, monkeypatch, caplog, fresh_reports, where
) -> None:
    greeter, failing = agents
    expected = scenario(greeter, failing)
    for name in FAULTS[where]:
        monkeypatch.setattr(translate, name, _boom)
    monkeypatch.setattr(client_hooks, "merged_headers", _boom)
    caplog.set_level(logging.WARNING, logger="a2a_observe")
    assert scenario(greeter, failing) == expected
    reports = [r for r in caplog.records if "internal error" in r.getMessage()]
    assert reports, "the fault is reported"
    assert len(reports) == len({r.getMessage() for r in reports}), "each place reports once"


def test_a_fault_opening_a_span_never_reaches_the_app(spans, agents, monkeypatch, fresh_reports) -> None:
    greeter, failing = agents
    expected = scenario(greeter, failing)
    monkeypatch.setattr(Observer, "start_call", _boom)
    monkeypatch.setattr(Observer, "start_server_call", _boom)
    monkeypatch.setattr(Observer, "start_agent_run", _boom)
    since = time.time_ns()
    assert scenario(greeter, failing) == expected
    assert [s for s in ours(spans) if (s.start_time or 0) >= since] == []
