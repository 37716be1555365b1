"""``import a2a_observe.auto`` with nothing but an OTLP endpoint configured exports over OTLP,
as opentelemetry-distro would, to a real OTLP/HTTP receiver (``a2a-observe collect``)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from a2a_observe import semconv
from a2a_observe.signals.providers import otlp_defaults
from tests.support.paths import APPS
from tests.support.store import Collector, start_collector

APP = APPS / "logging_app.py"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {}),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
            {
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_METRICS_EXPORTER": "otlp",
                "OTEL_LOGS_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            },
        ),
        (
            {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"},
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
        ),
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
                "OTEL_TRACES_EXPORTER": "console",
                "OTEL_METRICS_EXPORTER": "prometheus",
                "OTEL_LOGS_EXPORTER": "none",
            },
            {},
        ),
        (
            {"OTEL_TRACES_EXPORTER": "console,otlp", "OTEL_METRICS_EXPORTER": " "},
            {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
        ),
    ],
    ids=["nothing-set", "endpoint-only", "traces-endpoint-only", "all-chosen", "otlp-chosen-no-protocol"],
)
def test_what_is_filled_in(env: dict[str, str], expected: dict[str, str]) -> None:
    assert otlp_defaults(env) == expected


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    running = start_collector(tmp_path / "collected.duckdb")
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


class _MetricsReceiver(BaseHTTPRequestHandler):
    """OTLP/HTTP metrics: keeps each request's path and body."""

    received: list[tuple[str, bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def metrics_receiver() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    _MetricsReceiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MetricsReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _MetricsReceiver.received
    server.shutdown()
    server.server_close()


def run_app(**env: str) -> tuple[str, str]:
    """The logging app with only ``env`` among the OpenTelemetry settings; (task id, stderr)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "A2A_OBSERVE_"))}
    environment.update(OTEL_SERVICE_NAME="endpoint-only-app", **env)
    result = subprocess.run(
        [sys.executable, str(APP)], capture_output=True, text=True, env=environment, timeout=90, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = re.search(r"RESULT state=3 text='logged' task=(\S+)", result.stderr)
    assert found, result.stderr[-3000:]
    return found.group(1), result.stderr


def stored(collector: Collector) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Stop the collector (SIGTERM flushes) and read its spans and log records."""
    collector.process.send_signal(signal.SIGTERM)
    collector.process.wait(timeout=60)
    con = duckdb.connect(str(collector.db), read_only=True)
    try:
        spans = con.execute("SELECT name, kind, trace_id, service_name, attributes FROM spans").fetchall()
        logs = con.execute("SELECT body, trace_id, service_name FROM logs").fetchall()
    finally:
        con.close()
    return spans, logs


def one_send_message_trace(spans: list[tuple[Any, ...]], task_id: str) -> str:
    calls = [s for s in spans if s[0] == "SendMessage"]
    assert sorted(s[1] for s in calls) == ["CLIENT", "SERVER"]
    assert {s[3] for s in calls} == {"endpoint-only-app"}
    server = next(s for s in calls if s[1] == "SERVER")
    assert json.loads(server[4])[semconv.A2A_TASK_ID] == task_id
    trace_ids = {s[2] for s in calls}
    assert len(trace_ids) == 1
    return trace_ids.pop()


def test_the_endpoint_alone_sends_traces_and_logs(collector: Collector) -> None:
    task_id, _ = run_app(OTEL_EXPORTER_OTLP_ENDPOINT=collector.url, OTEL_METRICS_EXPORTER="none")
    spans, logs = stored(collector)
    trace_id = one_send_message_trace(spans, task_id)
    lines = [log for log in logs if log[0] == "stdlib line"]
    assert lines, "stdlib records reach the OTLP logs endpoint"
    assert {log[1] for log in lines} == {trace_id}
    assert {log[2] for log in lines} == {"endpoint-only-app"}


def test_each_signal_goes_to_its_own_endpoint_and_only_configured_signals_are_exported(
    collector: Collector, metrics_receiver: tuple[str, list[tuple[str, bytes]]]
) -> None:
    metrics_url, received = metrics_receiver
    task_id, stderr = run_app(
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"{collector.url}/v1/traces",
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=f"{metrics_url}/v1/metrics",
    )
    spans, logs = stored(collector)
    one_send_message_trace(spans, task_id)
    assert logs == [], "no logs endpoint, no logs exporter"
    assert received and {path for path, _ in received} == {"/v1/metrics"}
    names = set()
    for _, body in received:
        request = ExportMetricsServiceRequest()
        request.ParseFromString(body)
        for resource_metrics in request.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                names.update(m.name for m in scope_metrics.metrics)
    assert {semconv.METRIC_RPC_CLIENT_DURATION, semconv.METRIC_RPC_SERVER_DURATION} <= names
    assert "Failed to export" not in stderr


def test_an_exporter_set_to_none_stays_off(collector: Collector) -> None:
    run_app(
        OTEL_EXPORTER_OTLP_ENDPOINT=collector.url, OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none"
    )
    spans, logs = stored(collector)
    assert spans == []
    assert [log for log in logs if log[0] == "stdlib line"], "logs still go out"
