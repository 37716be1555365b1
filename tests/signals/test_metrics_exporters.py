"""With ``import a2a_observe.auto``, ``OTEL_METRICS_EXPORTER`` behaves as under
``opentelemetry-instrument``: otlp, prometheus (host and port), console, none."""

from __future__ import annotations

import gzip
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from a2a_observe import semconv
from a2a_observe.demo.serving import free_port
from tests.test_activation import APP, BIN, run


class _Capture(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path == "/v1/metrics":
            type(self).bodies.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def otlp_endpoint() -> Iterator[tuple[str, list[bytes]]]:
    _Capture.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Capture.bodies
    server.shutdown()


def exported_metric_names(bodies: list[bytes]) -> set[str]:
    names = set()
    for body in bodies:
        request = ExportMetricsServiceRequest()
        request.ParseFromString(body)
        for resource_metrics in request.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                names.update(m.name for m in scope_metrics.metrics)
    return names


def test_otlp(otlp_endpoint) -> None:
    endpoint, bodies = otlp_endpoint
    run(
        [sys.executable, str(APP), "--auto", "first"],
        OTEL_TRACES_EXPORTER="none",
        OTEL_METRICS_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
    )
    names = exported_metric_names(bodies)
    assert {
        semconv.METRIC_RPC_CLIENT_DURATION,
        semconv.METRIC_RPC_SERVER_DURATION,
        semconv.METRIC_TASK_TRANSITIONS,
    } <= names


@pytest.mark.parametrize("launcher", ["auto", "opentelemetry-instrument"])
def test_prometheus_on_the_configured_host_and_port(launcher: str) -> None:
    port = free_port()
    command = [sys.executable, str(APP), "--auto", "first", "--scrape", f"http://127.0.0.1:{port}/metrics"]
    if launcher != "auto":
        command = [str(BIN / "opentelemetry-instrument"), sys.executable, str(APP), "--auto", "none"]
        command += ["--scrape", f"http://127.0.0.1:{port}/metrics"]
    result = run(
        command,
        OTEL_TRACES_EXPORTER="none",
        OTEL_METRICS_EXPORTER="prometheus",
        OTEL_EXPORTER_PROMETHEUS_HOST="127.0.0.1",
        OTEL_EXPORTER_PROMETHEUS_PORT=str(port),
    )
    scraped = result.stderr.split("SCRAPE ", 1)[1]
    assert "rpc_server_call_duration_seconds_count{" in scraped
    assert "a2a_task_transitions_total{" in scraped


def test_console_and_none() -> None:
    console = run(
        [sys.executable, str(APP), "--auto", "first"],
        OTEL_TRACES_EXPORTER="none",
        OTEL_METRICS_EXPORTER="console",
    )
    assert semconv.METRIC_RPC_SERVER_DURATION in console.stdout
    silent = run(
        [sys.executable, str(APP), "--auto", "first"],
        OTEL_TRACES_EXPORTER="none",
        OTEL_METRICS_EXPORTER="none",
    )
    assert semconv.METRIC_RPC_SERVER_DURATION not in silent.stdout
