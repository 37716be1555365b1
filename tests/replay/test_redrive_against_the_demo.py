"""Re-driving the demo's own conversations against its running orchestrator, in two processes
as a user does it: the agents write their spans to the demo's store on their own schedule, the
re-drive records its calls elsewhere (``--out``) and still compares what the agents did."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from a2a_observe import semconv
from a2a_observe.replay.load import open_store
from a2a_observe.store.snapshot import open_snapshot

BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "A2A_OBSERVE_"))}


def test_redrive_of_the_failing_conversation_matches_and_writes_only_to_out(tmp_path: Path) -> None:
    db, out = tmp_path / "demo.duckdb", tmp_path / "redriven.duckdb"
    log = (tmp_path / "demo.log").open("w+")
    demo = subprocess.Popen(
        [str(BIN / "a2a-observe"), "demo", "--db", str(db), "--hold", "300"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=_env(),
        text=True,
    )
    try:
        deadline = time.monotonic() + 150
        text = ""
        while "Serving for" not in text:
            assert demo.poll() is None and time.monotonic() < deadline, text[-3000:]
            time.sleep(0.5)
            text = Path(log.name).read_text()
        orchestrator = re.search(r"^  orchestrator\s+(http://127\.0\.0\.1:\d+)", text, re.M)
        assert orchestrator is not None, text
        failed = ""
        while not failed:
            assert time.monotonic() < deadline, "the failed conversation never reached the store"
            con = open_store(db)
            failed = next(
                (
                    s.conversation_id
                    for s in con.list_conversations()
                    if s.last_task_state == semconv.TASK_STATE_FAILED
                ),
                "",
            )
            con.close()
            time.sleep(0.5)
        spans_before = _count(db)
        result = subprocess.run(
            [
                str(BIN / "a2a-observe"),
                "redrive",
                failed[:8],
                "--db",
                str(db),
                "--out",
                str(out),
                "--against",
                orchestrator.group(1),
            ],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=120,
            check=False,
        )
    finally:
        demo.terminate()
        demo.wait(timeout=30)
        log.close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith("runs match\n"), result.stdout
    # Progress comes before the result: the notes are on stderr, flushed before stdout is written.
    assert result.stderr.startswith("re-driving 1 turn of 1 conversation against http://127.0.0.1:")
    assert "reading back " in result.stderr
    # The re-drive's own spans went to --out; the demo's store only got what its agents wrote.
    con = open_snapshot(out)
    services = {r[0] for r in con.execute("SELECT DISTINCT service_name FROM spans").fetchall()}
    con.close()
    assert services == {"a2a-observe-redrive"}
    con = open_snapshot(db)
    redrive_rows = con.execute(
        "SELECT count(*) FROM spans WHERE service_name = 'a2a-observe-redrive'"
    ).fetchone()
    con.close()
    assert redrive_rows == (0,)
    assert _count(db) > spans_before  # the orchestrator, writer and translator of the new run


def _count(db: Path) -> int:
    con = open_snapshot(db)
    row = con.execute("SELECT count(*) FROM spans").fetchone()
    con.close()
    return int(row[0]) if row else 0
