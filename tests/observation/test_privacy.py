"""Privacy by default, content only on opt-in, secrets never, attribute values capped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from a2a.client import ClientCallContext
from a2a.types import Message, Part, Role, SendMessageRequest
from google.protobuf.struct_pb2 import Struct, Value
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.demo.agents import EchoAgent
from a2a_observe.demo.serving import RunningAgent, serve_agent
from a2a_observe.replay.sdk_client import make_client, user_message
from tests.support.helpers import everything_recorded

SECRET_TEXT = "the launch code is 0000"
TOKEN = "Bearer sk-very-secret-token"


@pytest.fixture(scope="module")
def echo() -> Iterator[RunningAgent]:
    with serve_agent(EchoAgent(), "echo") as agent:
        yield agent


def data_part(payload: dict[str, Any]) -> Part:
    struct = Struct()
    struct.update(payload)
    return Part(data=Value(struct_value=struct))


def answers(server: ReadableSpan, spans: list[ReadableSpan]) -> bool:
    """The SERVER span answers a CLIENT span of this test (not one an earlier test left)."""
    clients = {s.context.span_id for s in spans if s.kind == SpanKind.CLIENT}
    return server.parent is not None and server.parent.span_id in clients


async def send(card: Any, message: Message, binding: str = "JSONRPC") -> None:
    client = make_client(card, binding, streaming=False)
    context = ClientCallContext(service_parameters={"Authorization": TOKEN, "X-API-Key": TOKEN})
    [e async for e in client.send_message(SendMessageRequest(message=message), context=context)]
    await client.close()


@pytest.mark.parametrize("binding", ["JSONRPC", "HTTP+JSON", "GRPC"])
async def test_by_default_no_content_and_no_secret_is_recorded(spans, echo, binding) -> None:
    await send(echo.card, user_message(SECRET_TEXT), binding)
    got = await spans.until(lambda s: len(s) >= 2)
    recorded = everything_recorded(got)
    assert "launch code" not in recorded
    assert "sk-very-secret" not in recorded
    client_span = next(s for s in got if s.kind == SpanKind.CLIENT)
    # Structure is still there.
    assert (client_span.attributes or {})[semconv.A2A_MESSAGE_PARTS_COUNT] == 1
    assert (client_span.attributes or {})[semconv.A2A_MESSAGE_SIZE] > len(SECRET_TEXT)


async def test_content_capture_records_parts_redacts_secrets_and_truncates(spans, echo, reinstrument) -> None:
    reinstrument(settings=Settings(capture_content=True, max_content_length=200))
    message = Message(
        role=Role.ROLE_USER,
        message_id="m-capture",
        parts=[
            Part(text="hello capture"),
            data_part({"city": "Oslo", "api_key": "abc123", "nested": {"token": "t"}}),
        ],
    )
    await send(echo.card, message)
    got = await spans.until(lambda s: any(x.kind == SpanKind.SERVER and answers(x, s) for x in s))
    client_span = next(s for s in got if s.kind == SpanKind.CLIENT)
    event = next(e for e in client_span.events if e.name == semconv.EVENT_MESSAGE)
    content = json.loads(str((event.attributes or {})[semconv.A2A_CONTENT]))
    assert content[0] == {"kind": "text", "media_type": None, "content": "hello capture"}
    assert content[1]["content"] == {
        "city": "Oslo",
        "api_key": "[REDACTED]",
        "nested": {"token": "[REDACTED]"},
    }
    recorded = everything_recorded(got)
    assert "abc123" not in recorded
    assert "sk-very-secret" not in recorded
    server_span = next(s for s in got if s.kind == SpanKind.SERVER and answers(s, got))
    artifact = next(e for e in server_span.events if e.name == semconv.EVENT_ARTIFACT)
    assert "echo: hello capture" in str((artifact.attributes or {})[semconv.A2A_CONTENT])

    spans.clear()
    await send(echo.card, user_message("x" * 1000))
    got = await spans.until(lambda s: len(s) >= 2)
    client_span = next(s for s in got if s.kind == SpanKind.CLIENT)
    event = next(e for e in client_span.events if e.name == semconv.EVENT_MESSAGE)
    attrs = event.attributes or {}
    assert len(str(attrs[semconv.A2A_CONTENT])) == 200
    assert attrs[semconv.A2A_CONTENT_TRUNCATED] is True


async def test_attribute_values_are_capped(spans, echo, reinstrument) -> None:
    reinstrument(settings=Settings(max_attribute_length=16))
    message = user_message("short")
    message.message_id = "m" * 500
    await send(echo.card, message)
    got = await spans.until(lambda s: len(s) >= 2)
    client_span = next(s for s in got if s.kind == SpanKind.CLIENT)
    assert (client_span.attributes or {})[semconv.A2A_MESSAGE_ID] == "m" * 16
