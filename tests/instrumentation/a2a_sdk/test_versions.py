"""The a2a-sdk adapter is chosen by the installed version; a version outside the supported
range is left alone with one clear warning, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from a2a_observe.instrumentation.a2a_sdk.versions import SUPPORTED_RANGE, line_for


@pytest.mark.parametrize(
    ("version", "line"),
    [
        ("0.3.4", "0.3"),
        ("0.3.26", "0.3"),
        ("1.0.0", "1"),
        ("1.3.0", "1"),
        ("1.0.0a1", "1"),
        ("0.3.3", None),
        ("0.2.9", None),
        ("2.0.0", None),
        ("not-a-version", None),
    ],
)
def test_line_for_a_version(version: str, line: str | None) -> None:
    assert line_for(version) == line


def fake_sdk_metadata(where: Path, version: str) -> Path:
    """A dist-info that says ``version`` of a2a-sdk is installed, found before the real one."""
    info = where / f"a2a_sdk-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: a2a-sdk\nVersion: {version}\n")
    return where


@pytest.mark.parametrize("version", ["0.2.9", "2.0.0"])
def test_an_unsupported_sdk_gets_one_warning_and_no_traceback(tmp_path: Path, version: str) -> None:
    path = fake_sdk_metadata(tmp_path, version)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "A2A_OBSERVE_"))}
    environment.update(
        PYTHONPATH=str(path),
        OTEL_TRACES_EXPORTER="none",
        OTEL_METRICS_EXPORTER="none",
        OTEL_LOGS_EXPORTER="none",
    )
    code = "import a2a_observe.auto, a2a.client"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    [warning] = [line for line in result.stderr.splitlines() if "a2a-sdk" in line]
    assert version in warning
    assert SUPPORTED_RANGE in warning
