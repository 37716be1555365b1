"""The DuckDB reads behind :mod:`a2a_observe.store.duckdb_source`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from a2a_observe import semconv
from a2a_observe.store.legacy import state_case, upgrade_values
from a2a_observe.store.records import (
    Artifact,
    Conversation,
    ConversationSummary,
    EventRecord,
    LinkRecord,
    LogRecord,
    MessageRecord,
    SpanRecord,
    TaskHistory,
    TaskSummary,
    TaskTransition,
    TimelineEntry,
)

if TYPE_CHECKING:
    import duckdb

R = TypeVar("R")

__all__ = [
    "Conversation",
    "ConversationSummary",
    "EventRecord",
    "LinkRecord",
    "LogRecord",
    "SpanRecord",
    "TaskHistory",
    "TimelineEntry",
]


def _records(cursor: duckdb.DuckDBPyConnection, cls: type[R]) -> list[R]:
    names = [d[0] for d in cursor.description or ()]
    wanted = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    json_columns = {"attributes"}
    # DuckDB's list() over no rows is NULL: a conversation whose spans name no agent (one span
    # posted by hand) has no agents, not an unknown list of them.
    list_columns = {"agents", "services"}
    out: list[R] = []
    for row in cursor.fetchall():
        values = {}
        for name, value in zip(names, row, strict=True):
            if name not in wanted:
                continue
            if name in json_columns and isinstance(value, str):
                value = json.loads(value)
            elif name in list_columns and value is None:
                value = []
            values[name] = value
        upgrade_values(values)
        out.append(cls(**values))
    return out


def list_conversations(
    con: duckdb.DuckDBPyConnection,
    *,
    agent: str | None = None,
    service: str | None = None,
    since_ns: int | None = None,
    until_ns: int | None = None,
    errors_only: bool = False,
    state: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ConversationSummary]:
    """Newest first; every filter is optional and they combine with AND."""
    where: list[str] = []
    params: list[Any] = []
    if agent is not None:
        where.append("list_contains(agents, ?)")
        params.append(agent)
    if service is not None:
        where.append("list_contains(services, ?)")
        params.append(service)
    if since_ns is not None:
        where.append("end_ns >= ?")
        params.append(since_ns)
    if until_ns is not None:
        where.append("start_ns <= ?")
        params.append(until_ns)
    if errors_only:
        where.append("errors > 0")
    if state is not None:
        where.append(f"{state_case('last_task_state')} = ?")
        params.append(semconv.task_state(state))
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    sql = f"SELECT * FROM conversations {clause} ORDER BY start_ns DESC, conversation_id LIMIT ? OFFSET ?"
    return _records(con.execute(sql, [*params, limit, offset]), ConversationSummary)


def _in(values: Sequence[str]) -> str:
    return ", ".join("?" for _ in values) or "NULL"


def conversation(con: duckdb.DuckDBPyConnection, conversation_id: str) -> Conversation:
    """Every span, event, link and log record of the traces that touched the conversation."""
    traces = [
        row[0]
        for row in con.execute(
            "SELECT DISTINCT trace_id FROM spans WHERE conversation_id = ? ORDER BY trace_id",
            [conversation_id],
        ).fetchall()
    ]
    marks = _in(traces)
    spans = _records(
        con.execute(
            f"SELECT * FROM spans WHERE trace_id IN ({marks}) ORDER BY start_ns, end_ns DESC, span_id", traces
        ),
        SpanRecord,
    )
    events = _records(
        con.execute(
            f"SELECT * FROM span_events WHERE trace_id IN ({marks}) ORDER BY time_ns, span_id, seq", traces
        ),
        EventRecord,
    )
    links = _records(
        con.execute(f"SELECT * FROM span_links WHERE trace_id IN ({marks}) ORDER BY span_id, seq", traces),
        LinkRecord,
    )
    logs = _records(
        con.execute(
            f"SELECT * FROM logs WHERE trace_id IN ({marks}) OR conversation_id = ? ORDER BY time_ns",
            [*traces, conversation_id],
        ),
        LogRecord,
    )
    return Conversation(conversation_id, traces, spans, events, links, logs)


def task_history(con: duckdb.DuckDBPyConnection, task_id: str) -> TaskHistory | None:
    """A task's states in order, what it produced and said, and the spans that worked on it."""
    summary = _records(con.execute("SELECT * FROM tasks WHERE task_id = ?", [task_id]), TaskSummary)
    if not summary:
        return None
    transitions = _records(
        con.execute("SELECT * FROM task_transitions WHERE task_id = ? ORDER BY time_ns, seq", [task_id]),
        TaskTransition,
    )
    artifacts = _records(
        con.execute("SELECT * FROM artifacts WHERE task_id = ? ORDER BY first_ns", [task_id]), Artifact
    )
    messages = _records(
        con.execute("SELECT * FROM messages WHERE task_id = ? ORDER BY time_ns", [task_id]), MessageRecord
    )
    spans = _records(
        con.execute("SELECT * FROM spans WHERE task_id = ? ORDER BY start_ns, span_id", [task_id]), SpanRecord
    )
    return TaskHistory(summary[0], transitions, artifacts, messages, spans)
