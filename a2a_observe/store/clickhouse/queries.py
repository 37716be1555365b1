"""The ClickHouse SQL of the read API, over the exporter's ``otel_traces`` and ``otel_logs``.

The A2A columns the DuckDB store promotes are attribute lookups here
(``SpanAttributes['gen_ai.conversation.id']``), where a missing key reads as ``''``. Every
filter, sort and page of the conversation list is one aggregation in ClickHouse; a conversation,
a trace or a task is read by its ids, and only its rows come back to Python. Values are always
bound as server-side parameters (``{name:Type}``), never spliced into the SQL.
"""

from __future__ import annotations

from typing import Any

from a2a_observe import semconv
from a2a_observe.store.legacy import state_case
from a2a_observe.store.records import ConversationFilter, Sort


def attr(name: str, column: str = "SpanAttributes") -> str:
    """An attribute lookup; attribute names are ours (semconv), never user input."""
    return f"{column}['{name}']"


CONVERSATION = attr(semconv.GEN_AI_CONVERSATION_ID)
AGENT = attr(semconv.GEN_AI_AGENT_NAME)
TASK = attr(semconv.A2A_TASK_ID)
STATE = attr(semconv.A2A_TASK_STATE)
METHOD = attr(semconv.A2A_METHOD_NAME)
ERROR_TYPE = attr(semconv.ERROR_TYPE)
START_NS = "toUnixTimestamp64Nano(Timestamp)"
END_NS = f"({START_NS} + toInt64(Duration))"
IS_ERROR = "StatusCode IN ('Error', 'STATUS_CODE_ERROR')"
"""The exporter writes pdata's ``Error``; releases before 0.110 wrote ``STATUS_CODE_ERROR``."""
IS_CALL = "SpanKind IN ('Server', 'Client', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT')"
STATE_NOW = state_case(STATE)
"""The task state with earlier versions' spellings mapped, as the list's state filter compares it."""
LOG_CONVERSATION = attr(semconv.GEN_AI_CONVERSATION_ID, "LogAttributes")
LOG_STATE = attr(semconv.A2A_TASK_STATE, "LogAttributes")
LATE_EVENT_NAMES = ", ".join(f"'{name}'" for name in sorted(semconv.LATE_EVENTS))
SPAN_STATE_NS = f"maxIf({END_NS}, {STATE} != '')"
"""When the latest task state a conversation's spans hold was recorded: a state an agent reached
later, after its SERVER span ended, is a late-event log record (see ``store/late.py``)."""
LATEST_STATE = (
    f"if(any(late_ns) > {SPAN_STATE_NS}, any(late_state), argMaxIf({STATE_NOW}, {END_NS}, {STATE} != ''))"
)
"""A conversation's latest task state, late ones included, over its spans joined to :func:`late_states`."""


def late_states(logs: str, only: str = "") -> str:
    """Per conversation, the latest state its agents reached after their SERVER span ended;
    ``only`` is a further condition on the conversation id (``IN {ids:Array(String)}``)."""
    return (
        f"SELECT {LOG_CONVERSATION} AS late_conversation, argMax({LOG_STATE}, Timestamp) AS late_state, "
        f"max({START_NS}) AS late_ns FROM {logs} "
        f"WHERE EventName = '{semconv.EVENT_TASK_STATUS}' AND {LOG_STATE} != '' AND late_conversation != '' "
        f"{f'AND late_conversation {only} ' if only else ''}GROUP BY late_conversation"
    )


def with_late_states(traces: str, logs: str | None, only: str = "") -> str:
    """The spans, each beside its conversation's late state (none when there is no logs table)."""
    if logs is None:
        return f"{traces} CROSS JOIN (SELECT '' AS late_state, toInt64(0) AS late_ns) AS late"
    return (
        f"{traces} LEFT JOIN ({late_states(logs, only)}) AS late ON {CONVERSATION} = late.late_conversation"
    )


SPAN_COLUMNS = (
    "TraceId",
    "SpanId",
    "ParentSpanId",
    "TraceState",
    "SpanName",
    "SpanKind",
    START_NS,
    "Duration",
    "StatusCode",
    "StatusMessage",
    "ServiceName",
    "ScopeName",
    "ScopeVersion",
    "ResourceAttributes",
    "SpanAttributes",
    "arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp)",
    "Events.Name",
    "Events.Attributes",
    "Links.TraceId",
    "Links.SpanId",
    "Links.TraceState",
    "Links.Attributes",
)
SPANS = ", ".join(SPAN_COLUMNS)
LOG_COLUMNS = (
    START_NS,
    "TraceId",
    "SpanId",
    "TraceFlags",
    "SeverityText",
    "SeverityNumber",
    "ServiceName",
    "Body",
    "ResourceSchemaUrl",
    "ResourceAttributes",
    "ScopeName",
    "ScopeVersion",
    "LogAttributes",
    "EventName",
)
LOGS = ", ".join(LOG_COLUMNS)

SORTS = {
    Sort.START: "min(Timestamp)",
    Sort.DURATION: f"max({END_NS}) - min({START_NS})",
    Sort.ERRORS: f"countIf({IS_ERROR})",
    Sort.TURNS: "uniqExact(TraceId)",
}
TEXT_COLUMNS = (CONVERSATION, AGENT, TASK, "TraceId", "SpanName", ERROR_TYPE, "StatusMessage")

SUMMARY = f"""{CONVERSATION} AS conversation_id,
    min({START_NS}) AS start_ns,
    max({END_NS}) AS end_ns,
    uniqExact(TraceId, SpanId) AS spans,
    uniqExact(TraceId) AS traces,
    uniqExactIf({TASK}, {TASK} != '') AS tasks,
    arraySort(groupUniqArrayIf({AGENT}, {AGENT} != '')) AS agents,
    arraySort(groupUniqArrayIf(ServiceName, ServiceName != '')) AS services,
    uniqExactIf(TraceId, SpanId, {IS_ERROR}) AS errors,
    {LATEST_STATE} AS last_task_state"""
"""One conversation's summary from its group of spans (the store's ``conversations`` view). A
span a sender sent twice (a retry after a lost answer) is stored twice and counted once."""


def having(where: ConversationFilter) -> tuple[list[str], dict[str, Any]]:
    """The filter as conditions on one conversation's group of spans."""
    conditions: list[str] = []
    params: dict[str, Any] = {}
    if where.agent:
        conditions.append(f"countIf({AGENT} = {{agent:String}}) > 0")
        params["agent"] = where.agent
    if where.errors_only:
        conditions.append(f"countIf({IS_ERROR}) > 0")
    if where.state:
        conditions.append(f"{LATEST_STATE} = {{state:String}}")
        params["state"] = where.state
    if where.since_ns is not None:
        conditions.append(f"max({END_NS}) >= {{since:Int64}}")
        params["since"] = where.since_ns
    if where.until_ns is not None:
        conditions.append(f"min({START_NS}) <= {{until:Int64}}")
        params["until"] = where.until_ns
    for number, word in enumerate(where.text.split()):
        found = " OR ".join(
            f"positionCaseInsensitiveUTF8({c}, {{w{number}:String}}) > 0" for c in TEXT_COLUMNS
        )
        conditions.append(f"countIf({found}) > 0")
        params[f"w{number}"] = word
    return conditions, params


def conversation_page(
    traces: str, where: ConversationFilter, sort: Sort, descending: bool, logs: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The ids of one page of conversations, in order.

    Only what the filters and the sort need is aggregated here; :data:`SUMMARY` is then
    computed for the page's ids alone. Every filter is a ``HAVING`` condition of this one pass:
    most of the cost is reading the attribute maps, and narrowing first with a subquery per
    filter reads them again (2.2 s against 1.0 to 1.7 s for an agent and errors over a million
    spans of ``benchmarks/clickhouse.py``, in chdb)."""
    conditions, params = having(where)
    clause = f"HAVING {' AND '.join(conditions)}" if conditions else ""
    direction = "DESC" if descending else "ASC"
    sql = (
        f"SELECT {CONVERSATION} AS conversation_id "
        f"FROM {with_late_states(traces, logs) if where.state else traces} WHERE {CONVERSATION} != '' "
        f"GROUP BY conversation_id {clause} ORDER BY {SORTS[sort]} {direction}, conversation_id "
        "LIMIT {limit:UInt64} OFFSET {offset:UInt64}"
    )
    return sql, params


def summaries(traces: str, logs: str | None = None) -> str:
    """:data:`SUMMARY` of the conversations in the ``ids`` parameter."""
    ids = "IN {ids:Array(String)}"
    # The page's late states only: the logs table is read for these conversations, not all.
    return (
        f"SELECT {SUMMARY} FROM {with_late_states(traces, logs, ids)} "
        f"WHERE {CONVERSATION} {ids} GROUP BY conversation_id"
    )
