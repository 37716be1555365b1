"""a2a-sdk 0.3: streaming spans cover the whole stream and carry every event the reader saw;
readers that stop early or are cancelled leave no span open and see no error of ours."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from a2a.types import TaskIdParams
from opentelemetry.trace import SpanKind

from a2a_observe import semconv
from tests.sdk03.support import (
    BINDINGS,
    RunningAgent,
    StreamingWriter,
    make_client,
    serve_agent,
    user_message,
)

CHUNKS = 6


@pytest.fixture(scope="module")
def writer() -> Iterator[RunningAgent]:
    with serve_agent(StreamingWriter(chunks=CHUNKS, delay=0.01), "writer") as agent:
        yield agent


def kind_of(event: Any) -> str:
    """The wire event a ``ClientFactory`` client's ``(task, update)`` or message stands for."""
    if isinstance(event, tuple):
        task, update = event
        return str((update or task).kind)
    return str(event.kind)


@pytest.fixture
def unraisable(caplog: pytest.LogCaptureFixture) -> Iterator[list[Any]]:
    """Errors Python could only print or log (a generator closed while running, an asyncio
    task's exception never retrieved): none allowed."""
    seen: list[Any] = []
    previous = sys.unraisablehook
    sys.unraisablehook = seen.append
    caplog.set_level(logging.ERROR, logger="asyncio")
    yield seen
    gc.collect()
    sys.unraisablehook = previous
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


@pytest.mark.parametrize("binding", BINDINGS)
async def test_stream_span_records_every_event(spans, writer, binding, unraisable) -> None:
    client = make_client(writer, binding, streaming=True)
    received = [event async for event in client.send_message(user_message("a b c"))]
    await client.close()

    got = await spans.until(lambda s: sum(1 for x in s if x.name == semconv.SEND_STREAMING_MESSAGE) >= 2)
    client_span = next(
        s for s in got if s.name == semconv.SEND_STREAMING_MESSAGE and s.kind == SpanKind.CLIENT
    )
    server_span = next(
        s for s in got if s.name == semconv.SEND_STREAMING_MESSAGE and s.kind == SpanKind.SERVER
    )
    assert server_span.parent is not None and server_span.parent.span_id == client_span.context.span_id
    assert server_span.context.trace_id == client_span.context.trace_id

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
    assert [(c.attributes or {})[semconv.A2A_ARTIFACT_APPEND] for c in chunks] == [False] + [True] * (
        CHUNKS - 1
    )
    assert {(c.attributes or {})[semconv.A2A_ARTIFACT_ID] for c in chunks} == {"draft"}

    for span in (client_span, server_span):
        attrs = span.attributes or {}
        assert attrs[semconv.A2A_STREAM_END] == semconv.STREAM_END_COMPLETED
        assert attrs[semconv.A2A_STREAM_EVENTS_COUNT] == len(received)
        assert attrs[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_COMPLETED
        assert attrs[semconv.A2A_STREAM_TIME_TO_FIRST_EVENT] > 0
        assert attrs[semconv.A2A_PROTOCOL_BINDING] == binding
    assert client_span.end_time is not None and client_span.end_time >= events[-1].timestamp
    if binding == "JSONRPC":
        assert (server_span.attributes or {})[semconv.RPC_METHOD_ORIGINAL] == "message/stream"
    assert unraisable == []


@pytest.mark.parametrize("binding", BINDINGS)
async def test_reader_that_stops_early_leaves_no_open_span(spans, open_spans, writer, binding, unraisable):
    client = make_client(writer, binding, streaming=True)
    stream = client.send_message(user_message("x y"))
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
    assert unraisable == []


async def test_cancelled_reader_leaves_no_open_span(spans, open_spans, unraisable) -> None:
    with serve_agent(StreamingWriter(chunks=50, delay=0.05), "slow-writer") as agent:
        client = make_client(agent, "HTTP+JSON", streaming=True)

        async def read_all() -> None:
            async for _ in client.send_message(user_message("go")):
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
    assert unraisable == []


async def test_a_stream_never_read_opens_no_span(spans, writer) -> None:
    client = make_client(writer, "JSONRPC", streaming=True)
    stream = client.send_message(user_message("unused"))
    del stream
    await client.close()
    assert [s for s in spans.all() if s.kind == SpanKind.CLIENT] == []


@pytest.mark.parametrize("binding", BINDINGS)
async def test_resubscribe_is_a_streaming_span(spans, binding) -> None:
    with serve_agent(StreamingWriter(chunks=300, delay=0.1), "slow-writer") as agent:
        starter = make_client(agent, binding, streaming=False, polling=True)
        events = [e async for e in starter.send_message(user_message("work"))]
        await starter.close()
        task_id = events[-1][0].id
        client = make_client(agent, binding, streaming=True)
        spans.clear()
        stream = client.resubscribe(TaskIdParams(id=task_id))
        first = await anext(stream)
        await stream.aclose()
        await client.cancel_task(TaskIdParams(id=task_id))
        await client.close()
        got = await spans.until(lambda s: sum(1 for x in s if x.name == semconv.SUBSCRIBE_TO_TASK) >= 2)
    client_span = next(s for s in got if s.name == semconv.SUBSCRIBE_TO_TASK and s.kind == SpanKind.CLIENT)
    server_span = next(s for s in got if s.name == semconv.SUBSCRIBE_TO_TASK and s.kind == SpanKind.SERVER)
    assert server_span.parent is not None and server_span.parent.span_id == client_span.context.span_id
    attrs = client_span.attributes or {}
    assert attrs[semconv.A2A_TASK_ID] == task_id
    assert attrs[semconv.A2A_STREAM_END] == semconv.STREAM_END_CLOSED_EARLY
    assert attrs[semconv.A2A_STREAM_EVENTS_COUNT] == 1
    kinds = [(e.attributes or {})[semconv.A2A_STREAM_EVENT_KIND] for e in client_span.events]
    assert kinds == [kind_of(first)]
