"""google-adk end to end: an ``LlmAgent`` served with ``to_a2a`` and called by a
``RemoteA2aAgent`` that an ADK ``Runner`` runs, both in one trace.

The served agent's model is a ``BaseLlm`` subclass with a canned answer, so no key and no
network beyond 127.0.0.1. ADK reports its own ``invoke_agent`` spans (caller and served
agent); a2a-observe adds the A2A CLIENT and SERVER spans between them and never a second
agent span, whether its own agent spans are opted in or not.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator

import pytest
from google.adk.a2a.agent import RemoteA2aAgent
from google.adk.a2a.utils.agent_to_a2a import to_a2a
from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import InMemoryRunner
from google.genai import types

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

WELL_KNOWN_CARD = "/.well-known/agent-card.json"


class ScriptedLlm(BaseLlm):
    """Answers every turn with the last user text, upper-cased: what a test can predict."""

    model: str = "scripted"

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        asked = ""
        for content in llm_request.contents:
            if content.role == "user":
                asked = " ".join(part.text or "" for part in content.parts or [])
        yield LlmResponse(
            content=types.Content(role="model", parts=[types.Part(text=f"WRITTEN: {asked.upper()}")]),
            partial=False,
            turn_complete=True,
        )


@pytest.fixture
def writer_url() -> Iterator[str]:
    agent = LlmAgent(
        name="writer",
        description="Writes what it is asked to, loudly.",
        model=ScriptedLlm(),
        instruction="Write.",
    )
    with served(lambda port: to_a2a(agent, host=LOOPBACK, port=port)) as url:
        yield url


async def call_through_adk(writer_url: str, text: str) -> list[str]:
    """What an ADK app does to reach a remote agent: a ``RemoteA2aAgent`` run by a Runner."""
    remote = RemoteA2aAgent(name="remote_writer", agent_card=writer_url + WELL_KNOWN_CARD)
    runner = InMemoryRunner(agent=remote, app_name="caller")
    session = await runner.session_service.create_session(app_name="caller", user_id="u1")
    replies: list[str] = []
    async for event in runner.run_async(
        user_id="u1",
        session_id=session.id,
        new_message=types.Content(role="user", parts=[types.Part(text=text)]),
    ):
        if event.content is not None:
            replies.extend(part.text for part in event.content.parts or [] if part.text)
    await runner.close()
    return replies


@pytest.mark.parametrize("agent_spans", ["default", "opted-in"], indirect=True)
async def test_remote_agent_to_served_agent_is_one_trace(writer_url, spans, agent_spans):
    transitions_before = task_transitions("writer")
    replies = await call_through_adk(writer_url, "hello there")
    assert any("WRITTEN: HELLO THERE" in reply for reply in replies), replies

    done = await spans.until(lambda s: len(message_spans(s)) >= 2 and bool(by_name(s, "invoke_agent writer")))
    assert_one_trace(done)

    caller_agent = by_name(done, "invoke_agent remote_writer")
    served_agent = by_name(done, "invoke_agent writer")
    assert len(caller_agent) == 1 and len(served_agent) == 1, [s.name for s in done]

    send = message_spans(done)
    client = [s for s in send if s.kind.name == "CLIENT"]
    server = [s for s in send if s.kind.name == "SERVER"]
    assert len(client) == 1 and len(server) == 1

    # ADK's caller agent -> our CLIENT span -> our SERVER span -> ADK's served agent (inside the
    # workflow ADK runs it in) -> ADK's model call
    assert parent_of(client[0], done) is caller_agent[0]
    assert parent_of(server[0], done) is client[0]
    served_root = parent_of(served_agent[0], done)
    assert served_root is not None and served_root.name == "invoke_workflow writer"
    assert parent_of(served_root, done) is server[0]
    model_calls = [s for s in done if s.name == "generate_content scripted"]
    assert len(model_calls) == 1 and parent_of(model_calls[0], done) is served_agent[0]

    assert server[0].attributes[semconv.GEN_AI_AGENT_NAME] == "writer"
    # Every agent span is ADK's: a2a-observe reports none beside it in either mode.
    assert observe_agent_spans(done) == []
    assert len(framework_agent_spans(done)) == 2
    assert task_transitions("writer") > transitions_before
