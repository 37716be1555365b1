"""The dashboards and rules against a real Prometheus scraping the instrumented demo agents.

Prometheus scrapes every second and evaluates the fast variant of the rules (same code,
windows of seconds). While the agents carry steady traffic, every panel query, template
variable and recording rule must return data, and each alert must fire on the agent that
earns it (the failing translator, the slow agent, the greeter whose users never answer, the
relay nobody calls any more, a target that is gone) and on no other.
"""

from __future__ import annotations

import re
import time

import pytest

from a2a_observe.dashboards import grafana, names, promql, rules, yamlout
from a2a_observe.demo.serving import free_port
from tests.support.prometheus import Prometheus, prometheus, traffic_app

pytestmark = pytest.mark.prometheus

JOB = "a2a-demo"
GONE_JOB = "a2a-gone"
RATE_INTERVAL = "10s"
"""``$__rate_interval`` for a 1 s scrape: enough samples for rate() at any moment."""

# The batch agent's background tasks hang in "working": its stuck tasks. The translator's
# failures count as errors, and its tasks end (the framework fails them), so they are not stuck.
EXPECTED_ALERTS = {
    ("A2AAgentHighErrorRatio", "translator"),
    ("A2AAgentLatencyBudgetBurn", "slow"),
    ("A2AStreamsFailing", "translator"),
    ("A2ATasksStuckWorking", "batch"),
    ("A2ATasksStuckInputRequired", "greeter"),
    ("A2AAgentNoTraffic", "relay"),
    ("A2AMetricsTargetDown", GONE_JOB),
}
SETTLE = 20.0
"""Seconds after the first round before alerts are judged: the longest rule window, so the
first round's cold starts (channel set-up, imports) are out of every window."""
OBSERVE = 8.0


def _subject(labels: dict[str, str]) -> str:
    return labels.get(names.AGENT) or labels[names.JOB]


def _fired_since(prom: Prometheus, since: float) -> set[tuple[str, str]]:
    seconds = max(1, int(time.time() - since))
    result = prom.query(f'max_over_time(ALERTS{{alertstate="firing"}}[{seconds}s])')
    return {(s["metric"]["alertname"], _subject(s["metric"])) for s in result}


def _panel_queries() -> list[tuple[str, str, str]]:
    out = []
    for name, dashboard in grafana.dashboards().items():
        for where, expr in grafana.queries(dashboard):
            out.append((name, where, promql.substitute(expr, {"__rate_interval": RATE_INTERVAL})))
    return out


def _variable_queries() -> list[tuple[str, str, str]]:
    out = []
    for name, dashboard in grafana.dashboards().items():
        for variable in dashboard["templating"]["list"]:
            if variable["type"] != "query":
                continue
            match = re.fullmatch(
                r"label_values\((.*), (\w+)\)", promql.substitute(variable["definition"], {})
            )
            assert match, variable["definition"]
            out.append((f"{name} ${variable['name']}", match.group(1), match.group(2)))
    return out


def test_every_panel_rule_and_alert_on_real_prometheus(tmp_path) -> None:
    rule_file = tmp_path / "rules.yml"
    rule_file.write_text(yamlout.dumps(rules.rule_groups(rules.FAST)), encoding="utf-8")
    recorded = sorted({r["record"] for r in rules.recording_rules(rules.FAST)})
    panel_queries = _panel_queries()
    with (
        traffic_app(tmp_path / "traffic.log", idle=("relay",)) as app,
        prometheus(
            tmp_path,
            {JOB: [app.target], GONE_JOB: [f"127.0.0.1:{free_port()}"]},
            [rule_file],
        ) as prom,
    ):
        warm = app.wait_warm()
        settled = warm + SETTLE
        while time.time() < settled + OBSERVE:
            time.sleep(0.5)

        fired = _fired_since(prom, settled)
        firing_now = {
            (a["labels"]["alertname"], _subject(a["labels"]))
            for a in prom.api("alerts")["alerts"]
            if a["state"] == "firing"
        }
        assert fired == EXPECTED_ALERTS, (sorted(fired - EXPECTED_ALERTS), sorted(EXPECTED_ALERTS - fired))

        # Panels and recording rules: data now, while traffic flows. Queries over a window of
        # seconds can miss a beat; give each a few tries before calling it empty.
        empty_panels = [
            (dashboard, where, expr)
            for dashboard, where, expr in panel_queries
            if not _eventually(prom, expr)
        ]
        empty_rules = [record for record in recorded if not _eventually(prom, record)]
        empty_variables = [
            where
            for where, match, label in _variable_queries()
            if not prom.api(f"label/{label}/values", **{"match[]": match})
        ]
        exemplars = prom.api(
            "query_exemplars",
            query=names.SERVER_DURATION.bucket,
            start=warm,
            end=time.time(),
        )
    assert not empty_panels, empty_panels
    assert not empty_rules, empty_rules
    assert not empty_variables, empty_variables
    trace_ids = {e["labels"].get("trace_id", "") for s in exemplars for e in s["exemplars"]}
    assert trace_ids and all(re.fullmatch(r"[0-9a-f]{32}", t) for t in trace_ids), exemplars[:2]
    assert firing_now <= EXPECTED_ALERTS


def _eventually(prom: Prometheus, expr: str, tries: int = 4) -> bool:
    for _ in range(tries):
        if prom.has_data(expr):
            return True
        time.sleep(0.5)
    return False
