"""A real Prometheus server for tests: started on a free loopback port with its own storage
in a temporary folder, always stopped; and the demo traffic app it scrapes."""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from a2a_observe.dashboards import yamlout
from a2a_observe.demo.serving import free_port
from tests.support.paths import APPS

INSTALL_HINT = "make prometheus, or apt-get install -y prometheus"


def binary(name: str) -> str:
    """The path of ``prometheus`` or ``promtool``. Tests that call this are marked
    ``prometheus`` (tests/conftest.py skips or fails them without it), so it is there."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: {INSTALL_HINT}", pytrace=False)
    return path


@dataclass
class Prometheus:
    url: str
    process: subprocess.Popen[bytes]

    def api(self, path: str, **params: Any) -> Any:
        query = urllib.parse.urlencode(params, doseq=True)
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=10) as response:
            body = json.load(response)
        if body.get("status") != "success":
            raise AssertionError(f"{path} {params}: {body}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        data = self.api("query", query=expr)
        result = data["result"]
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": result}]
        return list(result)

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        return list(self.api("query_range", query=expr, start=start, end=end, step=step)["result"])

    def has_data(self, expr: str) -> bool:
        """At least one series with a finite value now (NaN, from 0/0, is no data)."""
        return any(math.isfinite(float(s["value"][1])) for s in self.query(expr))


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"prometheus exited with {process.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise AssertionError("prometheus did not become ready")


@contextlib.contextmanager
def prometheus(
    directory: Path,
    jobs: dict[str, list[str]],
    rule_files: list[Path],
    interval: str = "1s",
) -> Iterator[Prometheus]:
    """Prometheus scraping ``jobs`` (name to ``host:port`` targets), itself included as ``prometheus``."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval, "scrape_timeout": interval},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {"job_name": name, "static_configs": [{"targets": targets}]}
            for name, targets in {**jobs, "prometheus": [address]}.items()
        ],
    }
    config_path = directory / "prometheus.yml"
    config_path.write_text(yamlout.dumps(config), encoding="utf-8")
    log = (directory / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            binary("prometheus"),
            f"--config.file={config_path}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address={address}",
            "--enable-feature=exemplar-storage",
            "--storage.tsdb.retention.time=1h",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://{address}"
    try:
        _wait_ready(url, process)
        yield Prometheus(url, process)
    finally:
        _stop(process)
        log.close()


def _stop(process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """Ask politely, then insist: a test never leaves a server behind."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@dataclass
class TrafficApp:
    metrics_url: str
    target: str
    process: subprocess.Popen[str]
    warm_at: float = 0.0

    def wait_warm(self, timeout: float = 60.0) -> float:
        """Block until the first round of turns is done; the monotonic time it was."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.strip() == "WARM":
                self.warm_at = time.time()
                return self.warm_at
            if not line and self.process.poll() is not None:
                break
        raise AssertionError("the traffic app did not finish its first round")


@contextlib.contextmanager
def traffic_app(log: Path, idle: tuple[str, ...] = ()) -> Iterator[TrafficApp]:
    command = [sys.executable, str(APPS / "dashboard_traffic.py")]
    for agent in idle:
        command += ["--idle", agent]
    errors = log.open("w")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("METRICS "):
            raise AssertionError(f"traffic app did not start: {line!r}")
        url = line.removeprefix("METRICS ")
        yield TrafficApp(url, urllib.parse.urlparse(url).netloc, process)
    finally:
        _stop(process)
        errors.close()
