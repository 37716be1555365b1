"""``import a2a_observe.auto`` and ``OTEL_LOGS_EXPORTER``: records from stdlib logging and
structlog reach the exporter with the trace context of the span that was current."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from a2a_observe import semconv
from tests.support.helpers import json_documents
from tests.support.logs import PLACES, USER_SPAN
from tests.support.paths import APPS

APP = APPS / "logging_app.py"


class Run(NamedTuple):
    spans: list[dict[str, Any]]
    logs: list[dict[str, Any]]
    task_id: str
    stderr: str


def run(*args: str, command: tuple[str, ...] = (), **env: str) -> Run:
    """What the console exporters printed (stdout), the task id and the app's own lines (stderr)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "A2A_OBSERVE_"))}
    environment.update(
        OTEL_SERVICE_NAME="logging-app",
        OTEL_TRACES_EXPORTER="console",
        OTEL_METRICS_EXPORTER="none",
        OTEL_BSP_SCHEDULE_DELAY="50",
        OTEL_BLRP_SCHEDULE_DELAY="50",
    )
    environment.update(env)
    result = subprocess.run(
        [*command, sys.executable, str(APP), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = re.search(r"RESULT state=3 text='logged' task=(\S+)", result.stderr)
    assert found, result.stderr[-3000:]
    documents = json_documents(result.stdout)
    spans = [d for d in documents if "context" in d and "name" in d]
    logs = [d for d in documents if "body" in d]
    return Run(spans, logs, found.group(1), result.stderr)


def by_place(logs: list[dict[str, Any]], body: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for record in logs:
        if record["body"] == body:
            out.setdefault(record["attributes"]["where"], []).append(record)
    return out


def assert_in_run(
    records: dict[str, list[dict[str, Any]]], spans: list[dict[str, Any]], task_id: str
) -> None:
    run = next(s for s in spans if s["kind"] == "SpanKind.SERVER")  # the agent runs under it
    user = next(s for s in spans if s["name"] == USER_SPAN)
    assert set(records) == {*PLACES, USER_SPAN}
    for place, found in records.items():
        assert len(found) == 1, f"{place}: exported once, not {len(found)} times"
        record = found[0]
        span = user if place == USER_SPAN else run
        assert (record["trace_id"], record["span_id"]) == (
            span["context"]["trace_id"],
            span["context"]["span_id"],
        )
        attributes = record["attributes"]
        assert attributes[semconv.A2A_TASK_ID] == task_id == run["attributes"][semconv.A2A_TASK_ID]
        assert attributes[semconv.GEN_AI_CONVERSATION_ID] == run["attributes"][semconv.GEN_AI_CONVERSATION_ID]
        assert attributes[semconv.GEN_AI_AGENT_NAME] == "logger"


def test_console_exporter_gets_stdlib_and_structlog_records_with_their_trace() -> None:
    spans, logs, task_id, _ = run("--setup", "configure", OTEL_LOGS_EXPORTER="console")
    assert_in_run(by_place(logs, "stdlib line"), spans, task_id)
    assert_in_run(by_place(logs, "structlog line"), spans, task_id)


def test_records_reach_the_exporter_and_basic_config_still_works() -> None:
    """An app that sets logging up with ``basicConfig`` after the import keeps its handler."""
    spans, logs, task_id, stderr = run("--setup", "basic", OTEL_LOGS_EXPORTER="console")
    assert_in_run(by_place(logs, "stdlib line"), spans, task_id)
    assert stderr.count("BASIC INFO stdlib line") == len(PLACES) + 1


def test_the_sdk_switch_on_gives_each_record_once() -> None:
    spans, logs, task_id, _ = run(
        "--setup",
        "configure",
        OTEL_LOGS_EXPORTER="console",
        OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED="true",
    )
    assert_in_run(by_place(logs, "stdlib line"), spans, task_id)


@pytest.mark.parametrize(
    "env",
    [
        {"OTEL_LOGS_EXPORTER": "none"},
        {"OTEL_LOGS_EXPORTER": "console", "OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED": "false"},
    ],
    ids=["exporter-none", "handler-switched-off"],
)
def test_no_records_are_exported_when_switched_off(env: dict[str, str]) -> None:
    spans, logs, _, _ = run("--setup", "configure", **env)
    assert spans, "the traces still go out"
    # No line of the app's logging; an exporter that is on still gets the instrumentation's own
    # event records (the start of each SERVER span, for live views).
    assert [record for record in logs if record.get("event_name") != semconv.EVENT_SPAN_START] == []
    if env["OTEL_LOGS_EXPORTER"] == "none":
        assert logs == []


def test_under_opentelemetry_instrument_threads_carry_the_ids_without_a_second_instrumentation() -> None:
    """Threads carry the ids there too, and nothing reports being instrumented twice."""
    instrument = str(Path(sys.executable).parent / "opentelemetry-instrument")
    spans, logs, task_id, stderr = run(
        "--setup",
        "configure",
        command=(instrument,),
        OTEL_LOGS_EXPORTER="console",
        OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED="true",
    )
    assert_in_run(by_place(logs, "stdlib line"), spans, task_id)
    assert "already instrumented" not in stderr
