"""a2a-sdk 0.3: privacy by default, content only on opt-in, secrets never; every 0.3 part
kind (text, data, file bytes, file URI) recorded as its v1.0 kind; the SDK's spans silenced."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from a2a.client.middleware import ClientCallContext
from a2a.types import DataPart, FilePart, FileWithBytes, FileWithUri, Message, Part, Role
from opentelemetry.trace import SpanKind

from a2a_observe import semconv
from a2a_observe.config import Settings
from tests.sdk03.support import (
    BINDINGS,
    EchoAgent,
    RunningAgent,
    make_client,
    serve_agent,
    text_part,
    user_message,
)
from tests.support.helpers import everything_recorded

SECRET_TEXT = "the launch code is 0000"
TOKEN = "Bearer sk-very-secret-token"


@pytest.fixture(scope="module")
def echo() -> Iterator[RunningAgent]:
    with serve_agent(EchoAgent(), "echo") as agent:
        yield agent


async def send(agent: RunningAgent, message: Message, binding: str = "JSONRPC") -> None:
    client = make_client(agent, binding, streaming=False)
    headers = {"Authorization": TOKEN, "X-API-Key": TOKEN}
    context = ClientCallContext(state={"http_kwargs": {"headers": headers}})
    [e async for e in client.send_message(message, context=context)]
    await client.close()


@pytest.mark.parametrize("binding", BINDINGS)
async def test_by_default_no_content_and_no_secret_is_recorded(spans, echo, binding) -> None:
    await send(echo, user_message(SECRET_TEXT), binding)
    got = await spans.until(lambda s: any(answers(x, s) for x in s))
    recorded = everything_recorded(got)
    assert "launch code" not in recorded
    assert "sk-very-secret" not in recorded
    client_span = next(s for s in got if s.kind == SpanKind.CLIENT)
    assert (client_span.attributes or {})[semconv.A2A_MESSAGE_PARTS_COUNT] == 1
    assert (client_span.attributes or {})[semconv.A2A_MESSAGE_SIZE] > len(SECRET_TEXT)


def answers(server: Any, spans: list[Any]) -> bool:
    """A SERVER span answering a CLIENT span of this test (not a late one of an earlier test)."""
    clients = {s.context.span_id for s in spans if s.kind == SpanKind.CLIENT}
    return server.kind == SpanKind.SERVER and server.parent is not None and server.parent.span_id in clients


async def test_content_capture_records_every_part_kind_and_redacts_secrets(spans, echo, reinstrument) -> None:
    reinstrument(settings=Settings(capture_content=True, max_content_length=2000))
    payload = b"\x00\x01binary"
    message = Message(
        role=Role.user,
        message_id="m-capture",
        parts=[
            text_part("hello capture"),
            Part(root=DataPart(data={"city": "Oslo", "api_key": "abc123", "nested": {"token": "t"}})),
            Part(
                root=FilePart(
                    file=FileWithBytes(
                        bytes=base64.b64encode(payload).decode(), mime_type="application/x-bin"
                    )
                )
            ),
            Part(
                root=FilePart(
                    file=FileWithUri(uri="http://127.0.0.1:9/report.pdf", mime_type="application/pdf")
                )
            ),
        ],
    )
    await send(echo, message)
    got = await spans.until(lambda s: any(answers(x, s) for x in s))
    client_span = next(s for s in got if s.kind == SpanKind.CLIENT)
    attrs = client_span.attributes or {}
    assert attrs[semconv.A2A_MESSAGE_PARTS_KINDS] == ("data", "raw", "text", "url")
    event = next(e for e in client_span.events if e.name == semconv.EVENT_MESSAGE)
    content = json.loads(str((event.attributes or {})[semconv.A2A_CONTENT]))
    assert content[0] == {"kind": "text", "media_type": None, "content": "hello capture"}
    assert content[1]["content"] == {
        "city": "Oslo",
        "api_key": "[REDACTED]",
        "nested": {"token": "[REDACTED]"},
    }
    assert content[2] == {
        "kind": "raw",
        "media_type": "application/x-bin",
        "content": f"<{len(payload)} bytes>",
    }
    assert content[3] == {
        "kind": "url",
        "media_type": "application/pdf",
        "content": "http://127.0.0.1:9/report.pdf",
    }
    recorded = everything_recorded(got)
    assert "abc123" not in recorded
    assert "sk-very-secret" not in recorded
    server_span = next(s for s in got if answers(s, got))  # the agent's work is its events
    artifact = next(e for e in server_span.events if e.name == semconv.EVENT_ARTIFACT)
    assert "echo: hello capture" in str((artifact.attributes or {})[semconv.A2A_CONTENT])


async def test_the_sdk_own_spans_are_silenced_by_default(spans, echo) -> None:
    await send(echo, user_message("quiet"))
    got = await spans.until(lambda s: any(answers(x, s) for x in s))
    assert [
        s for s in got if s.instrumentation_scope and s.instrumentation_scope.name == "a2a-python-sdk"
    ] == []
    assert len({s.context.trace_id for s in got}) == 1
