"""The conversation source of a ClickHouse database that the Collector's exporter writes.

Reads go to ClickHouse as SQL (:mod:`a2a_observe.store.clickhouse.queries`) and come back as the
same records the DuckDB store gives: span kinds and status codes in our spelling, attribute
values with the conventions' types restored (:mod:`~a2a_observe.store.clickhouse.values`),
events and links unnested from the span's ``Events.*`` and ``Links.*`` arrays, and the A2A
fields (conversation, task, agent, ...) taken from the attributes. What the exporter's schema
does not keep (whether a parent or link is remote, dropped counts, a log's observed time) reads
as unknown or zero. A span stored twice (a sender's retry) is read once.

The embedded engine (``chdb:///folder``) cannot be opened by two processes at once, so a
``collect`` writing it must stop before a reader opens it; a ClickHouse server has no such limit,
and a source on one is ``live``: every read sees what the Collector has written since.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from a2a_observe import semconv
from a2a_observe.store.clickhouse.client import Client, connect
from a2a_observe.store.clickhouse.location import LOGS_TABLE, TRACES_TABLE, parse_location
from a2a_observe.store.clickhouse.queries import (
    AGENT,
    CONVERSATION,
    IS_CALL,
    LATE_EVENT_NAMES,
    LOG_CONVERSATION,
    LOGS,
    METHOD,
    SPANS,
    STATE,
    SUMMARY,
    TASK,
    conversation_page,
    summaries,
)
from a2a_observe.store.clickhouse.schema import check_tables, table
from a2a_observe.store.clickhouse.values import typed
from a2a_observe.store.late import late_events, with_late_events
from a2a_observe.store.legacy import upgrade_values
from a2a_observe.store.opening import OpenOptions
from a2a_observe.store.records import (
    Artifact,
    Conversation,
    ConversationFilter,
    ConversationSummary,
    EventRecord,
    FilterChoices,
    FirstCall,
    LinkRecord,
    LogRecord,
    MessageRecord,
    Sort,
    SpanRecord,
    StoreStats,
    TaskHistory,
    TaskSummary,
    TaskTransition,
)
from a2a_observe.store.rows import EVENT_PROMOTED, LOG_PROMOTED, SPAN_PROMOTED, json_text, promoted_values
from a2a_observe.store.source import ConversationSource

KINDS = {
    **{k: k.upper() for k in ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")},
    **{f"SPAN_KIND_{k}": k for k in ("UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER")},
}
STATUS = {"Unset": "UNSET", "Ok": "OK", "Error": "ERROR"} | {
    f"STATUS_CODE_{s}": s for s in ("UNSET", "OK", "ERROR")
}


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _map(value: Any) -> dict[str, str]:
    """A Map column as the driver gives it (a dict, or pairs) with string values."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    return {str(k): str(v) for k, v in value or ()}


def _resource_id(attributes: Mapping[str, Any]) -> str:
    return hashlib.blake2b(f"\n{json_text(dict(attributes))}".encode(), digest_size=8).hexdigest()


def _record(cls: Any, values: dict[str, Any]) -> Any:
    upgrade_values(values)
    return cls(**values)


def _spans(rows: list[tuple[Any, ...]]) -> tuple[list[SpanRecord], list[EventRecord], list[LinkRecord]]:
    spans: list[SpanRecord] = []
    events: list[EventRecord] = []
    links: list[LinkRecord] = []
    seen: set[tuple[str, str]] = set()
    for row in rows:
        (trace_id, span_id, parent, trace_state, name, kind, start, duration, status, message) = row[:10]
        (service, scope, scope_version, resource, attributes) = row[10:15]
        if (trace_id, span_id) in seen:
            continue
        seen.add((trace_id, span_id))
        start_ns = int(start)
        end_ns = start_ns + int(duration)
        attrs = typed(_map(attributes))
        spans.append(
            _record(
                SpanRecord,
                {
                    "trace_id": trace_id,
                    "span_id": span_id,
                    "parent_span_id": _text(parent),
                    "trace_state": _text(trace_state),
                    "parent_is_remote": None,
                    "name": name,
                    "kind": KINDS.get(kind, "UNSPECIFIED"),
                    "start_ns": start_ns,
                    "end_ns": end_ns,
                    "duration_ns": end_ns - start_ns if end_ns and start_ns else None,
                    "status_code": STATUS.get(status, "UNSET"),
                    "status_message": _text(message),
                    "resource_id": _resource_id(typed(_map(resource))),
                    "service_name": _text(service),
                    "scope_name": _text(scope),
                    "scope_version": _text(scope_version),
                    "attributes": attrs,
                    "dropped_attributes_count": 0,
                    "dropped_events_count": 0,
                    "dropped_links_count": 0,
                    **dict(
                        zip(
                            (
                                "conversation_id",
                                "task_id",
                                "agent_name",
                                "method",
                                "task_state",
                                "message_id",
                                "error_type",
                            ),
                            promoted_values(attrs.get(key) for key in SPAN_PROMOTED),
                            strict=True,
                        )
                    ),
                },
            )
        )
        for seq, (time_ns, event_name, event_attributes) in enumerate(
            zip(row[15], row[16], row[17], strict=True)
        ):
            event_attrs = typed(_map(event_attributes))
            task_id, task_state, artifact_id, message_id = promoted_values(
                event_attrs.get(k) for k in EVENT_PROMOTED
            )
            events.append(
                _record(
                    EventRecord,
                    {
                        "trace_id": trace_id,
                        "span_id": span_id,
                        "seq": seq,
                        "time_ns": int(time_ns),
                        "name": event_name,
                        "attributes": event_attrs,
                        "dropped_attributes_count": 0,
                        "task_id": task_id,
                        "task_state": task_state,
                        "artifact_id": artifact_id,
                        "message_id": message_id,
                    },
                )
            )
        for seq, (linked_trace, linked_span, state, link_attributes) in enumerate(
            zip(row[18], row[19], row[20], row[21], strict=True)
        ):
            links.append(
                LinkRecord(
                    trace_id,
                    span_id,
                    seq,
                    _text(linked_trace),
                    _text(linked_span),
                    _text(state),
                    None,
                    typed(_map(link_attributes)),
                    0,
                )
            )
    spans.sort(key=lambda s: (s.start_ns, -s.end_ns, s.span_id))
    events.sort(key=lambda e: (e.time_ns, e.span_id, e.seq))
    links.sort(key=lambda k: (k.span_id, k.seq))
    return spans, events, links


def _logs(rows: list[tuple[Any, ...]]) -> list[LogRecord]:
    out: list[LogRecord] = []
    for row in rows:
        (time_ns, trace_id, span_id, flags, severity_text, severity, service, body) = row[:8]
        (_schema_url, resource, scope, scope_version, attributes, event_name) = row[8:14]
        attrs = typed(_map(attributes))
        conversation_id, task_id = promoted_values(attrs.get(key) for key in LOG_PROMOTED)
        out.append(
            _record(
                LogRecord,
                {
                    "time_ns": int(time_ns) or None,
                    "observed_ns": None,
                    "severity_number": int(severity) or None,
                    "severity_text": _text(severity_text),
                    "body": _text(body),
                    "attributes": attrs,
                    "trace_id": _text(trace_id),
                    "span_id": _text(span_id),
                    "flags": int(flags),
                    "event_name": _text(event_name),
                    "resource_id": _resource_id(typed(_map(resource))),
                    "service_name": _text(service),
                    "scope_name": _text(scope),
                    "scope_version": _text(scope_version),
                    "dropped_attributes_count": 0,
                    "conversation_id": conversation_id,
                    "task_id": task_id,
                },
            )
        )
    out.sort(key=lambda log: log.time_ns or 0)
    return out


def _summary(row: tuple[Any, ...]) -> ConversationSummary:
    start_ns, end_ns = int(row[1]), int(row[2])
    summary: ConversationSummary = _record(
        ConversationSummary,
        {
            "conversation_id": row[0],
            "start_ns": start_ns,
            "end_ns": end_ns,
            "duration_ns": end_ns - start_ns,
            "spans": int(row[3]),
            "traces": int(row[4]),
            "tasks": int(row[5]),
            "agents": list(row[6]),
            "services": list(row[7]),
            "errors": int(row[8]),
            "last_task_state": _text(row[9]),
        },
    )
    return summary


class ClickHouseSource(ConversationSource):
    """The exporter's tables in one ClickHouse database (a server, or chdb's folder)."""

    def __init__(self, client: Client) -> None:
        location = client.location
        super().__init__(str(location), live=not location.embedded)
        self._client = client
        present = check_tables(client)
        self._traces = table(client, TRACES_TABLE)
        self._logs = table(client, LOGS_TABLE) if LOGS_TABLE in present else None

    def _query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self._client.query(sql, params)

    # -- finding conversations -------------------------------------------------------------------
    def list_conversations(
        self,
        where: ConversationFilter | None = None,
        *,
        sort: Sort = Sort.START,
        descending: bool = True,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ConversationSummary]:
        sql, params = conversation_page(
            self._traces, where or ConversationFilter(), sort, descending, self._logs
        )
        ids = [str(row[0]) for row in self._query(sql, {**params, "limit": limit, "offset": offset})]
        if not ids:
            return []
        found = {
            str(row[0]): _summary(row)
            for row in self._query(summaries(self._traces, self._logs), {"ids": ids})
        }
        return [found[i] for i in ids if i in found]

    def conversation_ids(self) -> list[str]:
        rows = self._query(
            f"SELECT {CONVERSATION} AS c FROM {self._traces} WHERE c != '' "
            "GROUP BY c ORDER BY min(Timestamp), c"
        )
        return [str(r[0]) for r in rows]

    def ids_starting_with(self, prefix: str, limit: int) -> list[str]:
        rows = self._query(
            f"SELECT DISTINCT {CONVERSATION} AS c FROM {self._traces} "
            "WHERE c != '' AND startsWith(c, {prefix:String}) ORDER BY c LIMIT {limit:UInt64}",
            {"prefix": prefix, "limit": limit},
        )
        return [str(r[0]) for r in rows]

    def first_calls(self, conversation_ids: Sequence[str]) -> dict[str, FirstCall]:
        if not conversation_ids:
            return {}
        rows = self._query(
            f"SELECT {CONVERSATION} AS c, argMin(SpanName, Timestamp), argMin({AGENT}, Timestamp) "
            f"FROM {self._traces} WHERE c IN {{ids:Array(String)}} AND {IS_CALL} GROUP BY c",
            {"ids": list(conversation_ids)},
        )
        return {str(r[0]): FirstCall(str(r[1]), _text(r[2])) for r in rows}

    def filter_choices(self) -> FilterChoices:
        agents = self._query(f"SELECT DISTINCT {AGENT} AS a FROM {self._traces} WHERE a != '' ORDER BY a")
        states = self._query(f"SELECT DISTINCT {STATE} AS s FROM {self._traces} WHERE s != ''")
        spelled = {semconv.task_state(r[0]) for r in states} - {None}
        return FilterChoices([str(r[0]) for r in agents], sorted(str(s) for s in spelled))

    def orphan_traces(self) -> list[str]:
        rows = self._query(
            f"SELECT TraceId FROM {self._traces} GROUP BY TraceId "
            f"HAVING countIf({CONVERSATION} != '') = 0 AND countIf({METHOD} != '') > 0 "
            "ORDER BY min(Timestamp)"
        )
        return [str(r[0]) for r in rows]

    # -- reading one -----------------------------------------------------------------------------
    def _trace_ids(self, conversation_id: str) -> list[str]:
        rows = self._query(
            f"SELECT DISTINCT TraceId FROM {self._traces} "
            f"WHERE {CONVERSATION} = {{c:String}} ORDER BY TraceId",
            {"c": conversation_id},
        )
        return [str(r[0]) for r in rows]

    def _span_rows(self, condition: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return self._query(f"SELECT {SPANS} FROM {self._traces} WHERE {condition}", params)

    def conversation(self, conversation_id: str) -> Conversation:
        traces = self._trace_ids(conversation_id)
        spans, events, links = _spans(
            self._span_rows("TraceId IN {t:Array(String)}", {"t": traces}) if traces else []
        )
        logs = self._log_rows(
            f"TraceId IN {{t:Array(String)}} OR {LOG_CONVERSATION} = {{c:String}}",
            {"t": traces, "c": conversation_id},
        )
        return Conversation(conversation_id, traces, spans, events, links, logs)

    def _log_rows(self, condition: str, params: Mapping[str, Any]) -> list[LogRecord]:
        """The log records that match, or none where the database has no logs table."""
        if self._logs is None:
            return []
        return _logs(self._query(f"SELECT {LOGS} FROM {self._logs} WHERE {condition}", params))

    def trace(self, trace_id: str) -> Conversation:
        spans, events, _ = _spans(self._span_rows("TraceId = {t:String}", {"t": trace_id}))
        return Conversation(f"trace:{trace_id}", [trace_id], spans, events, [], [])

    def task_history(self, task_id: str) -> TaskHistory | None:
        spans, events, _ = _spans(self._span_rows(f"{TASK} = {{t:String}}", {"t": task_id}))
        if not spans:
            return None
        logs = self._log_rows(
            f"TraceId IN {{t:Array(String)}} AND EventName IN ({LATE_EVENT_NAMES})",
            {"t": sorted({s.trace_id for s in spans})},
        )
        late = late_events(logs, {(s.trace_id, s.span_id) for s in spans})
        return _task_history(task_id, spans, events, late)

    def stats(self) -> StoreStats:
        [row] = self._query(
            f"SELECT count(), uniqExactIf({CONVERSATION}, {CONVERSATION} != ''), uniqExact(TraceId) "
            f"FROM {self._traces}"
        )
        logs = self._query(f"SELECT count() FROM {self._logs}")[0][0] if self._logs is not None else 0
        return StoreStats(spans=int(row[0]), logs=int(logs), conversations=int(row[1]), traces=int(row[2]))

    def refresh(self) -> bool:
        """A server is read afresh on every query; say whether it gained anything."""
        if not self.live:
            return False
        stats = self.stats()
        before = getattr(self, "_seen", None)
        self._seen = (stats.spans, stats.logs)
        return before is not None and before != self._seen

    def close(self) -> None:
        self._client.close()


def _task_history(
    task_id: str, spans: list[SpanRecord], events: list[EventRecord], late: list[EventRecord]
) -> TaskHistory:
    """The store's ``tasks``, ``task_transitions``, ``artifacts`` and ``messages`` views, for the
    spans that worked on one task (few enough to derive in Python once ClickHouse found them),
    with what agents did after their SERVER span ended (``late``) read as that span's events."""
    own = [s for s in spans if s.task_id == task_id]
    by_span = {(s.trace_id, s.span_id): s for s in own}
    served = [s for s in own if s.kind != "CLIENT" and s.agent_name is not None]
    states = [(s.end_ns, s.task_state) for s in own if s.task_state is not None]
    states += [
        (e.time_ns, e.task_state)
        for e in late
        if e.name == semconv.EVENT_TASK_STATUS and e.task_state and (e.trace_id, e.span_id) in by_span
    ]
    summary = TaskSummary(
        task_id=task_id,
        conversation_id=next((s.conversation_id for s in own if s.conversation_id), None),
        agent_name=min(served, key=lambda s: s.start_ns).agent_name if served else None,
        start_ns=min(s.start_ns for s in own),
        end_ns=max(s.end_ns for s in own),
        state=max(states, key=lambda state: state[0])[1] if states else None,
        spans=len(own),
        traces=len({s.trace_id for s in own}),
        errors=sum(1 for s in own if s.status_code == "ERROR"),
    )
    own_events = sorted(
        (e for e in with_late_events(events, late) if (e.trace_id, e.span_id) in by_span),
        key=lambda e: (e.time_ns, e.seq),
    )
    transitions: list[TaskTransition] = []
    previous: str | None = None
    for event in own_events:
        if event.name != semconv.EVENT_TASK_STATUS or event.task_state is None:
            continue
        span = by_span[(event.trace_id, event.span_id)]
        transitions.append(
            TaskTransition(
                task_id,
                span.conversation_id,
                span.agent_name,
                event.time_ns,
                previous,
                event.task_state,
                event.attributes.get(semconv.A2A_TASK_FINAL) is True,
                event.message_id,
                event.trace_id,
                event.span_id,
                event.seq,
            )
        )
        previous = event.task_state
    return TaskHistory(
        summary,
        transitions,
        _artifacts(task_id, own_events, by_span),
        _messages(own, own_events, by_span),
        own,
    )


def _artifacts(
    task_id: str, events: list[EventRecord], by_span: Mapping[tuple[str, str], SpanRecord]
) -> list[Artifact]:
    chunks: dict[str | None, list[EventRecord]] = defaultdict(list)
    for event in events:
        if event.name == semconv.EVENT_ARTIFACT:
            chunks[event.artifact_id].append(event)
    out = []
    for artifact_id, found in chunks.items():
        span = by_span[(found[0].trace_id, found[0].span_id)]
        content = [
            str(e.attributes[semconv.A2A_CONTENT]) for e in found if semconv.A2A_CONTENT in e.attributes
        ]
        out.append(
            Artifact(
                task_id,
                span.conversation_id,
                span.agent_name,
                artifact_id,
                next(
                    (
                        str(e.attributes[semconv.A2A_ARTIFACT_NAME])
                        for e in found
                        if semconv.A2A_ARTIFACT_NAME in e.attributes
                    ),
                    None,
                ),
                len(found),
                min(e.time_ns for e in found),
                max(e.time_ns for e in found),
                any(e.attributes.get(semconv.A2A_ARTIFACT_LAST_CHUNK) is True for e in found),
                "".join(content) if content else None,
            )
        )
    return sorted(out, key=lambda a: a.first_ns)


def _messages(
    spans: list[SpanRecord], events: list[EventRecord], by_span: Mapping[tuple[str, str], SpanRecord]
) -> list[MessageRecord]:
    seen: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        if span.message_id is not None:
            seen[span.message_id].append(
                {
                    "conversation_id": span.conversation_id,
                    "task_id": span.task_id,
                    "role": span.attributes.get(semconv.A2A_MESSAGE_ROLE),
                    "time_ns": span.start_ns,
                    "parts": span.attributes.get(semconv.A2A_MESSAGE_PARTS_COUNT),
                    "size": span.attributes.get(semconv.A2A_MESSAGE_SIZE),
                    "content": None,
                    "trace_id": span.trace_id,
                }
            )
    for event in events:
        if event.message_id is not None:
            span = by_span[(event.trace_id, event.span_id)]
            seen[event.message_id].append(
                {
                    "conversation_id": span.conversation_id,
                    "task_id": event.task_id or span.task_id,
                    "role": event.attributes.get(semconv.A2A_MESSAGE_ROLE),
                    "time_ns": event.time_ns,
                    "parts": event.attributes.get(semconv.A2A_MESSAGE_PARTS_COUNT),
                    "size": None,
                    "content": event.attributes.get(semconv.A2A_CONTENT),
                    "trace_id": event.trace_id,
                }
            )

    def first(rows: list[dict[str, Any]], key: str) -> Any:
        return next((row[key] for row in rows if row[key] is not None), None)

    def largest(rows: list[dict[str, Any]], key: str) -> Any:
        values = [row[key] for row in rows if isinstance(row[key], int)]
        return max(values) if values else None

    out = [
        MessageRecord(
            message_id,
            first(rows, "conversation_id"),
            first(rows, "task_id"),
            first(rows, "role"),
            min(row["time_ns"] for row in rows),
            largest(rows, "parts"),
            largest(rows, "size"),
            first(rows, "content"),
            len(rows),
            min(rows, key=lambda row: row["time_ns"])["trace_id"],
        )
        for message_id, rows in seen.items()
    ]
    return sorted(out, key=lambda m: m.time_ns)


def open_clickhouse(location: str, options: OpenOptions) -> ClickHouseSource:
    """``chdb:///folder`` or ``clickhouse://user:password@host:8123/database``."""
    client = connect(parse_location(location))
    try:
        return ClickHouseSource(client)
    except Exception:
        client.close()
        raise


__all__ = ["SUMMARY", "ClickHouseSource", "open_clickhouse"]
