"""The store's schema, its version and the migrations that bring an older file up to date.

Every change to the schema is a new entry at the end of :data:`MIGRATIONS`, never an edit of an
old one: a file records the last version applied and is brought forward one step at a time, so
stores written by any earlier release open in this one. The A2A views are part of the schema;
they derive conversations, tasks, messages, artifacts, transitions and agents from the raw
spans, so they are always in step with them and need no refresh.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from a2a_observe import semconv
from a2a_observe.store.errors import StoreError
from a2a_observe.store.late import LATE_EVENTS_SQL, TASK_STATES_SQL
from a2a_observe.store.legacy import state_case

if TYPE_CHECKING:
    import duckdb


def _attr(column: str, name: str) -> str:
    """SQL for one attribute out of a JSON attributes column (names contain dots, so quoted)."""
    return f"{column} ->> '$.\"{name}\"'"


_TABLES = (
    """CREATE TABLE schema_version (
        version INTEGER NOT NULL,
        applied_ns BIGINT NOT NULL,
        description VARCHAR NOT NULL
    )""",
    """CREATE TABLE resources (
        resource_id VARCHAR PRIMARY KEY,
        service_name VARCHAR,
        attributes JSON NOT NULL,
        schema_url VARCHAR
    )""",
    """CREATE TABLE spans (
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        parent_span_id VARCHAR,
        trace_state VARCHAR,
        parent_is_remote BOOLEAN,
        name VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        start_ns BIGINT NOT NULL,
        end_ns BIGINT NOT NULL,
        duration_ns BIGINT,
        status_code VARCHAR NOT NULL,
        status_message VARCHAR,
        resource_id VARCHAR NOT NULL,
        service_name VARCHAR,
        scope_name VARCHAR,
        scope_version VARCHAR,
        attributes JSON NOT NULL,
        dropped_attributes_count INTEGER NOT NULL,
        dropped_events_count INTEGER NOT NULL,
        dropped_links_count INTEGER NOT NULL,
        conversation_id VARCHAR,
        task_id VARCHAR,
        agent_name VARCHAR,
        method VARCHAR,
        task_state VARCHAR,
        message_id VARCHAR,
        error_type VARCHAR
    )""",
    """CREATE TABLE span_events (
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        seq INTEGER NOT NULL,
        time_ns BIGINT NOT NULL,
        name VARCHAR NOT NULL,
        attributes JSON NOT NULL,
        dropped_attributes_count INTEGER NOT NULL,
        task_id VARCHAR,
        task_state VARCHAR,
        artifact_id VARCHAR,
        message_id VARCHAR
    )""",
    """CREATE TABLE span_links (
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        seq INTEGER NOT NULL,
        linked_trace_id VARCHAR,
        linked_span_id VARCHAR,
        trace_state VARCHAR,
        is_remote BOOLEAN,
        attributes JSON NOT NULL,
        dropped_attributes_count INTEGER NOT NULL
    )""",
    """CREATE TABLE logs (
        time_ns BIGINT,
        observed_ns BIGINT,
        severity_number INTEGER,
        severity_text VARCHAR,
        body VARCHAR,
        attributes JSON NOT NULL,
        trace_id VARCHAR,
        span_id VARCHAR,
        flags INTEGER NOT NULL,
        event_name VARCHAR,
        resource_id VARCHAR NOT NULL,
        service_name VARCHAR,
        scope_name VARCHAR,
        scope_version VARCHAR,
        dropped_attributes_count INTEGER NOT NULL,
        conversation_id VARCHAR,
        task_id VARCHAR
    )""",
    """CREATE TABLE batches (
        batch_id BIGINT NOT NULL,
        received_ns BIGINT NOT NULL,
        source VARCHAR NOT NULL,
        spans INTEGER NOT NULL,
        logs INTEGER NOT NULL,
        rejected INTEGER NOT NULL
    )""",
)

_ROLE = _attr("attributes", semconv.A2A_MESSAGE_ROLE)
_E_ROLE = _attr("e.attributes", semconv.A2A_MESSAGE_ROLE)

_CONVERSATION_COLUMNS = """conversation_id,
        min(start_ns) AS start_ns,
        max(end_ns) AS end_ns,
        max(end_ns) - min(start_ns) AS duration_ns,
        count(*) AS spans,
        count(DISTINCT trace_id) AS traces,
        count(DISTINCT task_id) AS tasks,
        list_sort(list(DISTINCT agent_name) FILTER (WHERE agent_name IS NOT NULL)) AS agents,
        list_sort(list(DISTINCT service_name) FILTER (WHERE service_name IS NOT NULL)) AS services,
        count(*) FILTER (WHERE status_code = 'ERROR') AS errors"""
_TASK_COLUMNS = (
    """task_id,
        any_value(conversation_id) FILTER (WHERE conversation_id IS NOT NULL) AS conversation_id,
        arg_min(agent_name, start_ns) FILTER (WHERE kind <> 'CLIENT' AND agent_name IS NOT NULL)
            AS agent_name,
        min(start_ns) AS start_ns,
        max(end_ns) AS end_ns""",
    """count(*) AS spans,
        count(DISTINCT trace_id) AS traces,
        count(*) FILTER (WHERE status_code = 'ERROR') AS errors""",
)
_LAST_STATE = "arg_max(task_state, end_ns) FILTER (WHERE task_state IS NOT NULL)"


def _task_transitions(events: str) -> str:
    return f"""CREATE VIEW task_transitions AS
    SELECT
        s.task_id,
        s.conversation_id,
        s.agent_name,
        e.time_ns,
        lag(e.task_state) OVER (PARTITION BY s.task_id ORDER BY e.time_ns, e.seq) AS from_state,
        e.task_state AS state,
        coalesce(TRY_CAST({_attr("e.attributes", semconv.A2A_TASK_FINAL)} AS BOOLEAN), false) AS final,
        e.message_id,
        e.trace_id,
        e.span_id,
        e.seq
    FROM {events} e JOIN spans s USING (trace_id, span_id)
    WHERE e.name = '{semconv.EVENT_TASK_STATUS}' AND e.task_state IS NOT NULL"""


def _messages(events: str) -> str:
    return f"""CREATE VIEW messages AS
    WITH seen AS (
        SELECT message_id, conversation_id, task_id, agent_name, start_ns AS time_ns, {_ROLE} AS role,
            TRY_CAST({_attr("attributes", semconv.A2A_MESSAGE_PARTS_COUNT)} AS INTEGER) AS parts,
            TRY_CAST({_attr("attributes", semconv.A2A_MESSAGE_SIZE)} AS BIGINT) AS size,
            NULL::VARCHAR AS content, trace_id, span_id
        FROM spans WHERE message_id IS NOT NULL
        UNION ALL
        SELECT e.message_id, s.conversation_id, coalesce(e.task_id, s.task_id), s.agent_name, e.time_ns,
            {_E_ROLE},
            TRY_CAST({_attr("e.attributes", semconv.A2A_MESSAGE_PARTS_COUNT)} AS INTEGER),
            NULL::BIGINT,
            {_attr("e.attributes", semconv.A2A_CONTENT)},
            e.trace_id, e.span_id
        FROM {events} e JOIN spans s USING (trace_id, span_id)
        WHERE e.message_id IS NOT NULL
    )
    SELECT
        message_id,
        any_value(conversation_id) FILTER (WHERE conversation_id IS NOT NULL) AS conversation_id,
        any_value(task_id) FILTER (WHERE task_id IS NOT NULL) AS task_id,
        any_value(role) FILTER (WHERE role IS NOT NULL) AS role,
        min(time_ns) AS time_ns,
        max(parts) AS parts,
        max(size) AS size,
        any_value(content) FILTER (WHERE content IS NOT NULL) AS content,
        count(*) AS sightings,
        arg_min(trace_id, time_ns) AS trace_id
    FROM seen
    GROUP BY message_id"""


def _artifacts(events: str) -> str:
    return f"""CREATE VIEW artifacts AS
    SELECT
        s.task_id,
        any_value(s.conversation_id) AS conversation_id,
        any_value(s.agent_name) AS agent_name,
        e.artifact_id,
        any_value({_attr("e.attributes", semconv.A2A_ARTIFACT_NAME)}) AS name,
        count(*) AS chunks,
        min(e.time_ns) AS first_ns,
        max(e.time_ns) AS last_ns,
        coalesce(
            bool_or(TRY_CAST({_attr("e.attributes", semconv.A2A_ARTIFACT_LAST_CHUNK)} AS BOOLEAN)), false
        ) AS last_chunk_seen,
        string_agg({_attr("e.attributes", semconv.A2A_CONTENT)}, '' ORDER BY e.time_ns, e.seq) AS content
    FROM {events} e JOIN spans s USING (trace_id, span_id)
    WHERE e.name = '{semconv.EVENT_ARTIFACT}'
    GROUP BY s.task_id, e.artifact_id"""


_VIEWS = (
    f"""CREATE VIEW conversations AS
    SELECT
        {_CONVERSATION_COLUMNS},
        {_LAST_STATE} AS last_task_state
    FROM spans
    WHERE conversation_id IS NOT NULL
    GROUP BY conversation_id""",
    f"""CREATE VIEW tasks AS
    SELECT
        {_TASK_COLUMNS[0]},
        {_LAST_STATE} AS state,
        {_TASK_COLUMNS[1]}
    FROM spans
    WHERE task_id IS NOT NULL
    GROUP BY task_id""",
    _task_transitions("span_events"),
    _messages("span_events"),
    _artifacts("span_events"),
    f"""CREATE VIEW agents AS
    SELECT
        agent_name,
        max({_attr("attributes", semconv.GEN_AI_AGENT_VERSION)}) AS agent_version,
        list_sort(list(DISTINCT service_name) FILTER (WHERE kind <> 'CLIENT' AND service_name IS NOT NULL))
            AS services,
        min(start_ns) AS first_seen_ns,
        max(end_ns) AS last_seen_ns,
        count(DISTINCT conversation_id) AS conversations,
        count(DISTINCT task_id) FILTER (WHERE kind <> 'CLIENT') AS tasks,
        count(*) FILTER (WHERE kind = 'SERVER') AS requests_served,
        count(*) FILTER (WHERE status_code = 'ERROR') AS errors
    FROM spans
    WHERE agent_name IS NOT NULL
    GROUP BY agent_name""",
)

_ALL_EVENTS = "(SELECT * FROM span_events UNION ALL BY NAME SELECT * FROM late_span_events)"
_LATE_VIEWS = (
    f"CREATE VIEW late_span_events AS {LATE_EVENTS_SQL}",
    f"CREATE VIEW task_states AS {TASK_STATES_SQL}",
    f"""CREATE VIEW conversations AS
    WITH own AS (
        SELECT {_CONVERSATION_COLUMNS}
        FROM spans
        WHERE conversation_id IS NOT NULL
        GROUP BY conversation_id
    ), latest AS (
        SELECT conversation_id, arg_max(task_state, at_ns) AS last_task_state
        FROM task_states WHERE conversation_id IS NOT NULL GROUP BY conversation_id
    )
    SELECT own.*, latest.last_task_state FROM own LEFT JOIN latest USING (conversation_id)""",
    f"""CREATE VIEW tasks AS
    WITH own AS (
        SELECT {_TASK_COLUMNS[0]}, {_TASK_COLUMNS[1]}
        FROM spans
        WHERE task_id IS NOT NULL
        GROUP BY task_id
    ), latest AS (
        SELECT task_id, arg_max(task_state, at_ns) AS state
        FROM task_states WHERE task_id IS NOT NULL GROUP BY task_id
    )
    SELECT own.task_id, own.conversation_id, own.agent_name, own.start_ns, own.end_ns, latest.state,
        own.spans, own.traces, own.errors
    FROM own LEFT JOIN latest USING (task_id)""",
    _task_transitions(_ALL_EVENTS),
    _messages(_ALL_EVENTS),
    _artifacts(_ALL_EVENTS),
)
"""The views again, reading what agents did after their SERVER span ended (see
:mod:`a2a_observe.store.late`) where they read the span's own events and states."""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: Sequence[str]


_METRIC_POINTS = """CREATE TABLE metric_points (
        time_ns BIGINT,
        start_ns BIGINT,
        name VARCHAR NOT NULL,
        description VARCHAR,
        unit VARCHAR,
        kind VARCHAR NOT NULL,
        temporality VARCHAR,
        monotonic BOOLEAN,
        value DOUBLE,
        count BIGINT,
        sum DOUBLE,
        min DOUBLE,
        max DOUBLE,
        buckets JSON,
        attributes JSON NOT NULL,
        exemplars JSON,
        flags INTEGER NOT NULL,
        resource_id VARCHAR NOT NULL,
        service_name VARCHAR,
        scope_name VARCHAR,
        scope_version VARCHAR
    )"""

_VIEW_NAMES = ("conversations", "tasks", "task_transitions", "messages", "artifacts", "agents")
_LATE_VIEW_NAMES = (
    "late_span_events",
    "task_states",
    "conversations",
    "tasks",
    "task_transitions",
    "messages",
    "artifacts",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "spans, events, links, logs, resources and the A2A views", (*_TABLES, *_VIEWS)),
    Migration(
        2,
        "task states as the A2A conventions spell them; views that need no agent span",
        (
            f"UPDATE spans SET task_state = {state_case('task_state')} WHERE task_state IS NOT NULL",
            f"UPDATE span_events SET task_state = {state_case('task_state')} WHERE task_state IS NOT NULL",
            *(f"DROP VIEW IF EXISTS {name}" for name in _VIEW_NAMES),
            *_VIEWS,
        ),
    ),
    Migration(3, "metric points received over OTLP", (_METRIC_POINTS,)),
    Migration(
        4,
        "views that read what agents did after their SERVER span ended",
        (
            *(f"DROP VIEW IF EXISTS {name}" for name in _LATE_VIEW_NAMES),
            *_LATE_VIEWS,
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version

TABLES = ("resources", "spans", "span_events", "span_links", "logs", "batches", "metric_points")
VIEWS = (*_VIEW_NAMES, *_LATE_VIEW_NAMES[:2])


def current_version(con: duckdb.DuckDBPyConnection, where: str) -> int:
    """The version a file is at: 0 for an empty database; an error for someone else's."""
    names = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "schema_version" not in names:
        if names:
            raise StoreError(
                f"{where} is a DuckDB database but not an a2a-observe store "
                f"(it has tables {sorted(names)[:5]} and no schema_version)"
            )
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection, where: str) -> int:
    """Bring the store up to :data:`SCHEMA_VERSION`; each step is one transaction."""
    version = current_version(con, where)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{where} has schema version {version}, written by a newer a2a-observe; "
            f"this one reads up to version {SCHEMA_VERSION}"
        )
    for migration in MIGRATIONS:
        if migration.version <= version:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in migration.statements:
                con.execute(statement)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [migration.version, time.time_ns(), migration.description],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        version = migration.version
    return version


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a store file, turning DuckDB's errors into ones that name the file and the cause."""
    import duckdb  # noqa: PLC0415 - duckdb is an optional extra, loaded only when a store is used

    where = str(path)
    try:
        return duckdb.connect(where, read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise StoreError(f"{where} is open for writing in another process: {text}") from exc
        raise StoreError(f"{where} cannot be opened as a store: {text}") from exc
    except duckdb.Error as exc:
        raise StoreError(f"{where} cannot be opened as a store: {exc}") from exc


def open_store(path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a store for writing, migrated to the current schema."""
    import duckdb  # noqa: PLC0415

    target = Path(path)
    if target.parent and not target.parent.exists():
        raise StoreError(f"{target}: folder {target.parent} does not exist")
    created = not target.exists()
    con = connect(target)
    if created:
        # What agents sent may be in it: readable by its owner only, whatever the umask.
        with contextlib.suppress(OSError):
            os.chmod(target, 0o600)
    try:
        migrate(con, str(target))
    except duckdb.Error as exc:
        con.close()
        raise StoreError(f"{target} cannot be brought to schema version {SCHEMA_VERSION}: {exc}") from exc
    except StoreError:
        con.close()
        raise
    return con
