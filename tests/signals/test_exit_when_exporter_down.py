"""An app whose OTLP endpoint is down: it still exits promptly (exporting is given up after
``A2A_OBSERVE_SHUTDOWN_TIMEOUT``), and says once on standard error that spans and log records
are being lost, the logs exporter included, whose own complaints the logging bridge swallows."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from a2a_observe import semconv

APP = """
import logging
import a2a_observe.auto
from opentelemetry import trace
logging.getLogger("app").warning("hello from the app")
with trace.get_tracer("app").start_as_current_span("work"):
    pass
"""


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_app_whose_exporter_is_down_gives_up_at_exit_and_says_so_once() -> None:
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{_closed_port()}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "none",
        semconv.ENV_SHUTDOWN_TIMEOUT: "1",
    }
    env.pop(semconv.ENV_STORE, None)
    done = subprocess.run([sys.executable, "-c", APP], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    spans = [line for line in lines if line.startswith("a2a-observe: exporting spans")]
    logs = [line for line in lines if line.startswith("a2a-observe: exporting log records")]
    assert len(spans) == 1, done.stderr
    assert len(logs) == 1, done.stderr
    assert "OTLPSpanExporter failed" in spans[0]
    assert any("gave up exporting at exit after 1 s" in line for line in lines), done.stderr
