"""Grafana dashboards for A2A agents, built from the names our instrumentation exports.

Four dashboards: the overview (RED per agent and method, with exemplars from a latency to its
trace), the task lifecycle, streaming, and the health of the telemetry pipeline itself. Every
query filters on the ``$job``, ``$agent`` and ``$method`` variables (where the metric carries
the label) and reads the ``$datasource`` variable, so one import serves any Prometheus.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from a2a_observe import semconv
from a2a_observe.dashboards import names
from a2a_observe.dashboards.names import MetricName
from a2a_observe.dashboards.promql import by, eq, ne, one_of, regex, selector
from a2a_observe.dashboards.rules import RUNBOOKS_UID, RuleSettings
from a2a_observe.dashboards.runbooks import RUNBOOKS

SCHEMA_VERSION = 39
"""Grafana 10.4 / 11; newer Grafana migrates it on load, older cannot read heatmap options."""
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
TAGS = ["a2a", "a2a-observe"]
RATE = "$__rate_interval"

JOB_M = regex(names.JOB, "$job")
AGENT_M = regex(names.AGENT, "$agent")
METHOD_M = regex(names.METHOD, "$method")
SERVER = eq(names.SIDE, semconv.SIDE_SERVER)
CLIENT = eq(names.SIDE, semconv.SIDE_CLIENT)


TEMPO = {"type": "tempo", "uid": "tempo"}
"""The trace data source the provisioning file adds (exemplars already link to it)."""


@dataclass
class Target:
    expr: str
    legend: str = ""
    exemplar: bool = False
    heatmap: bool = False
    instant: bool = False
    table: bool = False


@dataclass
class Panel:
    title: str
    description: str
    targets: list[Target]
    unit: str = "short"
    kind: str = "timeseries"
    width: int = 12
    height: int = 8
    stack: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    decimals: int | None = None
    thresholds: list[tuple[float, str]] = field(default_factory=list)
    """Steps above green: (value, colour), taken from the alert rules' own numbers."""
    repeat: str | None = None
    """A variable to repeat the panel for, one panel per selected value."""
    links: list[dict[str, Any]] = field(default_factory=list)
    transformations: list[dict[str, Any]] = field(default_factory=list)
    column_units: dict[str, str] = field(default_factory=dict)
    """A table's unit per column (after renaming)."""


def trace_search(title: str, traceql: str) -> dict[str, Any]:
    """A panel link that opens Grafana Explore on Tempo with a TraceQL search, the dashboard's
    time range and variables carried over (so ``$agent`` narrows it too)."""
    left = json.dumps(
        {
            "datasource": TEMPO["uid"],
            "queries": [{"refId": "A", "datasource": TEMPO, "queryType": "traceql", "query": traceql}],
            "range": {"from": "$__from", "to": "$__to"},
        },
        separators=(",", ":"),
    )
    return {"title": title, "url": "/explore?left=" + quote(left, safe=":,{}$"), "targetBlank": True}


def _attr(name: str) -> str:
    """A span attribute in TraceQL (dots are part of the name there)."""
    return f"span.{name}"


FAILED_SPANS = trace_search(
    "Failed A2A spans of these agents in Tempo",
    f'{{ {_attr(semconv.GEN_AI_AGENT_NAME)} =~ "${{agent:regex}}" && status = error }}',
)
CONVERSATION_TRACES = trace_search(
    "Traces of conversation $conversation in Tempo",
    f'{{ {_attr(semconv.GEN_AI_CONVERSATION_ID)} = "$conversation" }}',
)


def _legend(*labels: str) -> str:
    return " ".join("{{" + label + "}}" for label in labels)


def _rate(series: str, *matchers: str) -> str:
    return f"rate({series}{selector(*matchers)}[{RATE}])"


def _quantile(q: float, metric: MetricName, labels: tuple[str, ...], *matchers: str) -> str:
    grouping = by(names.LE, *labels)
    return f"histogram_quantile({q:g}, sum {grouping} ({_rate(metric.bucket, *matchers)}))"


def _heatmap(metric: MetricName, *matchers: str) -> Target:
    return Target(
        f"sum {by(names.LE)} (increase({metric.bucket}{selector(*matchers)}[{RATE}]))",
        legend="{{" + names.LE + "}}",
        exemplar=True,
        heatmap=True,
    )


def _quantiles(metric: MetricName, labels: tuple[str, ...], *matchers: str) -> list[Target]:
    return [
        Target(
            _quantile(q, metric, labels, *matchers), legend=f"p{q * 100:g} " + _legend(*labels), exemplar=True
        )
        for q in (0.5, 0.95, 0.99)
    ]


# --- overview -----------------------------------------------------------------------------------


def overview(settings: RuleSettings | None = None) -> tuple[dict[str, Any], list[list[Panel]]]:
    s = settings or RuleSettings()
    d = names.SERVER_DURATION
    calls = (JOB_M, AGENT_M, METHOD_M)
    failed = ne(names.ERROR_TYPE, "")
    requests = f"sum({_rate(d.count, *calls)})"
    stats = [
        Panel(
            "Requests",
            "A2A requests served per second by the selected agents.",
            [Target(requests)],
            unit="reqps",
            kind="stat",
            width=4,
            height=4,
        ),
        Panel(
            "Error ratio",
            "Share of served requests that failed (any error.type). Red from "
            f"{s.error_ratio:.0%}, where A2AAgentHighErrorRatio fires.",
            [Target(f"(sum({_rate(d.count, *calls, failed)}) or vector(0)) / {requests}")],
            unit="percentunit",
            kind="stat",
            width=4,
            height=4,
            thresholds=[(s.error_ratio / 2, "orange"), (s.error_ratio, "red")],
            links=[FAILED_SPANS],
        ),
        Panel(
            "p95 latency",
            "95th percentile of the time agents took to serve a request. Red from the latency "
            f"objective ({s.latency_objective_seconds:g} s) that A2AAgentLatencyBudgetBurn watches.",
            [Target(_quantile(0.95, d, (), *calls))],
            unit="s",
            kind="stat",
            width=4,
            height=4,
            thresholds=[(s.latency_objective_seconds / 2, "orange"), (s.latency_objective_seconds, "red")],
        ),
        Panel(
            "In flight",
            "Requests being served right now.",
            [Target(f"sum({names.ACTIVE_REQUESTS.series}{selector(*calls)})")],
            kind="stat",
            width=4,
            height=4,
        ),
        Panel(
            "Open tasks",
            "Tasks in a non-terminal state (submitted, working, input- or auth-required).",
            [Target(f"sum({names.TASK_ACTIVE.series}{selector(JOB_M, AGENT_M)})")],
            kind="stat",
            width=4,
            height=4,
        ),
        Panel(
            "Open streams",
            "Streams the selected agents are serving right now.",
            [Target(f"sum({names.STREAM_ACTIVE.series}{selector(*calls, SERVER)})")],
            kind="stat",
            width=4,
            height=4,
        ),
    ]
    agent_method = (names.AGENT, names.METHOD)
    error_labels = (names.AGENT, names.SIDE, names.ERROR_TYPE, names.RPC_STATUS, names.HTTP_STATUS)
    red = [
        Panel(
            "Requests per second by agent and method",
            "Rate: requests each agent served, per A2A method (server side).",
            [Target(f"sum {by(*agent_method)} ({_rate(d.count, *calls)})", _legend(*agent_method))],
            unit="reqps",
        ),
        Panel(
            "Failed requests per second by agent and method",
            "Errors: requests that ended with an error.type, per agent and method.",
            [Target(f"sum {by(*agent_method)} ({_rate(d.count, *calls, failed)})", _legend(*agent_method))],
            unit="reqps",
        ),
    ]
    errors = [
        Panel(
            "Error ratio by agent",
            "Failed share of each agent's requests; the A2AAgentHighErrorRatio alert fires on it "
            f"(dashed line: {s.error_ratio:.0%}).",
            [
                Target(
                    f"sum {by(names.AGENT)} ({_rate(d.count, *calls, failed)})\n"
                    f"  / sum {by(names.AGENT)} ({_rate(d.count, *calls)})",
                    _legend(names.AGENT),
                )
            ],
            unit="percentunit",
            thresholds=[(s.error_ratio, "red")],
            links=[FAILED_SPANS],
        ),
        Panel(
            "Errors by type and wire status",
            "Failed calls by error.type and JSON-RPC / gRPC / HTTP status, as agent (server) and as caller "
            "(client) saw them.",
            [
                Target(
                    f"sum {by(*error_labels)} ({_rate(names.ERRORS.series, *calls)})",
                    _legend(*error_labels),
                )
            ],
            unit="ops",
        ),
    ]
    latency = [
        Panel(
            "Latency quantiles: $agent",
            "Duration: p50, p95 and p99 of the time this agent took to serve a request, one panel per "
            "agent (choose agents above). The dots are exemplars: click one to open the trace of that "
            f"very request. Dashed line: the latency objective ({s.latency_objective_seconds:g} s).",
            _quantiles(d, (names.AGENT,), *calls),
            unit="s",
            width=8,
            repeat="agent",
            thresholds=[(s.latency_objective_seconds, "red")],
        ),
    ]
    heatmap = [
        Panel(
            "Latency heatmap",
            "How request durations spread over the buckets; exemplars link each cell to a trace.",
            [_heatmap(d, *calls)],
            unit="s",
            kind="heatmap",
        ),
        Panel(
            "Error ratio from caller to called agent",
            "Share of the calls each job made to each agent that failed, as the caller saw them "
            "(a network or proxy failure shows here but not in the agent's own error ratio).",
            [
                Target(
                    f"sum {by(names.JOB, names.AGENT)} ({_rate(names.CLIENT_DURATION.count, *calls, failed)})"
                    f"\n  / sum {by(names.JOB, names.AGENT)} ({_rate(names.CLIENT_DURATION.count, *calls)})",
                    "{{" + names.JOB + "}} → {{" + names.AGENT + "}}",
                )
            ],
            unit="percentunit",
            thresholds=[(s.error_ratio, "red")],
            links=[FAILED_SPANS],
        ),
    ]
    red_table = [
        Panel(
            "RED by agent and method",
            "Now, per agent and A2A method: requests per second, the share that failed and the p95 "
            "duration. Sort by a column to find the worst; the links open the failed spans in Tempo.",
            [
                Target(f"sum {by(*agent_method)} ({_rate(d.count, *calls)})", instant=True, table=True),
                Target(
                    f"(sum {by(*agent_method)} ({_rate(d.count, *calls, failed)}) "
                    f"or 0 * sum {by(*agent_method)} ({_rate(d.count, *calls)}))\n"
                    f"  / sum {by(*agent_method)} ({_rate(d.count, *calls)})",
                    instant=True,
                    table=True,
                ),
                Target(_quantile(0.95, d, agent_method, *calls), instant=True, table=True),
            ],
            kind="table",
            width=24,
            height=7,
            transformations=[
                {"id": "merge", "options": {}},
                {
                    "id": "organize",
                    "options": {
                        "excludeByName": {"Time": True},
                        "indexByName": {
                            names.AGENT: 0,
                            names.METHOD: 1,
                            "Value #A": 2,
                            "Value #B": 3,
                            "Value #C": 4,
                        },
                        "renameByName": {
                            names.AGENT: "Agent",
                            names.METHOD: "Method",
                            "Value #A": "Requests/s",
                            "Value #B": "Error ratio",
                            "Value #C": "p95",
                        },
                    },
                },
            ],
            links=[FAILED_SPANS],
            column_units={"Requests/s": "reqps", "Error ratio": "percentunit", "p95": "s"},
        ),
    ]
    callers = [
        Panel(
            "Outgoing calls: p95 latency by called agent",
            "The calls this job's agents and clients made, as the caller saw them (network included).",
            [
                Target(
                    _quantile(0.95, names.CLIENT_DURATION, (names.AGENT, names.METHOD), *calls),
                    _legend(names.AGENT, names.METHOD),
                    exemplar=True,
                )
            ],
            unit="s",
        ),
        Panel(
            "Mean message size by agent",
            "Serialised size of the messages agents received and of what they answered (every event of a "
            "stream counts).",
            [
                Target(
                    f"sum {by(names.AGENT)} ({_rate(m.sum, *calls, SERVER)})\n"
                    f"  / sum {by(names.AGENT)} ({_rate(m.count, *calls, SERVER)})",
                    f"{label} " + _legend(names.AGENT),
                )
                for m, label in ((names.REQUEST_SIZE, "request"), (names.RESPONSE_SIZE, "response"))
            ],
            unit="bytes",
        ),
    ]
    meta = {
        "uid": "a2a-observe-overview",
        "title": "A2A agents / Overview",
        "description": "Rate, errors and duration of A2A requests per agent and method, with exemplars "
        "that link a latency to its trace.",
    }
    return meta, [stats, red_table, red, errors, latency, heatmap, callers]


# --- tasks --------------------------------------------------------------------------------------


def tasks() -> tuple[dict[str, Any], list[list[Panel]]]:
    sel = (JOB_M, AGENT_M)
    t, active, duration = names.TASK_TRANSITIONS, names.TASK_ACTIVE, names.TASK_DURATION
    terminal = one_of(names.TASK_STATE, semconv.TERMINAL_TASK_STATES)
    unsuccessful = one_of(names.TASK_STATE, semconv.TERMINAL_TASK_STATES - {semconv.TASK_STATE_COMPLETED})
    waiting = one_of(names.TASK_STATE, semconv.INTERRUPTED_TASK_STATES)
    agent_state = (names.AGENT, names.TASK_STATE)
    stats = [
        Panel(
            "Tasks finished",
            "Tasks reaching a terminal state per second.",
            [Target(f"sum({_rate(t.series, *sel, terminal)})")],
            unit="ops",
            kind="stat",
            width=6,
            height=4,
        ),
        Panel(
            "Unsuccessful tasks",
            "Share of finished tasks that failed, were canceled or rejected.",
            [
                Target(
                    f"(sum({_rate(t.series, *sel, unsuccessful)}) or vector(0))\n"
                    f"  / sum({_rate(t.series, *sel, terminal)})"
                )
            ],
            unit="percentunit",
            kind="stat",
            width=6,
            height=4,
        ),
        Panel(
            "Working now",
            "Tasks in the working state right now.",
            [
                Target(
                    f"sum({active.series}{selector(*sel, eq(names.TASK_STATE, semconv.TASK_STATE_WORKING))})"
                )
            ],
            kind="stat",
            width=6,
            height=4,
        ),
        Panel(
            "Waiting for input",
            "Tasks that asked the user for input (or authorisation) and wait for it.",
            [Target(f"sum({active.series}{selector(*sel, waiting)})")],
            kind="stat",
            width=6,
            height=4,
        ),
    ]
    flow = [
        Panel(
            "State transitions per second by state",
            "Every state change agents published, by the state entered.",
            [Target(f"sum {by(names.TASK_STATE)} ({_rate(t.series, *sel)})", _legend(names.TASK_STATE))],
            unit="ops",
        ),
        Panel(
            "Transitions by agent and state",
            "The same, per agent.",
            [Target(f"sum {by(*agent_state)} ({_rate(t.series, *sel)})", _legend(*agent_state))],
            unit="ops",
        ),
    ]
    states = [
        Panel(
            "Tasks in each non-terminal state",
            "Tasks now submitted, working, waiting for input or authorisation, per agent. A level that never "
            "drops is a task that never finishes (A2ATasksStuckWorking).",
            [Target(f"sum {by(*agent_state)} ({active.series}{selector(*sel)})", _legend(*agent_state))],
            stack=True,
        ),
        Panel(
            "Tasks waiting for input by agent",
            "Tasks in input-required or auth-required: the agent waits for the user.",
            [
                Target(
                    f"sum {by(*agent_state)} ({active.series}{selector(*sel, waiting)})",
                    _legend(*agent_state),
                )
            ],
        ),
    ]
    times = [
        Panel(
            "Time to terminal state by final state",
            "p50 and p95 from a task's first state to its terminal state, across turns (a task that waited "
            "for input includes the wait).",
            [
                Target(
                    _quantile(q, duration, (names.TASK_STATE,), *sel),
                    f"p{q * 100:g} " + _legend(names.TASK_STATE),
                    exemplar=True,
                )
                for q in (0.5, 0.95)
            ],
            unit="s",
        ),
        Panel(
            "Time to terminal state heatmap",
            "Task durations over the buckets; exemplars link to traces.",
            [_heatmap(duration, *sel)],
            unit="s",
            kind="heatmap",
        ),
    ]
    meta = {
        "uid": "a2a-observe-tasks",
        "title": "A2A agents / Task lifecycle",
        "description": "Task state transitions, tasks in flight and waiting for input, and time to a "
        "terminal state, from what agents published.",
    }
    return meta, [stats, flow, states, times]


# --- streaming ----------------------------------------------------------------------------------


def streams(settings: RuleSettings | None = None) -> tuple[dict[str, Any], list[list[Panel]]]:
    s = settings or RuleSettings()
    sel = (JOB_M, AGENT_M, METHOD_M)
    ends, first = names.STREAM_DURATION, names.STREAM_FIRST_EVENT
    error_end = eq(names.STREAM_END, semconv.STREAM_END_ERROR)
    stats = [
        Panel(
            "Open streams",
            "Streams served right now.",
            [Target(f"sum({names.STREAM_ACTIVE.series}{selector(*sel, SERVER)})")],
            kind="stat",
            width=6,
            height=4,
        ),
        Panel(
            "Stream events",
            "Events sent on streams per second (server side).",
            [Target(f"sum({_rate(names.STREAM_EVENTS.series, *sel, SERVER)})")],
            unit="ops",
            kind="stat",
            width=6,
            height=4,
        ),
        Panel(
            "p90 time to first event",
            "From the start of a streaming call to its first event, as callers saw it.",
            [Target(_quantile(0.9, first, (), *sel, CLIENT))],
            unit="s",
            kind="stat",
            width=6,
            height=4,
        ),
        Panel(
            "Streams ending in error",
            "Share of streams (server side) that ended with an error; red from "
            f"{s.stream_error_ratio:.0%}, where A2AStreamsFailing fires.",
            [
                Target(
                    f"(sum({_rate(ends.count, *sel, SERVER, error_end)}) or vector(0))\n"
                    f"  / sum({_rate(ends.count, *sel, SERVER)})"
                )
            ],
            unit="percentunit",
            kind="stat",
            width=6,
            height=4,
            thresholds=[(s.stream_error_ratio / 2, "orange"), (s.stream_error_ratio, "red")],
        ),
    ]
    agent_side = (names.AGENT, names.SIDE)
    live = [
        Panel(
            "Open streams by agent and side",
            "Streams open now: server (the agent streaming) and client (a caller reading).",
            [
                Target(
                    f"sum {by(*agent_side)} ({names.STREAM_ACTIVE.series}{selector(*sel)})",
                    _legend(*agent_side),
                )
            ],
        ),
        Panel(
            "Stream events per second by kind",
            "Events carried by streams: task, message, status-update, artifact-update.",
            [
                Target(
                    f"sum {by(names.AGENT, names.EVENT_KIND)} "
                    f"({_rate(names.STREAM_EVENTS.series, *sel, SERVER)})",
                    _legend(names.AGENT, names.EVENT_KIND),
                )
            ],
            unit="ops",
            stack=True,
        ),
    ]
    first_event = [
        Panel(
            "Time to first event by agent",
            "p50 and p95 from the start of a streaming call to its first event, as callers saw it; exemplars "
            "link to the trace.",
            [
                Target(
                    _quantile(q, first, (names.AGENT,), *sel, CLIENT),
                    f"p{q * 100:g} " + _legend(names.AGENT),
                    exemplar=True,
                )
                for q in (0.5, 0.95)
            ],
            unit="s",
        ),
        Panel(
            "Time to first event heatmap",
            "Caller-side time to first event over the buckets.",
            [_heatmap(first, *sel, CLIENT)],
            unit="s",
            kind="heatmap",
        ),
    ]
    endings = [
        Panel(
            "Stream endings per second by how they ended",
            "completed, closed_early (the reader stopped), cancelled or error, per agent and side.",
            [
                Target(
                    f"sum {by(names.AGENT, names.SIDE, names.STREAM_END)} ({_rate(ends.count, *sel)})",
                    _legend(names.AGENT, names.SIDE, names.STREAM_END),
                )
            ],
            unit="ops",
        ),
        Panel(
            "Stream duration p95 by agent",
            "How long streams stay open, server side.",
            [
                Target(
                    _quantile(0.95, ends, (names.AGENT,), *sel, SERVER), _legend(names.AGENT), exemplar=True
                )
            ],
            unit="s",
        ),
    ]
    meta = {
        "uid": "a2a-observe-streams",
        "title": "A2A agents / Streaming",
        "description": "Open streams, events by kind, time to first event and how streams end.",
    }
    return meta, [stats, live, first_event, endings]


# --- pipeline health ----------------------------------------------------------------------------


def pipeline() -> tuple[dict[str, Any], list[list[Panel]]]:
    job = (JOB_M,)
    our_series = regex(
        "__name__", "|".join(sorted(n for m in names.METRICS.values() for n in m.sample_names()))
    )
    stats = [
        Panel(
            "Targets up",
            "Scrape targets of the selected jobs that answered the last scrape.",
            [Target(f"sum(up{selector(*job)})")],
            kind="stat",
            width=6,
            height=4,
        ),
        Panel(
            "Targets down",
            "Scrape targets of the selected jobs that did not answer (A2AMetricsTargetDown).",
            [Target(f"count(up{selector(*job)} == 0) or vector(0)")],
            kind="stat",
            width=6,
            height=4,
        ),
        Panel(
            "A2A series",
            "Time series of a2a-observe metrics now stored: watch cardinality.",
            [Target(f"count({{{our_series}, {JOB_M}}})")],
            kind="stat",
            width=6,
            height=4,
        ),
        Panel(
            "Alerts firing",
            "a2a-observe alerts firing now.",
            [Target('count(ALERTS{alertstate="firing", alertname=~"A2A.*"}) or vector(0)')],
            kind="stat",
            width=6,
            height=4,
        ),
    ]
    scrape = [
        Panel(
            "Scrape targets up",
            "1 when Prometheus scraped the target, 0 when it failed.",
            [Target(f"up{selector(*job)}", _legend(names.JOB, names.INSTANCE))],
            decimals=0,
        ),
        Panel(
            "Scrape duration",
            "Time Prometheus took to scrape each target's /metrics.",
            [Target(f"scrape_duration_seconds{selector(*job)}", _legend(names.JOB, names.INSTANCE))],
            unit="s",
        ),
    ]
    volume = [
        Panel(
            "Samples per scrape",
            "Samples each scrape returned; a jump is new label values (cardinality).",
            [Target(f"scrape_samples_scraped{selector(*job)}", _legend(names.JOB, names.INSTANCE))],
        ),
        Panel(
            "Series per a2a-observe metric",
            "Stored series of each a2a-observe metric.",
            [Target(f"count by (__name__) ({{{our_series}, {JOB_M}}})", "{{__name__}}")],
        ),
    ]
    alerts = [
        Panel(
            "Exemplars stored per second",
            "Exemplars (trace links) Prometheus stored; needs --enable-feature=exemplar-storage and "
            "Prometheus scraping itself. Zero means latency panels cannot link to traces.",
            [Target(f"sum(rate(prometheus_tsdb_exemplar_exemplars_appended_total[{RATE}]))", "exemplars")],
            unit="ops",
        ),
        Panel(
            "A2A alerts firing",
            "a2a-observe alerts firing, by alert and severity.",
            [
                Target(
                    'sum by (alertname, severity) (ALERTS{alertstate="firing", alertname=~"A2A.*"})',
                    "{{alertname}} {{severity}}",
                )
            ],
            stack=True,
        ),
    ]
    meta = {
        "uid": "a2a-observe-pipeline",
        "title": "A2A agents / Telemetry pipeline",
        "description": "Is the telemetry getting through: scrape health, series volume, exemplar storage "
        "and the a2a-observe alerts firing.",
    }
    return meta, [stats, scrape, volume, alerts]


# --- assembly -----------------------------------------------------------------------------------


def _variable_query(name: str, label: str, query: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "definition": query,
        "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery", "qryType": 1},
        "refresh": 2,
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
        "regex": "",
        "sort": 1,
        "hide": 0,
        "skipUrlSync": False,
    }


def variables(with_method: bool) -> list[dict[str, Any]]:
    count = names.SERVER_DURATION.count
    out = [
        {
            "name": "datasource",
            "label": "Data source",
            "type": "datasource",
            "query": "prometheus",
            "current": {},
            "options": [],
            "regex": "",
            "refresh": 1,
            "hide": 0,
            "skipUrlSync": False,
        },
        _variable_query("job", "Job / service", f"label_values({count}, {names.JOB})"),
        _variable_query("agent", "Agent", f"label_values({count}{selector(JOB_M)}, {names.AGENT})"),
    ]
    out.append(
        {
            "name": "conversation",
            "label": "Conversation",
            "type": "textbox",
            "query": "",
            "current": {"text": "", "value": ""},
            "options": [],
            "hide": 0,
            "skipUrlSync": False,
            "description": "A conversation id (contextId): the link at the top opens its traces in Tempo",
        }
    )
    if with_method:
        out.append(
            _variable_query(
                "method", "Method", f"label_values({count}{selector(JOB_M, AGENT_M)}, {names.METHOD})"
            )
        )
    return out


def _target(target: Target, ref: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "refId": ref,
        "datasource": DATASOURCE,
        "editorMode": "code",
        "expr": target.expr,
        "legendFormat": target.legend or "__auto",
        "range": not target.instant,
        "instant": target.instant,
        "exemplar": target.exemplar,
    }
    if target.heatmap:
        out["format"] = "heatmap"
    if target.table:
        out["format"] = "table"
    return out


def _panel(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": panel.unit}
    if panel.decimals is not None:
        defaults["decimals"] = panel.decimals
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    steps += [{"color": colour, "value": value} for value, colour in panel.thresholds]
    defaults["thresholds"] = {"mode": "absolute", "steps": steps}
    overrides: list[dict[str, Any]] = []
    options: dict[str, Any]
    if panel.kind == "table":
        overrides = [
            {"matcher": {"id": "byName", "options": column}, "properties": [{"id": "unit", "value": unit}]}
            for column, unit in panel.column_units.items()
        ]
        options = {
            "showHeader": True,
            "cellHeight": "sm",
            "sortBy": [{"displayName": "Error ratio", "desc": True}],
        }
    elif panel.kind == "stat":
        defaults["color"] = {"mode": "thresholds"}
        options = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
            "justifyMode": "auto",
            "orientation": "auto",
            "textMode": "auto",
        }
    elif panel.kind == "heatmap":
        defaults["custom"] = {
            "scaleDistribution": {"type": "linear"},
            "hideFrom": {"legend": False, "tooltip": False, "viz": False},
        }
        options = {
            "calculate": False,
            "cellGap": 1,
            "color": {
                "mode": "scheme",
                "scheme": "Oranges",
                "exponent": 0.5,
                "fill": "dark-orange",
                "steps": 64,
                "reverse": False,
            },
            "exemplars": {"color": "rgba(255,0,255,0.7)"},
            "filterValues": {"le": 1e-9},
            "legend": {"show": True},
            "rowsFrame": {"layout": "auto"},
            "tooltip": {"mode": "single", "showColorScale": False, "yHistogram": True},
            "yAxis": {"axisPlacement": "left", "reverse": False, "unit": panel.unit},
        }
    else:
        defaults["custom"] = {
            "drawStyle": "line",
            "lineWidth": 1,
            "fillOpacity": 20 if panel.stack else 0,
            "showPoints": "never",
            "spanNulls": False,
            "stacking": {"mode": "normal" if panel.stack else "none", "group": "A"},
            "thresholdsStyle": {"mode": "dashed" if panel.thresholds else "off"},
        }
        defaults["min"] = 0
        options = {
            "legend": {
                "displayMode": "table",
                "placement": "bottom",
                "showLegend": True,
                "calcs": ["mean", "max"],
            },
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    options.update(panel.options)
    refs = "ABCDEFGHIJ"
    out: dict[str, Any] = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "targets": [_target(t, refs[i]) for i, t in enumerate(panel.targets)],
        "fieldConfig": {"defaults": defaults, "overrides": overrides},
        "options": options,
    }
    if panel.links:
        out["links"] = panel.links
    if panel.transformations:
        out["transformations"] = panel.transformations
    if panel.repeat:
        out.update({"repeat": panel.repeat, "repeatDirection": "h", "maxPerRow": 24 // panel.width})
    return out


def build(meta: dict[str, Any], rows: list[list[Panel]], with_method: bool = True) -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    y = 0
    for row in rows:
        x = 0
        for panel in row:
            panels.append(_panel(panel, len(panels) + 1, x, y))
            x += panel.width
        y += max(p.height for p in row)
    return {
        **meta,
        "id": None,
        "tags": TAGS,
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "annotations": {"list": [_alerts_annotation()]},
        "links": [
            {
                "title": CONVERSATION_TRACES["title"],
                "type": "link",
                "url": CONVERSATION_TRACES["url"],
                "icon": "external link",
                "targetBlank": True,
                "tooltip": "Type a conversation id (contextId) in the Conversation box first; "
                "or open it in the terminal: a2a-observe replay STORE, or a2a-observe explain ID",
                "asDropdown": False,
                "includeVars": False,
                "keepTime": False,
                "tags": [],
            },
            {
                "title": "A2A dashboards",
                "type": "dashboards",
                "tags": ["a2a-observe"],
                "asDropdown": True,
                "includeVars": True,
                "keepTime": True,
                "icon": "external link",
                "targetBlank": False,
                "tooltip": "",
                "url": "",
            },
        ],
        "templating": {"list": variables(with_method)},
        "panels": panels,
    }


def _alerts_annotation() -> dict[str, Any]:
    return {
        "name": "A2A alerts",
        "datasource": DATASOURCE,
        "enable": True,
        "iconColor": "red",
        "expr": 'ALERTS{alertstate="firing", alertname=~"A2A.*"}',
        "step": "60s",
        "titleFormat": "{{alertname}}",
        "textFormat": "{{gen_ai_agent_name}}",
        "useValueForTime": False,
    }


def runbooks() -> dict[str, Any]:
    """One text panel per alert, in the order the alerts' ``runbook_url`` numbers them."""
    panels = []
    for index, (alert, text) in enumerate(RUNBOOKS.items()):
        panels.append(
            {
                "id": index + 1,
                "type": "text",
                "title": alert,
                "description": f"What to do when {alert} fires.",
                "gridPos": {"h": 6, "w": 24, "x": 0, "y": 6 * index},
                "options": {"mode": "markdown", "content": text},
            }
        )
    return {
        "uid": RUNBOOKS_UID,
        "title": "A2A agents / Runbooks",
        "description": "What to do when an a2a-observe alert fires; its runbook_url opens its panel.",
        "id": None,
        "tags": TAGS,
        "timezone": "browser",
        "editable": True,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "time": {"from": "now-1h", "to": "now"},
        "links": [],
        "annotations": {"list": []},
        "templating": {"list": []},
        "panels": panels,
    }


def dashboards(settings: RuleSettings | None = None) -> dict[str, dict[str, Any]]:
    """File name (without ``.json``) to dashboard model; thresholds come from ``settings``, the
    numbers the alert rules use."""
    return {
        "a2a-overview": build(*overview(settings)),
        "a2a-tasks": build(*tasks(), with_method=False),
        "a2a-streams": build(*streams(settings)),
        "a2a-pipeline": build(*pipeline(), with_method=False),
        "a2a-runbooks": runbooks(),
    }


def queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """Every PromQL expression of a dashboard, with where it is: panel targets, annotations."""
    out = [
        (f"{panel['title']} [{target['refId']}]", str(target["expr"]))
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]
    out += [
        (f"annotation {a['name']}", str(a["expr"])) for a in dashboard["annotations"]["list"] if "expr" in a
    ]
    return out
