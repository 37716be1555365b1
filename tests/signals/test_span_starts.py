"""Span-start log records: added once per tracer provider, silent after ``uninstrument()``
(the SDK cannot remove a span processor, so the logger is switched off instead), written only
for SERVER and agent spans still open after ``A2A_OBSERVE_SPAN_START_DELAY`` (at once when 0),
with the span's own start time, ids and attributes."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.types import SendMessageRequest
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind

from a2a_observe import semconv
from a2a_observe.demo.agents import EchoAgent, start_task
from a2a_observe.demo.serving import serve_agent
from a2a_observe.replay.sdk_client import make_client, user_message
from a2a_observe.signals.span_starts import (
    DEFAULT_DELAY_S,
    SpanStartLogger,
    log_span_starts,
    start_delay,
    stop_span_starts,
)
from tests.support.store import tap


def _starts(exporter: InMemoryLogRecordExporter) -> list[ReadableLogRecord]:
    return [r for r in exporter.get_finished_logs() if r.log_record.event_name == semconv.EVENT_SPAN_START]


def _announced(exporter: InMemoryLogRecordExporter) -> list[str]:
    return [str(record.log_record.body) for record in _starts(exporter)]


def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.01)


@pytest.fixture
def logs() -> Iterator[tuple[LoggerProvider, InMemoryLogRecordExporter]]:
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def test_span_starts_stop_when_switched_off_and_come_back_once(logs, monkeypatch) -> None:
    monkeypatch.setenv(semconv.ENV_SPAN_START_DELAY, "0")  # every start at once
    logger_provider, exporter = logs
    tracer_provider = TracerProvider()
    tracer = tracer_provider.get_tracer("test")

    assert log_span_starts(tracer_provider, logger_provider)
    with tracer.start_as_current_span("first", kind=SpanKind.SERVER):
        pass
    stop_span_starts()
    with tracer.start_as_current_span("second", kind=SpanKind.SERVER):
        pass
    assert log_span_starts(tracer_provider, logger_provider)
    assert log_span_starts(tracer_provider, logger_provider)
    with tracer.start_as_current_span("third", kind=SpanKind.SERVER):
        pass

    assert _announced(exporter) == ["started first", "started third"]
    processors = tracer_provider._active_span_processor._span_processors
    assert sum(isinstance(p, SpanStartLogger) for p in processors) == 1
    stop_span_starts()


def test_only_spans_still_open_after_the_delay_are_logged_as_they_started(logs) -> None:
    logger_provider, exporter = logs
    tracer_provider = TracerProvider()
    logger = SpanStartLogger(logger_provider, delay=0.2)
    tracer_provider.add_span_processor(logger)
    tracer = tracer_provider.get_tracer("test")
    attributes = {
        semconv.GEN_AI_AGENT_NAME: "slowpoke",
        semconv.A2A_TASK_ID: "t-1",
        semconv.A2A_METHOD_NAME: semconv.SEND_MESSAGE,
        semconv.A2A_MESSAGE_ID: "m-1",  # not kept
    }

    with tracer.start_as_current_span("fast", kind=SpanKind.SERVER, attributes=attributes):
        pass
    tracer.start_span("client", kind=SpanKind.CLIENT).end()  # never announced, open or not
    with tracer.start_as_current_span("parent"):
        slow = tracer.start_span("slow", kind=SpanKind.SERVER, attributes=attributes)
    # Records are written in the order their spans started: once the slow one's is there, the
    # fast one's would have been written before it.
    _wait_for(lambda: bool(_starts(exporter)))
    slow.end()
    [record] = _starts(exporter)
    assert record.log_record.body == "started slow"
    assert record.log_record.timestamp == slow.start_time
    assert record.log_record.trace_id == slow.context.trace_id
    assert record.log_record.span_id == slow.context.span_id
    assert dict(record.log_record.attributes or {}) == {
        semconv.GEN_AI_AGENT_NAME: "slowpoke",
        semconv.A2A_TASK_ID: "t-1",
        semconv.A2A_METHOD_NAME: semconv.SEND_MESSAGE,
        semconv.SPAN_START_NAME: "slow",
        semconv.SPAN_START_KIND: "SERVER",
        semconv.SPAN_START_PARENT: format(slow.parent.span_id, "016x"),
    }

    thread = logger._thread
    assert thread is not None and thread.is_alive()
    tracer_provider.shutdown()
    assert not thread.is_alive(), "shutting the provider down stops the thread"


def test_switching_off_forgets_the_spans_waiting_and_stops_the_thread(logs) -> None:
    logger_provider, exporter = logs
    tracer_provider = TracerProvider()
    logger = SpanStartLogger(logger_provider, delay=3600)
    tracer_provider.add_span_processor(logger)
    span = tracer_provider.get_tracer("test").start_span("waiting", kind=SpanKind.SERVER)
    thread = logger._thread
    assert thread is not None and thread.is_alive()
    logger.enabled = False
    assert not thread.is_alive()
    assert logger._pending == {}
    span.end()
    assert _announced(exporter) == []


def test_a_record_that_cannot_be_written_is_said_once_and_never_raised(caplog) -> None:
    class Broken:
        def get_logger(self, *args: object, **kwargs: object) -> object:
            raise RuntimeError("no logger")

    tracer_provider = TracerProvider()
    logger = SpanStartLogger(Broken(), delay=0)  # type: ignore[arg-type]
    tracer_provider.add_span_processor(logger)
    tracer = tracer_provider.get_tracer("test")
    for _ in range(3):
        with tracer.start_as_current_span("served", kind=SpanKind.SERVER):
            pass
    assert sum("cannot log the start of span" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, DEFAULT_DELAY_S),
        ("", DEFAULT_DELAY_S),
        ("0", 0.0),
        ("2.5", 2.5),
        ("-1", DEFAULT_DELAY_S),
        ("nan", DEFAULT_DELAY_S),
    ],
)
def test_the_delay_comes_from_the_environment(raw: str | None, expected: float) -> None:
    env = {} if raw is None else {semconv.ENV_SPAN_START_DELAY: raw}
    assert start_delay(env) == expected


def test_a_delay_that_is_not_a_number_is_said(caplog) -> None:
    assert start_delay({semconv.ENV_SPAN_START_DELAY: "soon"}) == DEFAULT_DELAY_S
    assert semconv.ENV_SPAN_START_DELAY in caplog.text


class HangingAgent(AgentExecutor):
    """Starts its task, then waits until the test lets it go."""

    def __init__(self) -> None:
        self.release = threading.Event()

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = await start_task(context, event_queue)
        await asyncio.to_thread(self.release.wait, 60)
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        return None


async def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        await asyncio.sleep(0.02)


async def test_a_hung_call_is_announced_and_a_fast_one_is_not(spans, tracer_provider, logs) -> None:
    logger_provider, exporter = logs
    hanging = HangingAgent()
    logger = SpanStartLogger(logger_provider, delay=1.0)
    with (
        serve_agent(EchoAgent(), "starts-echo") as echo,
        serve_agent(hanging, "starts-hanging") as hung,
        tap(tracer_provider).plugged(logger),
    ):
        fast = make_client(echo.card, "JSONRPC", streaming=False)
        [e async for e in fast.send_message(SendMessageRequest(message=user_message("quick")))]
        await fast.close()
        client = make_client(hung.card, "JSONRPC", streaming=False)
        call = asyncio.ensure_future(
            _drain(client.send_message(SendMessageRequest(message=user_message("hang on"))))
        )
        try:
            await _until(lambda: bool(_starts(exporter)))
        finally:
            hanging.release.set()
            await call
            await client.close()
        served = await spans.until(
            lambda s: any(x.kind == SpanKind.SERVER and "starts-hanging" in _agent(x) for x in s)
        )
    [record] = _starts(exporter)
    [server] = [x for x in served if x.kind == SpanKind.SERVER and "starts-hanging" in _agent(x)]
    assert record.log_record.span_id == server.context.span_id
    assert record.log_record.timestamp == server.start_time
    attributes = dict(record.log_record.attributes or {})
    assert attributes[semconv.SPAN_START_KIND] == "SERVER"
    assert attributes[semconv.GEN_AI_AGENT_NAME] == "starts-hanging"
    assert attributes[semconv.A2A_METHOD_NAME] == semconv.SEND_MESSAGE


def _agent(span: object) -> str:
    return str((getattr(span, "attributes", None) or {}).get(semconv.GEN_AI_AGENT_NAME, ""))


async def _drain(stream: object) -> None:
    async for _ in stream:  # type: ignore[attr-defined]
        pass


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() here")
def test_a_forked_child_starts_its_own_thread(logs) -> None:
    logger_provider, exporter = logs
    tracer_provider = TracerProvider()
    logger = SpanStartLogger(logger_provider, delay=0.05)
    tracer_provider.add_span_processor(logger)
    tracer = tracer_provider.get_tracer("test")
    tracer.start_span("before", kind=SpanKind.SERVER).end()  # the parent's thread is running
    assert logger._thread is not None
    pid = os.fork()
    if pid == 0:  # the child: the parent's thread did not come along
        code = 1
        try:
            span = tracer.start_span("in the child", kind=SpanKind.SERVER)
            _wait_for(lambda: _announced(exporter) == ["started in the child"])
            span.end()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the child logged the start of its open span"
    tracer_provider.shutdown()
