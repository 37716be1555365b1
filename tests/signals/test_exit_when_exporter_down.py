"""An app whose OTLP endpoint is down: it still exits promptly (exporting is given up after
``A2A_OBSERVE_SHUTDOWN_TIMEOUT``), and says once on standard error that spans, log records and
metrics are being lost, the logs exporter included, whose own complaints the logging bridge
swallows. The metric reader exports once more when the meter provider shuts down at exit; its
exporter is stopped with the others."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from a2a_observe import semconv
from a2a_observe.signals.exporter_health import DEFAULT_EXIT_TIMEOUT_S, exit_timeout

APP = """
import logging
import a2a_observe.auto
from opentelemetry import trace
logging.getLogger("app").warning("hello from the app")
with trace.get_tracer("app").start_as_current_span("work"):
    pass
"""
METERED_APP = (
    APP
    + """
from opentelemetry import metrics
metrics.get_meter("app").create_counter("work.done").add(1)
"""
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(metrics_exporter: str) -> dict[str, str]:
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{_closed_port()}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": metrics_exporter,
        semconv.ENV_SHUTDOWN_TIMEOUT: "1",
    }
    env.pop(semconv.ENV_STORE, None)
    return env


def test_an_app_whose_exporter_is_down_gives_up_at_exit_and_says_so_once() -> None:
    env = _env("none")
    done = subprocess.run([sys.executable, "-c", APP], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    spans = [line for line in lines if line.startswith("a2a-observe: exporting spans")]
    logs = [line for line in lines if line.startswith("a2a-observe: exporting log records")]
    assert len(spans) == 1, done.stderr
    assert len(logs) == 1, done.stderr
    assert "OTLPSpanExporter failed" in spans[0]
    assert any("gave up exporting at exit after 1 s" in line for line in lines), done.stderr


def test_the_metrics_exporter_at_exit_is_under_the_same_bound() -> None:
    done = subprocess.run(
        [sys.executable, "-c", METERED_APP], env=_env("otlp"), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    metrics = [line for line in lines if line.startswith("a2a-observe: exporting metrics")]
    assert len(metrics) == 1, done.stderr
    assert "OTLPMetricExporter failed" in metrics[0]
    assert [line for line in lines if "gave up exporting at exit after 1 s" in line], done.stderr


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, DEFAULT_EXIT_TIMEOUT_S), ("", DEFAULT_EXIT_TIMEOUT_S), ("0.5", 0.5), ("12", 12.0)],
)
def test_the_exit_bound_comes_from_the_environment(raw: str | None, expected: float) -> None:
    env = {} if raw is None else {semconv.ENV_SHUTDOWN_TIMEOUT: raw}
    assert exit_timeout(env) == expected


@pytest.mark.parametrize("raw", ["0", "-3", "soon", "inf"])
def test_an_exit_bound_that_cannot_end_exporting_is_said_and_the_default_kept(raw: str, caplog) -> None:
    """0 would stop every export at once and infinity never: neither is a bound."""
    assert exit_timeout({semconv.ENV_SHUTDOWN_TIMEOUT: raw}) == DEFAULT_EXIT_TIMEOUT_S
    assert semconv.ENV_SHUTDOWN_TIMEOUT in caplog.text and repr(raw) in caplog.text
