"""The collector on a shared machine: the token guards every route but the health check and
never has to be on the command line, what it writes is readable by its owner only, and the
announcement a killed collector leaves behind is recognised as stale."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

from a2a_observe import semconv
from a2a_observe.collect.receiver import ReceiverSettings
from a2a_observe.store import open_snapshot
from a2a_observe.store.snapshot import announce, announcement_path, find_collector
from a2a_observe.store.writer import StoreWriter
from tests.collect.test_hostile_ingest import spans
from tests.support.store import post, receiver_in_thread, start_collector

TOKEN = "s3cret-collector-token"
READ_COUNT = (
    "from a2a_observe.store import open_snapshot\n"
    "print(open_snapshot({db!r}).execute('SELECT count(*) FROM spans').fetchone()[0])"
)


def get(url: str, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_the_token_guards_every_route_but_health(tmp_path: Path) -> None:
    with receiver_in_thread(tmp_path / "t.duckdb", ReceiverSettings(token=TOKEN)) as (url, writer):
        auth = {"Authorization": f"Bearer {TOKEN}"}
        for path in ("/", "/v1/snapshot"):
            status, body = get(url + path)
            assert status == 401, path
            assert str(writer.path) not in body.decode("utf-8", "replace")
        for path in ("/v1/traces", "/v1/logs", "/v1/metrics"):
            assert post(url + path, b"")[0] == 401, path
        status, body = get(url + "/health")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, body = get(url + "/", **auth)
        assert status == 200
        assert json.loads(body)["store"] == str(writer.path)


def test_a_token_file_keeps_the_token_out_of_ps_and_the_files_private(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o644)
    db = tmp_path / "private.duckdb"
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "a2a_observe.cli",
            "collect",
            "--db",
            str(db),
            "--token-file",
            str(token_file),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "can be read by others; chmod 600" in refused.stderr
    token_file.chmod(0o600)
    running = start_collector(db, "--token-file", str(token_file))
    try:
        cmdline = Path(f"/proc/{running.process.pid}/cmdline").read_bytes()
        assert TOKEN.encode() not in cmdline
        body = encode_spans(spans(2)).SerializeToString()
        assert post(f"{running.url}/v1/traces", body)[0] == 401
        assert post(f"{running.url}/v1/traces", body, Authorization=f"Bearer {TOKEN}")[0] == 200
        assert private(db)
        assert private(announcement_path(db))
        for extra in db.parent.glob(db.name + "*"):
            assert private(extra), extra
        env = {**os.environ, semconv.ENV_COLLECT_TOKEN_FILE: str(token_file)}
        env.pop(semconv.ENV_COLLECT_TOKEN, None)
        reader = subprocess.run(
            [sys.executable, "-c", READ_COUNT.format(db=str(db))],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert reader.stdout.strip() == "2", reader.stderr
    finally:
        running.process.send_signal(signal.SIGTERM)
        running.process.wait(60)


def test_a_store_written_in_process_is_created_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        writer = StoreWriter(tmp_path / "app.duckdb")
        writer.close()
    finally:
        os.umask(old)
    assert private(tmp_path / "app.duckdb")


def test_the_announcement_of_a_killed_collector_is_stale_and_replaced(tmp_path: Path) -> None:
    db = tmp_path / "killed.duckdb"
    running = start_collector(db)
    body = encode_spans(spans(3)).SerializeToString()
    assert post(f"{running.url}/v1/traces", body)[0] == 200
    running.process.send_signal(signal.SIGKILL)
    running.process.wait(60)
    assert announcement_path(db).exists()
    # Its process is gone: stale, removed, and the file is read directly.
    assert find_collector(db) is None
    assert not announcement_path(db).exists()
    assert open_snapshot(db).execute("SELECT count(*) FROM spans").fetchone() == (3,)
    # A live process id that does not listen at the announced address (ids are reused).
    announce(db, "http://127.0.0.1:9")
    assert find_collector(db) is not None
    assert open_snapshot(db, timeout=5).execute("SELECT count(*) FROM spans").fetchone() == (3,)
    restarted = start_collector(db)
    try:
        assert find_collector(db).pid == restarted.process.pid
        assert (
            post(f"{restarted.url}/v1/traces", encode_spans(spans(1, "again")).SerializeToString())[0] == 200
        )
        assert open_snapshot(db).execute("SELECT count(*) FROM spans").fetchone() == (4,)
    finally:
        restarted.process.send_signal(signal.SIGTERM)
        restarted.process.wait(60)


def test_metrics_from_a_real_otlp_exporter_are_accepted_and_stored(tmp_path: Path) -> None:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    with receiver_in_thread(tmp_path / "m.duckdb") as (url, writer):
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=f"{url}/v1/metrics"), export_interval_millis=3_600_000
        )
        provider = MeterProvider(
            metric_readers=[reader], resource=Resource.create({semconv.SERVICE_NAME: "metered"})
        )
        meter = provider.get_meter("hostile")
        meter.create_counter("calls", unit="1").add(3, {"route": "a"})
        meter.create_histogram("latency", unit="s").record(0.25, {"route": "a"})
        meter.create_gauge("queue").set(7)
        provider.shutdown()
        con = open_snapshot(writer.path)
        rows = con.execute(
            "SELECT name, kind, value, count, sum, buckets ->> '$.counts' IS NOT NULL, service_name, "
            "attributes ->> '$.route' FROM metric_points ORDER BY name"
        ).fetchall()
        assert rows == [
            ("calls", "sum", 3.0, None, None, False, "metered", "a"),
            ("latency", "histogram", None, 1, 0.25, True, "metered", "a"),
            ("queue", "gauge", 7.0, None, None, False, "metered", None),
        ]
        document = {
            "resourceMetrics": [
                {
                    "scopeMetrics": [
                        {
                            "metrics": [
                                {
                                    "name": "json.gauge",
                                    "gauge": {
                                        "dataPoints": [
                                            {
                                                "asDouble": 1.5,
                                                "timeUnixNano": "1",
                                                "exemplars": [
                                                    {"asDouble": 1.5, "traceId": "zz", "spanId": "00"}
                                                ],
                                            }
                                        ]
                                    },
                                }
                            ]
                        }
                    ]
                }
            ]
        }
        status, _, _ = post(f"{url}/v1/metrics", json.dumps(document).encode(), "application/json")
        assert status == 200
        con = open_snapshot(writer.path)
        assert con.execute("SELECT value FROM metric_points WHERE name = 'json.gauge'").fetchall() == [(1.5,)]
