"""Spans and logs of real instrumented agents, written in-process to a DuckDB store, read back
through the A2A views and the replay's queries."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from a2a_observe import semconv
from a2a_observe.store import DuckDBLogExporter, DuckDBSpanExporter, open_snapshot
from a2a_observe.store.opening import open_source
from a2a_observe.store.records import ConversationFilter
from tests.support.paths import DOCS
from tests.support.store import SCENARIO_SPANS, Agents, Scenario, run_scenario, start_agents, tap

_APP_ENV = {
    "PATH": "",
    "OTEL_TRACES_EXPORTER": "none",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
}
"""A subprocess app with a2a-observe's auto setup and no exporter but the store."""


def _wait(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.fixture(scope="module")
def agents():
    running = start_agents()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def stored(agents: Agents, tracer_provider: TracerProvider, tmp_path_factory):
    """The scenario's spans in a store, next to the SDK's own record of them."""
    db = tmp_path_factory.mktemp("store") / "spans.duckdb"
    memory = InMemorySpanExporter()
    with tap(tracer_provider).plugged(
        SimpleSpanProcessor(memory), BatchSpanProcessor(DuckDBSpanExporter(db), schedule_delay_millis=50)
    ):
        scenario = run_scenario(agents)
        _wait(lambda: len(memory.get_finished_spans()) >= SCENARIO_SPANS)
    return db, scenario, list(memory.get_finished_spans())


def test_every_span_event_and_attribute_is_stored(stored: tuple[Path, Scenario, list[ReadableSpan]]) -> None:
    db, _, spans = stored
    con = open_snapshot(db)
    rows = con.execute("SELECT span_id, name, kind, status_code, attributes FROM spans").fetchall()
    by_id = {row[0]: row for row in rows}
    assert len(rows) == len(spans) == SCENARIO_SPANS
    for span in spans:
        row = by_id[f"{span.context.span_id:016x}"]
        assert row[1:4] == (span.name, span.kind.name, span.status.status_code.name)
        expected = {k: list(v) if isinstance(v, tuple) else v for k, v in (span.attributes or {}).items()}
        assert json.loads(row[4]) == expected
    events = con.execute("SELECT count(*) FROM span_events").fetchone()
    assert events == (sum(len(s.events) for s in spans),)


def test_conversations_list_every_context_with_its_agents_and_errors(stored) -> None:
    db, scenario, _ = stored
    source = open_source(db)
    listed = {c.conversation_id: c for c in source.list_conversations()}
    assert set(scenario.contexts.values()) <= set(listed)
    asking = listed[scenario.contexts["asking"]]
    assert asking.agents == ["asking"]
    assert asking.tasks == 1
    assert asking.traces == 2
    assert asking.last_task_state == semconv.TASK_STATE_COMPLETED
    failed = [c.conversation_id for c in source.list_conversations(ConversationFilter(errors_only=True))]
    assert scenario.contexts["flaky"] in failed
    assert scenario.contexts["echo"] not in failed
    assert [c.conversation_id for c in source.list_conversations(ConversationFilter(agent="writer"))] == [
        scenario.contexts["writer"]
    ]


def test_a_task_history_follows_the_agent_through_its_states(stored) -> None:
    db, scenario, _ = stored
    history = open_source(db).task_history(scenario.tasks["asking"])
    assert history is not None
    states = [(t.from_state, t.state, t.final) for t in history.transitions]
    assert states == [
        (None, semconv.TASK_STATE_SUBMITTED, False),
        (semconv.TASK_STATE_SUBMITTED, semconv.TASK_STATE_WORKING, False),
        (semconv.TASK_STATE_WORKING, semconv.TASK_STATE_INPUT_REQUIRED, True),
        (semconv.TASK_STATE_INPUT_REQUIRED, semconv.TASK_STATE_WORKING, False),
        (semconv.TASK_STATE_WORKING, semconv.TASK_STATE_COMPLETED, True),
    ]
    assert history.task.agent_name == "asking"
    assert history.task.state == semconv.TASK_STATE_COMPLETED
    assert [a.name for a in history.artifacts] == ["greeting"]
    assert [m.role for m in history.messages] == ["user", "agent", "user"], "the question asked in between"


def test_streamed_artifact_chunks_are_one_artifact(stored) -> None:
    db, scenario, _ = stored
    history = open_source(db).task_history(scenario.tasks["writer"])
    assert history is not None
    [artifact] = history.artifacts
    assert (artifact.artifact_id, artifact.name, artifact.chunks, artifact.last_chunk_seen) == (
        "draft",
        "draft",
        3,
        True,
    )


def test_a_conversation_is_everything_of_its_traces_in_time_order(stored) -> None:
    db, scenario, _ = stored
    record = open_source(db).conversation(scenario.contexts["flaky"])
    assert {s.kind for s in record.spans} == {"CLIENT", "SERVER"}
    timeline = record.timeline()
    times = [entry.time_ns for entry in timeline]
    assert times == sorted(times)
    assert timeline[0].what == "span_start" and timeline[0].span is not None
    assert timeline[0].span.kind == "CLIENT"
    assert any(e.event is not None and e.event.name == "exception" for e in timeline)
    failed = [s for s in record.spans if s.status_code == "ERROR"]
    assert len(failed) == 2


def test_agents_view_names_every_agent_that_served(stored) -> None:
    db, _, _ = stored
    rows = open_snapshot(db).execute("SELECT agent_name, requests_served FROM agents ORDER BY 1").fetchall()
    assert rows == [("asking", 2), ("echo", 1), ("flaky", 1), ("writer", 1)]


def test_log_records_are_stored_with_their_trace_and_conversation(tmp_path: Path) -> None:
    db = tmp_path / "logs.duckdb"
    provider = LoggerProvider(resource=Resource.create({semconv.SERVICE_NAME: "logging-agent"}))
    provider.add_log_record_processor(BatchLogRecordProcessor(DuckDBLogExporter(db)))
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        provider.get_logger("agent").emit(
            body={"step": "plan", "items": [1, 2]},
            severity_number=SeverityNumber.WARN,
            severity_text="WARN",
            attributes={semconv.GEN_AI_CONVERSATION_ID: "ctx-1", semconv.A2A_TASK_ID: "task-1"},
        )
        expected_trace = f"{span.get_span_context().trace_id:032x}"
    provider.shutdown()
    con = open_snapshot(db)
    row = con.execute(
        "SELECT body, severity_number, trace_id, conversation_id, task_id, service_name FROM logs"
    ).fetchone()
    assert row is not None
    assert json.loads(row[0]) == {"step": "plan", "items": [1, 2]}
    assert row[1:] == (SeverityNumber.WARN.value, expected_trace, "ctx-1", "task-1", "logging-agent")


def test_a_full_queue_drops_and_counts_instead_of_blocking(tmp_path: Path) -> None:
    exporter = DuckDBSpanExporter(tmp_path / "small.duckdb", max_pending=10)
    provider = TracerProvider()
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("t").start_as_current_span("parent"):
        for _ in range(30):
            provider.get_tracer("t").start_span("child").end()
    spans = memory.get_finished_spans()
    results = [exporter.export(list(spans[i : i + 10])) for i in range(0, 30, 10)]
    assert SpanExportResult.SUCCESS in results
    exporter.force_flush()
    exporter.shutdown()
    con = open_snapshot(tmp_path / "small.duckdb")
    stored = con.execute("SELECT count(*) FROM spans").fetchone()
    assert stored is not None
    assert stored[0] + exporter.dropped == 30
    assert exporter.export(list(spans[:1])) == SpanExportResult.FAILURE


_COUNT_FROM_ANOTHER_PROCESS = (
    "import sys\n"
    "from a2a_observe.store import open_snapshot\n"
    "print(open_snapshot(sys.argv[1], timeout=60).execute('SELECT count(*) FROM spans').fetchone()[0])\n"
)


def test_the_store_can_be_read_while_an_app_writes_it(tmp_path: Path) -> None:
    db = tmp_path / "live.duckdb"
    exporter = DuckDBSpanExporter(db, release_when_idle=0.05)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("t")
    in_process, other_process = [], []
    for round_ in range(3):
        for _ in range(20):
            tracer.start_span(f"round {round_}").end()
        exporter.force_flush()
        con = open_snapshot(db, timeout=30)
        in_process.append(con.execute("SELECT count(*) FROM spans").fetchone())
        con.close()
        reader = subprocess.run(
            [sys.executable, "-c", _COUNT_FROM_ANOTHER_PROCESS, str(db)],
            capture_output=True,
            text=True,
            check=True,
        )
        other_process.append(int(reader.stdout))
    provider.shutdown()
    assert in_process == [(20,), (40,), (60,)]
    assert other_process == [20, 40, 60]


def test_auto_with_a_store_setting_writes_there_and_without_it_never_imports_duckdb(tmp_path: Path) -> None:
    db = tmp_path / "auto.duckdb"
    code = (
        "import sys, a2a_observe.auto\n"
        "from opentelemetry import trace\n"
        "print('duckdb' in sys.modules)\n"
        "trace.get_tracer('app').start_span('app work').end()\n"
    )
    env = _APP_ENV
    without = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert without.stdout.strip() == "False"
    subprocess.run(
        [sys.executable, "-c", code], env={**env, semconv.ENV_STORE: str(db)}, capture_output=True, check=True
    )
    names = open_snapshot(db).execute("SELECT name FROM spans").fetchall()
    assert names == [("app work",)]


def test_every_span_an_app_leaves_behind_at_exit_is_stored(tmp_path: Path) -> None:
    """An app that never shuts its providers down: the SDK exports the rest at exit, after
    DuckDB has stopped scanning Python objects, and every span still lands in the store."""
    db = tmp_path / "exit.duckdb"
    code = (
        "import a2a_observe.auto\n"
        "from opentelemetry import trace\n"
        "tracer = trace.get_tracer('app')\n"
        "for index in range(5000):\n"
        "    tracer.start_span(f'work {index}').end()\n"
    )
    env = {
        **_APP_ENV,
        "OTEL_BSP_SCHEDULE_DELAY": "60000",
        semconv.ENV_STORE: str(db),
        # What is asserted is that nothing is lost, not how fast: on a loaded machine the
        # default bound on exporting at exit could cut the flush short.
        semconv.ENV_SHUTDOWN_TIMEOUT: "120",
    }
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "not stored" not in done.stderr
    row = open_snapshot(db).execute("SELECT count(*), count(DISTINCT name) FROM spans").fetchone()
    assert row == (5000, 5000)


def test_a_bad_store_path_is_a_warning_not_a_crash(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from a2a_observe.safety import reset_reports
    from a2a_observe.store.setup import add_store_exporters

    reset_reports()
    with caplog.at_level(logging.WARNING, logger="a2a_observe"):
        assert add_store_exporters(str(tmp_path / "missing" / "x.duckdb")) is False
    assert "store exporters" in caplog.text
    assert isinstance(trace.get_tracer_provider(), TracerProvider)


def test_every_example_in_the_store_docs_runs(stored) -> None:
    db, scenario, _ = stored
    doc = (DOCS / "store.md").read_text()
    examples = re.findall(r"```sql\n(.*?)```", doc, re.S)
    assert len(examples) >= 6
    con = open_snapshot(db)
    for sql in examples:
        sql = sql.replace("YOUR-CONTEXT-ID", scenario.contexts["asking"]).replace(
            "YOUR-TASK-ID", scenario.tasks["asking"]
        )
        assert con.execute(sql).fetchall(), sql
