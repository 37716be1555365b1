"""A conversation that crosses python-a2a and a2a-sdk agents, either way round, is one trace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.trace import StatusCode
from python_a2a import A2AClient, Message, MessageRole, TextContent

from a2a_observe import semconv
from a2a_observe.demo.agents import EchoAgent, FlakyAgent
from a2a_observe.demo.python_a2a_agents import (
    PythonA2ADelegate,
    Relay,
    RunningPythonA2AAgent,
    serve_python_a2a_agent,
)
from a2a_observe.demo.serving import RunningAgent, serve_agent
from a2a_observe.replay.sdk_client import final_text, send_text
from tests.support.helpers import tree
from tests.support.python_a2a import attrs

SEND = semconv.SEND_MESSAGE

# The agent span is opted in here, so the agent's own span is checked too; the default
# (what the agent did as events of the SERVER span) is checked by test_conformance.py.
pytestmark = pytest.mark.usefixtures("agent_spans_on")


@pytest.fixture(scope="module")
def echo() -> Iterator[RunningAgent]:
    with serve_agent(EchoAgent(), "echo", grpc=False) as agent:
        yield agent


@pytest.fixture(scope="module")
def flaky() -> Iterator[RunningAgent]:
    with serve_agent(FlakyAgent(), "flaky", grpc=False) as agent:
        yield agent


@pytest.fixture(scope="module")
def greeter() -> Iterator[RunningPythonA2AAgent]:
    with serve_python_a2a_agent(name="greeter") as agent:
        yield agent


def relay_to(worker: RunningAgent, name: str) -> RunningPythonA2AAgent:
    return serve_python_a2a_agent(lambda card: Relay(card, worker.card), name=name)


def user(text: str) -> Message:
    return Message(content=TextContent(text=text), role=MessageRole.USER, conversation_id="mixed-1")


def test_python_a2a_client_to_python_a2a_agent_to_a2a_sdk_agent(spans, echo) -> None:
    with relay_to(echo, "relay") as relay:
        client = A2AClient(relay.url)
        spans.wait(lambda s: len(s) >= 2)
        spans.clear()
        answer = client.send_message(user("across"))
        got = spans.wait(lambda s: len(s) >= 6)
    assert answer.content.text == "relayed: echo: across"
    assert tree(got) == [
        (0, "CLIENT", SEND),
        (1, "SERVER", SEND),
        (2, "INTERNAL", "invoke_agent relay"),
        (3, "CLIENT", SEND),
        (4, "SERVER", SEND),
        (5, "INTERNAL", "invoke_agent echo"),
    ]
    assert len({s.context.trace_id for s in got}) == 1
    relay_run = next(s for s in got if s.name == "invoke_agent relay")
    assert attrs(relay_run)[semconv.GEN_AI_CONVERSATION_ID] == "mixed-1"


async def test_a2a_sdk_client_to_a2a_sdk_agent_to_python_a2a_agent(spans, greeter) -> None:
    with serve_agent(PythonA2ADelegate(greeter.url), "delegate", grpc=False) as delegate:
        events = await send_text(delegate.card, "hops", streaming=False)
        got = await spans.until(lambda s: len(s) >= 8)
    assert final_text(events)[1] == "hello: hops"
    assert tree(got) == [
        (0, "CLIENT", SEND),
        (1, "SERVER", SEND),
        (2, "INTERNAL", "invoke_agent delegate"),
        (3, "CLIENT", semconv.AGENT_CARD_SPAN),
        (4, "SERVER", semconv.AGENT_CARD_SPAN),
        (3, "CLIENT", SEND),
        (4, "SERVER", SEND),
        (5, "INTERNAL", "invoke_agent greeter"),
    ]
    assert len({s.context.trace_id for s in got}) == 1


def test_a_failure_in_the_a2a_sdk_agent_shows_on_every_hop_back(spans, flaky) -> None:
    with relay_to(flaky, "relay") as relay:
        client = A2AClient(relay.url)
        spans.wait(lambda s: len(s) >= 2)
        spans.clear()
        answer = client.send_message(user("please fail"))
        got = spans.wait(lambda s: len(s) >= 6)
    assert answer.content.type == "error"
    by_name = {(s.kind.name, s.name): s for s in got}
    flaky_run = by_name[("INTERNAL", "invoke_agent flaky")]
    assert flaky_run.status.status_code == StatusCode.ERROR
    relay_run = by_name[("INTERNAL", "invoke_agent relay")]
    assert relay_run.status.status_code == StatusCode.ERROR
    assert attrs(relay_run)[semconv.ERROR_TYPE] == "a2a.utils.errors.InternalError", "raised to the relay"
    first_client = next(s for s in got if s.kind.name == "CLIENT" and s.parent is None)
    assert first_client.status.status_code == StatusCode.ERROR
    assert len({s.context.trace_id for s in got}) == 1
