"""a2a-sdk 0.3: errors carry the status, ``error.type`` (the protocol error) and the code the
binding puts on the wire, as on 1.x; the app still gets the SDK's own exceptions."""

from __future__ import annotations

import re
from collections.abc import Iterator

import grpc
import pytest
from a2a.client.errors import A2AClientError, A2AClientHTTPError, A2AClientJSONRPCError
from a2a.types import TaskIdParams, TaskQueryParams
from opentelemetry.trace import StatusCode

from a2a_observe import semconv
from tests.sdk03.support import (
    BINDINGS,
    EchoAgent,
    FlakyAgent,
    RunningAgent,
    make_client,
    serve_agent,
    user_message,
)
from tests.support.helpers import pair

WIRE_CODE = {
    # binding: (TaskNotFound, TaskNotCancelable) as the 0.3 SDK answers them: error.type
    "JSONRPC": ("-32001", "-32002"),
    "HTTP+JSON": ("404", "409"),
    "GRPC": ("NOT_FOUND", "UNIMPLEMENTED"),
}
A_CODE = re.compile(r"^(-?\d+|[A-Z][A-Z_]+)$")
RAISED = {"JSONRPC": A2AClientJSONRPCError, "HTTP+JSON": A2AClientHTTPError, "GRPC": grpc.aio.AioRpcError}

# The agent's own span is opted in here (A2A_OBSERVE_AGENT_SPANS), so it is checked on this
# line too; the default (what the agent did as events of the SERVER span) is the same code.
pytestmark = pytest.mark.usefixtures("agent_spans_on")


@pytest.fixture(scope="module")
def echo() -> Iterator[RunningAgent]:
    with serve_agent(EchoAgent(), "echo") as agent:
        yield agent


@pytest.fixture(scope="module")
def flaky() -> Iterator[RunningAgent]:
    with serve_agent(FlakyAgent(), "translator") as agent:
        yield agent


@pytest.mark.parametrize("binding", BINDINGS)
async def test_unknown_task(spans, echo, binding) -> None:
    client = make_client(echo, binding, streaming=False)
    with pytest.raises(RAISED[binding]):
        await client.get_task(TaskQueryParams(id="no-such-task"))
    await client.close()
    got = await spans.until(lambda s: sum(1 for x in s if x.name == semconv.GET_TASK) >= 2)
    expected, _ = WIRE_CODE[binding]
    client_span, server_span = pair(got, semconv.GET_TASK)
    for span in (client_span, server_span):
        attrs = span.attributes or {}
        assert span.status.status_code == StatusCode.ERROR
        assert attrs[semconv.ERROR_TYPE] == expected
        assert attrs[semconv.A2A_TASK_ID] == "no-such-task"
        assert any(e.name == "exception" for e in span.events)


@pytest.mark.parametrize("binding", BINDINGS)
async def test_cancel_of_a_finished_task(spans, echo, binding) -> None:
    client = make_client(echo, binding, streaming=False)
    events = [e async for e in client.send_message(user_message("done"))]
    task_id = events[-1][0].id
    spans.clear()
    with pytest.raises(RAISED[binding]):
        await client.cancel_task(TaskIdParams(id=task_id))
    await client.close()
    got = await spans.until(lambda s: sum(1 for x in s if x.name == semconv.CANCEL_TASK) >= 2)
    _, expected = WIRE_CODE[binding]
    client_span, server_span = pair(got, semconv.CANCEL_TASK)
    for span in (client_span, server_span):
        attrs = span.attributes or {}
        assert span.status.status_code == StatusCode.ERROR
        assert attrs[semconv.ERROR_TYPE] == expected


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("binding", BINDINGS)
async def test_agent_raising(spans, flaky, binding, streaming) -> None:
    """The agent span holds the executor's own exception; the calls carry what the wire said."""
    client = make_client(flaky, binding, streaming=streaming)
    raised: BaseException | None = None
    events = []
    try:
        async for event in client.send_message(user_message("please fail")):
            events.append(event)
    except Exception as exc:
        raised = exc
    await client.close()
    method = semconv.SEND_STREAMING_MESSAGE if streaming else semconv.SEND_MESSAGE
    got = await spans.until(
        lambda s: (
            any(x.name == "invoke_agent translator" for x in s) and sum(1 for x in s if x.name == method) >= 2
        )
    )
    agent_span = next(s for s in got if s.name == "invoke_agent translator")
    assert agent_span.status.status_code == StatusCode.ERROR
    assert (agent_span.attributes or {})[semconv.ERROR_TYPE] == "RuntimeError"
    exception = next(e for e in agent_span.events if e.name == "exception")
    # Without content capture the exception is recorded by type; its message (which
    # repeats what the user sent) is not.
    assert (exception.attributes or {})["exception.type"] == "RuntimeError"
    assert "exception.message" not in (exception.attributes or {})
    client_span, server_span = pair(got, method)
    assert agent_span.parent is not None and agent_span.parent.span_id == server_span.context.span_id
    assert client_span.context.trace_id == server_span.context.trace_id

    server_attrs = server_span.attributes or {}
    client_attrs = client_span.attributes or {}
    if raised is None:
        # The 0.3 server answers a blocking send with the task as it stood when the agent
        # failed (JSON-RPC, REST): the call itself succeeded, the task did not.
        assert not streaming and binding != "GRPC"
        assert client_span.status.status_code == StatusCode.UNSET
        return
    assert isinstance(raised, A2AClientError | grpc.aio.AioRpcError)
    assert client_span.status.status_code == StatusCode.ERROR
    # A JSON-RPC error response names the protocol error; other failures keep the client's type.
    jsonrpc_error = isinstance(raised, A2AClientJSONRPCError)
    canonical = f"{type(raised).__module__}.{type(raised).__qualname__}"
    if jsonrpc_error:
        assert client_attrs[semconv.ERROR_TYPE] == "-32603"
        assert server_attrs[semconv.ERROR_TYPE] == "-32603"
    else:  # the wire code the client saw, else its exception's canonical name
        assert (
            A_CODE.match(str(client_attrs[semconv.ERROR_TYPE]))
            or client_attrs[semconv.ERROR_TYPE] == canonical
        )
    assert server_span.status.status_code == StatusCode.ERROR
    assert A_CODE.match(str(server_attrs[semconv.ERROR_TYPE])), "a server answers with a code"
    if streaming:
        for attrs in (client_attrs, server_attrs):
            assert attrs[semconv.A2A_STREAM_END] == semconv.STREAM_END_ERROR
