"""Conformance with the OpenTelemetry A2A semantic conventions (semantic-conventions-genai,
``docs/gen-ai/a2a.md``, ``model/a2a/*``), checked on real spans: a2a-sdk clients and servers on
127.0.0.1 over every binding and both protocol versions, python-a2a clients and servers, and
requests the SDK rejects before any handler.

The checks themselves (``tests/support/conformance.py``) are shared with the a2a-sdk 0.3 suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from a2a.types import (
    CancelTaskRequest,
    GetTaskRequest,
    SendMessageConfiguration,
    SendMessageRequest,
)
from opentelemetry.instrumentation.dependencies import get_dependency_conflicts
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode
from python_a2a import A2AClient, Message, MessageRole, Task, TextContent

from a2a_observe import semconv
from a2a_observe.config import Settings, gen_ai_latest_experimental
from a2a_observe.demo.agents import EchoAgent, FlakyAgent, SlowAgent, StreamingWriter
from a2a_observe.demo.python_a2a_agents import RunningPythonA2AAgent, serve_python_a2a_agent
from a2a_observe.demo.serving import RunningAgent, serve_agent
from a2a_observe.instrumentation import A2AInstrumentor
from a2a_observe.replay.sdk_client import make_client, user_message
from tests.support.conformance import (
    BINDINGS,
    REST_REFUSALS,
    VERSIONS,
    all_answered,
    assert_conforms,
    assert_exercise,
    assert_refused,
    assert_rest_refused,
    calls,
    ours,
    problems,
    refusals,
)
from tests.support.fasta2a import RunningFastA2A, echo_app, serve_app
from tests.support.fasta2a import user_message as fasta2a_message
from tests.support.metrics import total


# --- a2a-sdk, every binding and protocol version ------------------------------------------------
@pytest.fixture(scope="module")
def agents() -> Iterator[dict[str, RunningAgent]]:
    with (
        serve_agent(EchoAgent(), "echo", version="2.0.0", description="Echoes what it is told") as echo,
        serve_agent(StreamingWriter(chunks=2), "writer") as writer,
        serve_agent(SlowAgent(30), "slow") as slow,
        serve_agent(FlakyAgent(), "flaky") as flaky,
    ):
        yield {"echo": echo, "writer": writer, "slow": slow, "flaky": flaky}


def card(agent: RunningAgent, version: str) -> Any:
    return agent.card if version == "1.0" else agent.v03_card


async def _exercise(agents: dict[str, RunningAgent], binding: str, version: str) -> str:
    """Every kind of call a user makes, the failing ones too; the task id of the echo call."""
    message = user_message("conform")
    message.reference_task_ids.append("earlier-task")
    client = make_client(card(agents["echo"], version), binding, streaming=False)
    events = [e async for e in client.send_message(SendMessageRequest(message=message))]
    task_id = str(events[-1].task.id)
    await client.get_task(GetTaskRequest(id=task_id))
    with pytest.raises(Exception):  # noqa: B017 - any error class: the span is what is checked
        await client.get_task(GetTaskRequest(id="no-such-task"))
    await client.close()

    client = make_client(card(agents["writer"], version), binding, streaming=True)
    [e async for e in client.send_message(SendMessageRequest(message=user_message("stream it")))]
    await client.close()

    client = make_client(card(agents["slow"], version), binding, streaming=False)
    request = SendMessageRequest(
        message=user_message("later"), configuration=SendMessageConfiguration(return_immediately=True)
    )
    started = [e async for e in client.send_message(request)]
    await client.cancel_task(CancelTaskRequest(id=started[-1].task.id))
    await client.close()

    client = make_client(card(agents["flaky"], version), binding, streaming=True)
    with pytest.raises(Exception):  # noqa: B017
        [e async for e in client.send_message(SendMessageRequest(message=user_message("please fail")))]
    await client.close()
    return task_id


def _settled(spans: list[ReadableSpan]) -> bool:
    return all_answered(spans, 7)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("binding", BINDINGS)
async def test_a2a_sdk_spans_conform(spans, agents, binding, version) -> None:
    task_id = await _exercise(agents, binding, version)
    got = await spans.until(_settled)
    assert _settled(got)
    mine = assert_conforms(got)
    # The v0.3 protobuf Message has no referenceTaskIds: over HTTP+JSON and gRPC at v0.3 the
    # agent never receives them, so its SERVER span cannot name them.
    proto_v03 = version == "0.3" and binding != semconv.BINDING_JSONRPC
    echo = ("echo", "2.0.0", "Echoes what it is told")
    _, send_server = assert_exercise(mine, binding, task_id, version, echo, references=not proto_v03)
    server_attrs = send_server.attributes or {}
    if binding != semconv.BINDING_GRPC:
        echo_port = int(agents["echo"].base_url.rsplit(":", 1)[1])
        assert (server_attrs[semconv.SERVER_ADDRESS], server_attrs[semconv.SERVER_PORT]) == (
            "127.0.0.1",
            echo_port,
        )


async def test_opted_in_agent_spans_follow_the_genai_agent_conventions(spans, agents, reinstrument) -> None:
    reinstrument(settings=Settings(agent_spans=True))
    client = make_client(agents["echo"].card, semconv.BINDING_JSONRPC, streaming=False)
    [e async for e in client.send_message(SendMessageRequest(message=user_message("agent span")))]
    await client.close()
    got = await spans.until(lambda s: any(x.kind == SpanKind.INTERNAL for x in ours(s)))
    [agent] = [s for s in ours(got) if s.kind == SpanKind.INTERNAL]
    attrs = agent.attributes or {}
    assert agent.name == f"{semconv.OPERATION_INVOKE_AGENT} echo"
    assert attrs[semconv.GEN_AI_OPERATION_NAME] == semconv.OPERATION_INVOKE_AGENT
    assert attrs[semconv.GEN_AI_PROVIDER_NAME] == semconv.PROVIDER_DEFAULT, (
        "required by the GenAI conventions"
    )
    assert attrs[semconv.GEN_AI_AGENT_DESCRIPTION] == "Echoes what it is told"
    assert attrs[semconv.A2A_TASK_STATE] in semconv.TASK_STATES
    assert [p for s in ours(got) if s.kind != SpanKind.INTERNAL for p in problems(s)] == []


# --- requests rejected before any handler ----------------------------------------------------
REJECTED = refusals("SendMessage", "GetTask", "NoSuchMethod", unversioned="-32600", bad_params="-32602")


@pytest.mark.parametrize(("body", "method", "code"), REJECTED)
def test_a_request_rejected_before_the_handler_is_a_server_span_with_the_wire_code(
    spans, agents, body, method, code
) -> None:
    assert_refused(spans, agents["echo"].jsonrpc_url, body, method, code, "1.0")


@pytest.mark.parametrize(("body", "method", "status"), REST_REFUSALS)
def test_an_http_json_request_rejected_before_the_handler_is_a_server_span_with_the_status(
    spans, agents, body, method, status
) -> None:
    assert_rest_refused(spans, f"{agents['echo'].rest_url}/message:send", body, method, status, "1.0")


REJECTED_V03 = [
    # v0.3 compat (no A2A-Version header): params the v0.3 adapter's models refuse are -32600
    *refusals("message/send", "tasks/get", "no/such", unversioned="-32600", bad_params="-32600"),
    (
        b'{"jsonrpc": "2.0", "id": 4, "method": "message/send", "params": {"message": 5}}',
        semconv.SEND_MESSAGE,
        "-32600",
    ),
]


@pytest.mark.parametrize(("body", "method", "code"), REJECTED_V03)
def test_a_request_the_v03_compat_layer_rejects_is_a_server_span_with_the_wire_code(
    spans, agents, body, method, code
) -> None:
    assert_refused(spans, agents["echo"].jsonrpc_url, body, method, code, "0.3")


async def test_a_card_fetch_is_observed_but_counted_as_no_method(spans, agents) -> None:
    from a2a.client import A2ACardResolver

    async with httpx.AsyncClient() as http:
        await A2ACardResolver(http, agents["echo"].base_url).get_agent_card()
    got = await spans.until(lambda s: bool(ours(s)))
    [fetch] = assert_conforms(got)
    assert fetch.name == semconv.AGENT_CARD_SPAN and fetch.kind == SpanKind.CLIENT
    for name in (semconv.METRIC_RPC_CLIENT_DURATION, semconv.METRIC_RPC_SERVER_DURATION):
        assert total(name, **{semconv.A2A_METHOD_NAME: semconv.GET_AGENT_CARD}) == 0
        assert total(name, **{semconv.RPC_METHOD: semconv.GET_AGENT_CARD}) == 0


# --- python-a2a -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def greeter() -> Iterator[RunningPythonA2AAgent]:
    with serve_python_a2a_agent(name="greeter", description="Greets whoever writes") as agent:
        yield agent


def test_python_a2a_spans_conform(spans, greeter) -> None:
    client = A2AClient(greeter.url)
    message = Message(content=TextContent(text="hi"), role=MessageRole.USER, conversation_id="conv-c")
    client.send_message(message)
    task = Task(id="task-conform", message=message.to_dict())
    client._send_task(task)
    client.get_task("task-conform")
    client.cancel_task("task-conform")
    client.get_task("missing")
    got = spans.wait(lambda s: len(calls(s, SpanKind.SERVER)) >= 6)
    mine = assert_conforms(got)
    servers = calls(mine, SpanKind.SERVER)
    for span in servers:
        attrs = span.attributes or {}
        assert attrs[semconv.GEN_AI_AGENT_DESCRIPTION] == "Greets whoever writes"
        assert attrs[semconv.CLIENT_ADDRESS] == "127.0.0.1" and isinstance(attrs[semconv.CLIENT_PORT], int)
        assert attrs[semconv.SERVER_ADDRESS] == "127.0.0.1"
    for span in calls(mine, SpanKind.CLIENT) + servers:
        assert (span.attributes or {})[semconv.A2A_PROTOCOL_VERSION] == "0.3", span.name
    sent = [s for s in servers if (s.attributes or {}).get(semconv.A2A_TASK_ID) == "task-conform"]
    states = [
        (e.attributes or {})[semconv.A2A_TASK_STATE]
        for s in sent
        for e in s.events
        if e.name == semconv.EVENT_TASK_STATUS
    ]
    assert semconv.TASK_STATE_COMPLETED in states, "the agent's work, on the SERVER span"
    failed = [s for s in mine if s.status.status_code == StatusCode.ERROR]
    assert failed and all((s.attributes or {})[semconv.ERROR_TYPE] == "-32000" for s in failed)


# --- fasta2a ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fasta2a_agent() -> Iterator[RunningFastA2A]:
    with serve_app(echo_app) as running:
        yield running


async def test_fasta2a_spans_conform(spans, fasta2a_agent) -> None:
    client = fasta2a_agent.client()
    task = (await client.send_message(fasta2a_message("hi", context_id="ctx-conform")))["result"]["task"]
    await client.get_task(task["id"])
    await client.get_task("no-such-task")
    await client.send_message(fasta2a_message("boom"))
    got = spans.wait(lambda s: len(calls(s, SpanKind.SERVER)) >= 4 and len(calls(s, SpanKind.CLIENT)) >= 4)
    mine = assert_conforms(got)
    assert {s.name for s in calls(mine, SpanKind.SERVER)} == {semconv.SEND_MESSAGE, semconv.GET_TASK}
    for span in calls(mine, SpanKind.SERVER):
        attrs = span.attributes or {}
        assert attrs[semconv.A2A_PROTOCOL_VERSION] == "0.3"
        assert attrs[semconv.CLIENT_ADDRESS] == "127.0.0.1"


# --- switches: suppression, the semconv opt-in, dependencies ----------------------------------
async def test_suppressed_instrumentation_makes_no_spans_and_no_metrics(spans, agents) -> None:
    before = total(semconv.METRIC_RPC_CLIENT_DURATION, **{semconv.GEN_AI_AGENT_NAME: "echo"})
    with suppress_instrumentation():
        client = make_client(agents["echo"].card, semconv.BINDING_HTTP_JSON, streaming=False)
        [e async for e in client.send_message(SendMessageRequest(message=user_message("quiet")))]
        await client.close()
    assert [s for s in ours(spans.all()) if s.kind == SpanKind.CLIENT] == []
    assert total(semconv.METRIC_RPC_CLIENT_DURATION, **{semconv.GEN_AI_AGENT_NAME: "echo"}) == before


def test_the_semconv_opt_in_is_read_as_opentelemetry_contrib_reads_it() -> None:
    opt_in = semconv.ENV_SEMCONV_STABILITY_OPT_IN
    assert gen_ai_latest_experimental({}) is False
    assert gen_ai_latest_experimental({opt_in: "http, gen_ai_latest_experimental"}) is True
    assert gen_ai_latest_experimental({opt_in: "http/dup"}) is False
    capture = semconv.ENV_GENAI_CAPTURE_CONTENT
    assert Settings.from_env({capture: "true"}).capture_content is True
    latest = {opt_in: semconv.SEMCONV_GEN_AI_LATEST_EXPERIMENTAL}
    assert Settings.from_env({**latest, capture: "true"}).capture_content is False, "a mode is expected"
    assert Settings.from_env({**latest, capture: "SPAN_ONLY"}).capture_content is True
    assert Settings.from_env({**latest, capture: "EVENT_ONLY"}).capture_content is False
    assert Settings.from_env({**latest}).gen_ai_latest_experimental is True
    assert gen_ai_latest_experimental() in (True, False), "the process environment, through contrib"
    agent = Settings.from_env({semconv.ENV_AGENT_SPANS: "true", semconv.ENV_AGENT_PROVIDER: "openai"})
    assert (agent.agent_spans, agent.agent_provider) == (True, "openai")
    assert Settings.from_env({}).agent_spans is False


def test_instrumentation_dependencies_are_the_real_requirements() -> None:
    requirements = list(A2AInstrumentor().instrumentation_dependencies())
    assert requirements == ["a2a-sdk >= 0.3.4, != 2.*", "python-a2a >= 0.5, < 0.6", "fasta2a >= 2.1, < 3"]
    assert get_dependency_conflicts(requirements) is None, "all are installed here, at supported versions"


def test_uninstrument_gives_back_the_sdk_functions_it_wrapped(reinstrument) -> None:
    from a2a.utils import error_handlers

    before = error_handlers._create_error_response
    reinstrument(settings=Settings())
    import a2a_observe

    a2a_observe.uninstrument()
    try:
        restored = error_handlers._create_error_response
        assert restored is getattr(before, "__wrapped__", before), "the SDK's own function, not a hole"
    finally:
        a2a_observe.instrument()
