"""The conversation source of a DuckDB store: a file, or a collector that writes one.

A finished store can be opened read-only in place (``hold``): copying a million spans into
memory first would cost a second before anything could be shown. A store that someone is
writing cannot be opened in place (DuckDB allows no reader beside a writer), so it is read
through a snapshot (:mod:`a2a_observe.store.snapshot`), and a collector's store through a copy
of the reader's own that each :meth:`DuckDBSource.refresh` brings up to date with the rows
stored since (:mod:`a2a_observe.store.live_copy`).

Every read gets its own cursor, so workers on different threads never share one DuckDB
connection at the same time.

The conversation list is read in two steps, so it stays fast on millions of spans: the
``conversations`` view aggregates every span before it can sort, so a lean aggregation over
``spans`` first picks the page's conversation ids (only the columns the filters and the sort
need), then the view is read for those ids only, which DuckDB answers from a handful of row
groups.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from a2a_observe import semconv
from a2a_observe.store.errors import StoreError
from a2a_observe.store.legacy import state_case, upgrade_values
from a2a_observe.store.live_copy import LiveCopy
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
from a2a_observe.store.schema import SCHEMA_VERSION, connect, current_version
from a2a_observe.store.snapshot import find_collector, open_snapshot, reader_token, unreachable
from a2a_observe.store.source import ConversationSource
from a2a_observe.store.writer import writer_for

if TYPE_CHECKING:
    import duckdb

R = TypeVar("R")

_SORT_SQL = {
    Sort.START: "min(start_ns)",
    Sort.DURATION: "max(end_ns) - min(start_ns)",
    Sort.ERRORS: "count(*) FILTER (WHERE status_code = 'ERROR')",
    Sort.TURNS: "count(DISTINCT trace_id)",
}
_TEXT_COLUMNS = (
    "conversation_id",
    "agent_name",
    "task_id",
    "trace_id",
    "name",
    "error_type",
    "status_message",
)


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


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values) or "NULL"


def _having(where: ConversationFilter) -> tuple[list[str], list[Any]]:
    """The filter as conditions on one conversation's group of spans."""
    having: list[str] = []
    params: list[Any] = []
    if where.agent:
        having.append("bool_or(agent_name = ?)")
        params.append(where.agent)
    if where.errors_only:
        having.append("count(*) FILTER (WHERE status_code = 'ERROR') > 0")
    if where.state:
        # The latest state of any of its tasks, those reached after a SERVER span ended included
        # (the ``task_states`` view). Stores opened read-only keep the spellings they were
        # written with.
        having.append(
            "conversation_id IN (SELECT conversation_id FROM task_states "
            "WHERE conversation_id IS NOT NULL GROUP BY conversation_id "
            f"HAVING arg_max({state_case('task_state')}, at_ns) = ?)"
        )
        params.append(where.state)
    if where.since_ns is not None:
        having.append("max(end_ns) >= ?")
        params.append(where.since_ns)
    if where.until_ns is not None:
        having.append("min(start_ns) <= ?")
        params.append(where.until_ns)
    for word in where.text.split():
        having.append("bool_or(" + " OR ".join(f"{c} ILIKE ?" for c in _TEXT_COLUMNS) + ")")
        params.extend([f"%{word}%"] * len(_TEXT_COLUMNS))
    return having, params


def list_conversations(
    con: duckdb.DuckDBPyConnection,
    where: ConversationFilter | None = None,
    *,
    sort: Sort = Sort.START,
    descending: bool = True,
    limit: int = 100,
    offset: int = 0,
) -> list[ConversationSummary]:
    having, params = _having(where or ConversationFilter())
    clause = f"HAVING {' AND '.join(having)}" if having else ""
    direction = "DESC" if descending else "ASC"
    ids = [
        row[0]
        for row in con.execute(
            f"SELECT conversation_id FROM spans WHERE conversation_id IS NOT NULL "
            f"GROUP BY conversation_id {clause} "
            f"ORDER BY {_SORT_SQL[sort]} {direction}, conversation_id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
    ]
    if not ids:
        return []
    found = _records(
        con.execute(f"SELECT * FROM conversations WHERE conversation_id IN ({_marks(ids)})", ids),
        ConversationSummary,
    )
    by_id = {summary.conversation_id: summary for summary in found}
    return [by_id[i] for i in ids if i in by_id]


def conversation(con: duckdb.DuckDBPyConnection, conversation_id: str) -> Conversation:
    traces = [
        row[0]
        for row in con.execute(
            "SELECT DISTINCT trace_id FROM spans WHERE conversation_id = ? ORDER BY trace_id",
            [conversation_id],
        ).fetchall()
    ]
    marks = _marks(traces)
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


def trace(con: duckdb.DuckDBPyConnection, trace_id: str) -> Conversation:
    spans = _records(
        con.execute(
            "SELECT * FROM spans WHERE trace_id = ? ORDER BY start_ns, end_ns DESC, span_id", [trace_id]
        ),
        SpanRecord,
    )
    events = _records(
        con.execute(
            "SELECT * FROM span_events WHERE trace_id = ? ORDER BY time_ns, span_id, seq", [trace_id]
        ),
        EventRecord,
    )
    return Conversation(f"trace:{trace_id}", [trace_id], spans, events, [], [])


def task_history(con: duckdb.DuckDBPyConnection, task_id: str) -> TaskHistory | None:
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


def first_calls(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, FirstCall]:
    if not ids:
        return {}
    rows = con.execute(
        "SELECT conversation_id, arg_min(name, start_ns), arg_min(agent_name, start_ns) "
        f"FROM spans WHERE conversation_id IN ({_marks(ids)}) AND kind IN ('CLIENT', 'SERVER') "
        "GROUP BY conversation_id",
        list(ids),
    ).fetchall()
    return {str(r[0]): FirstCall(str(r[1]), None if r[2] is None else str(r[2])) for r in rows}


def filter_choices(con: duckdb.DuckDBPyConnection) -> FilterChoices:
    agents = con.execute(
        "SELECT DISTINCT agent_name FROM spans WHERE agent_name IS NOT NULL ORDER BY 1"
    ).fetchall()
    states = con.execute(
        "SELECT DISTINCT task_state FROM spans WHERE task_state IS NOT NULL ORDER BY 1"
    ).fetchall()
    # Legacy spellings are mapped, so a state chosen here is one the list's filter can match.
    spelled = {semconv.task_state(r[0]) for r in states} - {None}
    return FilterChoices([str(r[0]) for r in agents], sorted(str(s) for s in spelled))


def conversation_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT conversation_id FROM spans WHERE conversation_id IS NOT NULL "
        "GROUP BY conversation_id ORDER BY min(start_ns), conversation_id"
    ).fetchall()
    return [str(r[0]) for r in rows]


def ids_starting_with(con: duckdb.DuckDBPyConnection, prefix: str, limit: int) -> list[str]:
    rows = con.execute(
        "SELECT DISTINCT conversation_id FROM spans WHERE starts_with(conversation_id, ?) "
        "ORDER BY conversation_id LIMIT ?",
        [prefix, limit],
    ).fetchall()
    return [str(r[0]) for r in rows]


def orphan_traces(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT trace_id FROM spans GROUP BY trace_id "
        "HAVING count(conversation_id) = 0 AND count(method) > 0 ORDER BY min(start_ns)"
    ).fetchall()
    return [str(r[0]) for r in rows]


def stats(con: duckdb.DuckDBPyConnection) -> StoreStats:
    row = con.execute(
        "SELECT count(*), count(DISTINCT conversation_id), count(DISTINCT trace_id), "
        "(SELECT count(*) FROM logs) FROM spans"
    ).fetchone()
    if row is None:
        return StoreStats(0, 0, 0, 0)
    return StoreStats(spans=int(row[0]), logs=int(row[3]), conversations=int(row[1]), traces=int(row[2]))


@dataclass(frozen=True)
class Revision:
    """What a snapshot holds, to tell whether a fresh one has anything new."""

    spans: int
    logs: int


def _revision(con: duckdb.DuckDBPyConnection) -> Revision:
    row = con.execute("SELECT (SELECT count(*) FROM spans), (SELECT count(*) FROM logs)").fetchone()
    return Revision(int(row[0]), int(row[1])) if row else Revision(0, 0)


class DuckDBSource(ConversationSource):
    """One DuckDB database: a file held read-only, or the current snapshot of a live store."""

    def __init__(
        self,
        label: str,
        open_connection: Callable[[], duckdb.DuckDBPyConnection],
        *,
        live: bool,
        collector: str | None = None,
        copy: LiveCopy | None = None,
    ) -> None:
        super().__init__(label, live=live, collector=collector)
        self._open = open_connection
        self._copy = copy
        """Kept current with only what is new, instead of a new snapshot on each refresh."""
        self._lock = threading.Lock()
        self._con = open_connection()
        self.revision = _revision(self._con) if copy is None else Revision(0, 0)

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor in a transaction of its own: a read of several statements sees one state
        even while a refresh appends to a live copy."""
        with self._lock:
            cursor = self._con.cursor()
        try:
            cursor.execute("BEGIN TRANSACTION")
            yield cursor
        finally:
            with contextlib.suppress(Exception):
                cursor.execute("ROLLBACK")
            cursor.close()

    def list_conversations(
        self,
        where: ConversationFilter | None = None,
        *,
        sort: Sort = Sort.START,
        descending: bool = True,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ConversationSummary]:
        with self._cursor() as con:
            return list_conversations(
                con, where, sort=sort, descending=descending, limit=limit, offset=offset
            )

    def conversation_ids(self) -> list[str]:
        with self._cursor() as con:
            return conversation_ids(con)

    def ids_starting_with(self, prefix: str, limit: int) -> list[str]:
        with self._cursor() as con:
            return ids_starting_with(con, prefix, limit)

    def first_calls(self, conversation_ids: Sequence[str]) -> dict[str, FirstCall]:
        with self._cursor() as con:
            return first_calls(con, conversation_ids)

    def filter_choices(self) -> FilterChoices:
        with self._cursor() as con:
            return filter_choices(con)

    def orphan_traces(self) -> list[str]:
        with self._cursor() as con:
            return orphan_traces(con)

    def conversation(self, conversation_id: str) -> Conversation:
        with self._cursor() as con:
            return conversation(con, conversation_id)

    def trace(self, trace_id: str) -> Conversation:
        with self._cursor() as con:
            return trace(con, trace_id)

    def task_history(self, task_id: str) -> TaskHistory | None:
        with self._cursor() as con:
            return task_history(con, task_id)

    def stats(self) -> StoreStats:
        with self._cursor() as con:
            return stats(con)

    def refresh(self) -> bool:
        if not self.live:
            return False
        if self._copy is not None:
            updated = self._copy.refresh()
            if updated is None:
                return False
            with self._lock:
                self._con = updated
            return True
        fresh = self._open()
        revision = _revision(fresh)
        if revision == self.revision:
            fresh.close()
            return False
        with self._lock:
            # The old snapshot is not closed: a worker may still be reading it through a cursor.
            self._con, self.revision = fresh, revision
        return True

    def close(self) -> None:
        """Best effort: a worker still reading keeps the database alive through its cursor."""
        with self._lock, contextlib.suppress(Exception):
            self._con.close()
        if self._copy is not None:
            self._copy.close()


def _in_place(path: Path) -> duckdb.DuckDBPyConnection | None:
    """The file itself, read-only, when no one holds it for writing."""
    if writer_for(path) is not None or find_collector(path) is not None:
        return None
    try:
        con = connect(path, read_only=True)
    except StoreError as exc:
        if "open for writing" in str(exc):
            return None
        raise
    try:
        version = current_version(con, str(path))
    except StoreError:
        con.close()
        raise
    if version != SCHEMA_VERSION:
        con.close()  # older files are migrated in a snapshot; newer ones are refused there
        return None
    return con


def store_path(location: str) -> Path:
    """The file a ``duckdb://`` or ``file://`` location (or a plain path) names."""
    for prefix in ("duckdb://", "file://"):
        if location.lower().startswith(prefix):
            return Path(location[len(prefix) :])
    return Path(location)


def open_duckdb(location: str, options: OpenOptions) -> DuckDBSource:
    """A store file: ``path``, ``duckdb:///abs/path`` or ``duckdb://relative/path``."""
    path = store_path(location)
    if not path.exists():
        raise StoreError(f"{path}: no such store file")
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store file")
    token = options.token if options.token is not None else reader_token()
    if options.hold:
        con = _in_place(path)
        if con is not None:
            opened = con

            def reuse() -> duckdb.DuckDBPyConnection:
                return opened

            return DuckDBSource(str(path), reuse, live=False)
    found = find_collector(path)
    if found is not None:
        try:
            return _following(str(path), found.url, token, options.timeout)
        except StoreError as exc:
            # Nothing listens at the announced address: read the file as below.
            if find_collector(path) is not None and not unreachable(exc):
                raise
    return DuckDBSource(
        str(path),
        lambda: open_snapshot(path, timeout=options.timeout, token=token),
        live=found is not None,
        collector=found.url if found is not None else None,
    )


def _following(label: str, url: str, token: str | None, timeout: float) -> DuckDBSource:
    copy = LiveCopy(url, token, timeout)
    return DuckDBSource(label, lambda: copy.connection, live=True, collector=url, copy=copy)


def open_collector(location: str, options: OpenOptions) -> DuckDBSource:
    """A running ``a2a-observe collect`` at ``http(s)://host:port``: a copy of its store, kept
    current with only the rows it stored since (:mod:`a2a_observe.store.live_copy`)."""
    token = options.token if options.token is not None else reader_token()
    return _following(location, location, token, options.timeout)
