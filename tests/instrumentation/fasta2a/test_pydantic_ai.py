"""A pydantic-ai agent served by fasta2a's ``agent_to_a2a``, with pydantic-ai's own scripted
``TestModel`` (no key): the caller's span, our SERVER span, fasta2a's worker span and
pydantic-ai's agent span form one tree, and a2a-observe adds no agent span of its own."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from a2a.client import A2ACardResolver
from fasta2a.pydantic_ai import agent_to_a2a
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from pydantic_ai import Agent
from pydantic_ai.models.test import TestModel

from a2a_observe import semconv
from a2a_observe.replay.sdk_client import final_text, send_text
from tests.conftest import Spans
from tests.support.fasta2a import RunningFastA2A, UtcStorage, serve_app, user_message

ANSWER = "scripted answer"


@pytest.fixture(scope="module")
def agent() -> Iterator[RunningFastA2A]:
    model = TestModel(custom_output_text=ANSWER)
    pydantic_agent = Agent(model, name="scripted")
    pydantic_agent.instrument = True  # pydantic-ai's own spans, through the global provider
    with serve_app(lambda url: agent_to_a2a(pydantic_agent, url=url, storage=UtcStorage())) as running:
        yield running


def parents(spans: list[ReadableSpan]) -> dict[int, ReadableSpan]:
    return {s.context.span_id: s for s in spans}


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(f"{span.kind.name} {span.name}")
    return names


async def test_a2a_sdk_caller_to_a_pydantic_ai_agent_is_one_tree(agent: RunningFastA2A, spans: Spans) -> None:
    async with httpx.AsyncClient() as http:
        card = await A2ACardResolver(http, agent.url).get_agent_card()
    assert card.name == "scripted"
    events = await send_text(card, "hello", streaming=True)
    assert ANSWER in final_text(events)[1]
    done = spans.wait(lambda s: any(x.name.startswith("invoke_agent") or x.name == "agent run" for x in s))
    client = next(s for s in done if s.kind == SpanKind.CLIENT and s.name == semconv.SEND_STREAMING_MESSAGE)
    trace = [s for s in done if s.context.trace_id == client.context.trace_id]
    by_id = parents(trace)
    agent_spans = [s for s in trace if s.instrumentation_scope.name.startswith("pydantic-ai")]
    assert agent_spans, [s.name for s in trace]
    top = [s for s in agent_spans if not (s.parent and by_id.get(s.parent.span_id) in agent_spans)]
    assert len(top) == 1
    assert ancestors(top[0], by_id) == [
        "INTERNAL run task",
        f"SERVER {semconv.SEND_STREAMING_MESSAGE}",
        f"CLIENT {semconv.SEND_STREAMING_MESSAGE}",
    ]
    ours = [s for s in trace if s.instrumentation_scope.name == semconv.INSTRUMENTATION_SCOPE]
    assert sorted(s.kind.name for s in ours) == ["CLIENT", "SERVER"], (
        "no agent span of ours beside pydantic-ai's"
    )


async def test_the_fasta2a_client_reaches_the_pydantic_ai_agent(agent: RunningFastA2A, spans: Spans) -> None:
    events = [e async for e in agent.client().stream_message(user_message("hello"))]
    assert events[-1]["result"]["status_update"]["status"]["state"] == "completed"
    done = spans.wait(
        lambda s: (
            sum(x.name == semconv.SEND_STREAMING_MESSAGE and x.kind != SpanKind.INTERNAL for x in s) >= 2
        )
    )
    calls = [s for s in done if s.name == semconv.SEND_STREAMING_MESSAGE]
    assert sorted(s.kind.name for s in calls) == ["CLIENT", "SERVER"]
    assert len({s.context.trace_id for s in calls}) == 1
