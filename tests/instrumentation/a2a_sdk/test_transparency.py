"""Instrumentation never changes what the app sees, and our own faults never reach it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from a2a.client import ClientCallContext
from a2a.types import GetTaskRequest, SendMessageRequest
from google.protobuf.json_format import MessageToDict

import a2a_observe
from a2a_observe import safety
from a2a_observe.demo.agents import EchoAgent, StreamingWriter
from a2a_observe.demo.serving import RunningAgent, serve_agent
from a2a_observe.instrumentation.a2a_sdk import translate
from a2a_observe.observation.observer import Observer
from a2a_observe.replay.sdk_client import make_client, user_message
from a2a_observe.semconv import INSTRUMENTATION_SCOPE as SCOPE

_VOLATILE = {"id", "taskId", "contextId", "messageId", "artifactId", "timestamp"}


def normalise(value: Any) -> Any:
    """Drop what differs between two identical runs (generated ids, clocks)."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


@pytest.fixture(scope="module")
def agents() -> Iterator[tuple[RunningAgent, RunningAgent]]:
    with serve_agent(EchoAgent(), "echo") as echo, serve_agent(StreamingWriter(chunks=4), "writer") as writer:
        yield echo, writer


async def scenario(echo: RunningAgent, writer: RunningAgent) -> list[Any]:
    """What an app observes of a few calls: results, stream events and errors."""
    seen: list[Any] = []
    for binding in ("JSONRPC", "HTTP+JSON", "GRPC"):
        client = make_client(echo.card, binding, streaming=False)
        events = [e async for e in client.send_message(SendMessageRequest(message=user_message("same")))]
        seen.append([normalise(MessageToDict(e)) for e in events])
        try:
            await client.get_task(GetTaskRequest(id="missing"))
        except Exception as exc:
            seen.append((type(exc), str(exc)))
        await client.close()
        client = make_client(writer.card, binding, streaming=True)
        events = [e async for e in client.send_message(SendMessageRequest(message=user_message("w x y z")))]
        seen.append([normalise(MessageToDict(e)) for e in events])
        await client.close()
    return seen


async def test_results_are_the_same_with_and_without_instrumentation(spans, agents, reinstrument) -> None:
    echo, writer = agents
    with_instrumentation = await scenario(echo, writer)
    assert spans.all(), "the instrumented run made spans"

    a2a_observe.uninstrument()
    spans.clear()
    without = await scenario(echo, writer)
    ours = [s for s in spans.all() if s.instrumentation_scope and s.instrumentation_scope.name == SCOPE]
    assert ours == [], "uninstrument() removes every patch"
    assert with_instrumentation == without
    reinstrument()


async def test_the_callers_context_is_never_mutated(spans, agents) -> None:
    echo, _ = agents
    params = {"X-Caller": "mine"}
    context = ClientCallContext(service_parameters=params, state={"k": "v"})
    client = make_client(echo.card, "JSONRPC", streaming=False)
    events = [
        e async for e in client.send_message(SendMessageRequest(message=user_message("x")), context=context)
    ]
    await client.close()
    assert events
    assert params == {"X-Caller": "mine"}
    assert context.service_parameters == {"X-Caller": "mine"}
    assert context.state == {"k": "v"}


@pytest.fixture
def fresh_reports() -> Iterator[None]:
    safety.reset_reports()
    yield
    safety.reset_reports()


def _boom(*args: object, **kwargs: object) -> Any:
    raise ValueError("forced fault inside a2a-observe")


@pytest.mark.parametrize("streaming", [False, True])
async def test_a_fault_in_our_translation_never_reaches_the_app(
    spans, agents, monkeypatch, caplog, fresh_reports, streaming
) -> None:
    echo, _ = agents
    monkeypatch.setattr(translate, "event_facts", _boom)
    caplog.set_level(logging.WARNING, logger="a2a_observe")
    client = make_client(echo.card, "JSONRPC", streaming=streaming)
    for _ in range(3):
        events = [e async for e in client.send_message(SendMessageRequest(message=user_message("ok")))]
        assert events[-1].WhichOneof("payload") in ("task", "status_update")
    await client.close()
    reports = [r for r in caplog.records if "internal error" in r.getMessage()]
    assert reports, "the fault is reported"
    assert len(reports) == len({r.getMessage() for r in reports}), "each place reports once"
    # The spans themselves still end.
    assert await spans.until(lambda s: len(s) >= 3)


async def test_a_fault_opening_a_span_never_reaches_the_app(
    spans, agents, monkeypatch, fresh_reports
) -> None:
    echo, writer = agents
    monkeypatch.setattr(Observer, "start_call", _boom)
    monkeypatch.setattr(Observer, "start_server_call", _boom)
    monkeypatch.setattr(Observer, "start_agent_run", _boom)
    for card, streaming in ((echo.card, False), (writer.card, True)):
        client = make_client(card, "HTTP+JSON", streaming=streaming)
        events = [e async for e in client.send_message(SendMessageRequest(message=user_message("a b")))]
        await client.close()
        assert events
    client = make_client(echo.card, "GRPC", streaming=False)
    with pytest.raises(Exception, match=r"[Nn]ot found"):
        await client.get_task(GetTaskRequest(id="missing"))
    await client.close()
    assert [s for s in spans.all() if s.instrumentation_scope and s.instrumentation_scope.name == SCOPE] == []
