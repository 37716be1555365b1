"""Work in progress for an app that only sends OTLP to a collector (``import a2a_observe.auto``
and an endpoint, no store of its own): the collector's store shows its hung task as running,
with and without agent spans, as it does for the demo and ``A2A_OBSERVE_STORE``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from a2a_observe import semconv
from a2a_observe.replay import open_store, rebuild
from a2a_observe.replay.audits import AuditSettings, audit
from a2a_observe.replay.errors import ReplayError
from a2a_observe.replay.model import ConversationModel
from tests.support.store import receiver_in_thread

APP = """
import asyncio, sys, time
import a2a_observe.auto
from a2a_observe.demo.agents import SlowAgent
from a2a_observe.demo.serving import serve_agent
from a2a_observe.replay.sdk_client import send_text

with serve_agent(SlowAgent(600), "batch", description="a job that hangs") as agent:
    asyncio.run(send_text(agent.card, "run the job", streaming=False, return_immediately=True))
    print("sent", flush=True)
    time.sleep(600)
"""


def _running_model(db: Path) -> ConversationModel | None:
    try:
        con = open_store(db)
    except ReplayError:
        return None
    try:
        contexts = con.conversation_ids()
        if not contexts:
            return None
        model = rebuild(con, contexts[0])
        return model if model.running else None
    finally:
        con.close()


@pytest.mark.parametrize("agent_spans", ["false", "true"], ids=["default", "agent-spans"])
def test_a_hung_task_sent_over_otlp_is_running_in_the_collectors_store(
    tmp_path: Path, agent_spans: str
) -> None:
    with receiver_in_thread(tmp_path / "collected.duckdb") as (url, writer):
        env = {
            **os.environ,
            "OTEL_EXPORTER_OTLP_ENDPOINT": url,
            "OTEL_SERVICE_NAME": "batch-app",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_BLRP_SCHEDULE_DELAY": "100",
            "OTEL_METRICS_EXPORTER": "none",
            semconv.ENV_AGENT_SPANS: agent_spans,
        }
        for name in (semconv.ENV_STORE, "OTEL_TRACES_EXPORTER", "OTEL_LOGS_EXPORTER"):
            env.pop(name, None)
        app = subprocess.Popen(
            [sys.executable, "-c", APP], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            deadline = time.monotonic() + 60
            model = None
            while model is None:
                assert app.poll() is None, app.stderr.read() if app.stderr else ""
                assert time.monotonic() < deadline, "the running job never reached the collector's store"
                time.sleep(0.2)
                model = _running_model(writer.path)
        finally:
            app.kill()
            app.wait(30)
    [running] = [model.spans[s] for s in model.running]
    assert running.name == f"{semconv.OPERATION_INVOKE_AGENT} batch"
    [turn] = model.turns
    assert running.span_id in turn.agent_span_ids
    [stuck] = [f for f in audit(model, AuditSettings(stuck_after=0)) if f.code == "A2A002"]
    assert "still running (invoke_agent batch started and has not ended)" in stuck.message
