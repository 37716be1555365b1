"""An agent that fails with the user's words in its exception: without content capture those
words are in no attribute, event or status of any span (CLIENT, SERVER or the agent's own),
only the exception's type; with capture, or the narrower opt-in for error text, they are kept
with the secrets inside them redacted, as captured content is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from a2a.client import ClientCallContext
from a2a.types import SendMessageRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.demo.agents import FlakyAgent
from a2a_observe.demo.serving import RunningAgent, serve_agent
from a2a_observe.observation.capture import redact_text
from a2a_observe.replay.sdk_client import make_client, user_message

WORDS = "please fail: my launch code is 0000"
SECRET = "api_key=abc123secret"


@pytest.fixture(scope="module")
def flaky() -> Iterator[RunningAgent]:
    with serve_agent(FlakyAgent(), "translator") as agent:
        yield agent


def everything(spans: list[ReadableSpan]) -> str:
    """Every attribute, event attribute and status description of every span, as one text."""
    values: list[Any] = []
    for span in spans:
        values.extend((span.attributes or {}).values())
        values.append(span.status.description)
        for event in span.events:
            values.append(event.name)
            values.extend((event.attributes or {}).values())
    return json.dumps(values, default=str)


async def _send(card: Any, text: str, binding: str = "JSONRPC") -> None:
    client = make_client(card, binding, streaming=False)
    try:
        await client.send_message(
            SendMessageRequest(message=user_message(text)), context=ClientCallContext()
        ).__anext__()
    except Exception:  # the failure is what is being recorded
        pass
    finally:
        await client.close()


def _exceptions(spans: list[ReadableSpan]) -> list[dict[str, Any]]:
    return [dict(e.attributes or {}) for s in spans for e in s.events if e.name == semconv.EVENT_EXCEPTION]


def _failed(spans: list[ReadableSpan]) -> bool:
    kinds = {s.kind for s in spans}
    return bool(_exceptions(spans)) and kinds >= {SpanKind.CLIENT, SpanKind.SERVER}


def _raised_on(spans: list[ReadableSpan]) -> ReadableSpan:
    """The span that records what the agent raised: its own span when agent spans are opted
    in, else the SERVER span that served it."""
    kind = SpanKind.INTERNAL if any(s.kind == SpanKind.INTERNAL for s in spans) else SpanKind.SERVER
    return next(s for s in spans if s.kind == kind and _exceptions([s]))


@pytest.mark.parametrize("agent_spans", [False, True], ids=["default", "agent-spans"])
@pytest.mark.parametrize("binding", ["JSONRPC", "GRPC"])
async def test_without_capture_no_user_text_in_exception_messages_or_status(
    spans, flaky, reinstrument, binding, agent_spans
) -> None:
    reinstrument(settings=Settings(agent_spans=agent_spans))
    await _send(flaky.card, f"{WORDS} {SECRET}", binding)
    got = await spans.until(_failed)
    assert (SpanKind.INTERNAL in {s.kind for s in got}) == agent_spans
    recorded = everything(got)
    assert "launch code" not in recorded
    assert "abc123secret" not in recorded
    holder = _raised_on(got)
    if agent_spans:
        assert holder.status.description == holder.attributes[semconv.ERROR_TYPE]
    (exception,) = _exceptions([holder])
    assert exception[semconv.EXCEPTION_TYPE] == "RuntimeError"
    assert semconv.EXCEPTION_MESSAGE not in exception
    assert exception[semconv.EXCEPTION_STACKTRACE].rstrip().endswith("RuntimeError")


async def test_error_text_opt_in_keeps_messages_with_secrets_redacted(spans, flaky, reinstrument) -> None:
    reinstrument(
        settings=Settings(agent_spans=True, record_error_messages=True, redact_patterns=(r"\b0000\b",))
    )
    await _send(flaky.card, f"{WORDS} {SECRET}")
    got = await spans.until(lambda s: _failed(s) and any(x.kind == SpanKind.INTERNAL for x in s))
    agent = _raised_on(got)
    (exception,) = _exceptions([agent])
    assert "my launch code is [REDACTED]" in exception[semconv.EXCEPTION_MESSAGE]
    assert "api_key=[REDACTED]" in exception[semconv.EXCEPTION_MESSAGE]
    assert "api_key=[REDACTED]" in (agent.status.description or "")
    recorded = everything(got)
    assert "abc123secret" not in recorded
    assert "0000" not in recorded


async def test_captured_content_has_secrets_inside_text_redacted(spans, flaky, reinstrument) -> None:
    reinstrument(settings=Settings(capture_content=True))
    await _send(flaky.card, f"translate this, token: tok-998877 and {SECRET} please")
    got = await spans.until(lambda s: {x.kind for x in s} >= {SpanKind.CLIENT, SpanKind.SERVER})
    recorded = everything(got)
    assert "translate this" in recorded
    assert "tok-998877" not in recorded
    assert "abc123secret" not in recorded
    assert "api_key=[REDACTED]" in recorded


def test_redaction_patterns_and_the_error_opt_in_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            semconv.ENV_RECORD_ERROR_MESSAGES: "true",
            semconv.ENV_REDACT_PATTERNS: json.dumps([r"card \d+", "([unclosed"]),
        }
    )
    assert settings.record_error_messages
    assert settings.redact_patterns == (r"card \d+",)
    assert redact_text("my card 4242 and Bearer abcdefghijkl", settings.redact_patterns) == (
        "my [REDACTED] and Bearer [REDACTED]"
    )
    assert Settings.from_env({}).record_error_messages is False
