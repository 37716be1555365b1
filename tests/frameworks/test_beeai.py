"""beeai-framework end to end: a ``ReActAgent`` served by beeai's ``A2AServer`` and called by
beeai's ``A2AAgent`` client, in one trace.

The served agent's model is a ``ChatModel`` subclass with a canned ReAct answer, so no key and
no network beyond 127.0.0.1. beeai reports no OpenTelemetry spans of its own, so its agent is a
plain ``AgentExecutor`` to a2a-observe: an ``invoke_agent`` span is added when agent spans are
opted in, none by default.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from beeai_framework.adapters.a2a.agents import A2AAgent
from beeai_framework.adapters.a2a.serve.server import A2AServer, A2AServerConfig
from beeai_framework.agents.react import ReActAgent
from beeai_framework.backend.chat import ChatModel
from beeai_framework.backend.message import AssistantMessage
from beeai_framework.backend.types import ChatModelOutput
from beeai_framework.memory import UnconstrainedMemory

from a2a_observe import semconv
from a2a_observe.demo.serving import LOOPBACK, free_port
from tests.frameworks.checks import (
    assert_one_trace,
    framework_agent_spans,
    message_spans,
    observe_agent_spans,
)
from tests.support.helpers import parent_of


class ScriptedChatModel(ChatModel):
    """Answers in the ReAct format beeai's agent parses, with the user's text upper-cased."""

    @property
    def model_id(self) -> str:
        return "scripted"

    @property
    def provider_id(self) -> Any:
        return "ollama"  # any provider name beeai knows; nothing is sent to it

    def _answer(self, input: Any) -> ChatModelOutput:
        asked = ""
        for message in input.messages:
            if message.role == "user":
                asked = message.text
        text = f"Thought: I can answer.\nFinal Answer: WRITTEN: {asked.upper()}"
        return ChatModelOutput(output=[AssistantMessage(text)], finish_reason="stop")

    async def _create(self, input: Any, run: Any) -> ChatModelOutput:
        return self._answer(input)

    async def _create_stream(self, input: Any, run: Any) -> AsyncGenerator[ChatModelOutput]:
        yield self._answer(input)


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"beeai's A2A server did not listen on port {port}")


@pytest.fixture(scope="module")
def writer_url() -> str:
    """beeai's ``A2AServer.serve()`` runs uvicorn itself, blocking and without a stop handle:
    it serves from a daemon thread for the whole module and ends with the test process."""
    port = free_port()
    agent = ReActAgent(llm=ScriptedChatModel(), tools=[], memory=UnconstrainedMemory())
    server = A2AServer(config=A2AServerConfig(host=LOOPBACK, port=port)).register(
        agent, name="writer", description="Writes what it is asked to, loudly."
    )
    threading.Thread(target=server.serve, daemon=True).start()
    wait_for_port(port)
    return f"http://{LOOPBACK}:{port}"


@pytest.mark.parametrize("agent_spans", ["default", "opted-in"], indirect=True)
async def test_a2a_agent_to_served_agent_is_one_trace(writer_url, spans, agent_spans, tracer_provider):
    caller = A2AAgent(url=writer_url, memory=UnconstrainedMemory())
    with tracer_provider.get_tracer("app").start_as_current_span("handle request"):
        result = await caller.run("hello there")
    assert "HELLO THERE" in result.last_message.text

    done = await spans.until(lambda s: len(message_spans(s)) >= 2)
    assert_one_trace(done)

    send = message_spans(done)
    client = [s for s in send if s.kind.name == "CLIENT"]
    server = [s for s in send if s.kind.name == "SERVER"]
    assert len(client) == 1 and len(server) == 1, [(s.kind.name, s.name) for s in done]
    assert parent_of(server[0], done) is client[0]
    assert server[0].attributes[semconv.GEN_AI_AGENT_NAME] == "writer"

    # beeai reports no agent span; ours is there only when opted in, under the SERVER span
    assert framework_agent_spans(done) == []
    ours = observe_agent_spans(done)
    if agent_spans == "opted-in":
        assert [s.name for s in ours] == ["invoke_agent writer"]
        assert parent_of(ours[0], done) is server[0]
    else:
        assert ours == []
