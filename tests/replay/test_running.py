"""Work in progress: the demo's batch agent starts a job that hangs. Its run's span never ends,
so no exporter ever sees it; the span-start log record does, and the replay shows the run as
running with its elapsed time, and the audit says the task is still running, not lost."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.demo.network import TURNS, demo_network, send_turn
from a2a_observe.replay import open_store, rebuild
from a2a_observe.replay.audits import AuditSettings, audit
from a2a_observe.signals.span_starts import SpanStartLogger
from a2a_observe.store import DuckDBLogExporter, DuckDBSpanExporter, open_snapshot
from a2a_observe.tui.screens.conversation import ConversationScreen
from a2a_observe.tui.widgets.waterfall import Waterfall
from tests.support.store import tap
from tests.support.tui import make_app, screen_text, wait_until

BATCH = next(t for t in TURNS if t.agent == "batch")


def _conversations(db: Path) -> list[str]:
    con = open_store(db)
    try:
        return con.conversation_ids()
    finally:
        con.close()


def _start_records(db: Path) -> list[tuple[str, str]]:
    con = open_snapshot(db)
    try:
        rows = con.execute(
            "SELECT span_id, attributes FROM logs WHERE event_name = ?", [semconv.EVENT_SPAN_START]
        ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]
    finally:
        con.close()


async def test_a_hung_task_is_running_with_elapsed_time_not_lost(
    tracer_provider, tmp_path: Path, reinstrument
) -> None:
    # The job goes on after its SendMessage has answered, so only an agent span (opted in)
    # covers it; by default nothing of it is open to be shown running.
    reinstrument(settings=Settings(agent_spans=True))
    db = tmp_path / "live.duckdb"
    logs = LoggerProvider()
    logs.add_log_record_processor(SimpleLogRecordProcessor(DuckDBLogExporter(db)))
    with (
        demo_network(batch_seconds=120) as network,
        tap(tracer_provider).plugged(SimpleSpanProcessor(DuckDBSpanExporter(db)), SpanStartLogger(logs)),
    ):
        result = await send_turn(network, BATCH)
        assert (
            result.state == semconv.TASK_STATE_SUBMITTED
        )  # the call returned; the job goes on in the background
        deadline = time.monotonic() + 20
        while not (_conversations(db) and any("invoke_agent" in a for _, a in _start_records(db))):
            assert time.monotonic() < deadline, "the start of the agent's run never reached the store"
            await asyncio.sleep(0.1)
        [context] = _conversations(db)
        model = rebuild(open_store(db), context)
        [running] = [model.spans[s] for s in model.running]
        assert running.name.startswith(semconv.OPERATION_INVOKE_AGENT) and running.agent_name == "batch"
        [turn] = model.turns
        assert running.span_id in turn.agent_span_ids  # the run belongs to the call that started it
        [stuck] = [f for f in audit(model, AuditSettings(stuck_after=0)) if f.code == "A2A002"]
        assert "still running (invoke_agent batch started and has not ended)" in stuck.message

        for size in ((80, 24), (120, 40)):
            app = make_app(db, keymap={})
            async with app.run_test(size=size) as pilot:
                await wait_until(pilot, lambda app=app: app.conversation_rows() == [context])
                await wait_until(pilot, lambda app=app: "▶ running" in screen_text(app))
                await pilot.press("enter")
                await wait_until(pilot, lambda app=app: getattr(app.screen, "data", None) is not None)
                assert isinstance(app.screen, ConversationScreen)
                waterfall = app.screen.query_one(Waterfall)
                assert running.span_id in waterfall.running
                await wait_until(pilot, lambda app=app: "1 running" in screen_text(app))
    logs.shutdown()
