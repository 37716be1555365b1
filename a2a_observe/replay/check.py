"""Auditing a whole store: every conversation, and traces that never got a conversation id
(a call that failed before any context existed is exactly what a check should catch)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from a2a_observe.replay.audits import AuditSettings, Finding, audit
from a2a_observe.replay.load import orphan_traces, rebuild, rebuild_trace, resolve
from a2a_observe.replay.model import ConversationModel

if TYPE_CHECKING:
    import duckdb


def conversation_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every conversation in the store, oldest first."""
    rows = con.execute(
        "SELECT conversation_id FROM spans WHERE conversation_id IS NOT NULL "
        "GROUP BY conversation_id ORDER BY min(start_ns), conversation_id"
    ).fetchall()
    return [str(r[0]) for r in rows]


def check_store(
    con: duckdb.DuckDBPyConnection,
    settings: AuditSettings | None = None,
    *,
    conversations: Sequence[str] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_model: Callable[[ConversationModel], None] | None = None,
) -> list[Finding]:
    """Findings of the given conversations (all of them, and orphan traces, when ``None``)."""
    settings = settings or AuditSettings()
    if conversations is None:
        work: list[tuple[str, str]] = [("conversation", c) for c in conversation_ids(con)]
        work.extend(("trace", t) for t in orphan_traces(con))
    else:
        work = [("conversation", resolve(con, c)) for c in conversations]
    found: list[Finding] = []
    for done, (what, key) in enumerate(work, 1):
        model = rebuild(con, key) if what == "conversation" else rebuild_trace(con, key)
        found.extend(audit(model, settings))
        if on_model is not None:
            on_model(model)
        if on_progress is not None:
            on_progress(done, len(work))
    return found
