"""What the python-a2a tests share: agents with known behaviour and span look-ups."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from python_a2a import A2AServer, Message, MessageRole, TextContent

from a2a_observe import semconv


def text_of(message: Any) -> str:
    return str(getattr(message.content, "text", "") or "")


class Failing(A2AServer):
    """Raises on every message; streams one chunk, then raises."""

    def handle_message(self, message: Any) -> Message:
        raise RuntimeError(f"cannot handle {text_of(message)!r}")

    async def stream_response(self, message: Any) -> AsyncIterator[str]:  # type: ignore[override]
        await asyncio.sleep(0.05)
        yield "partial"
        await asyncio.sleep(0.05)
        raise RuntimeError("stream broke")


class Conversing(A2AServer):
    """Answers a conversation with the number of messages it was sent."""

    def handle_message(self, message: Any) -> Message:
        return Message(
            content=TextContent(text=f"got: {text_of(message)}"),
            role=MessageRole.AGENT,
            conversation_id=message.conversation_id,
        )


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def one(spans: list[ReadableSpan], name: str, kind: SpanKind) -> ReadableSpan:
    found = [s for s in spans if s.name == name and s.kind == kind]
    assert len(found) == 1, [(s.name, s.kind.name) for s in spans]
    return found[0]


def children(span: ReadableSpan, spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [s for s in spans if s.parent is not None and s.parent.span_id == span.context.span_id]


def assert_child(child: ReadableSpan, parent: ReadableSpan, *, remote: bool = False) -> None:
    assert child.context.trace_id == parent.context.trace_id
    assert child.parent is not None
    assert child.parent.span_id == parent.context.span_id
    assert child.parent.is_remote == remote


def client_server_agent(spans: list[ReadableSpan], method: str, agent: str) -> tuple[ReadableSpan, ...]:
    """The CLIENT span of ``method``, its SERVER span and the agent's span, checked linked.

    Found by their links, not only their names: an agent stream a client abandoned in an
    earlier test may still be finishing on the server.
    """
    client = one(spans, method, SpanKind.CLIENT)
    server = one(children(client, spans), method, SpanKind.SERVER)
    run = one(children(server, spans), f"{semconv.OPERATION_INVOKE_AGENT} {agent}", SpanKind.INTERNAL)
    assert_child(server, client, remote=True)
    assert_child(run, server)
    return client, server, run


def in_trace(span: ReadableSpan, spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [s for s in spans if s.context.trace_id == span.context.trace_id]


def has_agent_run(spans: list[ReadableSpan]) -> bool:
    return any(s.name.startswith(semconv.OPERATION_INVOKE_AGENT) for s in spans)
