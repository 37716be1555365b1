"""Every python-a2a client entry point against a real python-a2a Flask agent: one CLIENT span
per operation, its SERVER span and the agent's span in one trace, with the A2A attributes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode
from python_a2a import (
    A2AClient,
    AgentNetwork,
    AIAgentRouter,
    Conversation,
    Message,
    MessageRole,
    StreamingClient,
    Task,
    TextContent,
)

from a2a_observe import semconv
from a2a_observe.demo.python_a2a_agents import RunningPythonA2AAgent, serve_python_a2a_agent
from a2a_observe.demo.serving import free_port
from tests.support.python_a2a import (
    assert_child,
    attrs,
    client_server_agent,
    has_agent_run,
    in_trace,
    one,
)

CLIENT, SERVER = SpanKind.CLIENT, SpanKind.SERVER

# The agent span is opted in here, so the agent's own span is checked too; the default
# (what the agent did as events of the SERVER span) is checked by test_conformance.py.
pytestmark = pytest.mark.usefixtures("agent_spans_on")


@pytest.fixture(scope="module")
def greeter() -> Iterator[RunningPythonA2AAgent]:
    with serve_python_a2a_agent(name="greeter", version="0.5.1") as agent:
        yield agent


@pytest.fixture
def client(greeter: RunningPythonA2AAgent, spans) -> A2AClient:
    made = A2AClient(greeter.url)
    spans.wait(lambda s: len(s) >= 2)
    spans.clear()
    return made


def user(text: str, conversation: str = "conv-1") -> Message:
    return Message(content=TextContent(text=text), role=MessageRole.USER, conversation_id=conversation)


def test_creating_a_client_fetches_the_card_in_a_span(spans, greeter) -> None:
    A2AClient(greeter.url)
    got = spans.wait(lambda s: len(s) >= 2)
    client = one(got, semconv.AGENT_CARD_SPAN, CLIENT)
    server = one(got, semconv.AGENT_CARD_SPAN, SERVER)
    assert_child(server, client, remote=True)
    assert attrs(client)[semconv.GEN_AI_AGENT_NAME] == "greeter"
    assert attrs(client)[semconv.GEN_AI_AGENT_VERSION] == "0.5.1"
    assert attrs(client)[semconv.A2A_AGENT_URL] == greeter.url
    assert attrs(client)[semconv.URL_FULL] == f"{greeter.url}/.well-known/agent.json"
    assert attrs(client)[semconv.SERVER_ADDRESS] == "127.0.0.1"
    assert attrs(server)[semconv.GEN_AI_AGENT_NAME] == "greeter"
    assert not has_agent_run(got)


def test_send_message(spans, client) -> None:
    message = user("hi")
    answer = client.send_message(message)
    assert answer.content.text == "hello: hi"
    got = spans.wait(has_agent_run)
    client_span, server, run = client_server_agent(got, semconv.SEND_MESSAGE, "greeter")
    task_id = attrs(server)[semconv.A2A_TASK_ID]
    for span in (client_span, server):
        a = attrs(span)
        assert a[semconv.A2A_METHOD_NAME] == semconv.SEND_MESSAGE
        assert a[semconv.A2A_METHOD_ORIGINAL] == "tasks/send"
        assert a[semconv.A2A_PROTOCOL_BINDING] == semconv.BINDING_JSONRPC
        assert a[semconv.A2A_MESSAGE_ID] == message.message_id
        assert a[semconv.A2A_MESSAGE_ROLE] == "user"
        assert a[semconv.A2A_MESSAGE_PARTS_KINDS] == ("text",)
        assert a[semconv.GEN_AI_CONVERSATION_ID] == "conv-1"
        assert a[semconv.A2A_TASK_ID] == task_id
        assert a[semconv.GEN_AI_AGENT_NAME] == "greeter"
        assert span.status.status_code == StatusCode.UNSET
    assert attrs(client_span)[semconv.A2A_RESPONSE_KIND] == semconv.EVENT_KIND_MESSAGE
    assert attrs(server)[semconv.A2A_RESPONSE_KIND] == semconv.EVENT_KIND_TASK
    assert attrs(server)[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_COMPLETED
    assert attrs(client_span)[semconv.URL_FULL].endswith("/tasks/send")
    a = attrs(run)
    assert a[semconv.GEN_AI_OPERATION_NAME] == semconv.OPERATION_INVOKE_AGENT
    assert a[semconv.A2A_TASK_ID] == task_id
    assert a[semconv.GEN_AI_CONVERSATION_ID] == "conv-1"
    assert a[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_COMPLETED
    assert [e.name for e in run.events] == [semconv.EVENT_TASK_STATUS]


def test_ask_is_one_call(spans, client) -> None:
    assert client.ask("there") == "hello: there"
    got = spans.wait(has_agent_run)
    client_server_agent(got, semconv.SEND_MESSAGE, "greeter")
    assert len(got) == 3


def test_send_conversation(spans, client) -> None:
    conversation = Conversation(conversation_id="conv-7")
    conversation.create_text_message("first", role=MessageRole.USER)
    answer = client.send_conversation(conversation)
    assert answer.messages[-1].content.text == "hello: first"
    got = spans.wait(has_agent_run)
    client_span, server, run = client_server_agent(got, semconv.SEND_MESSAGE, "greeter")
    for span in (client_span, server, run):
        assert attrs(span)[semconv.GEN_AI_CONVERSATION_ID] == "conv-7"
    assert semconv.A2A_METHOD_ORIGINAL not in attrs(server), "python-a2a's own format has no method"
    assert attrs(client_span)[semconv.A2A_MESSAGE_ID] == conversation.messages[0].message_id


async def test_send_task_sync_and_async(spans, client) -> None:
    for send in (
        lambda task: asyncio.to_thread(client._send_task, task),
        client.send_task_async,
    ):
        spans.clear()
        task = Task(id=f"task-{id(send)}", message=user("t", "conv-t").to_dict())
        result = await send(task)
        assert result.status.state.value == "completed"
        got = await spans.until(has_agent_run)
        client_span, server, run = client_server_agent(got, semconv.SEND_MESSAGE, "greeter")
        for span in (client_span, server, run):
            assert attrs(span)[semconv.A2A_TASK_ID] == task.id
            assert attrs(span)[semconv.GEN_AI_CONVERSATION_ID] == "conv-t"
        assert attrs(client_span)[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_COMPLETED


def test_get_and_cancel_task(spans, client) -> None:
    task = Task(id="task-gc", message=user("keep").to_dict())
    client._send_task(task)
    spans.wait(has_agent_run)
    spans.clear()
    assert client.get_task("task-gc").status.state.value == "completed"
    assert client.cancel_task("task-gc").status.state.value == "canceled"
    got = spans.wait(lambda s: len(s) >= 4)
    for method, wire, state in (
        (semconv.GET_TASK, "tasks/get", semconv.TASK_STATE_COMPLETED),
        (semconv.CANCEL_TASK, "tasks/cancel", semconv.TASK_STATE_CANCELED),
    ):
        client_span, server = one(got, method, CLIENT), one(got, method, SERVER)
        assert_child(server, client_span, remote=True)
        for span in (client_span, server):
            assert attrs(span)[semconv.A2A_TASK_ID] == "task-gc"
            assert attrs(span)[semconv.A2A_METHOD_ORIGINAL] == wire
            assert attrs(span)[semconv.A2A_TASK_STATE] == state
    assert not has_agent_run(got), "python-a2a answers these without the agent"


def test_an_unknown_task_is_an_error_even_though_python_a2a_returns_one(spans, client) -> None:
    result = client.get_task("missing")
    assert result.status.state.value == "failed"
    got = spans.wait(lambda s: len([x for x in s if x.kind == SERVER]) >= 2)
    client_span = one(got, semconv.GET_TASK, CLIENT)
    servers = [s for s in got if s.kind == SERVER]
    assert len(servers) == 2, "python-a2a tries two endpoints"
    for server in servers:
        assert_child(server, client_span, remote=True)
        assert server.status.status_code == StatusCode.ERROR
        assert attrs(server)[semconv.ERROR_TYPE] == "-32000", "the JSON-RPC code, not the HTTP 404"
    assert client_span.status.status_code == StatusCode.ERROR
    assert attrs(client_span)[semconv.ERROR_TYPE] == "-32000"


def test_an_unreachable_agent_is_an_error_even_though_python_a2a_answers(spans) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    client = A2AClient(url)
    answer = client.send_message(user("anyone?"))
    assert answer.content.type == "error"
    got = spans.wait(lambda s: len(s) >= 2)
    card = one(got, semconv.AGENT_CARD_SPAN, CLIENT)
    assert card.status.status_code == StatusCode.ERROR
    assert attrs(card)[semconv.ERROR_TYPE] == "python_a2a.exceptions.A2AConnectionError"
    send = one(got, semconv.SEND_MESSAGE, CLIENT)
    assert send.status.status_code == StatusCode.ERROR
    assert attrs(send)[semconv.ERROR_TYPE] == "ConnectionError"
    assert [s for s in got if s.kind == SERVER] == []


async def test_async_send_joins_the_callers_trace_across_the_executor_thread(spans, client) -> None:
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("caller") as caller:
        answer = await client.send_message_async(user("async"))
        conversation = Conversation(conversation_id="conv-a")
        conversation.create_text_message("async conv", role=MessageRole.USER)
        updated = await client.send_conversation_async(conversation)
    assert answer.content.text == "hello: async"
    assert updated.messages[-1].content.text == "hello: async conv"
    got = await spans.until(lambda s: len([x for x in s if x.kind == SERVER]) >= 2 and len(s) >= 7)
    clients = [s for s in got if s.kind == CLIENT]
    assert len(clients) == 2
    for span in clients:
        assert span.parent is not None and span.parent.span_id == caller.get_span_context().span_id
        (server,) = [
            s for s in got if s.kind == SERVER and s.parent and s.parent.span_id == span.context.span_id
        ]
        assert server.name == semconv.SEND_MESSAGE


async def test_stream_response_span_covers_the_stream(spans, client) -> None:
    received = [chunk async for chunk in client.stream_response(user("one two three"))]
    assert received, "the agent streamed"
    got = await spans.until(lambda s: any(x.kind == CLIENT for x in s) and has_agent_run(s))
    client_span, server, run = client_server_agent(got, semconv.SEND_STREAMING_MESSAGE, "greeter")
    events = [e for e in client_span.events if e.name == semconv.EVENT_STREAM]
    assert len(events) == len(received)
    assert attrs(client_span)[semconv.A2A_STREAM_EVENTS_COUNT] == len(received)
    assert attrs(client_span)[semconv.A2A_STREAM_END] == semconv.STREAM_END_COMPLETED
    assert client_span.end_time >= max(e.timestamp for e in events)
    assert attrs(server)[semconv.A2A_STREAM_END] == semconv.STREAM_END_COMPLETED
    assert attrs(server)[semconv.A2A_STREAM_EVENTS_COUNT] >= len(received)
    assert server.end_time >= run.end_time, "the agent runs inside the streamed body"
    artifacts = [e for e in run.events if e.name == semconv.EVENT_ARTIFACT]
    assert len(artifacts) == 3, "the agent emitted every word"
    assert attrs(client_span)[semconv.URL_FULL].endswith("/stream")


async def test_a_stream_closed_early_ends_its_span(spans, client) -> None:
    stream = client.stream_response(user("a b c d"))
    async for _ in stream:
        break
    await stream.aclose()
    got = await spans.until(lambda s: any(x.kind == CLIENT for x in s))
    client_span = one(got, semconv.SEND_STREAMING_MESSAGE, CLIENT)
    assert attrs(client_span)[semconv.A2A_STREAM_END] == semconv.STREAM_END_CLOSED_EARLY
    assert attrs(client_span)[semconv.A2A_STREAM_EVENTS_COUNT] == 1
    await _abandoned_stream_finished(spans, client_span)


async def test_a_cancelled_stream_ends_its_span(spans, client) -> None:
    started = asyncio.Event()

    async def consume() -> None:
        async for _ in client.stream_response(user("w x y z")):
            started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    got = await spans.until(lambda s: any(x.kind == CLIENT for x in s))
    client_span = one(got, semconv.SEND_STREAMING_MESSAGE, CLIENT)
    assert attrs(client_span)[semconv.A2A_STREAM_END] == semconv.STREAM_END_CANCELLED
    assert client_span.status.status_code == StatusCode.UNSET
    await _abandoned_stream_finished(spans, client_span)


async def _abandoned_stream_finished(spans, client_span) -> None:
    """The agent goes on streaming after the client left; its spans end all the same."""
    got = await spans.until(
        lambda s: has_agent_run(in_trace(client_span, s)) and len(in_trace(client_span, s)) >= 3
    )
    trace_spans = in_trace(client_span, got)
    server = one(trace_spans, semconv.SEND_STREAMING_MESSAGE, SERVER)
    assert_child(server, client_span, remote=True)
    assert has_agent_run(trace_spans)


async def test_stream_task_falls_back_inside_one_span(spans, client) -> None:
    """python-a2a's server has no ``tasks/stream``: the client's fallback is in the span."""
    task = Task(id="task-st", message=user("fallback", "conv-s").to_dict())
    chunks = [c async for c in client.stream_task(task)]
    assert chunks[-1]["status"] == "completed"
    got = await spans.until(has_agent_run)
    client_span = one(got, semconv.SEND_STREAMING_MESSAGE, CLIENT)
    assert attrs(client_span)[semconv.A2A_STREAM_EVENTS_COUNT] == len(chunks)
    assert attrs(client_span)[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_COMPLETED
    servers = [s for s in got if s.kind == SERVER]
    assert servers and all(s.parent and s.parent.span_id == client_span.context.span_id for s in servers)
    assert semconv.SEND_MESSAGE in {s.name for s in servers}, "the fallback tasks/send"


async def test_streaming_client(spans, greeter) -> None:
    streaming = StreamingClient(greeter.url)
    answer = await streaming.send_message_async(user("s1"))
    assert answer.content.text == "hello: s1"
    got = await spans.until(has_agent_run)
    client_server_agent(got, semconv.SEND_MESSAGE, "greeter")

    spans.clear()
    task = Task(id="task-sc", message=user("s2", "conv-sc").to_dict())
    assert (await streaming.send_task(task)).status.state.value == "completed"
    got = await spans.until(has_agent_run)
    client_span, _, _ = client_server_agent(got, semconv.SEND_MESSAGE, "greeter")
    assert attrs(client_span)[semconv.A2A_TASK_ID] == "task-sc"

    spans.clear()
    received = [c async for c in streaming.stream_response(user("s3 s4"))]
    got = await spans.until(lambda s: has_agent_run(s) and any(x.kind == CLIENT for x in s))
    client_span = one(got, semconv.SEND_STREAMING_MESSAGE, CLIENT)
    assert attrs(client_span)[semconv.A2A_STREAM_EVENTS_COUNT] == len(received)
    card = [s for s in got if s.name == semconv.AGENT_CARD_SPAN and s.kind == SERVER]
    assert card and card[0].parent.span_id == client_span.context.span_id, "the capability check"

    spans.clear()
    updates = [t async for t in streaming.tasks_resubscribe("task-sc")]
    assert updates[-1].status.state.value == "completed"
    got = await spans.until(lambda s: len(s) >= 2)
    client_span = one(got, semconv.SUBSCRIBE_TO_TASK, CLIENT)
    server = one(got, semconv.SUBSCRIBE_TO_TASK, SERVER)
    assert_child(server, client_span, remote=True)
    for span in (client_span, server):
        assert attrs(span)[semconv.A2A_TASK_ID] == "task-sc"
        assert attrs(span)[semconv.A2A_METHOD_ORIGINAL] == "tasks/resubscribe"
    assert attrs(client_span)[semconv.A2A_STREAM_EVENTS_COUNT] == len(updates)
    assert attrs(server)[semconv.A2A_STREAM_EVENTS_COUNT] >= len(updates), "the client stops at a final state"


def test_streaming_client_sync_send(spans, greeter) -> None:
    streaming = StreamingClient(greeter.url)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        assert streaming.send_message(user("sync")).content.text == "hello: sync"
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    got = spans.wait(has_agent_run)
    client_server_agent(got, semconv.SEND_MESSAGE, "greeter")


def test_agent_network_and_router(spans, greeter) -> None:
    network = AgentNetwork("net").add("greeter", greeter.url)
    got = spans.wait(lambda s: len(s) >= 2)
    assert one(got, semconv.AGENT_CARD_SPAN, CLIENT)
    spans.clear()
    assert network.get_agent("greeter").ask("net") == "hello: net"
    got = spans.wait(has_agent_run)
    client_server_agent(got, semconv.SEND_MESSAGE, "greeter")

    spans.clear()
    router = AIAgentRouter(llm_client=network.get_agent("greeter"), agent_network=network)
    assert router.route_query("who greets?")[0] == "greeter"
    got = spans.wait(has_agent_run)
    client_span, _, _ = client_server_agent(got, semconv.SEND_MESSAGE, "greeter")
    assert attrs(client_span)[semconv.A2A_MESSAGE_ROLE] == "user"


def test_the_callers_headers_are_not_touched_and_secrets_not_recorded(spans, greeter) -> None:
    headers = {"Authorization": "Bearer top-secret", "X-Api-Key": "key-secret"}
    client = A2AClient(greeter.url, headers=headers)
    client.ask("private")
    got = spans.wait(has_agent_run)
    assert "traceparent" not in {k.lower() for k in headers}
    assert headers["Authorization"] == "Bearer top-secret"
    client_server_agent(got, semconv.SEND_MESSAGE, "greeter")
    for span in got:
        text = repr(span.attributes) + repr([e.attributes for e in span.events])
        assert "secret" not in text
        assert "private" not in text, "no content without capture"
