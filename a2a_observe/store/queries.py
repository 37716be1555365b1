"""The reads that the replay and the debugger make, as typed records.

They work on any connection to a store: the writer's own, a read-only file, or a snapshot
(:mod:`a2a_observe.store.snapshot`). "Everything of a conversation" means every span of every
trace that touched the conversation, so work an agent delegated under another context (and the
failure that came back from it) is part of the story.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar

from a2a_observe import semconv
from a2a_observe.store.legacy import state_case, upgrade_values

if TYPE_CHECKING:
    import duckdb

R = TypeVar("R")


@dataclass(frozen=True)
class ConversationSummary:
    conversation_id: str
    start_ns: int
    end_ns: int
    duration_ns: int
    spans: int
    traces: int
    tasks: int
    agents: list[str]
    services: list[str]
    errors: int
    last_task_state: str | None


@dataclass(frozen=True)
class SpanRecord:
    trace_id: str
    span_id: str
    parent_span_id: str | None
    trace_state: str | None
    parent_is_remote: bool | None
    name: str
    kind: str
    start_ns: int
    end_ns: int
    duration_ns: int | None
    status_code: str
    status_message: str | None
    resource_id: str
    service_name: str | None
    scope_name: str | None
    scope_version: str | None
    attributes: dict[str, Any]
    dropped_attributes_count: int
    dropped_events_count: int
    dropped_links_count: int
    conversation_id: str | None
    task_id: str | None
    agent_name: str | None
    method: str | None
    task_state: str | None
    message_id: str | None
    error_type: str | None


@dataclass(frozen=True)
class EventRecord:
    trace_id: str
    span_id: str
    seq: int
    time_ns: int
    name: str
    attributes: dict[str, Any]
    dropped_attributes_count: int
    task_id: str | None
    task_state: str | None
    artifact_id: str | None
    message_id: str | None


@dataclass(frozen=True)
class LinkRecord:
    trace_id: str
    span_id: str
    seq: int
    linked_trace_id: str | None
    linked_span_id: str | None
    trace_state: str | None
    is_remote: bool | None
    attributes: dict[str, Any]
    dropped_attributes_count: int


@dataclass(frozen=True)
class LogRecord:
    time_ns: int | None
    observed_ns: int | None
    severity_number: int | None
    severity_text: str | None
    body: str | None
    attributes: dict[str, Any]
    trace_id: str | None
    span_id: str | None
    flags: int
    event_name: str | None
    resource_id: str
    service_name: str | None
    scope_name: str | None
    scope_version: str | None
    dropped_attributes_count: int
    conversation_id: str | None
    task_id: str | None


@dataclass(frozen=True)
class TimelineEntry:
    """One moment of a conversation: a span starting or ending, a span event, a log record."""

    time_ns: int
    what: str
    """``span_start``, ``span_end``, ``event`` or ``log``."""
    span: SpanRecord | None = None
    event: EventRecord | None = None
    log: LogRecord | None = None


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    trace_ids: list[str]
    spans: list[SpanRecord]
    events: list[EventRecord]
    links: list[LinkRecord]
    logs: list[LogRecord]

    def timeline(self) -> list[TimelineEntry]:
        """Everything in time order; at equal times starts come before events before ends."""
        order = {"span_start": 0, "event": 1, "log": 2, "span_end": 3}
        entries: list[TimelineEntry] = []
        for span in self.spans:
            entries.append(TimelineEntry(span.start_ns, "span_start", span=span))
            entries.append(TimelineEntry(span.end_ns, "span_end", span=span))
        entries.extend(TimelineEntry(e.time_ns, "event", event=e) for e in self.events)
        entries.extend(TimelineEntry(log.time_ns or 0, "log", log=log) for log in self.logs)
        entries.sort(key=lambda entry: (entry.time_ns, order[entry.what]))
        return entries


@dataclass(frozen=True)
class TaskTransition:
    task_id: str
    conversation_id: str | None
    agent_name: str | None
    time_ns: int
    from_state: str | None
    state: str
    final: bool
    message_id: str | None
    trace_id: str
    span_id: str
    seq: int


@dataclass(frozen=True)
class TaskSummary:
    task_id: str
    conversation_id: str | None
    agent_name: str | None
    start_ns: int
    end_ns: int
    state: str | None
    spans: int
    traces: int
    errors: int


@dataclass(frozen=True)
class Artifact:
    task_id: str | None
    conversation_id: str | None
    agent_name: str | None
    artifact_id: str | None
    name: str | None
    chunks: int
    first_ns: int
    last_ns: int
    last_chunk_seen: bool
    content: str | None


@dataclass(frozen=True)
class MessageRecord:
    message_id: str
    conversation_id: str | None
    task_id: str | None
    role: str | None
    time_ns: int
    parts: int | None
    size: int | None
    content: str | None
    sightings: int
    trace_id: str | None


@dataclass(frozen=True)
class TaskHistory:
    task: TaskSummary
    transitions: list[TaskTransition]
    artifacts: list[Artifact]
    messages: list[MessageRecord]
    spans: list[SpanRecord] = field(default_factory=list)


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
