"""Prometheus recording and alerting rules for A2A agents, in the style of the monitoring
mixins: ``level:metric:operations`` recording names, CamelCase alerts with a ``severity``
label and ``summary`` / ``description`` / ``runbook_url`` annotations.

Every threshold, window and ``for`` is a field of :class:`RuleSettings`, so the rules a user
installs and the fast variant a test runs against a live Prometheus (windows of seconds) come
from the same code; only the numbers differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from a2a_observe import semconv
from a2a_observe.dashboards import names
from a2a_observe.dashboards.promql import by, eq, le_matcher, ne, one_of, selector
from a2a_observe.dashboards.runbooks import RUNBOOKS

Rule = dict[str, Any]


@dataclass(frozen=True)
class BurnWindow:
    """One pair of the multi-window, multi-burn-rate latency alert (Google SRE workbook)."""

    short: str
    long: str
    factor: float
    severity: str
    for_: str


RUNBOOKS_UID = "a2a-observe-runbooks"
"""The Grafana dashboard that shows one runbook per alert."""


@dataclass(frozen=True)
class RuleSettings:
    matchers: tuple[str, ...] = ()
    """Extra label matchers for every series the rules read (e.g. ``'job=~"agents-.*"'``)."""
    rate_window: str = "5m"
    error_ratio: float = 0.05
    error_ratio_for: str = "10m"
    latency_objective_seconds: float = 2.5
    """A duration bucket boundary: requests at or under it meet the objective."""
    latency_objective: float = 0.99
    burn_windows: tuple[BurnWindow, ...] = (
        BurnWindow("5m", "1h", 14.4, "critical", "2m"),
        BurnWindow("30m", "6h", 6.0, "warning", "15m"),
    )
    stream_error_ratio: float = 0.05
    stream_error_for: str = "10m"
    stuck_working_window: str = "30m"
    stuck_input_window: str = "4h"
    no_traffic_window: str = "15m"
    no_traffic_for: str = "15m"
    target_down_for: str = "5m"
    grafana_url: str = "http://127.0.0.1:3000"
    """Where Grafana is served; each alert's ``runbook_url`` opens its runbook there."""
    runbook_url: str = "{grafana}/d/" + RUNBOOKS_UID + "/a2a-runbooks?viewPanel={panel}"
    """Pattern for the absolute ``runbook_url``: ``{grafana}`` is ``grafana_url``, ``{panel}``
    the alert's panel on the runbooks dashboard, ``{anchor}`` the alert name in lower case (for
    a wiki of your own: ``https://wiki.example/a2a#{anchor}``)."""
    windows: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        sample = self.runbook_url.format(grafana=self.grafana_url, panel=1, anchor="a2aalert")
        if not sample.startswith(("http://", "https://")):
            raise ValueError(f"runbook_url must be an absolute http(s) URL, not {sample!r}")
        if self.latency_objective_seconds not in semconv.DURATION_BUCKETS:
            raise ValueError(
                f"latency_objective_seconds must be a bucket boundary: {semconv.DURATION_BUCKETS}"
            )
        burn = [w for pair in self.burn_windows for w in (pair.short, pair.long)]
        object.__setattr__(self, "windows", tuple(dict.fromkeys(burn)))


FAST = RuleSettings(
    rate_window="10s",
    error_ratio_for="0s",
    latency_objective_seconds=0.5,
    burn_windows=(
        BurnWindow("5s", "15s", 14.4, "critical", "0s"),
        BurnWindow("10s", "20s", 6.0, "warning", "0s"),
    ),
    stream_error_for="0s",
    stuck_working_window="20s",
    stuck_input_window="20s",
    no_traffic_window="10s",
    no_traffic_for="0s",
    target_down_for="0s",
)
"""Windows of seconds for a Prometheus that scrapes every second: the end-to-end test's rules."""

JOB_AGENT = (names.JOB, names.AGENT)
JOB_AGENT_METHOD = (names.JOB, names.AGENT, names.METHOD)


def runbook_panel(alert: str) -> int:
    """The alert's panel id on the runbooks dashboard (panels are numbered from 1, in order)."""
    return list(RUNBOOKS).index(alert) + 1


def runbook_url(s: RuleSettings, alert: str) -> str:
    return s.runbook_url.format(
        grafana=s.grafana_url.rstrip("/"), panel=runbook_panel(alert), anchor=alert.lower()
    )


def _sel(settings: RuleSettings, *matchers: str) -> str:
    return selector(*settings.matchers, *matchers)


def requests_rate(s: RuleSettings) -> str:
    return f"job_agent_method:a2a_server_requests:rate{s.rate_window}"


def errors_rate(s: RuleSettings) -> str:
    return f"job_agent_method:a2a_server_errors:rate{s.rate_window}"


def error_ratio(s: RuleSettings) -> str:
    return f"job_agent:a2a_server_error_ratio:rate{s.rate_window}"


def slow_ratio(window: str) -> str:
    return f"job_agent:a2a_server_slow_ratio:rate{window}"


def stream_error_ratio(s: RuleSettings) -> str:
    return f"job_agent_side:a2a_stream_error_ratio:rate{s.rate_window}"


TASK_ACTIVE_SUM = "job_agent_state:a2a_task_active:sum"
LATENCY_QUANTILES = "job_agent_method:a2a_server_call_duration_seconds:histogram_quantile"


def transitions_rate(s: RuleSettings) -> str:
    return f"job_agent_state:a2a_task_transitions:rate{s.rate_window}"


def recording_rules(s: RuleSettings) -> list[Rule]:
    w = s.rate_window
    count = names.SERVER_DURATION.count
    rules: list[Rule] = [
        {
            "record": requests_rate(s),
            "expr": f"sum {by(*JOB_AGENT_METHOD)} (rate({count}{_sel(s)}[{w}]))",
        },
        {
            "record": errors_rate(s),
            # Zero, not absent, for agents that never failed: ratios and panels then show them.
            "expr": f"sum {by(*JOB_AGENT_METHOD)} (rate({count}{_sel(s, ne(names.ERROR_TYPE, ''))}[{w}]))\n"
            f"  or 0 * sum {by(*JOB_AGENT_METHOD)} (rate({count}{_sel(s)}[{w}]))",
        },
        {
            "record": error_ratio(s),
            "expr": f"sum {by(*JOB_AGENT)} ({errors_rate(s)})\n  / sum {by(*JOB_AGENT)} ({requests_rate(s)})",
        },
    ]
    for quantile in (0.5, 0.95, 0.99):
        rules.append(
            {
                "record": LATENCY_QUANTILES,
                "expr": f"histogram_quantile({quantile}, sum {by(names.LE, *JOB_AGENT_METHOD)} "
                f"(rate({names.SERVER_DURATION.bucket}{_sel(s)}[{w}])))",
                "labels": {"quantile": str(quantile)},
            }
        )
    good = le_matcher(s.latency_objective_seconds)
    for window in s.windows:
        rules.append(
            {
                "record": slow_ratio(window),
                "expr": f"1 - (\n  sum {by(*JOB_AGENT)} (rate({names.SERVER_DURATION.bucket}{_sel(s, good)}"
                f"[{window}]))\n  / sum {by(*JOB_AGENT)} (rate({count}{_sel(s)}[{window}]))\n)",
            }
        )
    ends = names.STREAM_DURATION.count
    rules += [
        {
            "record": stream_error_ratio(s),
            "expr": f"sum {by(*JOB_AGENT, names.SIDE)} "
            f"(rate({ends}{_sel(s, eq(names.STREAM_END, semconv.STREAM_END_ERROR))}[{w}]))\n"
            f"  / sum {by(*JOB_AGENT, names.SIDE)} (rate({ends}{_sel(s)}[{w}]))",
        },
        {
            "record": TASK_ACTIVE_SUM,
            "expr": f"sum {by(*JOB_AGENT, names.TASK_STATE)} ({names.TASK_ACTIVE.series}{_sel(s)})",
        },
        {
            "record": transitions_rate(s),
            "expr": f"sum {by(*JOB_AGENT, names.TASK_STATE)} "
            f"(rate({names.TASK_TRANSITIONS.series}{_sel(s)}[{w}]))",
        },
    ]
    return rules


def _alert(
    s: RuleSettings,
    name: str,
    expr: str,
    for_: str,
    severity: str,
    summary: str,
    description: str,
    extra_labels: dict[str, str] | None = None,
) -> Rule:
    rule: Rule = {"alert": name, "expr": expr}
    if for_ not in ("0s", "0m", ""):
        rule["for"] = for_
    rule["labels"] = {"severity": severity, **(extra_labels or {})}
    rule["annotations"] = {
        "summary": summary,
        "description": description,
        "runbook_url": runbook_url(s, name),
    }
    return rule


AGENT_LABEL = "{{ $labels." + names.AGENT + " }}"
JOB_LABEL = "{{ $labels." + names.JOB + " }}"


def alerting_rules(s: RuleSettings) -> list[Rule]:
    # "Stuck" is a level above zero at every evaluation for the whole window: that is what
    # `for` means, and unlike min_over_time it cannot fire on a window not yet full of data.
    budget = 1 - s.latency_objective
    rules = [
        _alert(
            s,
            "A2AAgentHighErrorRatio",
            f"{error_ratio(s)} > {s.error_ratio:g}",
            s.error_ratio_for,
            "warning",
            f"A2A agent {AGENT_LABEL} fails too many requests.",
            f"{{{{ $value | humanizePercentage }}}} of the requests agent {AGENT_LABEL} (job {JOB_LABEL}) "
            f"served over {s.rate_window} failed (threshold {s.error_ratio:.0%}).",
        )
    ]
    for pair in s.burn_windows:
        threshold = f"({pair.factor:g} * {budget:.6g})"
        rules.append(
            _alert(
                s,
                "A2AAgentLatencyBudgetBurn",
                f"{slow_ratio(pair.long)} > {threshold}\nand\n{slow_ratio(pair.short)} > {threshold}",
                pair.for_,
                pair.severity,
                f"A2A agent {AGENT_LABEL} is burning its latency budget.",
                f"Agent {AGENT_LABEL} (job {JOB_LABEL}) answers too slowly: over the last {pair.long} "
                f"and {pair.short}, more than {pair.factor:g} times the allowed "
                f"{budget:.2%} of requests took longer than {s.latency_objective_seconds:g} s "
                f"(objective: {s.latency_objective:.2%} within it).",
                {"long": pair.long, "short": pair.short},
            )
        )
    interrupted = one_of(names.TASK_STATE, semconv.INTERRUPTED_TASK_STATES)
    rules += [
        _alert(
            s,
            "A2AStreamsFailing",
            f"{stream_error_ratio(s)} > {s.stream_error_ratio:g}",
            s.stream_error_for,
            "warning",
            f"A2A streams of agent {AGENT_LABEL} end in errors.",
            f"{{{{ $value | humanizePercentage }}}} of the streams with agent {AGENT_LABEL} "
            f"({{{{ $labels.{names.SIDE} }}}} side, job {JOB_LABEL}) ended in an error over {s.rate_window}.",
        ),
        _alert(
            s,
            "A2ATasksStuckWorking",
            f"{TASK_ACTIVE_SUM}{selector(eq(names.TASK_STATE, semconv.TASK_STATE_WORKING))} > 0",
            s.stuck_working_window,
            "warning",
            f"A2A agent {AGENT_LABEL} has tasks stuck in working.",
            f"Agent {AGENT_LABEL} (job {JOB_LABEL}) has had at least one task in the working state "
            f"at every evaluation for {s.stuck_working_window} ({{{{ $value }}}} now): a task that "
            "never reaches a terminal state, or an agent that never gets idle.",
        ),
        _alert(
            s,
            "A2ATasksStuckInputRequired",
            f"sum {by(*JOB_AGENT)} ({TASK_ACTIVE_SUM}{selector(interrupted)}) > 0",
            s.stuck_input_window,
            "info",
            f"A2A agent {AGENT_LABEL} has tasks waiting for input.",
            f"Agent {AGENT_LABEL} (job {JOB_LABEL}) has had tasks waiting for input or authorisation "
            f"for {s.stuck_input_window} ({{{{ $value }}}} now): users who never answered, or "
            "answers that never arrive.",
        ),
        _alert(
            s,
            "A2AAgentNoTraffic",
            f"sum {by(*JOB_AGENT)} (rate({names.SERVER_DURATION.count}{_sel(s)}"
            f"[{s.no_traffic_window}])) == 0",
            s.no_traffic_for,
            "warning",
            f"A2A agent {AGENT_LABEL} serves no requests.",
            f"Agent {AGENT_LABEL} (job {JOB_LABEL}) served requests before but none over the "
            f"last {s.no_traffic_window}.",
        ),
        _alert(
            s,
            "A2AMetricsTargetDown",
            f"up{_sel(s)} == 0",
            s.target_down_for,
            "warning",
            f"Prometheus cannot scrape {{{{ $labels.{names.INSTANCE} }}}}.",
            f"Scraping {{{{ $labels.{names.INSTANCE} }}}} (job {JOB_LABEL}) fails: its agents' "
            "metrics and every alert on them are blind.",
        ),
    ]
    return rules


def rule_groups(settings: RuleSettings | None = None, interval: str | None = None) -> dict[str, Any]:
    """The content of a Prometheus rule file: one recording and one alerting group."""
    s = settings or RuleSettings()
    groups: list[dict[str, Any]] = [
        {"name": "a2a-observe.rules", "rules": recording_rules(s)},
        {"name": "a2a-observe.alerts", "rules": alerting_rules(s)},
    ]
    if interval:
        for group in groups:
            group["interval"] = interval
    return {"groups": groups}
