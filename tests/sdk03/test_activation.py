"""a2a-sdk 0.3 activation in a fresh process: ``import a2a_observe.auto`` before or after
the SDK, and the ``opentelemetry-instrument`` entry point, give the same one trace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from a2a_observe import semconv
from tests.support.helpers import json_documents

APP = Path(__file__).resolve().parents[1] / "apps" / "sdk03_app.py"
BIN = Path(sys.executable).parent


def run(args: list[str]) -> list[dict[str, Any]]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "A2A_OBSERVE_"))}
    environment.update(
        OTEL_SERVICE_NAME="echo-app",
        OTEL_TRACES_EXPORTER="console",
        OTEL_METRICS_EXPORTER="none",
        OTEL_LOGS_EXPORTER="none",
        OTEL_BSP_SCHEDULE_DELAY="50",
    )
    result = subprocess.run(args, capture_output=True, text=True, env=environment, timeout=90, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RESULT state=completed text='echo: hi'" in result.stderr, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return json_documents(result.stdout)


def assert_one_trace(spans: list[dict[str, Any]]) -> None:
    marks = (semconv.A2A_METHOD_NAME, semconv.GEN_AI_OPERATION_NAME)
    ours = [s for s in spans if any(m in s.get("attributes", {}) for m in marks)]
    assert sorted((s["name"], s["kind"]) for s in ours) == [
        ("SendMessage", "SpanKind.CLIENT"),
        ("SendMessage", "SpanKind.SERVER"),
    ], "A2A requests only: no agent span by default"
    assert len({s["context"]["trace_id"] for s in ours}) == 1
    assert {s["resource"]["attributes"]["service.name"] for s in ours} == {"echo-app"}
    assert [s for s in spans if s["name"].startswith("a2a.")] == [], "the SDK's own spans are silenced"


@pytest.mark.parametrize("order", ["first", "last"])
def test_import_auto_before_or_after_the_sdk(order: str) -> None:
    assert_one_trace(run([sys.executable, str(APP), "--auto", order]))


def test_opentelemetry_instrument_finds_the_entry_point() -> None:
    assert_one_trace(run([str(BIN / "opentelemetry-instrument"), sys.executable, str(APP), "--auto", "none"]))
