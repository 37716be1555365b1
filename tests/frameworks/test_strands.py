"""strands-agents end to end: an ``Agent`` served by strands' ``A2AServer`` and called by
strands' ``A2AAgent`` client, in one trace.

The served agent's model is a ``Model`` subclass that streams a canned answer, so no key and
no network beyond 127.0.0.1. strands reports its own ``invoke_agent`` span for the served
agent; a2a-observe adds the A2A CLIENT and SERVER spans around it and never a second agent
span, whether its own agent spans are opted in or not.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, Iterator
from typing import Any

import pytest
from strands import Agent
from strands.agent.a2a_agent import A2AAgent
from strands.models.model import Model
from strands.multiagent.a2a import A2AServer

from tests.frameworks.checks import (
    assert_one_trace,
    by_name,
    framework_agent_spans,
    message_spans,
    observe_agent_spans,
)
from tests.frameworks.serving import served
from tests.helpers import parent_of

from a2a_observe import semconv
from a2a_observe.demo.serving import LOOPBACK


class ScriptedModel(Model):
    """Streams the last user text back, upper-cased, in the events a real provider sends."""

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
        asked = ""
        for message in messages:
            if message["role"] == "user":
                asked = " ".join(block.get("text", "") for block in message["content"])
        yield {"messageStart": {"role": "assistant"}}
        yield {"contentBlockStart": {"start": {}}}
        yield {"contentBlockDelta": {"delta": {"text": f"WRITTEN: {asked.upper()}"}}}
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


@pytest.mark.parametrize("agent_spans", ["default", "opted-in"], indirect=True)
async def test_a2a_agent_to_served_agent_is_one_trace(writer_url, spans, agent_spans):
    remote = A2AAgent(endpoint=writer_url, timeout=30)
    result = await remote.invoke_async("hello there")
    assert "WRITTEN: HELLO THERE" in str(result)

    done = await spans.until(
        lambda s: len(message_spans(s)) >= 2 and bool(by_name(s, "invoke_agent writer"))
    )
    assert_one_trace(done)

    send = message_spans(done)
    client = [s for s in send if s.kind.name == "CLIENT"]
    server = [s for s in send if s.kind.name == "SERVER"]
    assert len(client) == 1 and len(server) == 1, [(s.kind.name, s.name) for s in done]
    assert parent_of(server[0], done) is client[0]
    assert server[0].attributes[semconv.GEN_AI_AGENT_NAME] == "writer"

    # strands' served agent -> its event loop cycle -> its model call, all under our SERVER span
    served_agent = by_name(done, "invoke_agent writer")
    assert len(served_agent) == 1
    assert parent_of(served_agent[0], done) is server[0]
    model_calls = [s for s in done if s.name.startswith("chat")]
    assert model_calls
    for call in model_calls:
        ancestor = parent_of(call, done)
        while ancestor is not None and ancestor is not served_agent[0]:
            ancestor = parent_of(ancestor, done)
        assert ancestor is served_agent[0]

    # The only agent spans are strands' own.
    assert observe_agent_spans(done) == []
    assert framework_agent_spans(done)
