"""The ClickHouse pipeline in ``collectors/clickhouse``: agents → Collector (batch, tail
sampling) → ClickHouse, with Grafana on top.

No Collector binary is installable here (not on PyPI, npm or Debian), so the configuration is
checked for what breaks it in practice: components used but not defined, the exporter's table
names, the DDL ClickHouse runs at first start (the very file the writer and the tests use), and
the dashboard's SQL, run on the real engine (chdb) against what ``collect`` wrote."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import yaml
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from a2a_observe import semconv
from a2a_observe.collect.receiver import TRACES_PATH
from a2a_observe.store.clickhouse import location, schema
from tests.support.clickhouse import chdb_url, query
from tests.support.paths import ROOT
from tests.support.store import post, receiver_in_thread

FOLDER = ROOT / "collectors" / "clickhouse"


def _load(name: str):
    return yaml.safe_load((FOLDER / name).read_text())


def test_every_component_a_pipeline_names_is_defined_and_used() -> None:
    config = _load("collector.yaml")
    pipelines = config["service"]["pipelines"]
    assert set(pipelines) == {"traces", "logs"}
    used = set()
    for pipeline in pipelines.values():
        for section in ("receivers", "processors", "exporters"):
            for component in pipeline.get(section, []):
                assert component in config[section], component
                used.add((section, component))
    defined = {
        (section, name) for section in ("receivers", "processors", "exporters") for name in config[section]
    }
    assert defined == used
    assert all(extension in config["extensions"] for extension in config["service"]["extensions"])


def test_the_exporter_writes_the_tables_a2a_observe_reads() -> None:
    exporter = _load("collector.yaml")["exporters"]["clickhouse"]
    assert exporter["database"] == location.DEFAULT_DATABASE
    assert (exporter["traces_table_name"], exporter["logs_table_name"]) == (
        location.TRACES_TABLE,
        location.LOGS_TABLE,
    )
    assert exporter["create_schema"] is False, "ClickHouse creates the tables from otel_schema.sql"
    assert exporter["endpoint"].startswith("tcp://clickhouse:9000")


def test_tail_sampling_keeps_every_trace_with_an_error_or_a_failed_task_and_logs_are_not_sampled() -> None:
    config = _load("collector.yaml")
    policies = {p["type"]: p for p in config["processors"]["tail_sampling"]["policies"]}
    assert policies["status_code"]["status_code"]["status_codes"] == ["ERROR"]
    attribute = policies["string_attribute"]["string_attribute"]
    assert attribute["key"] == semconv.A2A_TASK_STATE
    assert {semconv.task_state(v) for v in attribute["values"]} == semconv.TERMINAL_TASK_STATES - {
        semconv.TASK_STATE_COMPLETED
    }
    assert 0 < policies["probabilistic"]["probabilistic"]["sampling_percentage"] < 100
    pipelines = config["service"]["pipelines"]
    assert pipelines["traces"]["processors"][-1] == "batch"
    assert "tail_sampling" in pipelines["traces"]["processors"]
    assert "tail_sampling" not in pipelines["logs"]["processors"]


def test_clickhouse_runs_the_ddl_the_writer_and_the_tests_use() -> None:
    compose = _load("compose.yaml")
    mounted = {}
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith((".", "/")):
                assert (FOLDER / source).exists(), f"{name} mounts missing {source}"
                mounted[target] = (FOLDER / source).resolve()
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
        for dependency in service.get("depends_on", []):
            assert dependency in compose["services"]
    package = resources.files(schema.__package__)
    assert mounted["/docker-entrypoint-initdb.d/01-otel-schema.sql"] == Path(
        str(package.joinpath(schema.SCHEMA_FILE))
    )
    assert mounted["/docker-entrypoint-initdb.d/02-conversation-index.sql"] == Path(
        str(package.joinpath(schema.INDEX_FILE))
    )
    assert any("otel_traces" in s for s in schema.statements()) and any(
        "otel_logs" in s for s in schema.statements()
    )
    grafana = compose["services"]["grafana"]
    provider = yaml.safe_load((FOLDER / "grafana-dashboards.yaml").read_text())["providers"][0]
    assert mounted[provider["options"]["path"]] == (FOLDER / "dashboards").resolve()
    assert "grafana-clickhouse-datasource" in grafana["environment"]["GF_INSTALL_PLUGINS"]


def test_the_conversation_index_ddl_applies_to_the_exporters_tables() -> None:
    url = chdb_url("index")
    with receiver_in_thread(url):
        pass
    database = url.rsplit("=", 1)[1]
    from a2a_observe.store.clickhouse.client import connect
    from a2a_observe.store.clickhouse.location import parse_location

    client = connect(parse_location(url))
    try:
        for statement in schema.statements(database, schema.INDEX_FILE):
            client.command(statement)
    finally:
        client.close()
    indexes = query(
        url, "SELECT name FROM system.data_skipping_indices WHERE database = '{db}' AND table = 'otel_traces'"
    )
    assert {"idx_conversation_id", "idx_task_id", "idx_agent_name"} <= {row[0] for row in indexes}


def _grafana_sql(sql: str, database: str, conversation: str) -> str:
    """The macros and variables the ClickHouse data source replaces before it queries."""
    sql = sql.replace("$__timeFilter(Timestamp)", "Timestamp >= now() - INTERVAL 1 DAY")
    sql = sql.replace("${conversation:raw}", conversation).replace(
        "${store}", "clickhouse://a2a@127.0.0.1:8123/otel"
    )
    return re.sub(r"\botel\.", f"`{database}`.", sql)


def test_the_dashboard_lists_conversations_and_links_each_to_its_replay() -> None:
    dashboard = json.loads((FOLDER / "dashboards" / "a2a-conversations.json").read_text())
    datasource = yaml.safe_load((FOLDER / "grafana-datasources.yaml").read_text())["datasources"][0]
    panels = {panel["title"]: panel for panel in dashboard["panels"]}
    listing = panels["Conversations"]
    assert listing["datasource"]["uid"] == datasource["uid"]
    [link] = next(
        o["properties"][0]["value"]
        for o in listing["fieldConfig"]["overrides"]
        if o["matcher"]["options"] == "conversation"
    )
    assert f"/d/{dashboard['uid']}?var-conversation=${{__value.raw}}" in link["url"]
    replay = panels["Replay conversation $conversation"]["options"]["content"]
    assert (
        "a2a-observe replay ${store}" in replay and "a2a-observe export $conversation --db ${store}" in replay
    )

    out = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(out))
    tracer = provider.get_tracer("agent")
    with tracer.start_as_current_span("SendMessage", kind=SpanKind.SERVER) as span:
        span.set_attributes({semconv.GEN_AI_CONVERSATION_ID: "ctx-42", semconv.GEN_AI_AGENT_NAME: "echo"})
    url = chdb_url("dashboard")
    database = url.rsplit("=", 1)[1]
    with receiver_in_thread(url) as (base, _):
        assert post(base + TRACES_PATH, encode_spans(out.get_finished_spans()).SerializeToString())[0] == 200
    [row] = query(url, _grafana_sql(listing["targets"][0]["rawSql"], database, "ctx-42"))
    assert (row[0], row[3], row[5], row[6]) == ("ctx-42", 1, 0, "echo")
    assert row[7] == "a2a-observe export ctx-42 --db clickhouse://a2a@127.0.0.1:8123/otel --format markdown"
    spans = query(
        url,
        _grafana_sql(
            panels["Spans of conversation $conversation"]["targets"][0]["rawSql"], database, "ctx-42"
        ),
    )
    assert [(r[3], r[4], r[6]) for r in spans] == [("SendMessage", "Server", "echo")]
