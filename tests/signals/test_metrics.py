"""Metrics from real agents: counts equal the calls made, labels stay low-cardinality, task
lifecycle and streams add up, and Prometheus exposition carries exemplars of real traces."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from a2a.types import GetTaskRequest, SendMessageRequest
from opentelemetry.trace import SpanKind
from prometheus_client import parser as classic_parser
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.demo.agents import AskingAgent, EchoAgent, StreamingWriter
from a2a_observe.demo.serving import RunningAgent, free_port, serve_agent
from a2a_observe.replay.sdk_client import make_client, send_text, user_message
from a2a_observe.signals.prometheus import prometheus_name, serve_metrics
from tests.conftest import PROMETHEUS_REGISTRY
from tests.support.metrics import labels, total

HIGH_CARDINALITY = {
    semconv.A2A_TASK_ID,
    semconv.GEN_AI_CONVERSATION_ID,
    semconv.A2A_MESSAGE_ID,
    "trace_id",
    "span_id",
}


@pytest.fixture(scope="module")
def echo() -> Iterator[RunningAgent]:
    with serve_agent(EchoAgent(), "metrics-echo") as agent:
        yield agent


@pytest.fixture(scope="module")
def writer() -> Iterator[RunningAgent]:
    with serve_agent(StreamingWriter(chunks=4), "metrics-writer") as agent:
        yield agent


def served(spans: list) -> int:
    """SERVER spans that answer a CLIENT span of this test (a late one of an earlier test is
    not one of them); a call records its metrics before its span ends."""
    clients = {x.context.span_id for x in spans if x.kind == SpanKind.CLIENT}
    return sum(1 for x in spans if x.kind == SpanKind.SERVER and x.parent and x.parent.span_id in clients)


@pytest.mark.parametrize("binding", ["JSONRPC", "HTTP+JSON", "GRPC"])
async def test_call_durations_count_every_call(spans, echo, binding) -> None:
    where = {semconv.GEN_AI_AGENT_NAME: "metrics-echo", semconv.A2A_PROTOCOL_BINDING: binding}
    send = {**where, semconv.A2A_METHOD_NAME: semconv.SEND_MESSAGE}
    before = (
        total(semconv.METRIC_RPC_CLIENT_DURATION, **send),
        total(semconv.METRIC_RPC_SERVER_DURATION, **send),
        total(semconv.METRIC_REQUEST_SIZE, **send, **{semconv.A2A_CALL_SIDE: "client"}),
    )
    client = make_client(echo.card, binding, streaming=False)
    for _ in range(5):
        [e async for e in client.send_message(SendMessageRequest(message=user_message("count me")))]
    await client.close()
    await spans.until(lambda s: served(s) >= 5)
    assert total(semconv.METRIC_RPC_CLIENT_DURATION, **send) - before[0] == 5
    assert total(semconv.METRIC_RPC_SERVER_DURATION, **send) - before[1] == 5
    assert total(semconv.METRIC_REQUEST_SIZE, **send, **{semconv.A2A_CALL_SIDE: "client"}) - before[2] == 5
    assert total(semconv.METRIC_SERVER_ACTIVE_REQUESTS, **where) == 0
    for name in (semconv.METRIC_RPC_CLIENT_DURATION, semconv.METRIC_RPC_SERVER_DURATION):
        assert labels(name) & HIGH_CARDINALITY == set()
        assert {semconv.RPC_SYSTEM_NAME, semconv.RPC_METHOD, semconv.A2A_METHOD_NAME} <= labels(name)


async def test_errors_are_counted_with_their_wire_code(spans, echo) -> None:
    where = {semconv.GEN_AI_AGENT_NAME: "metrics-echo", semconv.A2A_METHOD_NAME: semconv.GET_TASK}
    failed = {**where, semconv.ERROR_TYPE: "-32001"}
    before = (
        total(semconv.METRIC_ERRORS, **failed, **{semconv.RPC_RESPONSE_STATUS_CODE: "-32001"}),
        total(semconv.METRIC_RPC_SERVER_DURATION, **failed),
    )
    client = make_client(echo.card, "JSONRPC", streaming=False)
    for _ in range(3):
        with pytest.raises(Exception, match="not found"):
            await client.get_task(GetTaskRequest(id="nope"))
    await client.close()
    await spans.until(lambda s: served(s) >= 3)
    # client and server side each count the three failures
    assert (
        total(semconv.METRIC_ERRORS, **failed, **{semconv.RPC_RESPONSE_STATUS_CODE: "-32001"}) - before[0]
        == 6
    )
    assert total(semconv.METRIC_RPC_SERVER_DURATION, **failed) - before[1] == 3


@pytest.mark.parametrize("agent_spans", [False, True])
async def test_task_lifecycle(spans, echo, agent_spans, reinstrument) -> None:
    """The same counts whether or not the agent has a span of its own."""
    if agent_spans:
        reinstrument(settings=Settings(agent_spans=True))
    agent = {semconv.GEN_AI_AGENT_NAME: "metrics-echo"}
    states = (semconv.TASK_STATE_SUBMITTED, semconv.TASK_STATE_WORKING, semconv.TASK_STATE_COMPLETED)
    before = {
        s: total(semconv.METRIC_TASK_TRANSITIONS, **agent, **{semconv.A2A_TASK_STATE: s}) for s in states
    }
    done_before = total(
        semconv.METRIC_TASK_DURATION, **agent, **{semconv.A2A_TASK_STATE: semconv.TASK_STATE_COMPLETED}
    )
    for _ in range(4):
        await send_text(echo.card, "lifecycle", streaming=False)
    await spans.until(lambda s: served(s) >= 4)
    for state in states:
        assert (
            total(semconv.METRIC_TASK_TRANSITIONS, **agent, **{semconv.A2A_TASK_STATE: state}) - before[state]
            == 4
        )
    assert (
        total(semconv.METRIC_TASK_DURATION, **agent, **{semconv.A2A_TASK_STATE: semconv.TASK_STATE_COMPLETED})
        - done_before
        == 4
    )
    assert total(semconv.METRIC_TASK_ACTIVE, **agent) == 0


async def test_tasks_waiting_for_input_are_active_until_answered(spans) -> None:
    agent = {semconv.GEN_AI_AGENT_NAME: "metrics-greeter"}
    waiting = {**agent, semconv.A2A_TASK_STATE: semconv.TASK_STATE_INPUT_REQUIRED}
    with serve_agent(AskingAgent(), "metrics-greeter") as greeter:
        first = await send_text(greeter.card, "hi", streaming=False)
        task = first[-1].task
        await spans.until(lambda s: served(s) >= 1)
        assert total(semconv.METRIC_TASK_ACTIVE, **waiting) == 1
        await send_text(greeter.card, "Ada", streaming=False, context_id=task.context_id, task_id=task.id)
        await spans.until(lambda s: served(s) >= 2)
    assert total(semconv.METRIC_TASK_ACTIVE, **waiting) == 0
    assert total(semconv.METRIC_TASK_ACTIVE, **agent) == 0
    assert (
        total(semconv.METRIC_TASK_DURATION, **agent, **{semconv.A2A_TASK_STATE: semconv.TASK_STATE_COMPLETED})
        == 1
    )


async def test_stream_metrics(spans, writer) -> None:
    where = {semconv.GEN_AI_AGENT_NAME: "metrics-writer", semconv.A2A_CALL_SIDE: "client"}
    before_events = total(semconv.METRIC_STREAM_EVENTS, **where)
    before_chunks = total(
        semconv.METRIC_STREAM_EVENTS, **where, **{semconv.A2A_STREAM_EVENT_KIND: "artifact-update"}
    )
    before_first = total(semconv.METRIC_STREAM_TIME_TO_FIRST_EVENT, **where)
    before_done = total(semconv.METRIC_STREAM_DURATION, **where, **{semconv.A2A_STREAM_END: "completed"})
    received = 0
    for _ in range(3):
        received += len(await send_text(writer.card, "a b", streaming=True))
    await spans.until(lambda s: served(s) >= 3)
    assert total(semconv.METRIC_STREAM_EVENTS, **where) - before_events == received
    chunks = total(
        semconv.METRIC_STREAM_EVENTS, **where, **{semconv.A2A_STREAM_EVENT_KIND: "artifact-update"}
    )
    assert chunks - before_chunks == 12
    assert total(semconv.METRIC_STREAM_TIME_TO_FIRST_EVENT, **where) - before_first == 3
    assert (
        total(semconv.METRIC_STREAM_DURATION, **where, **{semconv.A2A_STREAM_END: "completed"}) - before_done
        == 3
    )
    assert total(semconv.METRIC_STREAM_ACTIVE, **{semconv.GEN_AI_AGENT_NAME: "metrics-writer"}) == 0


def scrape(url: str) -> str:
    request = urllib.request.Request(url, headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode())


async def test_prometheus_exposition_with_trace_exemplars(spans, echo) -> None:
    for _ in range(3):
        await send_text(echo.card, "scrape me", streaming=False)
    got = await spans.until(lambda s: served(s) >= 3)
    server = serve_metrics(free_port(), registry=PROMETHEUS_REGISTRY)
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    try:
        text = scrape(url)
        with urllib.request.urlopen(url, timeout=10) as response:
            classic = response.read().decode()
    finally:
        server.shutdown()
    # The classic text format (what Prometheus asks for without exemplars) parses too.
    classic_names = {f.name for f in classic_parser.text_string_to_metric_families(classic)}
    assert {"rpc_server_call_duration_seconds", "a2a_task_transitions", "a2a_stream_events"} <= classic_names
    families = {f.name: f for f in text_string_to_metric_families(text)}
    name = prometheus_name(semconv.METRIC_RPC_SERVER_DURATION, "s")
    assert name == "rpc_server_call_duration_seconds"
    histogram = families[name]
    assert histogram.type == "histogram"
    counts = [
        s.value
        for s in histogram.samples
        if s.name == f"{name}_count"
        and s.labels.get("gen_ai_agent_name") == "metrics-echo"
        and s.labels.get("a2a_method_name") == "SendMessage"
    ]
    assert sum(counts) == total(
        semconv.METRIC_RPC_SERVER_DURATION,
        **{semconv.GEN_AI_AGENT_NAME: "metrics-echo", semconv.A2A_METHOD_NAME: semconv.SEND_MESSAGE},
    )
    exemplars = [s.exemplar for s in histogram.samples if s.exemplar is not None]
    assert exemplars, "latency buckets carry exemplars"
    real_traces = {f"{s.context.trace_id:032x}" for s in got}
    ours = [e for e in exemplars if e.labels["trace_id"] in real_traces]
    assert ours, "exemplars point at the traces of the requests just made"
    assert all(len(e.labels["span_id"]) == 16 for e in ours)
    counter = prometheus_name(semconv.METRIC_TASK_TRANSITIONS, "{transition}")
    assert counter == "a2a_task_transitions"
    assert families[counter].type == "counter"
    assert any(s.name == "a2a_task_transitions_total" for s in families[counter].samples)
    assert families["a2a_server_active_requests"].type == "gauge"
    assert families["a2a_request_size_bytes"].type == "histogram"
