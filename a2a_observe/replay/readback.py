"""Reading a re-driven run back: from every store its spans may have gone to, once they are in.

The re-drive's own client spans go to one store (the recording's, or ``--out``), while the
agents it called write their spans wherever they export to, on their own schedule (a batch
processor flushes every few seconds). Comparing as soon as the last answer came back would
miss the agents' side and report differences that are not there, so the run is read from
every store given and only once it has settled: each call that was answered has the agent's
SERVER span beside it, and nothing new arrived between two looks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from a2a_observe.replay.build import build
from a2a_observe.replay.errors import ReplayError
from a2a_observe.replay.load import open_store, resolve
from a2a_observe.replay.model import ConversationModel
from a2a_observe.store.records import Conversation


@dataclass(frozen=True)
class ReadBack:
    model: ConversationModel
    settled: bool
    """False when the wait ran out with calls whose agent never reported (see ``missing``)."""
    missing: list[str]
    """Paths of the exchanges whose agent's spans were not found."""


def merged_record(stores: Sequence[str | Path], context_id: str) -> Conversation:
    """The conversation's spans, events and logs from every store that holds part of it."""
    parts: list[Conversation] = []
    for store in dict.fromkeys(stores):
        if isinstance(store, Path) and not store.exists():
            continue
        source = open_store(store)
        try:
            parts.append(source.conversation(resolve(source, context_id)))
        except ReplayError:
            continue
        finally:
            source.close()
    if not parts:
        names = ", ".join(str(s) for s in stores)
        raise ReplayError(f"the re-driven conversation {context_id} is in none of {names}")
    spans = {s.span_id: s for p in parts for s in p.spans}
    events = {(e.span_id, e.seq): e for p in parts for e in p.events}
    links = {(link.span_id, link.seq): link for p in parts for link in p.links}
    logs = list({(g.time_ns, g.trace_id, g.span_id, g.body): g for p in parts for g in p.logs}.values())
    return Conversation(
        parts[0].conversation_id,
        sorted({t for p in parts for t in p.trace_ids}),
        sorted(spans.values(), key=lambda s: (s.start_ns, -s.end_ns, s.span_id)),
        sorted(events.values(), key=lambda e: (e.time_ns, e.span_id, e.seq)),
        list(links.values()),
        sorted(logs, key=lambda log: log.time_ns or 0),
    )


def unanswered(model: ConversationModel) -> list[str]:
    """Exchanges the caller recorded as answered whose agent's SERVER span is not in yet."""
    return [
        e.path
        for e in model.exchanges()
        if e.client_span_id is not None and e.server_span_id is None and e.error is None
    ]


def read_back(
    stores: Sequence[str | Path],
    context_id: str,
    *,
    timeout: float = 15.0,
    poll: float = 0.25,
    on_wait: Callable[[list[str]], None] | None = None,
) -> ReadBack:
    """The re-driven run, read again until it is complete and stable, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    previous = -1
    while True:
        record = merged_record(stores, context_id)
        model = build(record)
        missing = unanswered(model)
        size = len(record.spans) + len(record.events)
        if not missing and size == previous:
            return ReadBack(model, True, [])
        if time.monotonic() >= deadline:
            return ReadBack(model, not missing, missing)
        if missing and on_wait is not None:
            on_wait(missing)
        previous = size
        time.sleep(poll)
