"""What an agent did after the SERVER span of its request had ended, read as that span's events.

Without an agent span, the agent's state changes, artifacts and messages are events of the
SERVER span serving the request; once that span has ended (a non-blocking SendMessage answers
while the agent works on), they arrive as log records of the same names carrying the span's
trace and span ids (see ``a2a_observe.observation.observer``). Every reader of the store must
see them where it sees the span's own events, or a task that completed in the background
still reads as ``submitted``: the replay, the read API's task history, the conversation list
and the SQL views a user queries directly. The Python and the SQL reading are both here so
that they cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from a2a_observe import semconv
from a2a_observe.store.records import Conversation, EventRecord, LogRecord

LATE_SEQ = 1 << 30
"""Where the sequence numbers of late events start: after any event the span itself held."""


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def late_events(logs: Iterable[LogRecord], spans: set[tuple[str, str]]) -> list[EventRecord]:
    """Each late-event log record of one of ``spans`` (trace and span ids), as that span's event."""
    added: list[EventRecord] = []
    for log in logs:
        if log.event_name not in semconv.LATE_EVENTS or (log.trace_id or "", log.span_id or "") not in spans:
            continue
        attributes = dict(log.attributes)
        added.append(
            EventRecord(
                trace_id=log.trace_id or "",
                span_id=log.span_id or "",
                seq=LATE_SEQ + len(added),
                time_ns=log.time_ns or log.observed_ns or 0,
                name=log.event_name,
                attributes=attributes,
                dropped_attributes_count=log.dropped_attributes_count,
                task_id=_str(attributes.get(semconv.A2A_TASK_ID)) or log.task_id,
                task_state=_str(attributes.get(semconv.A2A_TASK_STATE)),
                artifact_id=_str(attributes.get(semconv.A2A_ARTIFACT_ID)),
                message_id=_str(attributes.get(semconv.A2A_MESSAGE_ID)),
            )
        )
    return added


def with_late_events(events: Sequence[EventRecord], added: Sequence[EventRecord]) -> list[EventRecord]:
    """Span events and late events in the order they happened."""
    if not added:
        return list(events)
    return sorted([*events, *added], key=lambda e: (e.time_ns, e.span_id, e.seq))


def conversation_with_late_events(record: Conversation) -> Conversation:
    """``record`` with each late-event log record of a stored span added as that span's event."""
    added = late_events(record.logs, {(s.trace_id, s.span_id) for s in record.spans})
    if not added:
        return record
    return dataclasses.replace(record, events=with_late_events(record.events, added))


def _attr(column: str, name: str) -> str:
    return f"nullif({column} ->> '$.\"{name}\"', '')"


LATE_EVENTS_SQL = f"""SELECT
        l.trace_id,
        l.span_id,
        ({LATE_SEQ} + row_number() OVER (
            PARTITION BY l.trace_id, l.span_id ORDER BY coalesce(l.time_ns, l.observed_ns, 0)
        ) - 1)::INTEGER AS seq,
        coalesce(nullif(l.time_ns, 0), l.observed_ns, 0) AS time_ns,
        l.event_name AS name,
        l.attributes,
        l.dropped_attributes_count,
        coalesce({_attr("l.attributes", semconv.A2A_TASK_ID)}, l.task_id) AS task_id,
        {_attr("l.attributes", semconv.A2A_TASK_STATE)} AS task_state,
        {_attr("l.attributes", semconv.A2A_ARTIFACT_ID)} AS artifact_id,
        {_attr("l.attributes", semconv.A2A_MESSAGE_ID)} AS message_id
    FROM logs l
    WHERE l.event_name IN ({", ".join(f"'{name}'" for name in sorted(semconv.LATE_EVENTS))})
        AND EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = l.trace_id AND s.span_id = l.span_id)"""
"""DuckDB: the late-event log records of stored spans, in the columns of ``span_events``."""

TASK_STATES_SQL = f"""SELECT conversation_id, task_id, task_state, end_ns AS at_ns
    FROM spans WHERE task_state IS NOT NULL
    UNION ALL
    SELECT s.conversation_id, e.task_id, e.task_state, e.time_ns AS at_ns
    FROM ({LATE_EVENTS_SQL}) e JOIN spans s USING (trace_id, span_id)
    WHERE e.name = '{semconv.EVENT_TASK_STATUS}' AND e.task_state IS NOT NULL"""
"""DuckDB: every task state the store has seen and when: those spans ended in, and those an
agent reached after its SERVER span ended. The latest one is the task's (or conversation's)."""
