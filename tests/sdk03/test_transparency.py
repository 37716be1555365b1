"""a2a-sdk 0.3: instrumentation never changes what the app sees, and our own faults never
reach it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from a2a.client.middleware import ClientCallContext
from a2a.types import TaskQueryParams

import a2a_observe
from a2a_observe import safety
from a2a_observe.instrumentation.a2a_sdk.v03 import translate
from a2a_observe.observation.observer import Observer
from a2a_observe.semconv import INSTRUMENTATION_SCOPE as SCOPE
from tests.sdk03.support import (
    BINDINGS,
    EchoAgent,
    RunningAgent,
    StreamingWriter,
    make_client,
    serve_agent,
    user_message,
)

_VOLATILE = {"id", "taskId", "contextId", "messageId", "artifactId", "timestamp"}


def normalise(value: Any) -> Any:
    """Drop what differs between two identical runs (generated ids, clocks)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    return value


@pytest.fixture(scope="module")
def agents() -> Iterator[tuple[RunningAgent, RunningAgent]]:
    with serve_agent(EchoAgent(), "echo") as echo, serve_agent(StreamingWriter(chunks=4), "writer") as writer:
        yield echo, writer


async def scenario(echo: RunningAgent, writer: RunningAgent) -> list[Any]:
    """What an app observes of a few calls: results, stream events and errors."""
    seen: list[Any] = []
    for binding in BINDINGS:
        client = make_client(echo, binding, streaming=False)
        seen.append(normalise([e async for e in client.send_message(user_message("same"))]))
        try:
            await client.get_task(TaskQueryParams(id="missing"))
        except Exception as exc:
            seen.append((type(exc), str(exc)))
        await client.close()
        client = make_client(writer, binding, streaming=True)
        seen.append(normalise([e async for e in client.send_message(user_message("w x y z"))]))
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


@pytest.mark.parametrize("binding", ["JSONRPC", "HTTP+JSON"])
async def test_the_callers_context_is_never_mutated(spans, agents, binding) -> None:
    echo, _ = agents
    headers = {"X-Caller": "mine"}
    context = ClientCallContext(state={"k": "v", "http_kwargs": {"headers": headers}})
    client = make_client(echo, binding, streaming=False)
    events = [e async for e in client.send_message(user_message("x"), context=context)]
    await client.close()
    assert events
    assert headers == {"X-Caller": "mine"}
    assert context.state == {"k": "v", "http_kwargs": {"headers": {"X-Caller": "mine"}}}


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
    client = make_client(echo, "JSONRPC", streaming=streaming)
    for _ in range(3):
        events = [e async for e in client.send_message(user_message("ok"))]
        assert events[-1][0].status.state.value == "completed"
    await client.close()
    reports = [r for r in caplog.records if "internal error" in r.getMessage()]
    assert reports, "the fault is reported"
    assert len(reports) == len({r.getMessage() for r in reports}), "each place reports once"
    assert await spans.until(lambda s: len(s) >= 3)


async def test_a_fault_opening_a_span_never_reaches_the_app(
    spans, agents, monkeypatch, fresh_reports
) -> None:
    echo, writer = agents
    monkeypatch.setattr(Observer, "start_call", _boom)
    monkeypatch.setattr(Observer, "start_server_call", _boom)
    monkeypatch.setattr(Observer, "start_agent_run", _boom)
    for agent, streaming in ((echo, False), (writer, True)):
        for binding in BINDINGS:
            client = make_client(agent, binding, streaming=streaming)
            events = [e async for e in client.send_message(user_message("a b"))]
            await client.close()
            assert events[-1][0].status.state.value == "completed"
    client = make_client(echo, "GRPC", streaming=False)
    with pytest.raises(Exception, match=r"[Nn]ot found"):
        await client.get_task(TaskQueryParams(id="missing"))
    await client.close()
    assert [s for s in spans.all() if s.instrumentation_scope and s.instrumentation_scope.name == SCOPE] == []
