"""The dashboards and rules as files: Grafana's structure, PromQL that parses, metric names we
really export, promtool unit tests of the alerts, and the committed files up to date."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from a2a_observe.cli import main
from a2a_observe.dashboards import export, grafana, names, promql, rules, yamlout
from a2a_observe.demo.network import demo_network, traffic
from tests.conftest import PROMETHEUS_REGISTRY
from tests.support.paths import DOCS, ROOT
from tests.support.prometheus import binary

DASHBOARDS = ROOT / "dashboards"
PANEL_TYPES = {"stat", "timeseries", "heatmap", "table"}
METRIC_DASHBOARDS = sorted(set(grafana.dashboards()) - {"a2a-runbooks"})
PROMETHEUS_INTERNAL = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "ALERTS"}
PROMETHEUS_SELF = {"prometheus_tsdb_exemplar_exemplars_appended_total"}


def all_queries() -> list[tuple[str, str]]:
    """Every PromQL expression we ship: panels, annotations, variables, rules (both variants)."""
    out = []
    for name, dashboard in grafana.dashboards().items():
        out += [(f"{name}: {where}", expr) for where, expr in grafana.queries(dashboard)]
        out += [
            (f"{name}: ${v['name']}", v["definition"])
            for v in dashboard["templating"]["list"]
            if v["type"] == "query"
        ]
    for settings in (rules.RuleSettings(), rules.FAST):
        for group in rules.rule_groups(settings)["groups"]:
            out += [(r.get("record") or r["alert"], r["expr"]) for r in group["rules"]]
    return out


@pytest.mark.parametrize("name", METRIC_DASHBOARDS)
def test_dashboard_has_the_structure_grafana_requires(name: str) -> None:
    dashboard: dict[str, Any] = json.loads(json.dumps(grafana.dashboards()[name]))  # JSON round trip
    assert re.fullmatch(r"[a-z0-9-]{1,40}", dashboard["uid"])
    assert dashboard["title"] and dashboard["description"]
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
    assert dashboard["id"] is None and dashboard["time"]["from"].startswith("now-")
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert {"datasource", "job", "agent"} <= set(variables)
    assert (
        variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    )
    for variable in variables.values():
        assert {"name", "type", "label", "hide", "current", "options"} <= set(variable)
        if variable["type"] == "query":
            assert (
                variable["datasource"] == grafana.DATASOURCE and variable["includeAll"] and variable["multi"]
            )
            assert variable["query"]["query"] == variable["definition"].strip()
            assert re.fullmatch(r"label_values\(.+, \w+\)", variable["definition"])
    ids, cells = set(), set()
    for panel in dashboard["panels"]:
        assert panel["type"] in PANEL_TYPES and panel["id"] not in ids
        ids.add(panel["id"])
        assert panel["title"] and panel["description"], panel["title"]
        assert panel["datasource"] == grafana.DATASOURCE
        assert panel["fieldConfig"]["defaults"]["unit"], panel["title"]
        pos = panel["gridPos"]
        assert set(pos) == {"x", "y", "w", "h"} and pos["w"] > 0 and pos["h"] > 0
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        covered = {(pos["x"] + dx, pos["y"] + dy) for dx in range(pos["w"]) for dy in range(pos["h"])}
        assert not covered & cells, f"{panel['title']} overlaps another panel"
        cells |= covered
        assert panel["targets"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(set(refs)) == len(refs)
        for target in panel["targets"]:
            assert target["datasource"] == grafana.DATASOURCE and target["expr"].strip()
            # a variable the dashboard does not define would reach Prometheus as text
            for var in re.findall(r"\$(\w+)", target["expr"]):
                assert var in variables or var.startswith("__"), (panel["title"], var)
        if panel["type"] == "heatmap":
            assert panel["targets"][0]["format"] == "heatmap" and panel["targets"][0]["exemplar"]
            assert panel["options"]["calculate"] is False
    # the overview links latencies to traces through exemplars
    if name == "a2a-overview":
        assert any(
            t["exemplar"] for p in dashboard["panels"] for t in p["targets"] if p["type"] == "timeseries"
        )


@pytest.mark.prometheus
def test_every_query_parses_with_promtool(tmp_path: Path) -> None:
    """promtool parses each expression (Grafana variables filled in) as a recording rule."""
    checks = []
    for index, (where, expr) in enumerate(all_queries()):
        match = re.fullmatch(r"label_values\((.*), \w+\)", expr)
        expr = match.group(1) if match else expr
        if expr.strip():
            checks.append({"record": f"check:query:{index}", "expr": promql.substitute(expr, {})})
            assert "$" not in checks[-1]["expr"], where
    path = tmp_path / "queries.yml"
    path.write_text(yamlout.dumps({"groups": [{"name": "queries", "rules": checks}]}), encoding="utf-8")
    result = subprocess.run(
        [binary("promtool"), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(checks)} rules found" in result.stdout


@pytest.mark.prometheus
def test_rule_files_pass_promtool_check_and_unit_tests(tmp_path: Path) -> None:
    fast = tmp_path / "fast.yml"
    fast.write_text(yamlout.dumps(rules.rule_groups(rules.FAST)), encoding="utf-8")
    promtool = binary("promtool")
    check = subprocess.run(
        [promtool, "check", "rules", str(DASHBOARDS / export.RULES_FILE), str(fast)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    tests = sorted((DASHBOARDS / "prometheus" / "tests").glob("*.yml"))
    assert tests
    unit = subprocess.run(
        [promtool, "test", "rules", *map(str, tests)], capture_output=True, text=True, check=False
    )
    assert unit.returncode == 0, unit.stdout + unit.stderr


def test_alerts_are_named_and_annotated_like_the_mixins() -> None:
    alerts = rules.alerting_rules(rules.RuleSettings())
    assert {a["alert"] for a in alerts} == {
        "A2AAgentHighErrorRatio",
        "A2AAgentLatencyBudgetBurn",
        "A2AStreamsFailing",
        "A2ATasksStuckWorking",
        "A2ATasksStuckInputRequired",
        "A2AAgentNoTraffic",
        "A2AMetricsTargetDown",
    }
    runbooks_panels = {p["id"]: p for p in grafana.runbooks()["panels"]}
    for alert in alerts:
        assert re.fullmatch(r"A2A(?:[A-Z][a-z0-9]+)+", alert["alert"])
        assert alert["labels"]["severity"] in {"critical", "warning", "info"}
        assert set(alert["annotations"]) == {"summary", "description", "runbook_url"}
        # Absolute, so Alertmanager can open it: the alert's own panel on the runbooks dashboard.
        url = alert["annotations"]["runbook_url"]
        panel = runbooks_panels[int(url.rpartition("viewPanel=")[2])]
        assert url.startswith("http://127.0.0.1:3000/d/a2a-observe-runbooks/")
        assert panel["title"] == alert["alert"] and panel["options"]["content"]
    for record in rules.recording_rules(rules.RuleSettings()):
        assert re.fullmatch(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", record["record"]), record["record"]
    burns = [a for a in alerts if a["alert"] == "A2AAgentLatencyBudgetBurn"]
    assert {b["labels"]["severity"] for b in burns} == {"critical", "warning"}


def test_settings_reject_an_objective_that_is_not_a_bucket() -> None:
    with pytest.raises(ValueError, match="bucket boundary"):
        rules.RuleSettings(latency_objective_seconds=3.0)


async def test_every_metric_a_query_names_is_exported() -> None:
    """Names come from a real traffic run through the demo network, as Prometheus scrapes them."""
    with demo_network(slow_seconds=0.05) as network:
        await traffic(network)
    exposition = generate_latest(PROMETHEUS_REGISTRY).decode()
    exported = {s.name for family in text_string_to_metric_families(exposition) for s in family.samples}
    assert {n for m in names.METRICS.values() for n in m.sample_names()} <= exported
    recorded = {r["record"] for s in (rules.RuleSettings(), rules.FAST) for r in rules.recording_rules(s)}
    used: dict[str, set[str]] = {}
    for where, expr in all_queries():
        for metric in promql.metric_names(expr):
            used.setdefault(metric, set()).add(where)
    unknown = {
        m: w for m, w in used.items() if m not in exported | recorded | PROMETHEUS_INTERNAL | PROMETHEUS_SELF
    }
    assert not unknown, unknown
    assert set(used) & exported, "no query names an exported metric: the name extraction is broken"


def test_metric_names_reads_selectors_not_labels_or_functions() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, job) (rate(a_bucket{job=~"$job", x="y(z"}[5m])))'
        " / on (job) group_left (k) b_total offset 5m > 1e3 and up == 0"
    )
    assert promql.metric_names(expr) == {"a_bucket", "b_total", "up"}
    assert promql.metric_names('label_values(c_count{job=~"$job"}, gen_ai_agent_name)') == {"c_count"}


def test_yaml_writer_round_trips_through_pyyaml() -> None:
    for content in (
        rules.rule_groups(),
        rules.rule_groups(rules.FAST, interval="1s"),
        export.dashboard_provider(),
        export.datasources(),
        {"a": {}, "b": [], "c": [{"x": 1, "y": [True, "on", "1.0", "a: b", None]}], "d": 'say "hi"'},
    ):
        assert yaml.safe_load(yamlout.dumps(content)) == content


def test_committed_files_are_the_generators_output() -> None:
    for relative, content in export.files().items():
        path = DASHBOARDS / relative
        assert path.is_file(), f"{relative} missing: run a2a-observe dashboards export dashboards"
        assert path.read_text(encoding="utf-8") == content, f"{relative} is stale: re-export"


def test_cli_exports_every_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["dashboards", "export", str(tmp_path), "--runbook-url", "https://runbooks.example/{anchor}"])
        == 0
    )
    written = capsys.readouterr().out.split()
    assert sorted(Path(p).relative_to(tmp_path).as_posix() for p in written) == sorted(export.files())
    for path in tmp_path.glob("grafana/*.json"):
        assert json.loads(path.read_text())["uid"].startswith("a2a-observe-")
    groups = yaml.safe_load((tmp_path / export.RULES_FILE).read_text())["groups"]
    urls = {r["annotations"]["runbook_url"] for g in groups for r in g["rules"] if "alert" in r}
    assert "https://runbooks.example/a2aagenthigherrorratio" in urls
    assert main(["dashboards", "export", str(tmp_path), "--grafana-url", "https://grafana.example/"]) == 0
    groups = yaml.safe_load((tmp_path / export.RULES_FILE).read_text())["groups"]
    urls = {r["annotations"]["runbook_url"] for g in groups for r in g["rules"] if "alert" in r}
    assert "https://grafana.example/d/a2a-observe-runbooks/a2a-runbooks?viewPanel=1" in urls
    assert main(["dashboards", "export", str(tmp_path), "--runbook-url", "docs/{anchor}"]) == 2
    assert "must be an absolute http(s) URL" in capsys.readouterr().err


def test_runbooks_dashboard_says_what_the_docs_say() -> None:
    docs = (DOCS / "dashboards.md").read_text(encoding="utf-8")
    section = docs[docs.index("## Runbooks\n") :]
    written = dict(re.findall(r"^### (\w+)\n(.*?)(?=\n### |\Z)", section, re.M | re.S))
    dashboard = grafana.runbooks()
    shown = {p["title"]: " ".join(p["options"]["content"].split()) for p in dashboard["panels"]}
    assert shown == {name: " ".join(text.split()) for name, text in written.items()}
    assert {a["alert"] for a in rules.alerting_rules(rules.RuleSettings())} == set(shown)


def _stat(dashboard: dict[str, Any], title: str) -> dict[str, Any]:
    return next(p for p in dashboard["panels"] if p["title"] == title)


def test_thresholds_are_the_alert_rules_numbers() -> None:
    for settings in (rules.RuleSettings(), rules.RuleSettings(error_ratio=0.02, stream_error_ratio=0.1)):
        boards = grafana.dashboards(settings)

        def red(dashboard: str, title: str, boards: dict[str, Any] = boards) -> float:
            steps = _stat(boards[dashboard], title)["fieldConfig"]["defaults"]["thresholds"]["steps"]
            assert steps[0] == {"color": "green", "value": None}
            return next(step["value"] for step in steps if step["color"] == "red")

        assert red("a2a-overview", "Error ratio") == settings.error_ratio
        assert red("a2a-overview", "Error ratio by agent") == settings.error_ratio
        assert red("a2a-overview", "p95 latency") == settings.latency_objective_seconds
        assert red("a2a-streams", "Streams ending in error") == settings.stream_error_ratio


def test_overview_has_red_table_per_agent_latency_caller_errors_and_trace_links() -> None:
    overview = grafana.dashboards()["a2a-overview"]
    table = _stat(overview, "RED by agent and method")
    assert table["type"] == "table" and all(t["format"] == "table" and t["instant"] for t in table["targets"])
    assert len(table["targets"]) == 3
    latency = _stat(overview, "Latency quantiles: $agent")
    assert latency["repeat"] == "agent"  # one graph per agent, not every agent's p99 on one
    caller = _stat(overview, "Error ratio from caller to called agent")
    assert (
        "job" in caller["targets"][0]["expr"]
        and caller["targets"][0]["legendFormat"] == "{{job}} → {{gen_ai_agent_name}}"
    )
    assert any(
        "span.gen_ai.agent.name%20%3D~%20%5C%22${agent:regex}" in link["url"] for link in table["links"]
    )
    conversation = next(link for link in overview["links"] if "conversation" in link["title"])
    assert "$conversation" in conversation["url"] and "gen_ai.conversation.id" in conversation["url"]
    assert any(v["name"] == "conversation" and v["type"] == "textbox" for v in overview["templating"]["list"])
