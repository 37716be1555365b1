"""fasta2a (pydantic-ai's A2A server and client) against a real fasta2a agent on 127.0.0.1:
CLIENT and SERVER spans in one trace, with fasta2a's client, a2a-sdk 1.x's client, and an
a2a-sdk agent that the fasta2a agent calls in turn."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from a2a.client import A2ACardResolver
from a2a.types import GetTaskRequest
from a2a.utils.errors import TaskNotFoundError
from fasta2a.client import A2AClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from a2a_observe import semconv
from a2a_observe.demo.agents import EchoAgent
from a2a_observe.demo.serving import LOOPBACK, RunningAgent, free_port, serve_agent
from a2a_observe.instrumentation.fasta2a import translate
from a2a_observe.replay.sdk_client import final_text, make_client, send_text
from tests.conftest import Spans
from tests.support.fasta2a import AGENT_NAME, AGENT_VERSION, RunningFastA2A, echo_app, serve_app, user_message
from tests.support.helpers import json_documents
from tests.support.paths import APPS


@pytest.fixture(scope="module")
def agent() -> Iterator[RunningFastA2A]:
    with serve_app(echo_app) as running:
        yield running


@pytest.fixture(scope="module")
def sdk_echo() -> Iterator[RunningAgent]:
    with serve_agent(EchoAgent(), "sdk-echo", grpc=False) as running:
        yield running


def ours(spans: list[ReadableSpan], name: str, kind: SpanKind) -> list[ReadableSpan]:
    return [
        s
        for s in spans
        if s.name == name and s.kind == kind and s.instrumentation_scope.name == "a2a_observe"
    ]


def pair(spans: Spans, name: str, count: int = 1) -> tuple[ReadableSpan, ReadableSpan]:
    """The CLIENT and SERVER span of the one ``name`` call, once both have ended."""
    done = spans.wait(
        lambda s: (
            len(ours(s, name, SpanKind.CLIENT)) >= count and len(ours(s, name, SpanKind.SERVER)) >= count
        )
    )
    (client,) = ours(done, name, SpanKind.CLIENT)[-1:]
    (server,) = ours(done, name, SpanKind.SERVER)[-1:]
    return client, server


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def assert_linked(client: ReadableSpan, server: ReadableSpan) -> None:
    assert server.context.trace_id == client.context.trace_id
    assert server.parent is not None and server.parent.span_id == client.context.span_id


async def test_send_message_from_the_fasta2a_client_is_one_trace(agent: RunningFastA2A, spans: Spans) -> None:
    response = await agent.client().send_message(user_message("hi", context_id="ctx-fasta2a-1"))
    task = response["result"]["task"]
    client, server = pair(spans, semconv.SEND_MESSAGE)
    assert_linked(client, server)
    for span in (client, server):
        a = attrs(span)
        assert a[semconv.A2A_METHOD_NAME] == semconv.SEND_MESSAGE
        assert a[semconv.A2A_METHOD_ORIGINAL] == "message/send"
        assert a[semconv.A2A_PROTOCOL_BINDING] == semconv.BINDING_JSONRPC
        assert a[semconv.A2A_PROTOCOL_VERSION] == "0.3"
        assert a[semconv.GEN_AI_CONVERSATION_ID] == "ctx-fasta2a-1"
        assert a[semconv.A2A_TASK_ID] == task["id"]
        assert a[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_SUBMITTED
        assert a[semconv.A2A_MESSAGE_PARTS_KINDS] == ("text",)
        assert span.status.status_code == StatusCode.UNSET
    assert attrs(server)[semconv.GEN_AI_AGENT_NAME] == AGENT_NAME
    assert attrs(server)[semconv.GEN_AI_AGENT_VERSION] == AGENT_VERSION
    assert attrs(client)[semconv.SERVER_ADDRESS] == LOOPBACK
    # fasta2a's worker runs the task under the span the request had: ours.
    worker = spans.wait(lambda s: any(x.name == "run task" for x in s))
    (run,) = [s for s in worker if s.name == "run task" and s.context.trace_id == server.context.trace_id]
    assert run.parent is not None and run.parent.span_id == server.context.span_id


async def test_get_task_reads_the_final_state_and_a_missing_task_is_an_error(
    agent: RunningFastA2A, spans: Spans
) -> None:
    client_api = agent.client()
    task = (await client_api.send_message(user_message("hi")))["result"]["task"]
    for _ in range(100):
        got = await client_api.get_task(task["id"])
        if got["result"]["status"]["state"] == "completed":
            break
        await asyncio.sleep(0.02)
    client, server = pair(spans, semconv.GET_TASK)
    assert_linked(client, server)
    assert attrs(client)[semconv.A2A_TASK_ID] == task["id"]
    assert attrs(server)[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_COMPLETED
    spans.clear()

    missing = await client_api.get_task("no-such-task")
    assert missing["error"]["code"] == -32001, "the app sees fasta2a's answer unchanged"
    client, server = pair(spans, semconv.GET_TASK)
    assert_linked(client, server)
    for span in (client, server):
        assert span.status.status_code == StatusCode.ERROR
        assert attrs(span)[semconv.ERROR_TYPE] == "-32001"


async def test_a_stream_is_one_span_per_side_with_every_event(agent: RunningFastA2A, spans: Spans) -> None:
    events = [e async for e in agent.client().stream_message(user_message("hi"))]
    kinds = [next(iter(e["result"])) for e in events]
    assert kinds == ["task", "status_update", "artifact_update", "status_update"]
    client, server = pair(spans, semconv.SEND_STREAMING_MESSAGE)
    assert_linked(client, server)
    for span in (client, server):
        a = attrs(span)
        assert a[semconv.A2A_STREAM_EVENTS_COUNT] == 4
        assert a[semconv.A2A_STREAM_END] == semconv.STREAM_END_COMPLETED
        assert a[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_COMPLETED
        stream_kinds = [e.attributes[semconv.A2A_STREAM_EVENT_KIND] for e in span.events if e.attributes]
        assert stream_kinds == [
            semconv.EVENT_KIND_TASK,
            semconv.EVENT_KIND_STATUS_UPDATE,
            semconv.EVENT_KIND_ARTIFACT_UPDATE,
            semconv.EVENT_KIND_STATUS_UPDATE,
        ]


async def test_a_failing_worker_ends_the_task_failed(agent: RunningFastA2A, spans: Spans) -> None:
    events = [e async for e in agent.client().stream_message(user_message("boom"))]
    assert events[-1]["result"]["status_update"]["status"]["state"] == "failed"
    client, server = pair(spans, semconv.SEND_STREAMING_MESSAGE)
    assert_linked(client, server)
    assert attrs(client)[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_FAILED
    assert attrs(server)[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_FAILED


async def test_an_unreachable_agent_raises_as_before_and_the_span_says_why(spans: Spans) -> None:
    client_api = A2AClient(f"http://{LOOPBACK}:{free_port()}")
    with pytest.raises(httpx.ConnectError):
        await client_api.send_message(user_message("hi"))
    (client,) = spans.wait(lambda s: bool(ours(s, semconv.SEND_MESSAGE, SpanKind.CLIENT)))
    assert client.status.status_code == StatusCode.ERROR
    assert attrs(client)[semconv.ERROR_TYPE] == "httpx.ConnectError", "the canonical name: no code came back"


@pytest.mark.parametrize("streaming", [False, True], ids=["unary", "streaming"])
async def test_an_a2a_sdk_client_and_the_fasta2a_server_share_the_trace(
    agent: RunningFastA2A, spans: Spans, streaming: bool
) -> None:
    async with httpx.AsyncClient() as http:
        card = await A2ACardResolver(http, agent.url).get_agent_card()
    events = await send_text(card, "from the sdk", streaming=streaming)
    method = semconv.SEND_STREAMING_MESSAGE if streaming else semconv.SEND_MESSAGE
    client, server = pair(spans, method)
    assert_linked(client, server)
    assert attrs(server)[semconv.A2A_PROTOCOL_VERSION] == "1.0"
    assert semconv.A2A_METHOD_ORIGINAL not in attrs(server), "a 1.0 method name is the method"
    assert attrs(server)[semconv.A2A_TASK_ID] == attrs(client)[semconv.A2A_TASK_ID]
    if streaming:
        assert final_text(events)[1] == "echo: from the sdk"
        assert attrs(server)[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_COMPLETED


async def test_an_a2a_sdk_client_asking_for_a_missing_task_gets_the_error_on_both_sides(
    agent: RunningFastA2A, spans: Spans
) -> None:
    async with httpx.AsyncClient() as http:
        card = await A2ACardResolver(http, agent.url).get_agent_card()
    client_api = make_client(card, streaming=False)
    try:
        with pytest.raises(TaskNotFoundError):
            await client_api.get_task(GetTaskRequest(id="no-such-task"))
    finally:
        await client_api.close()
    client, server = pair(spans, semconv.GET_TASK)
    assert_linked(client, server)
    assert attrs(server)[semconv.A2A_PROTOCOL_VERSION] == "1.0"
    for span in (client, server):
        assert span.status.status_code == StatusCode.ERROR


async def test_a_fasta2a_agent_calling_an_a2a_sdk_agent_continues_the_trace(
    agent: RunningFastA2A, sdk_echo: RunningAgent, spans: Spans
) -> None:
    events = [
        e async for e in agent.client().stream_message(user_message(f"ask {sdk_echo.base_url} relayed"))
    ]
    artifact = events[2]["result"]["artifact_update"]["artifact"]
    assert artifact["parts"][0]["text"] == "echo: relayed"
    outer_client, outer_server = pair(spans, semconv.SEND_STREAMING_MESSAGE)
    inner_client, inner_server = pair(spans, semconv.SEND_MESSAGE)
    assert_linked(outer_client, outer_server)
    assert_linked(inner_client, inner_server)
    assert inner_client.context.trace_id == outer_client.context.trace_id
    assert attrs(inner_server)[semconv.GEN_AI_AGENT_NAME] == "sdk-echo"


async def test_errors_in_our_translation_never_reach_the_app(
    agent: RunningFastA2A, spans: Spans, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("a bug in the adapter")

    monkeypatch.setattr(translate, "event_facts", broken)
    monkeypatch.setattr(translate, "request_facts", broken)
    response = await agent.client().send_message(user_message("still works"))
    assert response["result"]["task"]["status"]["state"] == "submitted"
    events = [e async for e in agent.client().stream_message(user_message("still streams"))]
    assert events[-1]["result"]["status_update"]["status"]["state"] == "completed"
    done = spans.wait(lambda s: len(ours(s, semconv.SEND_STREAMING_MESSAGE, SpanKind.CLIENT)) == 1)
    assert ours(done, semconv.SEND_MESSAGE, SpanKind.SERVER) == [], "no server span without its facts"


@pytest.mark.parametrize("order", ["first", "last"])
def test_import_a2a_observe_auto_before_or_after_fasta2a(order: str) -> None:
    app = APPS / "fasta2a_app.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "A2A_OBSERVE_"))}
    env.update(OTEL_TRACES_EXPORTER="console", OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none")
    result = subprocess.run(
        [sys.executable, str(app), "--auto", order],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RESULT submitted" in result.stderr
    calls = [
        (s["name"], s["kind"]) for s in json_documents(result.stdout) if s.get("name") == semconv.SEND_MESSAGE
    ]
    assert sorted(calls) == [
        (semconv.SEND_MESSAGE, "SpanKind.CLIENT"),
        (semconv.SEND_MESSAGE, "SpanKind.SERVER"),
    ]
