"""Errors carry the status and ``error.type``: the code the binding puts on the wire, as the
A2A conventions want it, else the exception's canonical name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from a2a.types import CancelTaskRequest, GetTaskRequest, SendMessageRequest
from a2a.utils.errors import TaskNotCancelableError, TaskNotFoundError
from opentelemetry.trace import SpanKind, StatusCode

from a2a_observe import semconv
from a2a_observe.demo.agents import EchoAgent, FlakyAgent
from a2a_observe.demo.serving import RunningAgent, serve_agent
from a2a_observe.replay.sdk_client import make_client, user_message

WIRE_CODE = {
    # binding: (TaskNotFound, TaskNotCancelable)
    semconv.BINDING_JSONRPC: ("-32001", "-32002"),
    semconv.BINDING_HTTP_JSON: ("404", "400"),
    semconv.BINDING_GRPC: ("NOT_FOUND", "FAILED_PRECONDITION"),
}


@pytest.fixture(scope="module")
def echo() -> Iterator[RunningAgent]:
    with serve_agent(EchoAgent(), "echo") as agent:
        yield agent


@pytest.fixture(scope="module")
def flaky() -> Iterator[RunningAgent]:
    with serve_agent(FlakyAgent(), "translator") as agent:
        yield agent


def task_states(span) -> list:
    return [
        (e.attributes or {})[semconv.A2A_TASK_STATE]
        for e in span.events
        if e.name == semconv.EVENT_TASK_STATUS
    ]


def client_and_server(spans: list, name: str) -> tuple:
    client = next(s for s in spans if s.name == name and s.kind == SpanKind.CLIENT)
    server = next(s for s in spans if s.name == name and s.kind == SpanKind.SERVER)
    return client, server


@pytest.mark.parametrize("binding", list(WIRE_CODE))
async def test_unknown_task(spans, echo, binding) -> None:
    client = make_client(echo.card, binding, streaming=False)
    with pytest.raises(TaskNotFoundError):
        await client.get_task(GetTaskRequest(id="no-such-task"))
    await client.close()
    got = await spans.until(lambda s: sum(1 for x in s if x.name == semconv.GET_TASK) >= 2)
    expected, _ = WIRE_CODE[binding]
    for span in client_and_server(got, semconv.GET_TASK):
        attrs = span.attributes or {}
        assert span.status.status_code == StatusCode.ERROR
        assert attrs[semconv.ERROR_TYPE] == expected
        assert attrs[semconv.A2A_TASK_ID] == "no-such-task"
        assert any(e.name == "exception" for e in span.events)


@pytest.mark.parametrize("binding", list(WIRE_CODE))
async def test_cancel_of_a_finished_task(spans, echo, binding) -> None:
    client = make_client(echo.card, binding, streaming=False)
    events = [e async for e in client.send_message(SendMessageRequest(message=user_message("done")))]
    task_id = events[-1].task.id
    spans.clear()
    with pytest.raises(TaskNotCancelableError):
        await client.cancel_task(CancelTaskRequest(id=task_id))
    await client.close()
    got = await spans.until(lambda s: sum(1 for x in s if x.name == semconv.CANCEL_TASK) >= 2)
    _, expected = WIRE_CODE[binding]
    for span in client_and_server(got, semconv.CANCEL_TASK):
        attrs = span.attributes or {}
        assert span.status.status_code == StatusCode.ERROR
        assert attrs[semconv.ERROR_TYPE] == expected


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("binding", list(WIRE_CODE))
async def test_agent_raising(spans, flaky, binding, streaming) -> None:
    """The SERVER span holds the executor's own exception once; the calls' ``error.type`` is
    what the wire said."""
    client = make_client(flaky.card, binding, streaming=streaming)
    raised: BaseException | None = None
    events = []
    try:
        async for event in client.send_message(SendMessageRequest(message=user_message("please fail"))):
            events.append(event)
    except Exception as exc:
        raised = exc
    await client.close()
    method = semconv.SEND_STREAMING_MESSAGE if streaming else semconv.SEND_MESSAGE
    got = await spans.until(lambda s: sum(1 for x in s if x.name == method) >= 2)
    client_span, server_span = client_and_server(got, method)
    [exception] = [e for e in server_span.events if e.name == "exception"]
    assert (exception.attributes or {})["exception.type"] == "RuntimeError"
    # Without content capture the exception is recorded by type; its message (which
    # repeats what the user sent) is not.
    assert "exception.message" not in (exception.attributes or {})
    assert task_states(server_span)[-1] == semconv.TASK_STATE_FAILED
    # Every binding fails the call: JSON-RPC with InternalError, the others with the
    # client's generic error around HTTP 500 / gRPC UNKNOWN. Streams fail after the events
    # sent before the exception.
    assert raised is not None
    assert [e.WhichOneof("payload") for e in events] == (["task", "status_update"] if streaming else [])
    expected_client_type = "InternalError" if binding == semconv.BINDING_JSONRPC else "A2AClientError"
    assert type(raised).__name__ == expected_client_type
    wire = {
        semconv.BINDING_JSONRPC: "-32603",
        semconv.BINDING_HTTP_JSON: "500",
        semconv.BINDING_GRPC: "UNKNOWN",
    }[binding]
    server_attrs = server_span.attributes or {}
    assert server_span.status.status_code == StatusCode.ERROR
    assert server_attrs[semconv.ERROR_TYPE] == wire
    client_attrs = client_span.attributes or {}
    assert client_span.status.status_code == StatusCode.ERROR
    if streaming and binding == semconv.BINDING_HTTP_JSON:  # an SSE error event has no status line
        assert client_attrs[semconv.ERROR_TYPE] == f"{type(raised).__module__}.{type(raised).__qualname__}"
    else:
        assert client_attrs[semconv.ERROR_TYPE] == wire
    if streaming:
        for attrs in (client_attrs, server_attrs):
            assert attrs[semconv.A2A_STREAM_END] == semconv.STREAM_END_ERROR
            assert attrs[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_WORKING


@pytest.mark.parametrize(
    ("binding", "code"), [(semconv.BINDING_JSONRPC, "-32009"), (semconv.BINDING_HTTP_JSON, "400")]
)
async def test_an_unknown_protocol_version_is_a_clear_error(spans, echo, binding, code) -> None:
    """The agent refuses the call before its handler runs: the caller's span says which
    version was asked for and what the wire answered."""
    from a2a.client import ClientCallContext
    from a2a.utils.errors import VersionNotSupportedError

    client = make_client(echo.card, binding, streaming=False)
    context = ClientCallContext(service_parameters={"A2A-Version": "9.9"})
    with pytest.raises(VersionNotSupportedError, match=r"9\.9"):
        [e async for e in client.send_message(SendMessageRequest(message=user_message("x")), context=context)]
    await client.close()
    got = await spans.until(lambda s: any(x.kind == SpanKind.CLIENT for x in s))
    [client_span] = [s for s in got if s.kind == SpanKind.CLIENT]
    attrs = client_span.attributes or {}
    assert client_span.status.status_code == StatusCode.ERROR
    assert attrs[semconv.A2A_PROTOCOL_VERSION] == "9.9"
    assert attrs[semconv.ERROR_TYPE] == code
    # Refused before any handler: still a SERVER span, with the same code.
    got = await spans.until(lambda s: any(x.kind == SpanKind.SERVER for x in s))
    [server_span] = [s for s in got if s.kind == SpanKind.SERVER]
    assert server_span.name == semconv.SEND_MESSAGE
    assert server_span.parent is not None and server_span.parent.span_id == client_span.context.span_id
    server_attrs = server_span.attributes or {}
    assert server_attrs[semconv.ERROR_TYPE] == code
    assert server_attrs[semconv.A2A_PROTOCOL_VERSION] == "9.9"
