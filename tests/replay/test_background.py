"""Background work: a non-blocking SendMessage answers at once while the agent goes on to work,
produce an artifact and complete. By default (no agent span) what it did after the SERVER span
ended arrives as log records of that span; the replay must rebuild from them the same
conversation as from an opted-in agent span: the same states, artifacts and findings."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.demo.network import TURNS, demo_network, send_turn
from a2a_observe.replay import open_store, rebuild
from a2a_observe.replay.audits import AuditSettings, audit
from a2a_observe.replay.model import ConversationModel
from a2a_observe.store import DuckDBLogExporter, DuckDBSpanExporter
from a2a_observe.store.opening import open_source
from a2a_observe.store.records import ConversationFilter
from a2a_observe.store.snapshot import open_snapshot
from tests.support.backends import chdb_store
from tests.support.otlp_json import otlp_json_lines
from tests.support.store import tap

BATCH = next(t for t in TURNS if t.agent == "batch")


def _model(db: Path) -> ConversationModel | None:
    con = open_store(db)
    try:
        contexts = con.conversation_ids()
        return rebuild(con, contexts[0]) if contexts else None
    finally:
        con.close()


async def _run_batch(
    tracer_provider: Any, reinstrument: Any, db: Path, agent_spans: bool, recording: Path | None = None
) -> ConversationModel:
    """The batch turn, stored in ``db`` and, when asked, recorded as OTLP JSON in ``recording``."""
    logs = LoggerProvider()
    logs.add_log_record_processor(SimpleLogRecordProcessor(DuckDBLogExporter(db)))
    recorded_logs = InMemoryLogRecordExporter()
    logs.add_log_record_processor(SimpleLogRecordProcessor(recorded_logs))
    recorded_spans = InMemorySpanExporter()
    reinstrument(settings=Settings(agent_spans=agent_spans), logger_provider=logs)
    try:
        with (
            demo_network(batch_seconds=0.3) as network,
            tap(tracer_provider).plugged(
                SimpleSpanProcessor(DuckDBSpanExporter(db)), SimpleSpanProcessor(recorded_spans)
            ),
        ):
            result = await send_turn(network, BATCH)
            assert result.state == semconv.TASK_STATE_SUBMITTED  # answered; the job goes on
            deadline = time.monotonic() + 20
            while True:
                model = _model(db)
                done = model is not None and [t.final_state for t in model.tasks] == [
                    semconv.TASK_STATE_COMPLETED
                ]
                if model is not None and done:
                    if recording is not None:
                        recording.write_text(
                            otlp_json_lines(
                                recorded_spans.get_finished_spans(), recorded_logs.get_finished_logs()
                            )
                        )
                    return model
                assert time.monotonic() < deadline, "the background work never reached the replay"
                await asyncio.sleep(0.1)
    finally:
        logs.shutdown()


def _story(model: ConversationModel) -> dict[str, Any]:
    """What a reader of the replay sees, without ids and times that differ between runs."""
    return {
        "turns": [(t.method, t.agent, t.final_state, [x.state for x in t.transitions]) for t in model.turns],
        "tasks": [
            (
                t.agent,
                t.final_state,
                [(x.from_state, x.state, x.final, x.source) for x in t.transitions],
                [(a.name, len(a.chunks), [c.parts_count for c in a.chunks]) for a in t.artifacts],
            )
            for t in model.tasks
        ],
        "findings": sorted(f.code for f in audit(model, AuditSettings(stuck_after=0))),
        "running": len(model.running),
    }


async def test_default_and_agent_span_modes_rebuild_the_same_background_work(
    tracer_provider, tmp_path: Path, reinstrument
) -> None:
    default = await _run_batch(tracer_provider, reinstrument, tmp_path / "default.duckdb", False)
    spans = await _run_batch(tracer_provider, reinstrument, tmp_path / "spans.duckdb", True)
    assert not any(s.name.startswith(semconv.OPERATION_INVOKE_AGENT) for s in default.spans.values())
    assert _story(default) == _story(spans)
    [task] = default.tasks
    states = [x.state for x in task.transitions]
    assert states[-1] == semconv.TASK_STATE_COMPLETED and semconv.TASK_STATE_WORKING in states
    assert [a.name for a in task.artifacts] == ["result"]


async def test_late_events_are_log_records_of_the_server_span(
    tracer_provider, tmp_path: Path, reinstrument
) -> None:
    db = tmp_path / "default.duckdb"
    model = await _run_batch(tracer_provider, reinstrument, db, False)
    [turn] = model.turns
    server = model.spans[turn.server_span_id or ""]
    con = open_snapshot(db)
    try:
        rows = con.execute(
            "SELECT event_name, trace_id, span_id, attributes, conversation_id, task_id FROM logs "
            "WHERE event_name IN (?, ?, ?) ORDER BY time_ns",
            sorted(semconv.LATE_EVENTS),
        ).fetchall()
    finally:
        con.close()
    assert rows, "no late event was logged"
    names = {r[0] for r in rows}
    assert {semconv.EVENT_TASK_STATUS, semconv.EVENT_ARTIFACT} <= names
    for name, trace_id, span_id, attributes, conversation_id, task_id in rows:
        assert (trace_id, span_id) == (server.trace_id, server.span_id), name
        attrs = json.loads(attributes)
        assert attrs[semconv.A2A_TASK_ID] == task_id == turn.task_id
        assert attrs[semconv.GEN_AI_CONVERSATION_ID] == conversation_id == model.conversation_id
        assert attrs[semconv.GEN_AI_AGENT_NAME] == "batch"
        if name == semconv.EVENT_TASK_STATUS:
            assert attrs[semconv.A2A_TASK_STATE] in semconv.TASK_STATES
    states = [json.loads(r[3])[semconv.A2A_TASK_STATE] for r in rows if r[0] == semconv.EVENT_TASK_STATUS]
    assert states[-1] == semconv.TASK_STATE_COMPLETED


async def test_every_reader_sees_the_state_reached_in_the_background(
    tracer_provider, tmp_path: Path, reinstrument
) -> None:
    """The conversation list, its state filter, a task's history and the SQL views a user
    queries directly all say the background task completed, in every backend."""
    db, recording = tmp_path / "default.duckdb", tmp_path / "batch.otlp.jsonl"
    model = await _run_batch(tracer_provider, reinstrument, db, False, recording)
    [task] = model.tasks
    expected_states = [t.state for t in task.transitions]
    assert expected_states[-1] == semconv.TASK_STATE_COMPLETED
    for location in (str(db), chdb_store(recording, "background")):
        source = open_source(location)
        try:
            [listed] = source.list_conversations()
            assert listed.last_task_state == semconv.TASK_STATE_COMPLETED, location
            completed = ConversationFilter(state=semconv.TASK_STATE_COMPLETED)
            assert [s.conversation_id for s in source.list_conversations(completed)] == [
                model.conversation_id
            ], location
            submitted = ConversationFilter(state=semconv.TASK_STATE_SUBMITTED)
            assert source.list_conversations(submitted) == [], location
            history = source.task_history(task.task_id)
        finally:
            source.close()
        assert history is not None
        assert history.task.state == semconv.TASK_STATE_COMPLETED, location
        assert [t.state for t in history.transitions] == expected_states, location
        assert [a.name for a in history.artifacts] == ["result"], location
    con = open_snapshot(db)
    try:
        [(state,)] = con.execute("SELECT state FROM tasks WHERE task_id = ?", [task.task_id]).fetchall()
        transitions = con.execute(
            "SELECT state, final FROM task_transitions WHERE task_id = ? ORDER BY time_ns, seq",
            [task.task_id],
        ).fetchall()
        artifacts = con.execute("SELECT name FROM artifacts WHERE task_id = ?", [task.task_id]).fetchall()
        [(last,)] = con.execute("SELECT last_task_state FROM conversations").fetchall()
    finally:
        con.close()
    assert state == last == semconv.TASK_STATE_COMPLETED
    assert [t[0] for t in transitions] == expected_states and transitions[-1][1] is True
    assert artifacts == [("result",)]
