"""a2a-sdk 0.3: metrics count the calls, tasks and streams really made, and an agent's log
lines carry the ids of its run, exactly as on 1.x."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.types import TaskQueryParams
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id

from a2a_observe import semconv
from a2a_observe.logs import TraceContextFilter, add_trace_context
from tests.sdk03.support import (
    BINDINGS,
    EchoAgent,
    RunningAgent,
    StreamingWriter,
    make_client,
    serve_agent,
    start_task,
    text_part,
    user_message,
)
from tests.support.metrics import labels, total

HIGH_CARDINALITY = {semconv.A2A_TASK_ID, semconv.GEN_AI_CONVERSATION_ID, semconv.A2A_MESSAGE_ID}
LOGGER = "tests.sdk03.logging_agent"

# The agent's own span is opted in here (A2A_OBSERVE_AGENT_SPANS), so it is checked on this
# line too; the default (what the agent did as events of the SERVER span) is the same code.
pytestmark = pytest.mark.usefixtures("agent_spans_on")


@pytest.fixture(scope="module")
def echo() -> Iterator[RunningAgent]:
    with serve_agent(EchoAgent(), "metrics03-echo") as agent:
        yield agent


@pytest.mark.parametrize("binding", BINDINGS)
async def test_call_durations_count_every_call(spans, echo, binding) -> None:
    where = {semconv.GEN_AI_AGENT_NAME: "metrics03-echo", semconv.A2A_PROTOCOL_BINDING: binding}
    send = {**where, semconv.A2A_METHOD_NAME: semconv.SEND_MESSAGE}
    client_size = {**send, semconv.A2A_CALL_SIDE: "client"}
    before = (
        total(semconv.METRIC_RPC_CLIENT_DURATION, **send),
        total(semconv.METRIC_RPC_SERVER_DURATION, **send),
        total(semconv.METRIC_REQUEST_SIZE, **client_size),
        total(semconv.METRIC_RESPONSE_SIZE, **client_size),
    )
    client = make_client(echo, binding, streaming=False)
    for _ in range(5):
        [e async for e in client.send_message(user_message("count me"))]
    await client.close()
    await spans.until(lambda s: sum(1 for x in s if x.kind == SpanKind.SERVER) >= 5)
    assert total(semconv.METRIC_RPC_CLIENT_DURATION, **send) - before[0] == 5
    assert total(semconv.METRIC_RPC_SERVER_DURATION, **send) - before[1] == 5
    assert total(semconv.METRIC_REQUEST_SIZE, **client_size) - before[2] == 5
    assert total(semconv.METRIC_RESPONSE_SIZE, **client_size) - before[3] == 5
    assert total(semconv.METRIC_SERVER_ACTIVE_REQUESTS, **where) == 0
    for name in (semconv.METRIC_RPC_CLIENT_DURATION, semconv.METRIC_RPC_SERVER_DURATION):
        assert labels(name) & HIGH_CARDINALITY == set()


async def test_errors_are_counted_with_their_wire_code(spans, echo) -> None:
    where = {semconv.GEN_AI_AGENT_NAME: "metrics03-echo", semconv.A2A_METHOD_NAME: semconv.GET_TASK}
    failed = {**where, semconv.ERROR_TYPE: "-32001", semconv.RPC_RESPONSE_STATUS_CODE: "-32001"}
    before = total(semconv.METRIC_ERRORS, **failed)
    client = make_client(echo, "JSONRPC", streaming=False)
    for _ in range(3):
        with pytest.raises(Exception, match="not found"):
            await client.get_task(TaskQueryParams(id="nope"))
    await client.close()
    await spans.until(lambda s: sum(1 for x in s if x.kind == SpanKind.SERVER) >= 3)
    assert total(semconv.METRIC_ERRORS, **failed) - before == 6  # client and server side


async def test_task_lifecycle(spans, echo) -> None:
    agent = {semconv.GEN_AI_AGENT_NAME: "metrics03-echo"}
    states = (semconv.TASK_STATE_SUBMITTED, semconv.TASK_STATE_WORKING, semconv.TASK_STATE_COMPLETED)
    before = {
        s: total(semconv.METRIC_TASK_TRANSITIONS, **agent, **{semconv.A2A_TASK_STATE: s}) for s in states
    }
    completed = {**agent, semconv.A2A_TASK_STATE: semconv.TASK_STATE_COMPLETED}
    done_before = total(semconv.METRIC_TASK_DURATION, **completed)
    client = make_client(echo, "JSONRPC", streaming=False)
    for _ in range(4):
        [e async for e in client.send_message(user_message("lifecycle"))]
    await client.close()
    await spans.until(lambda s: sum(1 for x in s if x.name == "invoke_agent metrics03-echo") >= 4)
    for state in states:
        now = total(semconv.METRIC_TASK_TRANSITIONS, **agent, **{semconv.A2A_TASK_STATE: state})
        assert now - before[state] == 4, state
    assert total(semconv.METRIC_TASK_DURATION, **completed) - done_before == 4
    assert total(semconv.METRIC_TASK_ACTIVE, **agent) == 0


async def test_stream_metrics(spans) -> None:
    where = {semconv.GEN_AI_AGENT_NAME: "metrics03-writer", semconv.A2A_CALL_SIDE: "client"}
    chunk = {**where, semconv.A2A_STREAM_EVENT_KIND: "artifact-update"}
    done = {**where, semconv.A2A_STREAM_END: "completed"}
    received = 0
    with serve_agent(StreamingWriter(chunks=4), "metrics03-writer") as agent:
        client = make_client(agent, "JSONRPC", streaming=True)
        for _ in range(3):
            received += len([e async for e in client.send_message(user_message("a b"))])
        await client.close()
        await spans.until(lambda s: sum(1 for x in s if x.kind == SpanKind.SERVER) >= 3)
    assert total(semconv.METRIC_STREAM_EVENTS, **where) == received
    assert total(semconv.METRIC_STREAM_EVENTS, **chunk) == 12
    assert total(semconv.METRIC_STREAM_TIME_TO_FIRST_EVENT, **where) == 3
    assert total(semconv.METRIC_STREAM_DURATION, **done) == 3
    assert total(semconv.METRIC_STREAM_ACTIVE, **{semconv.GEN_AI_AGENT_NAME: "metrics03-writer"}) == 0


def log_both(where: str) -> None:
    structlog.get_logger(LOGGER).info("structlog line", where=where)
    logging.getLogger(LOGGER).info("stdlib line", extra={"where": where})


class LoggingAgent(AgentExecutor):
    """Logs in ``execute``, in a thread and in ``asyncio.to_thread``, then completes."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = await start_task(context, event_queue)
        log_both("execute")
        thread = threading.Thread(target=log_both, args=("thread",))
        thread.start()
        await asyncio.to_thread(thread.join)
        await asyncio.to_thread(log_both, "to_thread")
        await updater.add_artifact([text_part("logged")], name="answer")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        return None


def ids(source: dict[str, Any]) -> dict[str, Any]:
    keys = (
        semconv.LOG_TRACE_ID,
        semconv.LOG_SPAN_ID,
        semconv.A2A_TASK_ID,
        semconv.GEN_AI_CONVERSATION_ID,
        semconv.GEN_AI_AGENT_NAME,
    )
    return {k: source.get(k) for k in keys}


async def test_log_lines_carry_the_run_ids(spans, caplog) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    caplog.handler.addFilter(TraceContextFilter())
    with (
        serve_agent(LoggingAgent(), "logger03") as agent,
        structlog.testing.capture_logs(processors=[add_trace_context]) as captured,
    ):
        client = make_client(agent, "JSONRPC", streaming=False)
        events = [e async for e in client.send_message(user_message("log please"))]
        await client.close()
        got = await spans.until(lambda s: any(x.name == "invoke_agent logger03" for x in s))
    task = events[-1][0]
    run = next(s for s in got if s.name == "invoke_agent logger03")
    expected = {
        semconv.LOG_TRACE_ID: format_trace_id(run.context.trace_id),
        semconv.LOG_SPAN_ID: format_span_id(run.context.span_id),
        semconv.A2A_TASK_ID: task.id,
        semconv.GEN_AI_CONVERSATION_ID: task.context_id,
        semconv.GEN_AI_AGENT_NAME: "logger03",
    }
    records = {r.where: vars(r) for r in caplog.records if r.getMessage() == "stdlib line"}  # type: ignore[attr-defined]
    lines = {e["where"]: e for e in captured if e.get("event") == "structlog line"}
    places = {"execute", "thread", "to_thread"}
    assert set(records) == places
    assert set(lines) == places
    for place in places:
        assert ids(records[place]) == expected, place
        assert ids(lines[place]) == expected, place
