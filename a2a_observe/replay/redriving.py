"""Re-driving recorded conversations and comparing the new runs with them: the one pipeline
behind ``a2a-observe redrive`` and the debugger's re-drive.

Each conversation's user turns are sent again while A2A is instrumented with content capture,
and the new run's own spans are recorded into a store (``record_into``; a scratch store when
the store being read must not be written while it is open). The agents it called write their
spans wherever they export to, on their own schedule, so each run is then read back from
every store it may be in once it has settled (:mod:`a2a_observe.replay.readback`) and compared
with its recording.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from a2a_observe.replay.diff import DiffOptions, RunDiff, compare
from a2a_observe.replay.errors import ReplayError
from a2a_observe.replay.model import ConversationModel
from a2a_observe.replay.readback import read_back
from a2a_observe.replay.recorder import recording_into
from a2a_observe.replay.redrive import RedriveRun, recorded_turns, redrive


class ReadBackError(ReplayError):
    """The runs were sent, but what they did could not be read back from the stores."""


@dataclass(frozen=True)
class RedriveResult:
    recorded: ConversationModel
    run: RedriveRun
    replayed: ConversationModel
    diff: RunDiff
    settled: bool = True
    """False when the wait ran out with calls whose agent never reported (see ``missing``)."""
    missing: list[str] = field(default_factory=list)
    """Paths of the exchanges whose agent's spans were not found in time."""


@dataclass(frozen=True)
class RedriveListener:
    """What a caller is told while the pipeline runs; every callback is optional."""

    on_progress: Callable[[int, int], None] | None = None
    """Turns sent so far and in all, over every conversation."""
    on_sent: Callable[[], None] | None = None
    """Every turn was sent; reading back begins."""
    on_reading_back: Callable[[RedriveRun], None] | None = None
    """A run is about to be read back (this may wait up to ``wait`` seconds)."""
    on_result: Callable[[RedriveResult], None] | None = None
    """A run was read back and compared."""


def total_turns(recorded: Sequence[ConversationModel]) -> int:
    """How many user turns re-driving ``recorded`` sends."""
    return sum(len(recorded_turns(model)) for model in recorded)


def _send_all(
    recorded: Sequence[ConversationModel],
    url: str,
    record_into: Path,
    binding: str | None,
    listener: RedriveListener,
) -> list[RedriveRun]:
    total = total_turns(recorded)
    runs: list[RedriveRun] = []
    with recording_into(record_into):
        for model in recorded:
            offset = sum(len(r.turns) for r in runs)

            def step(done: int, _total: int, offset: int = offset) -> None:
                if listener.on_progress is not None:
                    listener.on_progress(offset + done, total)

            runs.append(asyncio.run(redrive(model, url, binding=binding, on_progress=step)))
    return runs


def _read_all(
    recorded: Sequence[ConversationModel],
    runs: list[RedriveRun],
    stores: list[str | Path],
    options: DiffOptions | None,
    wait: float,
    listener: RedriveListener,
) -> list[RedriveResult]:
    results: list[RedriveResult] = []
    for model, run in zip(recorded, runs, strict=True):
        if listener.on_reading_back is not None:
            listener.on_reading_back(run)
        try:
            found = read_back(stores, run.context_id, timeout=wait)
        except ReplayError as exc:
            raise ReadBackError(str(exc)) from exc
        result = RedriveResult(
            model, run, found.model, compare(model, found.model, options), found.settled, found.missing
        )
        if listener.on_result is not None:
            listener.on_result(result)
        results.append(result)
    return results


def redrive_and_compare(
    recorded: Sequence[ConversationModel],
    url: str,
    *,
    record_into: Path | None = None,
    read_also: Sequence[str | Path] = (),
    binding: str | None = None,
    options: DiffOptions | None = None,
    wait: float = 15.0,
    listener: RedriveListener | None = None,
) -> list[RedriveResult]:
    """Send the recorded conversations' user turns to the agent at ``url`` again and compare.

    The new runs' spans go to ``record_into`` (a scratch store that is removed afterwards when
    it is None); they are read back from it and from ``read_also``, where the called agents may
    report. Blocking: the debugger runs it in a worker thread. A :class:`ReplayError` says why
    nothing could be sent; a :class:`ReadBackError` that the runs were sent but not found.
    """
    listener = listener or RedriveListener()
    with contextlib.ExitStack() as stack:
        target = record_into
        if target is None:
            target = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="a2a-observe-redrive-")))
            target = target / "redrive.duckdb"
        runs = _send_all(recorded, url, target, binding, listener)
        if listener.on_sent is not None:
            listener.on_sent()
        stores = list(dict.fromkeys([target, *read_also]))
        return _read_all(recorded, runs, stores, options, wait, listener)
