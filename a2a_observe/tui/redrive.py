"""Re-driving from the debugger: the new run is recorded into a scratch store, so the store
being read is never written while it is open; it is read back from the scratch store and from
the store the agents report to (the one the debugger shows), once their spans are in, and
compared with the recording."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from a2a_observe.replay import ConversationModel
from a2a_observe.replay.diff import RunDiff, compare
from a2a_observe.replay.readback import read_back
from a2a_observe.replay.recorder import recording_into
from a2a_observe.replay.redrive import RedriveRun, redrive


@dataclass(frozen=True)
class RedriveResult:
    run: RedriveRun
    replayed: ConversationModel
    diff: RunDiff


def redrive_and_compare(
    model: ConversationModel,
    url: str,
    on_progress: Callable[[int, int], None] | None = None,
    agents_stores: Sequence[Path] = (),
    wait: float = 15.0,
) -> RedriveResult:
    """Blocking: run it in a worker thread."""
    with tempfile.TemporaryDirectory(prefix="a2a-observe-redrive-") as tmp:
        db = Path(tmp) / "redrive.duckdb"
        with recording_into(db):
            run = asyncio.run(redrive(model, url, on_progress=on_progress))
        replayed = read_back([db, *agents_stores], run.context_id, timeout=wait).model
    return RedriveResult(run, replayed, compare(model, replayed))
