"""a2a-sdk 0.3: every client operation, over every binding, yields a CLIENT span and a
SERVER span in one trace, named by the v1.0 method and carrying the same attributes as 1.x."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from a2a.client import A2ACardResolver, A2AClient
from a2a.types import (
    GetTaskPushNotificationConfigParams,
    MessageSendParams,
    PushNotificationConfig,
    SendMessageRequest,
    SendStreamingMessageRequest,
    TaskIdParams,
    TaskPushNotificationConfig,
    TaskQueryParams,
)
from opentelemetry.trace import SpanKind, StatusCode

from a2a_observe import semconv
from tests.sdk03.support import (
    BINDINGS,
    EchoAgent,
    MessageAgent,
    RunningAgent,
    SlowAgent,
    make_client,
    serve_agent,
    user_message,
)
from tests.support.helpers import assert_linked, pair

WIRE_NAMES = {
    semconv.SEND_MESSAGE: "message/send",
    semconv.GET_TASK: "tasks/get",
    semconv.CANCEL_TASK: "tasks/cancel",
}

# The agent's own span is opted in here (A2A_OBSERVE_AGENT_SPANS), so it is checked on this
# line too; the default (what the agent did as events of the SERVER span) is the same code.
pytestmark = pytest.mark.usefixtures("agent_spans_on")


@pytest.fixture(scope="module")
def echo() -> Iterator[RunningAgent]:
    with serve_agent(EchoAgent(), "echo", version="2.1.0") as agent:
        yield agent


@pytest.fixture(scope="module")
def slow() -> Iterator[RunningAgent]:
    with serve_agent(SlowAgent(30), "slow") as agent:
        yield agent


def last_task(events: list[Any]) -> Any:
    """The task a ``ClientFactory`` client's last ``(task, update)`` event holds."""
    return events[-1][0]


@pytest.mark.parametrize("binding", BINDINGS)
async def test_send_message_client_server_and_agent_spans(spans, echo, binding) -> None:
    message = user_message("ping")
    client = make_client(echo, binding, streaming=False)
    events = [e async for e in client.send_message(message)]
    await client.close()
    task = last_task(events)
    assert task.status.state.value == "completed"

    got = await spans.until(lambda s: any(x.name == "invoke_agent echo" for x in s) and len(s) >= 3)
    client_span, server_span = pair(got, semconv.SEND_MESSAGE)
    assert_linked(client_span, server_span)
    agent_span = next(s for s in got if s.name == "invoke_agent echo")
    assert agent_span.parent is not None and agent_span.parent.span_id == server_span.context.span_id

    for span in (client_span, server_span):
        attrs = span.attributes or {}
        assert attrs[semconv.A2A_METHOD_NAME] == semconv.SEND_MESSAGE
        assert attrs[semconv.A2A_MESSAGE_ID] == message.message_id
        assert attrs[semconv.A2A_TASK_ID] == task.id
        assert attrs[semconv.GEN_AI_CONVERSATION_ID] == task.context_id
        assert attrs[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_COMPLETED
        assert attrs[semconv.GEN_AI_AGENT_NAME] == "echo"
        assert attrs[semconv.GEN_AI_AGENT_VERSION] == "2.1.0"
        assert attrs[semconv.A2A_PROTOCOL_BINDING] == binding
        assert attrs[semconv.A2A_PROTOCOL_VERSION] == "0.3"
        assert attrs[semconv.A2A_MESSAGE_ROLE] == "user"
        assert attrs[semconv.A2A_MESSAGE_PARTS_KINDS] == ("text",)
        assert attrs[semconv.A2A_MESSAGE_SIZE] > 0
        assert attrs[semconv.A2A_RESPONSE_KIND] == semconv.EVENT_KIND_TASK
        assert span.status.status_code == StatusCode.UNSET
    client_attrs = client_span.attributes or {}
    assert client_attrs[semconv.SERVER_ADDRESS] == "127.0.0.1"
    if binding != "GRPC":  # the HTTP bindings know both ends of the request
        server_attrs = server_span.attributes or {}
        assert server_attrs[semconv.SERVER_ADDRESS] == "127.0.0.1"
        assert server_attrs[semconv.CLIENT_ADDRESS] == "127.0.0.1"
        assert isinstance(server_attrs[semconv.CLIENT_PORT], int)
    if binding == "JSONRPC":
        assert client_attrs[semconv.A2A_METHOD_ORIGINAL] == "message/send"
        assert (server_span.attributes or {})[semconv.A2A_METHOD_ORIGINAL] == "message/send"
    else:
        assert semconv.A2A_METHOD_ORIGINAL not in client_attrs

    agent_attrs = agent_span.attributes or {}
    assert agent_attrs[semconv.GEN_AI_OPERATION_NAME] == semconv.OPERATION_INVOKE_AGENT
    assert agent_attrs[semconv.A2A_TASK_ID] == task.id
    assert agent_attrs[semconv.GEN_AI_CONVERSATION_ID] == task.context_id
    states = [
        (e.attributes or {})[semconv.A2A_TASK_STATE]
        for e in agent_span.events
        if e.name == semconv.EVENT_TASK_STATUS
    ]
    assert states == [semconv.TASK_STATE_SUBMITTED, semconv.TASK_STATE_WORKING, semconv.TASK_STATE_COMPLETED]
    artifacts = [e for e in agent_span.events if e.name == semconv.EVENT_ARTIFACT]
    assert [(a.attributes or {})[semconv.A2A_ARTIFACT_NAME] for a in artifacts] == ["echo"]


@pytest.mark.parametrize("binding", BINDINGS)
async def test_a_message_answer(spans, binding) -> None:
    with serve_agent(MessageAgent(), "greeter") as agent:
        client = make_client(agent, binding, streaming=False)
        events = [e async for e in client.send_message(user_message("hi"))]
        await client.close()
    assert events[-1].parts[0].root.text == "hello: hi"
    got = await spans.until(lambda s: sum(1 for x in s if x.name == semconv.SEND_MESSAGE) >= 2)
    for span in pair(got, semconv.SEND_MESSAGE):
        assert (span.attributes or {})[semconv.A2A_RESPONSE_KIND] == semconv.EVENT_KIND_MESSAGE
        assert semconv.A2A_TASK_STATE not in (span.attributes or {})


async def _started_task(agent: RunningAgent, binding: str) -> str:
    """A task the slow agent is still working on: a non-blocking send returns it at once."""
    client = make_client(agent, binding, streaming=False, polling=True)
    events = [e async for e in client.send_message(user_message("work"))]
    await client.close()
    assert last_task(events).status.state.value in ("submitted", "working")
    return str(last_task(events).id)


@pytest.mark.parametrize("binding", BINDINGS)
async def test_every_operation_gives_linked_spans(spans, slow, binding) -> None:
    task_id = await _started_task(slow, binding)
    client = make_client(slow, binding, streaming=True)
    transport = client._transport  # get_task_callback is not on the 0.3 Client
    push = TaskPushNotificationConfig(
        task_id=task_id,
        push_notification_config=PushNotificationConfig(id="hook", url="http://127.0.0.1:9/h"),
    )
    operations = [
        (semconv.GET_TASK, lambda: client.get_task(TaskQueryParams(id=task_id))),
        (semconv.CREATE_TASK_PUSH_NOTIFICATION_CONFIG, lambda: client.set_task_callback(push)),
        (
            semconv.GET_TASK_PUSH_NOTIFICATION_CONFIG,
            lambda: transport.get_task_callback(
                GetTaskPushNotificationConfigParams(id=task_id, push_notification_config_id="hook")
            ),
        ),
        (semconv.CANCEL_TASK, lambda: client.cancel_task(TaskIdParams(id=task_id))),
    ]
    try:
        for operation, call in operations:
            spans.clear()
            await call()
            got = await spans.until(lambda s, op=operation: sum(1 for x in s if x.name == op) >= 2)
            client_span, server_span = pair(got, operation)
            assert_linked(client_span, server_span)
            for span in (client_span, server_span):
                attrs = span.attributes or {}
                assert attrs[semconv.A2A_METHOD_NAME] == operation
                assert attrs[semconv.A2A_PROTOCOL_BINDING] == binding
                assert attrs[semconv.GEN_AI_AGENT_NAME] == "slow"
                assert attrs[semconv.A2A_TASK_ID] == task_id
                assert span.status.status_code == StatusCode.UNSET, span.status
            if binding == "JSONRPC" and operation in WIRE_NAMES:
                assert (server_span.attributes or {})[semconv.A2A_METHOD_ORIGINAL] == WIRE_NAMES[operation]
            if operation == semconv.CANCEL_TASK:
                cancel_span = server_span  # the cancel hook's work is the CancelTask SERVER span's
                assert cancel_span.context.trace_id == server_span.context.trace_id
                assert (server_span.attributes or {})[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_CANCELED
    finally:
        await client.close()


@pytest.mark.parametrize("binding", BINDINGS)
async def test_extended_agent_card(spans, echo, binding) -> None:
    client = make_client(echo, binding, streaming=False)
    card = await client.get_card()
    again = await client.get_card()  # answered from the card the client now holds: no call
    await client.close()
    assert card.name == again.name == "echo"
    got = await spans.until(lambda s: sum(1 for x in s if x.name == semconv.GET_EXTENDED_AGENT_CARD) >= 2)
    client_span, server_span = pair(got, semconv.GET_EXTENDED_AGENT_CARD)
    assert_linked(client_span, server_span)
    for span in (client_span, server_span):
        attrs = span.attributes or {}
        assert attrs[semconv.A2A_PROTOCOL_BINDING] == binding
        assert attrs[semconv.GEN_AI_AGENT_NAME] == "echo"
        assert semconv.A2A_TASK_ID not in attrs
        assert span.status.status_code == StatusCode.UNSET
    if binding == "JSONRPC":
        original = "agent/getAuthenticatedExtendedCard"
        assert (server_span.attributes or {})[semconv.A2A_METHOD_ORIGINAL] == original
        assert (client_span.attributes or {})[semconv.A2A_METHOD_ORIGINAL] == original


async def test_legacy_a2a_client(spans, echo) -> None:
    """The deprecated ``A2AClient`` goes through the same JSON-RPC transport."""
    async with httpx.AsyncClient(timeout=30) as http:
        client = A2AClient(http, url=echo.base_url)
        message = user_message("legacy")
        response = await client.send_message(
            SendMessageRequest(id=str(uuid.uuid4()), params=MessageSendParams(message=message))
        )
        task = response.root.result
        stream = client.send_message_streaming(
            SendStreamingMessageRequest(
                id=str(uuid.uuid4()), params=MessageSendParams(message=user_message("s"))
            )
        )
        streamed = [event async for event in stream]
    assert task.status.state.value == "completed"
    assert streamed[-1].root.result.status.state.value == "completed"
    got = await spans.until(lambda s: sum(1 for x in s if x.name.startswith("Send")) >= 4)
    client_span, server_span = pair(got, semconv.SEND_MESSAGE)
    assert_linked(client_span, server_span)
    assert (client_span.attributes or {})[semconv.A2A_TASK_ID] == task.id
    stream_client, stream_server = pair(got, semconv.SEND_STREAMING_MESSAGE)
    assert_linked(stream_client, stream_server)
    assert (stream_client.attributes or {})[semconv.A2A_STREAM_EVENTS_COUNT] == len(streamed)


async def test_fastapi_jsonrpc_app(spans) -> None:
    with serve_agent(EchoAgent(), "fast", jsonrpc_app="fastapi") as agent:
        client = make_client(agent, "JSONRPC", streaming=False)
        [_ async for _ in client.send_message(user_message("ping"))]
        await client.close()
    got = await spans.until(lambda s: sum(1 for x in s if x.name == semconv.SEND_MESSAGE) >= 2)
    client_span, server_span = pair(got, semconv.SEND_MESSAGE)
    assert_linked(client_span, server_span)
    assert (server_span.attributes or {})[semconv.GEN_AI_AGENT_NAME] == "fast"


async def test_agent_card_resolution_is_a_client_span(spans, echo) -> None:
    async with httpx.AsyncClient() as http:
        card = await A2ACardResolver(http, echo.base_url).get_agent_card()
    assert card.name == "echo"
    span = next(s for s in spans.all() if s.name == semconv.AGENT_CARD_SPAN)
    assert span.kind == SpanKind.CLIENT
    attrs = span.attributes or {}
    assert attrs[semconv.GEN_AI_AGENT_NAME] == "echo"
    assert attrs[semconv.SERVER_PORT] == int(echo.base_url.rsplit(":", 1)[1])


async def test_no_span_is_left_open(spans, echo, open_spans) -> None:
    for binding in BINDINGS:
        client = make_client(echo, binding, streaming=True)
        [_ async for _ in client.send_message(user_message("x"))]
        await client.close()
    await asyncio.sleep(0.2)
    assert not open_spans.open
