"""Re-driving from the debugger: the new run is recorded into a scratch store, rebuilt and
compared with the recording, so the store being read is never written while it is open."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from a2a_observe.replay import ConversationModel, rebuild
from a2a_observe.replay.diff import RunDiff, compare
from a2a_observe.replay.recorder import recording_into
from a2a_observe.replay.redrive import RedriveRun, redrive
from a2a_observe.store.snapshot import open_snapshot


@dataclass(frozen=True)
class RedriveResult:
    run: RedriveRun
    replayed: ConversationModel
    diff: RunDiff


def redrive_and_compare(
    model: ConversationModel, url: str, on_progress: Callable[[int, int], None] | None = None
) -> RedriveResult:
    """Blocking: run it in a worker thread."""
    with tempfile.TemporaryDirectory(prefix="a2a-observe-redrive-") as tmp:
        db = Path(tmp) / "redrive.duckdb"
        with recording_into(db):
            run = asyncio.run(redrive(model, url, on_progress=on_progress))
        con = open_snapshot(db)
        try:
            replayed = rebuild(con, run.context_id)
        finally:
            con.close()
    return RedriveResult(run, replayed, compare(model, replayed))
