"""Log lines written by an agent carry the ids of the span that was current: in ``execute``,
in threads and asyncio tasks it starts, through structlog, stdlib logging and OTLP export."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id

from a2a_observe import semconv
from a2a_observe.demo.serving import RunningAgent, serve_agent
from a2a_observe.logs import TraceContextFilter, add_trace_context
from a2a_observe.replay.sdk_client import final_text, send_text
from tests.support.logs import LOGGER, PLACES, USER_SPAN, LoggingAgent

AGENT = "logger"


@pytest.fixture(scope="module")
def agent() -> Iterator[RunningAgent]:
    with serve_agent(LoggingAgent(), AGENT, grpc=False) as running:
        yield running


async def run_once(agent: RunningAgent, spans: Any) -> tuple[ReadableSpan, ReadableSpan, str]:
    """Send one message; the SERVER span the agent ran under (the run's span: no agent span by
    default), the agent's own span and the task id the client got."""
    events = await send_text(agent.card, "log please", streaming=False)
    state, text = final_text(events)
    assert (state, text) == (3, "logged")
    task_id = events[-1].task.id
    found = await spans.until(
        lambda s: any(x.kind == SpanKind.SERVER for x in s) and any(x.name == USER_SPAN for x in s)
    )
    run = next(s for s in found if s.kind == SpanKind.SERVER)
    user = next(s for s in found if s.name == USER_SPAN)
    return run, user, task_id


def expected(span: ReadableSpan, run: ReadableSpan) -> dict[str, str]:
    attrs = dict(run.attributes or {})
    return {
        semconv.LOG_TRACE_ID: format_trace_id(span.context.trace_id),
        semconv.LOG_SPAN_ID: format_span_id(span.context.span_id),
        semconv.A2A_TASK_ID: str(attrs[semconv.A2A_TASK_ID]),
        semconv.GEN_AI_CONVERSATION_ID: str(attrs[semconv.GEN_AI_CONVERSATION_ID]),
        semconv.GEN_AI_AGENT_NAME: AGENT,
    }


def fields(source: dict[str, Any]) -> dict[str, Any]:
    keys = (
        semconv.LOG_TRACE_ID,
        semconv.LOG_SPAN_ID,
        semconv.A2A_TASK_ID,
        semconv.GEN_AI_CONVERSATION_ID,
        semconv.GEN_AI_AGENT_NAME,
    )
    return {k: source.get(k) for k in keys}


def check(lines: dict[str, dict[str, Any]], run: ReadableSpan, user: ReadableSpan, task_id: str) -> None:
    assert set(lines) == {*PLACES, USER_SPAN}
    in_run = expected(run, run)
    assert in_run[semconv.A2A_TASK_ID] == task_id, "the run span names the task the client got"
    for place in PLACES:
        assert fields(lines[place]) == in_run, place
    # Inside the agent's own span: that span's ids, still the run's task.
    assert fields(lines[USER_SPAN]) == expected(user, run)


async def test_structlog_lines_carry_the_run_ids_in_execute_threads_and_tasks(agent, spans) -> None:
    with structlog.testing.capture_logs(processors=[add_trace_context]) as captured:
        run, user, task_id = await run_once(agent, spans)
    lines = {e["where"]: e for e in captured if e.get("event") == "structlog line"}
    check(lines, run, user, task_id)


async def test_stdlib_records_carry_the_run_ids_through_the_filter(agent, spans, caplog) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    caplog.handler.addFilter(TraceContextFilter())
    run, user, task_id = await run_once(agent, spans)
    records = {r.where: vars(r) for r in caplog.records if r.getMessage() == "stdlib line"}  # type: ignore[attr-defined]
    check(records, run, user, task_id)


@pytest.fixture
def otel_logs() -> Iterator[InMemoryLogRecordExporter]:
    """The logs SDK's handler on the test logger, with our filter, exporting to memory."""
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        handler = LoggingHandler(logger_provider=provider)
    handler.addFilter(TraceContextFilter())
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    yield exporter
    logger.removeHandler(handler)
    logger.setLevel(old_level)
    provider.shutdown()


async def test_exported_log_records_carry_the_trace_and_the_run_ids(agent, spans, otel_logs) -> None:
    run, user, task_id = await run_once(agent, spans)
    records = [r.log_record for r in otel_logs.get_finished_logs() if r.log_record.body == "stdlib line"]
    by_place = {str((r.attributes or {})["where"]): r for r in records}
    assert set(by_place) == {*PLACES, USER_SPAN}
    for place, record in by_place.items():
        span = user if place == USER_SPAN else run
        # The record's own trace context, set by the SDK from the context of the logging call...
        assert (record.trace_id, record.span_id) == (span.context.trace_id, span.context.span_id), place
        # ...and the A2A ids (and the same trace ids) as attributes, from our filter.
        assert fields(dict(record.attributes or {})) == expected(span, run), place
    assert expected(run, run)[semconv.A2A_TASK_ID] == task_id


def test_outside_any_span_nothing_is_added() -> None:
    with structlog.testing.capture_logs(processors=[add_trace_context]) as captured:
        structlog.get_logger("plain").info("no span here")
    record = logging.makeLogRecord({"msg": "no span here"})
    assert TraceContextFilter().filter(record)
    assert set(fields(captured[0]).values()) == {None}
    assert set(fields(vars(record)).values()) == {None}


def test_values_the_caller_gives_win(tracer_provider) -> None:
    with tracer_provider.get_tracer("tests").start_as_current_span("mine"):
        event = add_trace_context(None, "info", {"event": "e", semconv.LOG_TRACE_ID: "given"})
        record = logging.makeLogRecord({"msg": "m", semconv.LOG_SPAN_ID: "given"})
        TraceContextFilter().filter(record)
    assert event[semconv.LOG_TRACE_ID] == "given"
    assert len(event[semconv.LOG_SPAN_ID]) == 16
    assert record.span_id == "given"  # type: ignore[attr-defined]
    assert len(record.trace_id) == 32  # type: ignore[attr-defined]


def test_each_context_gets_its_own_fields_however_often_it_is_asked(tracer_provider) -> None:
    """One line asks up to four times in the same context (the answer is kept); another span
    gets its own ids, and a caller changing the fields it was given changes nothing."""
    from a2a_observe.logs.context import log_context

    tracer = tracer_provider.get_tracer("tests")
    with tracer.start_as_current_span("first") as first:
        asked = [log_context() for _ in range(4)]
        asked[0][semconv.LOG_SPAN_ID] = "changed by the caller"
        again = log_context()
        with tracer.start_as_current_span("second") as second:
            inner = log_context()
        back = log_context()
    outside = log_context()
    first_id = format_span_id(first.get_span_context().span_id)
    assert [a[semconv.LOG_SPAN_ID] for a in asked[1:]] == [first_id] * 3
    assert again[semconv.LOG_SPAN_ID] == back[semconv.LOG_SPAN_ID] == first_id
    assert inner[semconv.LOG_SPAN_ID] == format_span_id(second.get_span_context().span_id)
    assert inner[semconv.LOG_TRACE_ID] == again[semconv.LOG_TRACE_ID]
    assert semconv.LOG_SPAN_ID not in outside


def test_a_fault_in_our_context_lookup_never_stops_a_log_line(monkeypatch, caplog) -> None:
    from a2a_observe.logs import context
    from a2a_observe.safety import reset_reports

    def broken() -> dict[str, str]:
        raise RuntimeError("broken lookup")

    reset_reports()
    monkeypatch.setattr(context, "current_ids", broken)
    monkeypatch.setattr(context, "_last", None)  # what the last line's context gave is not asked again
    caplog.set_level(logging.WARNING, logger="a2a_observe")
    with structlog.testing.capture_logs(processors=[add_trace_context]) as captured:
        structlog.get_logger("app").info("still logged")
        structlog.get_logger("app").info("again")
    record = logging.makeLogRecord({"msg": "m"})
    assert TraceContextFilter().filter(record) is True
    assert [e["event"] for e in captured] == ["still logged", "again"]
    reports = [r for r in caplog.records if r.name == "a2a_observe"]
    assert len(reports) == 2, "reported once per place: the structlog processor and the filter"
    reset_reports()


def test_a_python_a2a_handler_logs_with_its_run_ids(spans, caplog) -> None:
    pytest.importorskip("python_a2a")
    from python_a2a import A2AClient, Message, MessageRole, TextContent

    from a2a_observe.demo.python_a2a_agents import Greeter, serve_python_a2a_agent

    class LoggingGreeter(Greeter):
        def handle_message(self, message: Any) -> Any:
            logging.getLogger(LOGGER).info("python-a2a line")
            return super().handle_message(message)

    caplog.set_level(logging.INFO, logger=LOGGER)
    caplog.handler.addFilter(TraceContextFilter())
    with serve_python_a2a_agent(lambda card: LoggingGreeter(agent_card=card), "greeter-logs") as agent:
        question = Message(content=TextContent(text="hi"), role=MessageRole.USER, conversation_id="conv-7")
        assert A2AClient(agent.url).send_message(question).content.text == "hello: hi"
    found = spans.wait(lambda s: any(x.kind == SpanKind.SERVER and x.name == semconv.SEND_MESSAGE for x in s))
    run = next(s for s in found if s.kind == SpanKind.SERVER and s.name == semconv.SEND_MESSAGE)
    [record] = [vars(r) for r in caplog.records if r.getMessage() == "python-a2a line"]
    assert record[semconv.LOG_TRACE_ID] == format_trace_id(run.context.trace_id)
    assert record[semconv.LOG_SPAN_ID] == format_span_id(run.context.span_id)
    assert record[semconv.GEN_AI_AGENT_NAME] == "greeter-logs"
    assert (
        record[semconv.GEN_AI_CONVERSATION_ID]
        == "conv-7"
        == (run.attributes or {})[semconv.GEN_AI_CONVERSATION_ID]
    )
