"""The Collector pipelines and the Grafana stack in ``collectors/``.

No Collector binary runs here, so the configurations are checked for what breaks them in
practice (YAML, components used but not defined, files the compose stack mounts), and the
receiver is sent exactly the requests the Collector's ``otlphttp`` exporter makes.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from a2a_observe import semconv
from a2a_observe.collect.receiver import LOGS_PATH, TRACES_PATH
from a2a_observe.store import open_snapshot
from tests.support.paths import ROOT
from tests.support.store import post, receiver_in_thread

COLLECTORS = ROOT / "collectors"
COLLECTOR_CONFIGS = sorted(COLLECTORS.glob("*.yaml"))
ALL_YAML = sorted([*COLLECTORS.rglob("*.yaml"), *COLLECTORS.rglob("*.yml")])
SECTIONS = {"receivers", "processors", "exporters", "connectors", "extensions"}


def _load(path: Path):
    return yaml.safe_load(path.read_text())


def test_there_are_configs_for_every_pipeline() -> None:
    names = {p.name for p in ALL_YAML}
    assert {"agents-to-a2a-observe.yaml", "full-stack.yaml", "compose.yaml"} <= names


@pytest.mark.parametrize("path", ALL_YAML, ids=lambda p: str(p.relative_to(COLLECTORS)))
def test_every_file_is_valid_yaml(path: Path) -> None:
    assert isinstance(_load(path), dict)


@pytest.mark.parametrize("path", COLLECTOR_CONFIGS, ids=lambda p: p.name)
def test_every_component_a_pipeline_names_is_defined(path: Path) -> None:
    config = _load(path)
    assert set(config) <= SECTIONS | {"service"}
    service = config["service"]
    for extension in service.get("extensions", []):
        assert extension in config["extensions"], extension
    pipelines = service["pipelines"]
    assert pipelines
    for name, pipeline in pipelines.items():
        assert re.fullmatch(r"(traces|metrics|logs)(/[\w.-]+)?", name), name
        assert pipeline["receivers"] and pipeline["exporters"], name
        for section in ("receivers", "processors", "exporters"):
            for component in pipeline.get(section, []):
                defined = {**config.get(section, {}), **config.get("connectors", {})}
                assert component in defined, f"{path.name}: {name} uses undefined {section[:-1]} {component}"
    used = {
        c for p in pipelines.values() for s in ("receivers", "processors", "exporters") for c in p.get(s, [])
    }
    for section in ("receivers", "processors", "exporters"):
        assert set(config.get(section, {})) <= used, f"{path.name}: defined but unused {section}"


@pytest.mark.parametrize("path", COLLECTOR_CONFIGS, ids=lambda p: p.name)
def test_traces_and_logs_reach_a2a_observe_by_otlphttp(path: Path) -> None:
    config = _load(path)
    exporter = config["exporters"]["otlphttp/a2a-observe"]
    assert exporter.get("compression", "gzip") == "gzip"
    assert exporter.get("encoding", "proto") == "proto"
    assert urlsplit(exporter["endpoint"]).path in ("", "/")
    signals = {
        name.split("/")[0]
        for name, pipeline in config["service"]["pipelines"].items()
        if "otlphttp/a2a-observe" in pipeline["exporters"]
    }
    assert signals == {"traces", "logs"}
    for pipeline in config["service"]["pipelines"].values():
        if "otlphttp/a2a-observe" in pipeline["exporters"]:
            assert "tail_sampling" not in pipeline.get("processors", []), "the store needs every span"


def test_tail_sampling_keeps_every_trace_with_an_error_or_a_failed_task() -> None:
    config = _load(COLLECTORS / "full-stack.yaml")
    policies = config["processors"]["tail_sampling"]["policies"]
    by_type = {p["type"]: p for p in policies}
    assert by_type["status_code"]["status_code"]["status_codes"] == ["ERROR"]
    attribute = by_type["string_attribute"]["string_attribute"]
    assert attribute["key"] == semconv.A2A_TASK_STATE
    unsuccessful = semconv.TERMINAL_TASK_STATES - {semconv.TASK_STATE_COMPLETED}
    values = set(attribute["values"])
    assert values >= unsuccessful
    assert {semconv.task_state(v) for v in values} == unsuccessful, "older agents' spellings of the same"
    tempo = [p for p in config["service"]["pipelines"].values() if "otlp/tempo" in p["exporters"]]
    assert tempo and all("tail_sampling" in p["processors"] for p in tempo)


def test_the_compose_stack_mounts_files_that_exist_and_publishes_on_loopback_only() -> None:
    folder = COLLECTORS / "grafana-stack"
    compose = _load(folder / "compose.yaml")
    services = compose["services"]
    assert {"otel-collector", "tempo", "prometheus", "loki", "grafana"} <= set(services)
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert (folder / source).resolve().is_file(), f"{name} mounts missing {source}"
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
        for dependency in service.get("depends_on", []):
            assert dependency in services
    prometheus = _load(folder / "prometheus.yml")
    targets = prometheus["scrape_configs"][0]["static_configs"][0]["targets"]
    collector = _load(COLLECTORS / "full-stack.yaml")
    assert targets == [f"otel-collector:{collector['exporters']['prometheus']['endpoint'].rsplit(':', 1)[1]}"]


def _otlphttp_request(url: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """What the Collector's otlphttp exporter sends: protobuf, gzip, its own user agent."""
    return post(
        url + path,
        gzip.compress(body),
        "application/x-protobuf",
        **{"Content-Encoding": "gzip", "User-Agent": "OpenTelemetry Collector Contrib/0.120.0 (linux/amd64)"},
    )


def test_the_receiver_accepts_exactly_what_otlphttp_sends(tmp_path: Path) -> None:
    config = _load(COLLECTORS / "agents-to-a2a-observe.yaml")
    endpoint = urlsplit(config["exporters"]["otlphttp/a2a-observe"]["endpoint"])
    spans_out = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans_out))
    with tracer_provider.get_tracer("agent").start_as_current_span("SendMessage"):
        logs_out = InMemoryLogRecordExporter()
        logger_provider = LoggerProvider()
        logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs_out))
        logger_provider.get_logger("agent").emit(body="hello")
    traces_body = encode_spans(spans_out.get_finished_spans()).SerializeToString()
    logs_body = encode_logs(logs_out.get_finished_logs()).SerializeToString()
    with receiver_in_thread(tmp_path / "from-collector.duckdb") as (url, writer):
        base = f"{endpoint.scheme}://{urlsplit(url).netloc}{endpoint.path.rstrip('/')}"
        status, headers, reply = _otlphttp_request(base, TRACES_PATH, traces_body)
        assert (status, headers["content-type"]) == (200, "application/x-protobuf")
        response = ExportTraceServiceResponse()
        response.ParseFromString(reply)
        assert not response.HasField("partial_success")
        status, headers, reply = _otlphttp_request(base, LOGS_PATH, logs_body)
        assert (status, headers["content-type"]) == (200, "application/x-protobuf")
        ExportLogsServiceResponse().ParseFromString(reply)
        con = open_snapshot(writer.path)
        assert con.execute("SELECT name FROM spans").fetchall() == [("SendMessage",)]
        assert con.execute("SELECT body, trace_id IS NOT NULL FROM logs").fetchall() == [("hello", True)]
