"""What to do when an alert fires: one runbook per alert, the same text as the end of
``docs/dashboards.md`` (a test keeps them equal), shown in Grafana as the runbooks dashboard
that every alert's ``runbook_url`` opens."""

from __future__ import annotations

from typing import Final

RUNBOOKS: Final[dict[str, str]] = {
    "A2AAgentHighErrorRatio": (
        "An agent fails a large share of the requests it serves. Open the overview, filter on the agent: "
        "*Errors by type and wire status* names the exception and the status; click a latency exemplar "
        "of a failed request, or search traces for the agent with `error.type` set. Recent deploy? A "
        "dependency the agent calls failing (its outgoing calls panel)?"
    ),
    "A2AAgentLatencyBudgetBurn": (
        "Too many requests exceed the latency objective; at this rate the error budget of the period "
        "runs out early (critical: within hours). The latency heatmap shows whether all requests "
        "slowed or a tail appeared; exemplars in the slow cells open traces that show where time went "
        "(often a downstream agent or model call)."
    ),
    "A2AStreamsFailing": (
        "Streams end in errors instead of completing. Check the streaming dashboard's endings by side: "
        "server-side errors are the agent's; client-only errors point at the network or a proxy cutting "
        "long-lived connections."
    ),
    "A2ATasksStuckWorking": (
        "Tasks stay in `TASK_STATE_WORKING` and the count never drops to zero. Either tasks never reach a "
        "terminal state (an executor that raised or hung without publishing `TASK_STATE_FAILED`), or the "
        "agent is never idle "
        "(then raise the window). The task lifecycle dashboard shows which agent's line only climbs."
    ),
    "A2ATasksStuckInputRequired": (
        "Tasks have waited for user input (or authorisation) for hours. Usually users who walked away; "
        "if it grows, a client may not be sending the follow-up message with the task id."
    ),
    "A2AAgentNoTraffic": (
        "An agent that used to serve requests receives none: a caller stopped calling, discovery or "
        "routing broke, or the agent is up but unreachable. Compare with the callers' outgoing calls."
    ),
    "A2AMetricsTargetDown": (
        "Prometheus cannot scrape a target: the process is down, `/metrics` is not served, or the "
        "network path is blocked. While it lasts every other alert on that target is blind."
    ),
}
