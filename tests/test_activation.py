"""Activation in a fresh process: ``import a2a_observe.auto`` in any order, the
``opentelemetry-instrument`` entry point, the off switch, an unreachable exporter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from a2a_observe import semconv
from a2a_observe.demo.serving import free_port
from tests.support.helpers import json_documents

APP = Path(__file__).parent / "apps" / "echo_app.py"
BIN = Path(sys.executable).parent


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "A2A_OBSERVE_"))}
    environment.update(
        OTEL_SERVICE_NAME="echo-app",
        OTEL_TRACES_EXPORTER="console",
        OTEL_METRICS_EXPORTER="none",
        OTEL_LOGS_EXPORTER="none",
        OTEL_BSP_SCHEDULE_DELAY="50",
    )
    environment.update(env)
    result = subprocess.run(args, capture_output=True, text=True, env=environment, timeout=90, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RESULT state=3 text='echo: hi'" in result.stderr, result.stderr[-3000:]
    return result


def exported_spans(stdout: str) -> list[dict[str, Any]]:
    """The console exporter prints one JSON document per span."""
    return json_documents(stdout)


def ours(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The console exporter does not print the scope; our spans are the ones with A2A names."""
    marks = (semconv.A2A_METHOD_NAME, semconv.GEN_AI_OPERATION_NAME)
    return [s for s in spans if any(m in s.get("attributes", {}) for m in marks)]


def sdk_own(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """a2a-sdk names its spans after its modules: ``a2a.server...``, ``a2a.client...``."""
    return [s for s in spans if s["name"].startswith("a2a.")]


def assert_one_trace(spans: list[dict[str, Any]]) -> None:
    names = sorted((s["name"], s["kind"]) for s in ours(spans))
    assert names == [("SendMessage", "SpanKind.CLIENT"), ("SendMessage", "SpanKind.SERVER")]
    assert len({s["context"]["trace_id"] for s in ours(spans)}) == 1
    assert {s["resource"]["attributes"]["service.name"] for s in ours(spans)} == {"echo-app"}
    assert sdk_own(spans) == []


@pytest.mark.parametrize("order", ["first", "last"])
def test_import_auto_before_or_after_the_sdk(order: str) -> None:
    result = run([sys.executable, str(APP), "--auto", order])
    assert_one_trace(exported_spans(result.stdout))


def test_opentelemetry_instrument_finds_the_entry_point() -> None:
    result = run([str(BIN / "opentelemetry-instrument"), sys.executable, str(APP), "--auto", "none"])
    assert_one_trace(exported_spans(result.stdout))


@pytest.mark.parametrize(
    ("how", "env"),
    [
        ("our switch", {"A2A_OBSERVE_DISABLED": "true"}),
        ("the OTel list", {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "a2a"}),
    ],
)
def test_switched_off(how: str, env: dict[str, str]) -> None:
    result = run([sys.executable, str(APP), "--auto", "first"], **env)
    assert ours(exported_spans(result.stdout)) == [], how
    result = run([str(BIN / "opentelemetry-instrument"), sys.executable, str(APP), "--auto", "none"], **env)
    assert ours(exported_spans(result.stdout)) == [], how


def test_an_unreachable_exporter_does_not_break_the_app() -> None:
    closed_port = free_port()
    run(
        [sys.executable, str(APP), "--auto", "first"],
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{closed_port}",
        OTEL_EXPORTER_OTLP_TIMEOUT="1",
    )
