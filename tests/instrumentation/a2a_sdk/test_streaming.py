"""Streaming spans cover the whole stream and carry every event the reader saw."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from a2a.types import SendMessageRequest
from opentelemetry.trace import SpanKind

from a2a_observe import semconv
from a2a_observe.demo.agents import StreamingWriter
from a2a_observe.demo.serving import RunningAgent, serve_agent
from a2a_observe.replay.sdk_client import make_client, user_message

BINDINGS = [semconv.BINDING_JSONRPC, semconv.BINDING_HTTP_JSON, semconv.BINDING_GRPC]
CHUNKS = 6


@pytest.fixture(scope="module")
def writer() -> Iterator[RunningAgent]:
    with serve_agent(StreamingWriter(chunks=CHUNKS, delay=0.01), "writer") as agent:
        yield agent


def kind_of(event: object) -> str:
    return str(event.WhichOneof("payload")).replace("_", "-")  # type: ignore[attr-defined]


@pytest.mark.parametrize("version", ["1.0", "0.3"])
@pytest.mark.parametrize("binding", BINDINGS)
async def test_stream_span_records_every_event(spans, writer, binding, version) -> None:
    card = writer.card if version == "1.0" else writer.v03_card
    client = make_client(card, binding, streaming=True)
    received = []
    async for event in client.send_message(SendMessageRequest(message=user_message("a b c"))):
        received.append(event)
    await client.close()

    got = await spans.until(lambda s: sum(1 for x in s if x.name == semconv.SEND_STREAMING_MESSAGE) >= 2)
    client_span = next(
        s for s in got if s.name == semconv.SEND_STREAMING_MESSAGE and s.kind == SpanKind.CLIENT
    )
    server_span = next(
        s for s in got if s.name == semconv.SEND_STREAMING_MESSAGE and s.kind == SpanKind.SERVER
    )
    assert server_span.parent is not None and server_span.parent.span_id == client_span.context.span_id

    events = [e for e in client_span.events if e.name == semconv.EVENT_STREAM]
    assert [(e.attributes or {})[semconv.A2A_STREAM_EVENT_KIND] for e in events] == [
        kind_of(r) for r in received
    ]
    assert [(e.attributes or {})[semconv.A2A_STREAM_EVENT_INDEX] for e in events] == list(
        range(len(received))
    )
    chunks = [e for e in events if (e.attributes or {})[semconv.A2A_STREAM_EVENT_KIND] == "artifact-update"]
    assert len(chunks) == CHUNKS
    assert [(c.attributes or {})[semconv.A2A_ARTIFACT_LAST_CHUNK] for c in chunks] == [False] * (
        CHUNKS - 1
    ) + [True]
    assert {(c.attributes or {})[semconv.A2A_ARTIFACT_ID] for c in chunks} == {"draft"}

    attrs = client_span.attributes or {}
    assert attrs[semconv.A2A_STREAM_END] == semconv.STREAM_END_COMPLETED
    assert attrs[semconv.A2A_STREAM_EVENTS_COUNT] == len(received)
    assert attrs[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_COMPLETED
    assert attrs[semconv.A2A_STREAM_TIME_TO_FIRST_EVENT] > 0
    # The span covers the stream: it ends after the last event was recorded.
    assert client_span.end_time is not None and client_span.end_time >= events[-1].timestamp
    server_events = [e for e in server_span.events if e.name == semconv.EVENT_STREAM]
    assert len(server_events) == len(received)
    assert (server_span.attributes or {})[semconv.A2A_STREAM_END] == semconv.STREAM_END_COMPLETED
    # The agent's chunks are on the SERVER span once, as its own events; the stream events
    # there say what was sent when, not the chunks again.
    agent_chunks = [e.attributes or {} for e in server_span.events if e.name == semconv.EVENT_ARTIFACT]
    assert [c[semconv.A2A_ARTIFACT_LAST_CHUNK] for c in agent_chunks] == [False] * (CHUNKS - 1) + [True]
    assert not [e for e in server_events if semconv.A2A_ARTIFACT_ID in (e.attributes or {})]


async def test_reader_that_stops_early_leaves_no_open_span(spans, open_spans, writer) -> None:
    client = make_client(writer.card, semconv.BINDING_JSONRPC, streaming=True)
    stream = client.send_message(SendMessageRequest(message=user_message("x y")))
    await anext(stream)
    await stream.aclose()
    await client.close()
    got = await spans.until(
        lambda s: any(x.kind == SpanKind.CLIENT and x.name == semconv.SEND_STREAMING_MESSAGE for x in s)
    )
    client_span = next(s for s in got if s.kind == SpanKind.CLIENT)
    assert (client_span.attributes or {})[semconv.A2A_STREAM_END] == semconv.STREAM_END_CLOSED_EARLY
    assert (client_span.attributes or {})[semconv.A2A_STREAM_EVENTS_COUNT] == 1
    await spans.until(lambda s: not open_spans.open)
    assert open_spans.open == {}


async def test_cancelled_reader_leaves_no_open_span(spans, open_spans) -> None:
    with serve_agent(StreamingWriter(chunks=50, delay=0.05), "slow-writer") as agent:
        client = make_client(agent.card, semconv.BINDING_HTTP_JSON, streaming=True)

        async def read_all() -> None:
            async for _ in client.send_message(SendMessageRequest(message=user_message("go"))):
                pass

        reader = asyncio.create_task(read_all())
        await asyncio.sleep(0.3)
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader
        await client.close()
        got = await spans.until(lambda s: any(x.kind == SpanKind.CLIENT for x in s))
        client_span = next(s for s in got if s.kind == SpanKind.CLIENT)
        assert (client_span.attributes or {})[semconv.A2A_STREAM_END] == semconv.STREAM_END_CANCELLED
    await spans.until(lambda s: not open_spans.open)
    assert open_spans.open == {}


async def test_a_stream_never_read_opens_no_span(spans, writer) -> None:
    client = make_client(writer.card, semconv.BINDING_JSONRPC, streaming=True)
    stream = client.send_message(SendMessageRequest(message=user_message("unused")))
    del stream
    await client.close()
    assert [s for s in spans.all() if s.kind == SpanKind.CLIENT] == []
