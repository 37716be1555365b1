"""The conversation list's query: filters typed after ``/``, sorting, and paging that stays
fast on a store of millions of spans.

The store's ``conversations`` view aggregates every span before it can sort, which takes a
second on a million spans. So the list is read in two steps: a lean aggregation picks the
page's conversation ids (only the columns the filters and the sort need), then the view is
read for those ids only, which DuckDB answers from a handful of row groups.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from a2a_observe import semconv
from a2a_observe.store.legacy import state_case
from a2a_observe.store.queries import ConversationSummary, _records

if TYPE_CHECKING:
    import duckdb

PAGE_SIZE = 200


class Sort(Enum):
    START = ("start", "min(start_ns)")
    DURATION = ("duration", "max(end_ns) - min(start_ns)")
    ERRORS = ("errors", "count(*) FILTER (WHERE status_code = 'ERROR')")
    TURNS = ("turns", "count(DISTINCT trace_id)")

    def __init__(self, label: str, sql: str) -> None:
        self.label = label
        self.sql = sql

    def next(self) -> Sort:
        members = list(Sort)
        return members[(members.index(self) + 1) % len(members)]


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_AGO = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")


def parse_time(text: str, now_ns: int) -> int:
    """``15m``, ``2h``, ``3d`` (ago), an ISO date or date-time (UTC unless it says), or ns."""
    match = _AGO.match(text)
    if match:
        return now_ns - int(float(match.group(1)) * _UNITS[match.group(2)] * 1_000_000_000)
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a time: use 15m, 2h, 3d, 2025-01-31 or 2025-01-31T10:00") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000_000)


TASK_STATES = semconv.TASK_STATES


state_label = semconv.state_label


def parse_state(text: str) -> str:
    """The stored value of a state typed as ``failed``, ``FAILED`` or ``TASK_STATE_FAILED``."""
    wanted = state_label(text)
    for state in TASK_STATES:
        if state_label(state) == wanted:
            return state
    choices = ", ".join(state_label(s) for s in TASK_STATES)
    raise ValueError(f"{text!r} is not a task state; states are {choices}")


@dataclass(frozen=True)
class Filter:
    agent: str | None = None
    state: str | None = None
    errors_only: bool = False
    since_ns: int | None = None
    until_ns: int | None = None
    text: str = ""
    since_text: str | None = None
    """``since`` as it was typed (``1h``), to show it back as such."""
    until_text: str | None = None

    @property
    def active(self) -> bool:
        return self != Filter()

    def describe(self) -> str:
        parts = []
        if self.agent:
            parts.append(f"agent:{self.agent}")
        if self.state:
            parts.append(f"state:{state_label(self.state)}")
        if self.errors_only:
            parts.append("error")
        if self.since_ns is not None:
            parts.append(f"since:{self.since_text or self.since_ns}")
        if self.until_ns is not None:
            parts.append(f"until:{self.until_text or self.until_ns}")
        if self.text:
            parts.append(repr(self.text))
        return " ".join(parts) or "all"

    def with_errors(self, errors_only: bool) -> Filter:
        return replace(self, errors_only=errors_only)


def parse_filter(query: str, now_ns: int) -> Filter:
    """``agent:writer state:failed error since:1h until:2025-01-31 words to find``."""
    try:
        tokens = shlex.split(query)
    except ValueError:
        tokens = query.split()
    values: dict[str, Any] = {}
    words: list[str] = []
    for token in tokens:
        key, sep, value = token.partition(":")
        key = key.lower()
        if sep and key == "agent" and value:
            values["agent"] = value
        elif sep and key == "state" and value:
            values["state"] = parse_state(value)
        elif sep and key in ("since", "until") and value:
            values[f"{key}_ns"] = parse_time(value, now_ns)
            values[f"{key}_text"] = value
        elif token.lower() in ("error", "errors", "is:error", "has:error"):
            values["errors_only"] = True
        else:
            words.append(token)
    return Filter(text=" ".join(words), **values)


def _having(flt: Filter) -> tuple[list[str], list[Any]]:
    having: list[str] = []
    params: list[Any] = []
    if flt.agent:
        having.append("bool_or(agent_name = ?)")
        params.append(flt.agent)
    if flt.errors_only:
        having.append("count(*) FILTER (WHERE status_code = 'ERROR') > 0")
    if flt.state:
        # Stores opened read-only keep the spellings they were written with.
        latest = f"arg_max({state_case('task_state')}, end_ns)"
        having.append(f"{latest} FILTER (WHERE task_state IS NOT NULL) = ?")
        params.append(flt.state)
    if flt.since_ns is not None:
        having.append("max(end_ns) >= ?")
        params.append(flt.since_ns)
    if flt.until_ns is not None:
        having.append("min(start_ns) <= ?")
        params.append(flt.until_ns)
    for word in flt.text.split():
        columns = (
            "conversation_id",
            "agent_name",
            "task_id",
            "trace_id",
            "name",
            "error_type",
            "status_message",
        )
        having.append("bool_or(" + " OR ".join(f"{c} ILIKE ?" for c in columns) + ")")
        params.extend([f"%{word}%"] * len(columns))
    return having, params


def list_page(
    con: duckdb.DuckDBPyConnection,
    flt: Filter,
    sort: Sort = Sort.START,
    *,
    descending: bool = True,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> list[ConversationSummary]:
    """One page of conversations that pass ``flt``, in the requested order."""
    having, params = _having(flt)
    clause = f"HAVING {' AND '.join(having)}" if having else ""
    direction = "DESC" if descending else "ASC"
    ids = [
        row[0]
        for row in con.execute(
            f"SELECT conversation_id FROM spans WHERE conversation_id IS NOT NULL "
            f"GROUP BY conversation_id {clause} "
            f"ORDER BY {sort.sql} {direction}, conversation_id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
    ]
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    found = _records(
        con.execute(f"SELECT * FROM conversations WHERE conversation_id IN ({marks})", ids),
        ConversationSummary,
    )
    by_id = {summary.conversation_id: summary for summary in found}
    return [by_id[i] for i in ids if i in by_id]


def first_operations(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, str]:
    """What each conversation began with, to tell apart conversations among the same agents:
    the first call's method and the agent it went to (the first message's text, when it was
    captured, comes later from the rebuilt conversation)."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = con.execute(
        "SELECT conversation_id, arg_min(name, start_ns), arg_min(agent_name, start_ns) "
        f"FROM spans WHERE conversation_id IN ({marks}) AND kind IN ('CLIENT', 'SERVER') "
        "GROUP BY conversation_id",
        ids,
    ).fetchall()
    return {str(r[0]): f"{r[1]} → {r[2]}" if r[2] else str(r[1]) for r in rows}


def agents_and_states(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """What the filters can choose from, for the command palette."""
    agents = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT agent_name FROM spans WHERE agent_name IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]
    states = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT task_state FROM spans WHERE task_state IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]
    return [str(a) for a in agents], [str(s) for s in states]
