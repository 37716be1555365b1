"""Every a2a-sdk client operation, over every binding and the v0.3 compat path, yields a
CLIENT span and a SERVER span in one trace, with the A2A attributes a user filters on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from a2a.types import (
    CancelTaskRequest,
    DeleteTaskPushNotificationConfigRequest,
    GetExtendedAgentCardRequest,
    GetTaskPushNotificationConfigRequest,
    GetTaskRequest,
    ListTaskPushNotificationConfigsRequest,
    ListTasksRequest,
    SendMessageConfiguration,
    SendMessageRequest,
    SubscribeToTaskRequest,
    TaskPushNotificationConfig,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.demo.agents import EchoAgent, SlowAgent
from a2a_observe.demo.serving import RunningAgent, serve_agent
from a2a_observe.replay.sdk_client import make_client, user_message

BINDINGS = [semconv.BINDING_JSONRPC, semconv.BINDING_HTTP_JSON, semconv.BINDING_GRPC]
VERSIONS = ["1.0", "0.3"]


@pytest.fixture(scope="module")
def echo() -> Iterator[RunningAgent]:
    with serve_agent(EchoAgent(), "echo", version="2.1.0") as agent:
        yield agent


@pytest.fixture(scope="module")
def slow() -> Iterator[RunningAgent]:
    with serve_agent(SlowAgent(30), "slow") as agent:
        yield agent


def card_for(agent: RunningAgent, version: str) -> Any:
    return agent.card if version == "1.0" else agent.v03_card


def pair(spans: list[ReadableSpan], name: str) -> tuple[ReadableSpan, ReadableSpan]:
    clients = [s for s in spans if s.name == name and s.kind == SpanKind.CLIENT]
    servers = [s for s in spans if s.name == name and s.kind == SpanKind.SERVER]
    assert len(clients) == 1, [s.name for s in spans]
    assert len(servers) == 1, [s.name for s in spans]
    return clients[0], servers[0]


def assert_linked(client: ReadableSpan, server: ReadableSpan) -> None:
    assert server.context.trace_id == client.context.trace_id
    assert server.parent is not None
    assert server.parent.span_id == client.context.span_id
    assert server.parent.is_remote


def task_states(span: ReadableSpan) -> list[str]:
    return [
        (e.attributes or {})[semconv.A2A_TASK_STATE]
        for e in span.events
        if e.name == semconv.EVENT_TASK_STATUS
    ]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("binding", BINDINGS)
async def test_send_message_client_and_server_spans_carry_what_the_agent_did(
    spans, echo, binding, version
) -> None:
    message = user_message("ping")
    client = make_client(card_for(echo, version), binding, streaming=False)
    events = [e async for e in client.send_message(SendMessageRequest(message=message))]
    await client.close()
    task = events[-1].task

    got = await spans.until(lambda s: sum(1 for x in s if x.name == semconv.SEND_MESSAGE) >= 2)
    client_span, server_span = pair(got, semconv.SEND_MESSAGE)
    assert_linked(client_span, server_span)
    assert [s.name for s in got if s.kind == SpanKind.INTERNAL] == [], "A2A requests only, no agent span"

    for span in (client_span, server_span):
        attrs = span.attributes or {}
        assert attrs[semconv.A2A_METHOD_NAME] == semconv.SEND_MESSAGE
        assert attrs[semconv.A2A_MESSAGE_ID] == message.message_id
        assert attrs[semconv.A2A_TASK_ID] == task.id
        assert attrs[semconv.GEN_AI_CONVERSATION_ID] == task.context_id
        assert attrs[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_COMPLETED
        assert attrs[semconv.GEN_AI_AGENT_NAME] == "echo"
        assert attrs[semconv.GEN_AI_AGENT_VERSION] == "2.1.0"
        assert attrs[semconv.GEN_AI_AGENT_DESCRIPTION] == echo.card.description
        assert attrs[semconv.A2A_PROTOCOL_BINDING] == binding
        assert attrs[semconv.A2A_PROTOCOL_VERSION] == version
        assert not [k for k in attrs if k.startswith(("rpc.", "http."))], "transport spans are separate"
        assert attrs[semconv.A2A_MESSAGE_ROLE] == "user"
        assert attrs[semconv.A2A_MESSAGE_PARTS_KINDS] == ("text",)
        assert attrs[semconv.A2A_RESPONSE_KIND] == semconv.EVENT_KIND_TASK
        assert span.status.status_code == StatusCode.UNSET
    port = int(echo.base_url.rsplit(":", 1)[1])
    client_attrs, server_attrs = client_span.attributes or {}, server_span.attributes or {}
    assert client_attrs[semconv.SERVER_ADDRESS] == "127.0.0.1"
    assert server_attrs[semconv.CLIENT_ADDRESS] == "127.0.0.1"
    assert isinstance(server_attrs[semconv.CLIENT_PORT], int) and server_attrs[semconv.CLIENT_PORT] != port
    if binding != semconv.BINDING_GRPC:  # gRPC servers are not told the address they were called at
        assert (server_attrs[semconv.SERVER_ADDRESS], server_attrs[semconv.SERVER_PORT]) == (
            "127.0.0.1",
            port,
        )
    if version == "0.3" and binding == semconv.BINDING_JSONRPC:
        assert client_attrs[semconv.A2A_METHOD_ORIGINAL] == "message/send"
        assert server_attrs[semconv.A2A_METHOD_ORIGINAL] == "message/send"
    else:
        assert semconv.A2A_METHOD_ORIGINAL not in client_attrs

    # What invoke_agent carried lives on the SERVER span.
    assert task_states(server_span) == [
        semconv.TASK_STATE_SUBMITTED,
        semconv.TASK_STATE_WORKING,
        semconv.TASK_STATE_COMPLETED,
    ]
    artifacts = [e for e in server_span.events if e.name == semconv.EVENT_ARTIFACT]
    assert [(a.attributes or {})[semconv.A2A_ARTIFACT_NAME] for a in artifacts] == ["echo"]


@pytest.mark.parametrize("binding", BINDINGS)
async def test_opted_in_agent_span_follows_the_genai_agent_conventions(
    spans, echo, binding, reinstrument
) -> None:
    reinstrument(settings=Settings(agent_spans=True, agent_provider="openai"))
    client = make_client(echo.card, binding, streaming=False)
    events = [e async for e in client.send_message(SendMessageRequest(message=user_message("ping")))]
    await client.close()
    task = events[-1].task

    got = await spans.until(lambda s: any(x.name == "invoke_agent echo" for x in s) and len(s) >= 3)
    _, server_span = pair(got, semconv.SEND_MESSAGE)
    agent_span = next(s for s in got if s.name == "invoke_agent echo")
    assert agent_span.kind == SpanKind.INTERNAL
    assert agent_span.parent is not None and agent_span.parent.span_id == server_span.context.span_id
    attrs = agent_span.attributes or {}
    assert attrs[semconv.GEN_AI_OPERATION_NAME] == semconv.OPERATION_INVOKE_AGENT
    assert attrs[semconv.GEN_AI_PROVIDER_NAME] == "openai"
    assert attrs[semconv.GEN_AI_AGENT_NAME] == "echo"
    assert attrs[semconv.GEN_AI_AGENT_VERSION] == "2.1.0"
    assert attrs[semconv.GEN_AI_AGENT_DESCRIPTION] == echo.card.description
    assert attrs[semconv.A2A_TASK_ID] == task.id
    assert attrs[semconv.GEN_AI_CONVERSATION_ID] == task.context_id
    assert task_states(agent_span) == [
        semconv.TASK_STATE_SUBMITTED,
        semconv.TASK_STATE_WORKING,
        semconv.TASK_STATE_COMPLETED,
    ]
    assert task_states(server_span) == [], "each event once: on the agent span when there is one"


async def _started_task(agent: RunningAgent, version: str, binding: str) -> str:
    client = make_client(card_for(agent, version), binding, streaming=False)
    request = SendMessageRequest(
        message=user_message("work"), configuration=SendMessageConfiguration(return_immediately=True)
    )
    events = [e async for e in client.send_message(request)]
    await client.close()
    return str(events[-1].task.id)


async def _call(client: Any, operation: str, task_id: str) -> Any:
    if operation == semconv.GET_TASK:
        return await client.get_task(GetTaskRequest(id=task_id))
    if operation == semconv.LIST_TASKS:
        return await client.list_tasks(ListTasksRequest())
    if operation == semconv.CREATE_TASK_PUSH_NOTIFICATION_CONFIG:
        config = TaskPushNotificationConfig(task_id=task_id, id="hook", url="http://127.0.0.1:9/hook")
        return await client.create_task_push_notification_config(config)
    if operation == semconv.GET_TASK_PUSH_NOTIFICATION_CONFIG:
        request = GetTaskPushNotificationConfigRequest(task_id=task_id, id="hook")
        return await client.get_task_push_notification_config(request)
    if operation == semconv.LIST_TASK_PUSH_NOTIFICATION_CONFIGS:
        request = ListTaskPushNotificationConfigsRequest(task_id=task_id)
        return await client.list_task_push_notification_configs(request)
    if operation == semconv.DELETE_TASK_PUSH_NOTIFICATION_CONFIG:
        request = DeleteTaskPushNotificationConfigRequest(task_id=task_id, id="hook")
        return await client.delete_task_push_notification_config(request)
    if operation == semconv.GET_EXTENDED_AGENT_CARD:
        return await client.get_extended_agent_card(GetExtendedAgentCardRequest())
    if operation == semconv.CANCEL_TASK:
        return await client.cancel_task(CancelTaskRequest(id=task_id))
    raise AssertionError(operation)


OPERATIONS = [
    semconv.GET_TASK,
    semconv.LIST_TASKS,
    semconv.CREATE_TASK_PUSH_NOTIFICATION_CONFIG,
    semconv.GET_TASK_PUSH_NOTIFICATION_CONFIG,
    semconv.LIST_TASK_PUSH_NOTIFICATION_CONFIGS,
    semconv.DELETE_TASK_PUSH_NOTIFICATION_CONFIG,
    semconv.GET_EXTENDED_AGENT_CARD,
    semconv.CANCEL_TASK,
]
# What the SDK's v0.3 compat layer itself does not offer on a binding.
V03_UNSUPPORTED = (
    {(b, semconv.LIST_TASKS) for b in BINDINGS}
    | {
        (semconv.BINDING_HTTP_JSON, semconv.LIST_TASK_PUSH_NOTIFICATION_CONFIGS),
        (semconv.BINDING_HTTP_JSON, semconv.DELETE_TASK_PUSH_NOTIFICATION_CONFIG),
    }
    | {(b, semconv.GET_EXTENDED_AGENT_CARD) for b in BINDINGS}
)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("binding", BINDINGS)
async def test_every_operation_gives_linked_spans(spans, slow, binding, version) -> None:
    task_id = await _started_task(slow, version, binding)
    client = make_client(card_for(slow, version), binding, streaming=True)
    try:
        for operation in OPERATIONS:
            if version == "0.3" and (binding, operation) in V03_UNSUPPORTED:
                continue
            spans.clear()
            await _call(client, operation, task_id)
            got = await spans.until(lambda s, op=operation: sum(1 for x in s if x.name == op) >= 2)
            client_span, server_span = pair(got, operation)
            assert_linked(client_span, server_span)
            for span in (client_span, server_span):
                attrs = span.attributes or {}
                assert attrs[semconv.A2A_METHOD_NAME] == operation
                assert attrs[semconv.A2A_PROTOCOL_BINDING] == binding
                assert attrs[semconv.GEN_AI_AGENT_NAME] == "slow"
                assert span.status.status_code == StatusCode.UNSET, span.status
                if operation not in (semconv.LIST_TASKS, semconv.GET_EXTENDED_AGENT_CARD):
                    assert attrs[semconv.A2A_TASK_ID] == task_id
            if operation == semconv.CANCEL_TASK:
                assert (server_span.attributes or {})[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_CANCELED
                assert semconv.TASK_STATE_CANCELED in task_states(server_span), "the cancel hook's work"
    finally:
        await client.close()


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("binding", BINDINGS)
async def test_subscribe_to_task_is_a_streaming_span(spans, slow, binding, version) -> None:
    task_id = await _started_task(slow, version, binding)
    client = make_client(card_for(slow, version), binding, streaming=True)
    spans.clear()
    stream = client.subscribe(SubscribeToTaskRequest(id=task_id))
    first = await anext(stream)
    await stream.aclose()
    await client.cancel_task(CancelTaskRequest(id=task_id))
    await client.close()
    got = await spans.until(lambda s: sum(1 for x in s if x.name == semconv.SUBSCRIBE_TO_TASK) >= 2)
    client_span, server_span = pair(got, semconv.SUBSCRIBE_TO_TASK)
    assert_linked(client_span, server_span)
    attrs = client_span.attributes or {}
    assert attrs[semconv.A2A_TASK_ID] == task_id
    assert attrs[semconv.A2A_STREAM_END] == semconv.STREAM_END_CLOSED_EARLY
    assert attrs[semconv.A2A_STREAM_EVENTS_COUNT] == 1
    kinds = [(e.attributes or {})[semconv.A2A_STREAM_EVENT_KIND] for e in client_span.events]
    assert kinds == [first.WhichOneof("payload").replace("_", "-")]


async def test_agent_card_resolution_is_a_client_span_but_no_method(spans, echo) -> None:
    import httpx
    from a2a.client import A2ACardResolver

    async with httpx.AsyncClient() as http:
        card = await A2ACardResolver(http, echo.base_url).get_agent_card()
    assert card.name == "echo"
    span = next(s for s in spans.all() if s.name == semconv.AGENT_CARD_SPAN)
    assert span.kind == SpanKind.CLIENT
    attrs = span.attributes or {}
    assert semconv.A2A_METHOD_NAME not in attrs
    assert attrs[semconv.GEN_AI_AGENT_DESCRIPTION] == echo.card.description
    assert attrs[semconv.URL_FULL] == f"{echo.base_url}/.well-known/agent-card.json"
    assert attrs[semconv.GEN_AI_AGENT_NAME] == "echo"
    assert attrs[semconv.SERVER_PORT] == int(echo.base_url.rsplit(":", 1)[1])
