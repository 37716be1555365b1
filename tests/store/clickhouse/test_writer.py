"""``a2a-observe collect --db chdb:///…``: OTLP in, the Collector's clickhouseexporter rows out,
in the real ClickHouse engine (chdb) with the exporter's DDL."""

from __future__ import annotations

import pytest
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from a2a_observe import semconv
from a2a_observe.collect.receiver import LOGS_PATH, METRICS_PATH, TRACES_PATH
from a2a_observe.store.clickhouse.location import parse_location
from a2a_observe.store.clickhouse.values import as_text, typed
from a2a_observe.store.errors import StoreError
from tests.support.clickhouse import chdb_url, query
from tests.support.store import post, receiver_in_thread

EXPORTER_TRACE_COLUMNS = [
    ("Timestamp", "DateTime64(9)"),
    ("TraceId", "String"),
    ("SpanId", "String"),
    ("ParentSpanId", "String"),
    ("TraceState", "String"),
    ("SpanName", "LowCardinality(String)"),
    ("SpanKind", "LowCardinality(String)"),
    ("ServiceName", "LowCardinality(String)"),
    ("ResourceAttributes", "Map(LowCardinality(String), String)"),
    ("ScopeName", "String"),
    ("ScopeVersion", "String"),
    ("SpanAttributes", "Map(LowCardinality(String), String)"),
    ("Duration", "UInt64"),
    ("StatusCode", "LowCardinality(String)"),
    ("StatusMessage", "String"),
    ("Events.Timestamp", "Array(DateTime64(9))"),
    ("Events.Name", "Array(LowCardinality(String))"),
    ("Events.Attributes", "Array(Map(LowCardinality(String), String))"),
    ("Links.TraceId", "Array(String)"),
    ("Links.SpanId", "Array(String)"),
    ("Links.TraceState", "Array(String)"),
    ("Links.Attributes", "Array(Map(LowCardinality(String), String))"),
    ("ResourceAttributeItems", "Array(String)"),
    ("SpanAttributeItems", "Array(String)"),
]


def _spans() -> bytes:
    out = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "billing", "deployment": "eu"}))
    provider.add_span_processor(SimpleSpanProcessor(out))
    tracer = provider.get_tracer("a2a-observe", "1.2")
    with tracer.start_as_current_span("SendMessage", kind=SpanKind.CLIENT) as client:
        client.set_attribute(semconv.GEN_AI_CONVERSATION_ID, "ctx-1")
        with tracer.start_as_current_span("SendMessage", kind=SpanKind.SERVER) as server:
            server.set_attributes(
                {
                    semconv.GEN_AI_CONVERSATION_ID: "ctx-1",
                    semconv.A2A_TASK_ID: "task-1",
                    semconv.A2A_MESSAGE_PARTS_COUNT: 2,
                    semconv.A2A_STREAM_TIME_TO_FIRST_EVENT: 0.25,
                    semconv.A2A_MESSAGE_PARTS_KINDS: ["text", "data"],
                }
            )
            server.add_event(
                semconv.EVENT_TASK_STATUS,
                {semconv.A2A_TASK_STATE: semconv.TASK_STATE_FAILED, semconv.A2A_TASK_FINAL: True},
            )
            server.set_status(Status(StatusCode.ERROR, "boom"))
    return encode_spans(out.get_finished_spans()).SerializeToString()


def _logs() -> bytes:
    out = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource.create({"service.name": "billing"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(out))
    provider.get_logger("agent").emit(
        body="late event", attributes={semconv.GEN_AI_CONVERSATION_ID: "ctx-1"}, severity_text="INFO"
    )
    return encode_logs(out.get_finished_logs()).SerializeToString()


def test_the_schema_is_the_exporters() -> None:
    url = chdb_url("schema")
    with receiver_in_thread(url):
        pass
    columns = query(
        url, "SELECT name, type FROM system.columns WHERE database = '{db}' AND table = 'otel_traces'"
    )
    assert [tuple(row) for row in columns] == EXPORTER_TRACE_COLUMNS
    logs = query(url, "SELECT name FROM system.columns WHERE database = '{db}' AND table = 'otel_logs'")
    assert [row[0] for row in logs][:3] == ["Timestamp", "TimestampTime", "TraceId"]


def test_spans_and_logs_are_stored_as_the_collector_stores_them() -> None:
    url = chdb_url("rows")
    with receiver_in_thread(url) as (base, _writer):
        assert post(base + TRACES_PATH, _spans())[0] == 200
        assert post(base + LOGS_PATH, _logs())[0] == 200
        status, _, _body = post(base + METRICS_PATH, ExportMetricsServiceRequest().SerializeToString())
        assert status == 200, "an empty metrics request has nothing to refuse"
    rows = query(
        url,
        "SELECT SpanKind, StatusCode, StatusMessage, ServiceName, ScopeName, ScopeVersion, "
        "ResourceAttributes['deployment'], SpanAttributes, Events.Name, Events.Attributes, "
        "ParentSpanId = '', Duration > 0 FROM {db}.otel_traces ORDER BY SpanKind",
    )
    client, server = rows
    assert client[:2] == ("Client", "Unset") and client[10] == 1
    assert server[:7] == ("Server", "Error", "boom", "billing", "a2a-observe", "1.2", "eu")
    assert server[7] == {
        semconv.GEN_AI_CONVERSATION_ID: "ctx-1",
        semconv.A2A_TASK_ID: "task-1",
        semconv.A2A_MESSAGE_PARTS_COUNT: "2",
        semconv.A2A_STREAM_TIME_TO_FIRST_EVENT: "0.25",
        semconv.A2A_MESSAGE_PARTS_KINDS: '["text","data"]',
    }
    assert server[8] == [semconv.EVENT_TASK_STATUS]
    assert server[9] == [{semconv.A2A_TASK_STATE: semconv.TASK_STATE_FAILED, semconv.A2A_TASK_FINAL: "true"}]
    assert (server[10], server[11]) == (0, 1)
    logs = query(url, "SELECT Body, SeverityText, ServiceName, LogAttributes, TraceId FROM {db}.otel_logs")
    assert logs == [("late event", "INFO", "billing", {semconv.GEN_AI_CONVERSATION_ID: "ctx-1"}, "")]


def test_the_conventions_types_come_back_and_other_values_stay_text() -> None:
    values = {
        semconv.A2A_TASK_FINAL: False,
        semconv.A2A_MESSAGE_SIZE: 1234,
        semconv.A2A_STREAM_TIME_TO_FIRST_EVENT: 1e-7,
        semconv.A2A_MESSAGE_REFERENCE_TASK_IDS: ["a", "b"],
        "gen_ai.usage.input_tokens": 12,
        "custom.flag": True,
        "custom.count": 3,
    }
    text = {key: as_text(value) for key, value in values.items()}
    assert text[semconv.A2A_STREAM_TIME_TO_FIRST_EVENT] == "0.0000001", "Go's shortest fixed notation"
    back = typed(text)
    assert {k: back[k] for k in list(values)[:5]} == {k: values[k] for k in list(values)[:5]}
    assert (back["custom.flag"], back["custom.count"]) == ("true", "3")


def test_metrics_are_refused_with_a_reason_and_spans_still_arrive() -> None:
    from opentelemetry.proto.metrics.v1.metrics_pb2 import (
        Gauge,
        Metric,
        NumberDataPoint,
        ResourceMetrics,
        ScopeMetrics,
    )

    request = ExportMetricsServiceRequest(
        resource_metrics=[
            ResourceMetrics(
                scope_metrics=[
                    ScopeMetrics(
                        metrics=[
                            Metric(
                                name="m",
                                gauge=Gauge(data_points=[NumberDataPoint(as_int=1, time_unix_nano=5)]),
                            )
                        ]
                    )
                ]
            )
        ]
    )
    url = chdb_url("metrics")
    with receiver_in_thread(url) as (base, _):
        status, _, body = post(base + METRICS_PATH, request.SerializeToString())
        assert status == 400 and b"Prometheus" in body
        assert post(base + TRACES_PATH, _spans())[0] == 200
    assert query(url, "SELECT count() FROM {db}.otel_traces") == [(2,)]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("chdb:///var/a2a/ch", ("chdb", "otel", "/var/a2a/ch", None)),
        ("chdb:///var/a2a/ch?database=team", ("chdb", "team", "/var/a2a/ch", None)),
        ("chdb://./rel/ch", ("chdb", "otel", "rel/ch", None)),
        ("clickhouse://ops:s3cret@127.0.0.1:8124/fleet", ("clickhouse", "fleet", None, "127.0.0.1")),
        ("clickhouse://127.0.0.1", ("clickhouse", "otel", None, "127.0.0.1")),
    ],
)
def test_store_urls(url: str, expected: tuple[str, str, str | None, str | None]) -> None:
    location = parse_location(url)
    path = str(location.path) if location.path else None
    assert (location.scheme, location.database, path, location.host) == expected
    assert "s3cret" not in str(location)


@pytest.mark.parametrize("url", ["chdb://host/x", "chdb:///", "clickhouse:///db", "clickhouse://h:port/x"])
def test_bad_store_urls_say_what_is_wrong(url: str) -> None:
    with pytest.raises(StoreError, match=r"chdb|ClickHouse|port"):
        parse_location(url)


def test_the_collect_command_writes_chdb_and_sigterm_keeps_everything(tmp_path) -> None:
    import signal

    from tests.support.store import start_collector

    url = f"chdb://{tmp_path / 'engine'}"
    collector = start_collector(url)  # type: ignore[arg-type]
    try:
        assert post(collector.url + TRACES_PATH, _spans())[0] == 200
        assert post(collector.url + LOGS_PATH, _logs())[0] == 200
        import urllib.error
        import urllib.request

        try:
            urllib.request.urlopen(collector.url + "/v1/snapshot", timeout=30)
        except urllib.error.HTTPError as exc:
            assert exc.code == 404 and "readers open it there" in exc.read().decode()
        else:
            raise AssertionError("a ClickHouse collector has no snapshots to give")
        collector.process.send_signal(signal.SIGTERM)
        assert collector.process.wait(60) == 0
    finally:
        if collector.process.poll() is None:
            collector.process.kill()
    # Another process: the collector let go of the engine's folder when it stopped.
    import subprocess
    import sys

    script = (
        "from tests.support.clickhouse import query;"
        f"print(query({url!r}, 'SELECT count() FROM {{db}}.otel_traces')[0][0],"
        f"query({url!r}, 'SELECT count() FROM {{db}}.otel_logs')[0][0])"
    )
    counted = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert counted.stdout.split() == ["2", "1"]
