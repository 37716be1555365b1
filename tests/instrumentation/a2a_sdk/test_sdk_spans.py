"""a2a-sdk's own spans: silenced by default, and kept on request without breaking our trace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from a2a.client import ClientCallContext
from a2a.types import SendMessageRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.demo.agents import EchoAgent
from a2a_observe.demo.serving import RunningAgent, serve_agent
from a2a_observe.replay.sdk_client import make_client, user_message


@pytest.fixture(scope="module")
def echo() -> Iterator[RunningAgent]:
    with serve_agent(EchoAgent(), "echo") as agent:
        yield agent


async def send(agent: RunningAgent, text: str) -> None:
    client = make_client(agent.card, "JSONRPC", streaming=False)
    request = SendMessageRequest(message=user_message(text))
    [e async for e in client.send_message(request, context=ClientCallContext())]
    await client.close()


def sdk_spans(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [s for s in spans if s.instrumentation_scope and s.instrumentation_scope.name == "a2a-python-sdk"]


async def test_the_sdk_own_spans_are_silenced_by_default(spans, echo) -> None:
    await send(echo, "quiet")
    got = await spans.until(lambda s: len(s) >= 2)
    assert sdk_spans(got) == []
    assert len({s.context.trace_id for s in got}) == 1


async def test_the_sdk_own_spans_can_be_kept_without_breaking_the_trace(spans, echo, reinstrument) -> None:
    reinstrument(settings=Settings(suppress_sdk_spans=False))
    await send(echo, "loud")
    got = await spans.until(lambda s: any(x.kind == SpanKind.SERVER for x in s) and bool(sdk_spans(s)))
    assert sdk_spans(got), "the SDK's spans are back"
    ours = [
        s
        for s in got
        if s.instrumentation_scope and s.instrumentation_scope.name == semconv.INSTRUMENTATION_SCOPE
    ]
    client_span = next(s for s in ours if s.kind == SpanKind.CLIENT)
    server_span = next(s for s in ours if s.kind == SpanKind.SERVER)
    assert server_span.context.trace_id == client_span.context.trace_id
