"""``a2a-observe import``: OTLP JSON files as the Collector's file exporter writes them."""

from __future__ import annotations

import base64
import gzip
import json
import signal
from pathlib import Path

import pytest
from google.protobuf import json_format
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from a2a_observe import semconv
from a2a_observe.cli import main
from a2a_observe.store import DuckDBLogExporter, DuckDBSpanExporter, open_snapshot
from tests.support.store import post, receiver_in_thread, start_collector, table_rows


def _hex_ids(node):
    """The file exporter writes OTLP/JSON: ids in hex."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str):
                node[key] = base64.b64decode(value).hex()
            else:
                _hex_ids(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids(item)
    return node


@pytest.fixture(scope="module")
def telemetry():
    spans_out = InMemorySpanExporter()
    tracer_provider = TracerProvider(resource=Resource.create({semconv.SERVICE_NAME: "importer-test"}))
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans_out))
    tracer = tracer_provider.get_tracer("t", "1.0")
    logs_out = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider(resource=tracer_provider.resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs_out))
    for turn in range(3):
        with tracer.start_as_current_span(
            "SendMessage", attributes={semconv.GEN_AI_CONVERSATION_ID: "ctx", semconv.A2A_TASK_ID: f"t{turn}"}
        ) as span:
            span.add_event(semconv.EVENT_TASK_STATUS, {semconv.A2A_TASK_STATE: semconv.TASK_STATE_WORKING})
            with tracer.start_as_current_span("child"):
                logger_provider.get_logger("agent").emit(
                    body=f"turn {turn}", severity_number=SeverityNumber.INFO
                )
    return list(spans_out.get_finished_spans()), list(logs_out.get_finished_logs())


def _lines(telemetry) -> list[str]:
    spans, logs = telemetry
    return [
        json.dumps(_hex_ids(json_format.MessageToDict(encode_spans(spans[:3])))),
        json.dumps(_hex_ids(json_format.MessageToDict(encode_logs(logs)))),
        json.dumps(_hex_ids(json_format.MessageToDict(encode_spans(spans[3:])))),
        json.dumps({"resourceMetrics": []}),
    ]


def _expected(telemetry, tmp_path: Path):
    spans, logs = telemetry
    db = tmp_path / "expected.duckdb"
    span_exporter, log_exporter = DuckDBSpanExporter(db), DuckDBLogExporter(db)
    span_exporter.export(spans)
    log_exporter.export(logs)
    span_exporter.shutdown()
    log_exporter.shutdown()
    return open_snapshot(db)


def test_imported_files_store_the_same_rows_as_the_exporters(telemetry, tmp_path: Path, capsys) -> None:
    plain = tmp_path / "traces.json"
    plain.write_text("\n".join(_lines(telemetry)[:2]) + "\n")
    zipped = tmp_path / "more.json.gz"
    zipped.write_bytes(gzip.compress(("\n".join(_lines(telemetry)[2:]) + "\n").encode()))
    db = tmp_path / "imported.duckdb"
    assert main(["import", str(plain), str(zipped), "--db", str(db)]) == 0
    err = capsys.readouterr().err
    assert "100%" in err
    assert "imported 6 spans, 3 log records and 0 metric points" in err
    imported, expected = open_snapshot(db), _expected(telemetry, tmp_path)
    for table in ("resources", "spans", "span_events", "span_links", "logs"):
        assert table_rows(imported, table) == table_rows(expected, table), table


def test_a_pretty_printed_single_request_is_read_too(telemetry, tmp_path: Path) -> None:
    spans, _ = telemetry
    document = tmp_path / "one.json"
    document.write_text(json.dumps(_hex_ids(json_format.MessageToDict(encode_spans(spans))), indent=2))
    db = tmp_path / "one.duckdb"
    assert main(["import", str(document), "--db", str(db), "--quiet"]) == 0
    assert open_snapshot(db).execute("SELECT count(*) FROM spans").fetchone() == (6,)


def test_bad_lines_are_named_and_skipped_and_the_rest_is_kept(telemetry, tmp_path: Path, capsys) -> None:
    lines = _lines(telemetry)
    broken = tmp_path / "broken.json"
    broken.write_text("\n".join([lines[0], '{"resourceSpans": [{"scopeSpans": 7}]}', "{truncated", lines[2]]))
    db = tmp_path / "partial.duckdb"
    assert main(["import", str(broken), "--db", str(db), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert f"{broken}:2: JSON body does not match ExportTraceServiceRequest" in err
    assert f"{broken}:3: body is not valid JSON" in err
    assert open_snapshot(db).execute("SELECT count(*) FROM spans").fetchone() == (6,)


def test_missing_files_and_a_store_held_by_a_collector_are_clear_errors(tmp_path: Path, capsys) -> None:
    db = tmp_path / "held.duckdb"
    assert main(["import", str(tmp_path / "nope.json"), "--db", str(db)]) == 2
    assert "no such file" in capsys.readouterr().err
    source = tmp_path / "x.json"
    source.write_text('{"resourceSpans": []}\n')
    collector = start_collector(db)
    try:
        assert main(["import", str(source), "--db", str(db)]) == 1
        err = capsys.readouterr().err
        assert "open for writing in another process" in err
        assert f"a collector at {collector.url} is writing it" in err
    finally:
        collector.process.send_signal(signal.SIGTERM)
        collector.process.wait(60)


def _metrics_request() -> bytes:
    """One OTLP/JSON metrics request from the OpenTelemetry SDK: a counter, a histogram and a
    gauge, as an app's metrics exporter (or the Collector's file exporter) writes them."""
    from opentelemetry.exporter.otlp.proto.common._internal.metrics_encoder import encode_metrics
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reader = InMemoryMetricReader()
    provider = MeterProvider(
        metric_readers=[reader], resource=Resource.create({semconv.SERVICE_NAME: "metered"})
    )
    meter = provider.get_meter("importer-test")
    meter.create_counter("calls", unit="1").add(3, {"route": "a"})
    meter.create_histogram("latency", unit="s").record(0.25, {"route": "a"})
    meter.create_gauge("queue").set(7)
    data = reader.get_metrics_data()
    provider.shutdown()
    assert data is not None
    return json.dumps(json_format.MessageToDict(encode_metrics(data))).encode()


def test_metrics_lines_are_imported_into_the_table_the_collector_fills(tmp_path: Path, capsys) -> None:
    document = _metrics_request()
    source = tmp_path / "metrics.json"
    source.write_bytes(document + b"\n")
    db = tmp_path / "imported.duckdb"
    assert main(["import", str(source), "--db", str(db)]) == 0
    assert "imported 0 spans, 0 log records and 3 metric points" in capsys.readouterr().err
    with receiver_in_thread(tmp_path / "collected.duckdb") as (url, writer):
        status, _, _ = post(f"{url}/v1/metrics", document, "application/json")
        assert status == 200
        collected = table_rows(open_snapshot(writer.path), "metric_points")
    imported = table_rows(open_snapshot(db), "metric_points")
    assert len(imported) == 3
    assert imported == collected
    names = open_snapshot(db).execute("SELECT name, service_name FROM metric_points ORDER BY name").fetchall()
    assert names == [("calls", "metered"), ("latency", "metered"), ("queue", "metered")]
