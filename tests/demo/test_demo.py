"""The README's first command runs the demo; it must show a successful and a failing trace."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from a2a_observe.store import open_snapshot
from a2a_observe.store.opening import open_source

BIN = Path(sys.executable).parent


def test_demo_prints_one_tree_per_conversation(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "A2A_OBSERVE_"))}
    db = tmp_path / "demo.duckdb"
    result = subprocess.run(
        [str(BIN / "a2a-observe"), "demo", "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"^40 spans in 11 traces", out, re.M), out[-2000:]
    assert len(re.findall(r"^trace [0-9a-f]{32}", out, re.M)) == 11
    assert "'please fail this translation': TASK_STATE_FAILED" in out
    assert "✗ UNKNOWN: translator cannot handle" in out, "the gRPC status as error.type"
    assert "AGENT" not in out, "A2A requests only: no agent spans by default"
    assert "CLIENT a2a.agent_card.fetch  → relay" in out
    assert "[GRPC v0.3]" in out
    # python-a2a and a2a-sdk in one trace
    relay_to_writer = r"CLIENT SendMessage  → relay.*\n.*SERVER SendMessage.*\n.*CLIENT SendMessage  → writer"
    assert re.search(relay_to_writer, out)
    assert "'hello': TASK_STATE_COMPLETED" in out and "task TASK_STATE_INPUT_REQUIRED" in out
    assert "'python-a2a meets a2a-sdk': TASK_STATE_COMPLETED" in out
    assert "'run the nightly batch': TASK_STATE_SUBMITTED" in out  # left working in the background
    assert re.search(r"^Metrics: http://127\.0\.0\.1:\d+/metrics ", out, re.M)
    assert re.search(
        r"^Health:  http://127\.0\.0\.1:\d+/healthz \(liveness\), .*/readyz \(readiness\)", out, re.M
    )
    assert "Traceback" not in result.stderr
    # The command is printed as it can be typed from here: the program's path inside .venv.
    program = os.path.relpath(BIN / "a2a-observe")
    assert out.rstrip().endswith(f"Step through these conversations: {program} replay {db}")
    con = open_snapshot(db)
    stored = con.execute("SELECT count(*) FROM spans").fetchone()
    # and whatever ended after the printout; what the demo said on stderr tells why if not
    assert stored is not None and stored[0] >= 40, result.stderr[-3000:]
    assert any(s.last_task_state == "TASK_STATE_FAILED" for s in open_source(db).list_conversations())


def test_cli_without_a_command_prints_help() -> None:
    result = subprocess.run(
        [str(BIN / "a2a-observe")], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "demo" in result.stdout


async def test_every_demo_agent_serves_probes_and_metrics(spans) -> None:
    import httpx

    from a2a_observe.demo.network import demo_network

    with demo_network() as network:
        async with httpx.AsyncClient() as http:
            for agent in network.agents.values():
                live = await http.get(f"{agent.base_url}/healthz")
                ready = await http.get(f"{agent.base_url}/readyz")
                assert (live.status_code, live.json()["status"]) == (200, "ok"), agent.name
                assert (ready.status_code, ready.json()["status"]) == (200, "ok"), (agent.name, ready.text)
                exposition = await http.get(f"{agent.base_url}/metrics")
                assert exposition.status_code == 200
