"""``configure_logging()``: JSON lines or the console format, structlog and stdlib through the
same handlers, every line with the ids of the span that was current."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.trace import format_span_id, format_trace_id

from a2a_observe import semconv
from a2a_observe.demo.serving import RunningAgent, serve_agent
from a2a_observe.logs import attach_otel_handler, configure_logging
from a2a_observe.logs.export import otel_handlers
from a2a_observe.logs.setup import wants_json
from tests.logs.test_context import check, run_once
from tests.support.logs import LOGGER, LoggingAgent


@pytest.fixture(scope="module")
def agent() -> Iterator[RunningAgent]:
    with serve_agent(LoggingAgent(), "logger", grpc=False) as running:
        yield running


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging() is process-wide: put the root logger and structlog back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    structlog.reset_defaults()


async def test_json_lines_from_structlog_and_stdlib_carry_the_run_ids(agent, spans, restore_logging) -> None:
    out = io.StringIO()
    configure_logging(json=True, stream=out, otel=False)
    run, user, task_id = await run_once(agent, spans)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    ours = [line for line in lines if line.get("logger") == LOGGER]
    for event in ("structlog line", "stdlib line"):
        found = {line["where"]: line for line in ours if line["event"] == event}
        check(found, run, user, task_id)
        for line in found.values():
            assert line["level"] == "info"
            assert line["timestamp"].endswith("Z")


def test_console_lines_are_readable_and_carry_the_trace(tracer_provider, restore_logging) -> None:
    out = io.StringIO()
    configure_logging(json=False, stream=out, otel=False)
    with tracer_provider.get_tracer("tests").start_as_current_span("console") as span:
        structlog.get_logger("tests.console").warning("disk almost full", free_mb=12)
        logging.getLogger("tests.console").warning("stdlib says %s", "hello")
    trace_id = format_trace_id(span.get_span_context().trace_id)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "disk almost full" in lines[0] and "free_mb=12" in lines[0]
    assert "stdlib says hello" in lines[1]
    for line in lines:
        assert f"trace_id={trace_id}" in line
        assert f"span_id={format_span_id(span.get_span_context().span_id)}" in line
        assert not line.lstrip().startswith("{")


def test_calling_it_again_replaces_its_own_handler_and_keeps_others(restore_logging) -> None:
    root = logging.getLogger()
    theirs = logging.StreamHandler(io.StringIO())
    root.addHandler(theirs)
    first, second = io.StringIO(), io.StringIO()
    configure_logging(json=True, stream=first, otel=False)
    configure_logging(json=True, stream=second, otel=False)
    logging.getLogger("tests.again").warning("once")
    assert first.getvalue() == ""
    assert len(second.getvalue().splitlines()) == 1
    assert theirs in root.handlers


def test_a_field_named_like_a_record_attribute_does_not_break_the_call(restore_logging) -> None:
    out = io.StringIO()
    configure_logging(json=True, stream=out, otel=False)
    structlog.get_logger("tests.names").warning("clash", name="x", message="m", args=3)
    line = json.loads(out.getvalue())
    assert (line["name_"], line["message_"], line["args_"]) == ("x", "m", 3)


def test_the_format_follows_the_setting_then_the_terminal(monkeypatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert wants_json(io.StringIO(), {}) is True
    assert wants_json(Terminal(), {}) is False
    assert wants_json(Terminal(), {semconv.ENV_LOG_FORMAT: "json"}) is True
    assert wants_json(io.StringIO(), {semconv.ENV_LOG_FORMAT: " Console "}) is False
    assert wants_json(Terminal(), {semconv.ENV_LOG_FORMAT: "bogus"}) is False


def test_the_otel_handler_survives_basic_config_and_basic_config_still_applies(
    tracer_provider, restore_logging
) -> None:
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    handler = attach_otel_handler(provider)
    assert handler is not None and otel_handlers() == [handler]
    assert attach_otel_handler(provider) is handler, "never doubled"
    out = io.StringIO()
    # force: pytest's own handlers are on the root logger, and would make it a no-op.
    logging.basicConfig(level=logging.INFO, stream=out, format="%(message)s", force=True)
    assert otel_handlers() == [handler]
    with tracer_provider.get_tracer("tests").start_as_current_span("basic") as span:
        logging.getLogger("tests.basic").info("after basicConfig")
    assert out.getvalue() == "after basicConfig\n", "the app's basicConfig took effect"
    [record] = [
        r.log_record for r in exporter.get_finished_logs() if r.log_record.body == "after basicConfig"
    ]
    assert record.trace_id == span.get_span_context().trace_id
    provider.shutdown()
