"""The conversation list, fast on big stores.

The store's ``conversations`` view aggregates every span of every conversation; a list only
shows a page. So the page's conversations are chosen first from a narrow pass (one start time
per conversation, restricted by the filters that spans can answer on their own), and only they
are summarised through the view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from a2a_observe import semconv
from a2a_observe.store.queries import ConversationSummary
from a2a_observe.store.queries import list_conversations as summaries

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class ConversationFilter:
    agent: str | None = None
    state: str | None = None
    """The last task state of the conversation."""
    errors_only: bool = False
    since_ns: int | None = None
    until_ns: int | None = None
    text: str | None = None
    """Part of the conversation id, an agent name or a service name (case-insensitive)."""


def list_conversations(
    con: duckdb.DuckDBPyConnection,
    where: ConversationFilter | None = None,
    *,
    limit: int = 100,
    offset: int = 0,
) -> list[ConversationSummary]:
    """Newest first, like the store's query, with a free-text filter and a faster page."""
    where = where or ConversationFilter()
    narrow: list[str] = ["conversation_id IS NOT NULL"]
    params: list[Any] = []
    if where.agent is not None:
        narrow.append("conversation_id IN (SELECT conversation_id FROM spans WHERE agent_name = ?)")
        params.append(where.agent)
    if where.errors_only:
        narrow.append("conversation_id IN (SELECT conversation_id FROM spans WHERE status_code = 'ERROR')")
    if where.text:
        narrow.append(
            "conversation_id IN (SELECT conversation_id FROM spans WHERE conversation_id ILIKE ? "
            "OR agent_name ILIKE ? OR service_name ILIKE ?)"
        )
        params.extend([f"%{where.text}%"] * 3)
    having: list[str] = []
    if where.since_ns is not None:
        having.append("max(end_ns) >= ?")
        params.append(where.since_ns)
    if where.until_ns is not None:
        having.append("min(start_ns) <= ?")
        params.append(where.until_ns)
    page = f"LIMIT {int(limit)} OFFSET {int(offset)}" if where.state is None else ""
    sql = (
        f"SELECT conversation_id FROM spans WHERE {' AND '.join(narrow)} GROUP BY conversation_id "
        f"{'HAVING ' + ' AND '.join(having) if having else ''} "
        f"ORDER BY min(start_ns) DESC, conversation_id {page}"
    )
    ids = [str(r[0]) for r in con.execute(sql, params).fetchall()]
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    rows = summaries_for(con, ids, marks)
    if where.state is not None:
        wanted = semconv.task_state(where.state)  # `failed` finds TASK_STATE_FAILED too
        rows = [r for r in rows if r.last_task_state == wanted][offset : offset + limit]
    return rows


def summaries_for(con: duckdb.DuckDBPyConnection, ids: list[str], marks: str) -> list[ConversationSummary]:
    from a2a_observe.store.queries import _records  # noqa: PLC0415 - the store's own row reader

    cursor = con.execute(
        f"SELECT * FROM conversations WHERE conversation_id IN ({marks}) "
        "ORDER BY start_ns DESC, conversation_id",
        ids,
    )
    return _records(cursor, ConversationSummary)


__all__ = ["ConversationFilter", "list_conversations", "summaries"]
