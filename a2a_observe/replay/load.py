"""Opening a store for reading and rebuilding conversations from it, with errors that say
what is wrong (no such file, not a store, no such conversation) instead of DuckDB's."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from a2a_observe.replay.build import build
from a2a_observe.replay.errors import ReplayError
from a2a_observe.replay.model import ConversationModel
from a2a_observe.store.errors import StoreError
from a2a_observe.store.queries import Conversation, conversation

if TYPE_CHECKING:
    import duckdb


def open_store(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A consistent read-only view of a store, whoever writes it (see ``open_snapshot``)."""
    from a2a_observe.store.snapshot import open_snapshot  # noqa: PLC0415 - loads duckdb

    target = Path(path)
    if not target.exists():
        raise ReplayError(f"{target}: no such store file")
    if target.is_dir():
        raise ReplayError(f"{target} is a folder, not a store file")
    try:
        return open_snapshot(target)
    except StoreError as exc:
        raise ReplayError(str(exc)) from exc


def resolve(con: duckdb.DuckDBPyConnection, conversation_id: str) -> str:
    """The full conversation id for ``conversation_id`` or a unique prefix of one."""
    if not conversation_id:
        raise ReplayError("a conversation id is required")
    row = con.execute("SELECT 1 FROM spans WHERE conversation_id = ? LIMIT 1", [conversation_id]).fetchone()
    if row is not None:
        return conversation_id
    matches = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT conversation_id FROM spans WHERE starts_with(conversation_id, ?) "
            "ORDER BY conversation_id LIMIT 6",
            [conversation_id],
        ).fetchall()
    ]
    if len(matches) == 1:
        return str(matches[0])
    if matches:
        raise ReplayError(
            f"{conversation_id!r} matches several conversations: "
            f"{', '.join(matches[:5])}; give more of the id"
        )
    count = con.execute("SELECT count(DISTINCT conversation_id) FROM spans").fetchone()
    total = int(count[0]) if count else 0
    raise ReplayError(
        f"no conversation {conversation_id!r} in this store ({total} conversations; "
        "`a2a-observe check DB` or the conversation list shows them)"
    )


def rebuild(con: duckdb.DuckDBPyConnection, conversation_id: str) -> ConversationModel:
    """The model of one conversation (an unambiguous id prefix is enough)."""
    full = resolve(con, conversation_id)
    return build(conversation(con, full))


def rebuild_trace(con: duckdb.DuckDBPyConnection, trace_id: str) -> ConversationModel:
    """A trace that carries no conversation id (a call that failed before any context
    existed), modelled as a conversation of its own, named ``trace:<id>``."""
    record = _trace_record(con, trace_id)
    if not record.spans:
        raise ReplayError(f"no trace {trace_id!r} in this store")
    return build(record)


def _trace_record(con: duckdb.DuckDBPyConnection, trace_id: str) -> Conversation:
    from a2a_observe.store import queries  # noqa: PLC0415

    spans = queries._records(
        con.execute(
            "SELECT * FROM spans WHERE trace_id = ? ORDER BY start_ns, end_ns DESC, span_id", [trace_id]
        ),
        queries.SpanRecord,
    )
    events = queries._records(
        con.execute(
            "SELECT * FROM span_events WHERE trace_id = ? ORDER BY time_ns, span_id, seq", [trace_id]
        ),
        queries.EventRecord,
    )
    return Conversation(f"trace:{trace_id}", [trace_id], spans, events, [], [])


def orphan_traces(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Traces with A2A calls in them but no conversation id anywhere."""
    rows = con.execute(
        "SELECT trace_id FROM spans GROUP BY trace_id "
        "HAVING count(conversation_id) = 0 AND count(method) > 0 ORDER BY min(start_ns)"
    ).fetchall()
    return [str(r[0]) for r in rows]
