"""strands-agents end to end: an ``Agent`` served by strands' ``A2AServer`` and called by
strands' ``A2AAgent`` client, in one trace.

The served agent's model is a ``Model`` subclass that streams a canned answer, so no key and
no network beyond 127.0.0.1. strands reports its own ``invoke_agent`` span for the served
agent; a2a-observe adds the A2A CLIENT and SERVER spans around it and never a second agent
span, whether its own agent spans are opted in or not.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Iterator
from typing import Any

import pytest
from strands import Agent, tool
from strands.agent.a2a_agent import A2AAgent
from strands.models.model import Model
from strands.multiagent.a2a import A2AServer

from a2a_observe import semconv
from a2a_observe.demo.serving import LOOPBACK
from tests.frameworks.checks import (
    assert_one_trace,
    by_name,
    framework_agent_spans,
    message_spans,
    observe_agent_spans,
    task_transitions,
)
from tests.frameworks.serving import served
from tests.support.helpers import parent_of


class ScriptedModel(Model):
    """A model that streams what a test can predict, in the events a real provider sends: with
    a tool at hand it calls the tool once with the user's text, then answers with the tool's
    result; without one it answers with the user's text upper-cased."""

    def __init__(self) -> None:
        self.config: dict[str, Any] = {"model_id": "scripted"}

    def update_config(self, **model_config: Any) -> None:
        self.config.update(model_config)

    def get_config(self) -> Any:
        return self.config

    async def structured_output(self, output_model, prompt, system_prompt=None, **kwargs):
        raise NotImplementedError("the scripted model only answers in text")
        yield {}  # pragma: no cover - makes this an async generator, as the interface wants

    async def stream(self, messages, tool_specs=None, system_prompt=None, **kwargs) -> AsyncIterable[Any]:
        asked, tool_result = "", None
        for message in messages:
            for block in message["content"]:
                if message["role"] == "user" and "text" in block:
                    asked = block["text"]
                if "toolResult" in block:
                    tool_result = " ".join(c.get("text", "") for c in block["toolResult"]["content"])
        yield {"messageStart": {"role": "assistant"}}
        if tool_specs and tool_result is None:
            tool = tool_specs[0]["name"]
            yield {"contentBlockStart": {"start": {"toolUse": {"toolUseId": "call-1", "name": tool}}}}
            yield {"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps({"text": asked})}}}}
            yield {"contentBlockStop": {}}
            yield {"messageStop": {"stopReason": "tool_use"}}
            return
        answer = tool_result if tool_result is not None else f"WRITTEN: {asked.upper()}"
        yield {"contentBlockStart": {"start": {}}}
        yield {"contentBlockDelta": {"delta": {"text": answer}}}
        yield {"contentBlockStop": {}}
        yield {"messageStop": {"stopReason": "end_turn"}}


def writer_agent() -> Agent:
    return Agent(
        name="writer",
        description="Writes what it is asked to, loudly.",
        model=ScriptedModel(),
        callback_handler=None,
    )


@pytest.fixture
def writer_url() -> Iterator[str]:
    def build(port: int) -> Any:
        server = A2AServer(agent_factory=lambda _context_id: writer_agent(), host=LOOPBACK, port=port)
        return server.to_starlette_app()

    with served(build) as url:
        yield url


def coordinator(writer_url: str) -> Agent:
    """A strands agent that reaches the writer through strands' A2A client, as a tool."""
    remote = A2AAgent(endpoint=writer_url, timeout=30)

    @tool
    async def ask_writer(text: str) -> str:
        """Ask the writer agent to write ``text``."""
        return str(await remote.invoke_async(text)).strip()

    return Agent(name="coordinator", model=ScriptedModel(), tools=[ask_writer], callback_handler=None)


def descends_from(span: Any, ancestor: Any, spans: list[Any]) -> bool:
    parent = parent_of(span, spans)
    while parent is not None and parent is not ancestor:
        parent = parent_of(parent, spans)
    return parent is ancestor


@pytest.mark.parametrize("agent_spans", ["default", "opted-in"], indirect=True)
async def test_coordinator_to_served_agent_is_one_trace(writer_url, spans, agent_spans):
    transitions_before = task_transitions("writer")
    result = await coordinator(writer_url).invoke_async("hello there")
    assert "WRITTEN: HELLO THERE" in str(result)

    done = await spans.until(lambda s: len(message_spans(s)) >= 2 and bool(by_name(s, "invoke_agent writer")))
    assert_one_trace(done)

    send = message_spans(done)
    client = [s for s in send if s.kind.name == "CLIENT"]
    server = [s for s in send if s.kind.name == "SERVER"]
    assert len(client) == 1 and len(server) == 1, [(s.kind.name, s.name) for s in done]

    # strands' coordinator -> its tool call -> our CLIENT span -> our SERVER span -> strands'
    # served agent -> its event loop cycle -> its model call
    calling = by_name(done, "invoke_agent coordinator")
    tool_call = by_name(done, "execute_tool ask_writer")
    assert len(calling) == 1 and len(tool_call) == 1
    assert descends_from(tool_call[0], calling[0], done)
    assert parent_of(client[0], done) is tool_call[0]
    assert parent_of(server[0], done) is client[0]
    assert server[0].attributes[semconv.GEN_AI_AGENT_NAME] == "writer"

    served_agent = by_name(done, "invoke_agent writer")
    assert len(served_agent) == 1
    assert parent_of(served_agent[0], done) is server[0]
    served_model_calls = [s for s in done if s.name == "chat" and descends_from(s, served_agent[0], done)]
    assert len(served_model_calls) == 1

    # The only agent spans are strands' own, one per agent.
    assert observe_agent_spans(done) == []
    assert len(framework_agent_spans(done)) == 2
    assert task_transitions("writer") > transitions_before
