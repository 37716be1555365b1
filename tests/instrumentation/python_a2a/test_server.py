"""python-a2a's Flask apps: SERVER spans continue the caller's trace, the agent's handler is the
``invoke_agent`` span inside them, streamed bodies keep the span open, other routes are left
alone, and the agent's own failures are recorded where they happen."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from flask import Flask
from opentelemetry.trace import SpanKind, StatusCode
from python_a2a import A2AClient, Message, MessageRole, Task, TextContent, run_server
from werkzeug.serving import make_server

from a2a_observe import semconv
from a2a_observe.demo.python_a2a_agents import (
    Greeter,
    RunningPythonA2AAgent,
    python_a2a_card,
    serve_python_a2a_agent,
)
from a2a_observe.demo.serving import LOOPBACK, free_port
from tests.support.python_a2a import (
    Failing,
    assert_child,
    attrs,
    children,
    client_server_agent,
    has_agent_run,
    in_trace,
    one,
)

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"

# The agent span is opted in here, so the agent's own span is checked too; the default
# (what the agent did as events of the SERVER span) is checked by test_conformance.py.
pytestmark = pytest.mark.usefixtures("agent_spans_on")


@pytest.fixture(scope="module")
def greeter() -> Iterator[RunningPythonA2AAgent]:
    with serve_python_a2a_agent(name="greeter") as agent:
        yield agent


@pytest.fixture(scope="module")
def failing() -> Iterator[RunningPythonA2AAgent]:
    with serve_python_a2a_agent(Failing, name="failing") as agent:
        yield agent


def user(text: str) -> Message:
    return Message(content=TextContent(text=text), role=MessageRole.USER, conversation_id="conv-s")


def sse_events(response: requests.Response) -> list[tuple[str, dict[str, object]]]:
    events = []
    for block in response.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in lines:
            events.append((lines.get("event", "message"), json.loads(lines["data"])))
    return events


def test_send_subscribe_continues_the_callers_trace_and_covers_the_stream(spans, greeter) -> None:
    task = Task(id="task-sub", message=user("subscribe").to_dict())
    body = {"jsonrpc": "2.0", "id": 7, "method": "tasks/sendSubscribe", "params": task.to_dict()}
    headers = {"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01", "Accept": "text/event-stream"}
    response = requests.post(f"{greeter.url}/a2a/tasks/stream", json=body, headers=headers, timeout=10)
    events = sse_events(response)
    assert [kind for kind, _ in events] == ["update", "complete"]

    got = spans.wait(has_agent_run)
    server = one(got, semconv.SEND_STREAMING_MESSAGE, SpanKind.SERVER)
    assert f"{server.context.trace_id:032x}" == CALLER_TRACE
    assert server.parent is not None and f"{server.parent.span_id:016x}" == CALLER_SPAN
    assert server.parent.is_remote
    a = attrs(server)
    assert a[semconv.A2A_METHOD_ORIGINAL] == "tasks/sendSubscribe"
    assert a[semconv.A2A_TASK_ID] == "task-sub"
    assert a[semconv.GEN_AI_CONVERSATION_ID] == "conv-s"
    assert a[semconv.A2A_STREAM_EVENTS_COUNT] == 2
    assert a[semconv.A2A_STREAM_END] == semconv.STREAM_END_COMPLETED
    assert a[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_COMPLETED
    states = [(e.attributes or {}).get(semconv.A2A_TASK_STATE) for e in server.events]
    assert states == [semconv.TASK_STATE_SUBMITTED, semconv.TASK_STATE_COMPLETED]
    (run,) = children(server, got)
    assert run.name == "invoke_agent greeter"
    assert attrs(run)[semconv.A2A_TASK_ID] == "task-sub"
    assert server.end_time >= run.end_time


def test_a_failing_handler_is_an_error_on_the_agent_span_and_on_the_caller(spans, failing) -> None:
    client = A2AClient(failing.url)
    spans.wait(lambda s: len(s) >= 2)
    spans.clear()
    answer = client.send_message(user("boom"))
    assert answer.content.type == "error", "python-a2a turns the failure into an error answer"
    got = spans.wait(has_agent_run)
    client_span, server, run = client_server_agent(got, semconv.SEND_MESSAGE, "failing")
    assert run.status.status_code == StatusCode.ERROR
    assert attrs(run)[semconv.ERROR_TYPE] == "RuntimeError"
    (exception,) = [e for e in run.events if e.name == "exception"]
    # Without content capture the exception is recorded by type; its message (which
    # repeats what the user sent) is not.
    assert (exception.attributes or {})["exception.type"] == "RuntimeError"
    assert "exception.message" not in (exception.attributes or {})
    assert client_span.status.status_code == StatusCode.ERROR
    assert attrs(client_span)[semconv.ERROR_TYPE] == "ErrorContent"
    assert server.status.status_code == StatusCode.UNSET, "python-a2a answered 200 with the error"


async def test_a_failing_agent_stream_is_an_error_on_the_agent_span(spans, failing) -> None:
    client = A2AClient(failing.url)
    received = [chunk async for chunk in client.stream_response(user("stream"))]
    got = await spans.until(
        lambda s: (
            has_agent_run(s)
            and any(x.name == semconv.SEND_STREAMING_MESSAGE and x.kind == SpanKind.CLIENT for x in s)
        )
    )
    client_span = one(got, semconv.SEND_STREAMING_MESSAGE, SpanKind.CLIENT)
    trace_spans = in_trace(client_span, got)
    server = one(trace_spans, semconv.SEND_STREAMING_MESSAGE, SpanKind.SERVER)
    (run,) = children(server, trace_spans)
    assert run.status.status_code == StatusCode.ERROR
    assert attrs(run)[semconv.ERROR_TYPE] == "RuntimeError"
    assert attrs(client_span)[semconv.A2A_STREAM_EVENTS_COUNT] == len(received)


def test_other_routes_and_other_flask_apps_are_left_alone(spans, greeter) -> None:
    assert requests.get(f"{greeter.url}/a2a/health", timeout=10).json() == {"status": "ok"}
    assert requests.get(f"{greeter.url}/a2a/metadata", timeout=10).status_code == 200

    app = Flask("someone_else")

    @app.post("/tasks/send")
    def tasks_send() -> dict[str, str]:
        return {"mine": "yes"}

    port = free_port()
    server = make_server(LOOPBACK, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        response = requests.post(f"http://{LOOPBACK}:{port}/tasks/send", json={}, timeout=10)
        assert response.json() == {"mine": "yes"}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert spans.all() == []


def test_a_client_that_sends_no_trace_context_starts_a_trace_on_the_server(spans, greeter) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tasks/send",
        "params": Task(message=user("x").to_dict()).to_dict(),
    }
    assert requests.post(f"{greeter.url}/tasks/send", json=body, timeout=10).status_code == 200
    got = spans.wait(has_agent_run)
    server = one(got, semconv.SEND_MESSAGE, SpanKind.SERVER)
    assert server.parent is None
    (run,) = children(server, got)
    assert_child(run, server)


def test_an_agent_started_with_run_server_is_observed(spans) -> None:
    """``run_server`` blocks in Flask's own server, which cannot be stopped from outside: the
    daemon thread lives until the test session ends."""
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    agent = Greeter(agent_card=python_a2a_card("served", url))
    threading.Thread(
        target=run_server, args=(agent,), kwargs={"host": LOOPBACK, "port": port}, daemon=True
    ).start()
    client = None
    for _ in range(200):
        with contextlib.suppress(requests.ConnectionError):
            requests.get(f"{url}/a2a/health", timeout=5)
            client = A2AClient(url)
            break
        time.sleep(0.05)
    assert client is not None
    spans.wait(lambda s: len(s) >= 2)
    spans.clear()
    assert client.ask("run") == "hello: run"
    got = spans.wait(has_agent_run)
    client_server_agent(got, semconv.SEND_MESSAGE, "served")
