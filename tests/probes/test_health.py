"""Liveness and readiness on a real a2a-sdk agent (Starlette), a python-a2a agent (Flask) and
a probe server of its own: ready, not ready when the card or the exporter fails, and the
JSON they answer with."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from a2a_observe.demo.agents import EchoAgent
from a2a_observe.demo.serving import LOOPBACK, RunningAgent, free_port, serve_agent
from a2a_observe.probes.health import CardCheck, Readiness
from a2a_observe.probes.web import mount_starlette, serve_probes
from a2a_observe.replay.sdk_client import final_text, send_text
from a2a_observe.signals import exporter_health
from tests.support.health import (
    StuckExporter,
    closed_endpoint,
    export_one,
    get,
    get_status,
    provider_exporting_to,
)
from tests.support.store import receiver_in_thread

AGENT = "probed"


def serve_with_probes(**mount: Any) -> RunningAgent:
    return serve_agent(
        EchoAgent(),
        AGENT,
        grpc=False,
        mount=lambda app: mount_starlette(app, metrics=False, **mount),
    )


@pytest.fixture(scope="module")
def agent() -> Iterator[RunningAgent]:
    with serve_with_probes() as running:
        yield running


def leaks(body: dict[str, Any], *secrets: str) -> list[str]:
    text = json.dumps(body)
    return [s for s in secrets if s in text]


async def test_a_serving_agent_is_live_and_ready(agent) -> None:
    assert get(agent.base_url + "/healthz") == (200, {"status": "ok", "checks": {}})
    status, body = get(agent.base_url + "/readyz")
    assert status == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["agent_card"] == {"status": "ok", "path": "/.well-known/agent-card.json"}
    telemetry = body["checks"]["telemetry"]
    assert telemetry["status"] == "ok"
    # The session's pipeline: the in-memory exporter behind a simple processor.
    assert {
        "signal": "traces",
        "processor": "SimpleSpanProcessor",
        "exporter": "InMemorySpanExporter",
    }.items() <= (telemetry["exporters"][0].items())
    # The agent still answers its own routes.
    state, text = final_text(await send_text(agent.card, "still here", streaming=False))
    assert (state, text) == (3, "echo: still here")
    assert leaks(body, agent.card.description, "still here") == []


def test_a_card_route_that_does_not_answer_makes_it_not_ready() -> None:
    with serve_with_probes(card_path="/.well-known/missing.json") as agent:
        assert get(agent.base_url + "/healthz")[0] == 200, "liveness does not depend on the card"
        status, body = get(agent.base_url + "/readyz")
    assert status == 503
    assert body["status"] == "fail"
    assert body["checks"]["agent_card"] == {
        "status": "fail",
        "path": "/.well-known/missing.json",
        "reason": "http_status",
        "http_status": 404,
    }


def test_an_unreachable_exporter_makes_it_not_ready_without_leaking_the_endpoint() -> None:
    endpoint = closed_endpoint()
    provider, batch = provider_exporting_to(endpoint)
    with serve_with_probes(tracer_provider=provider) as agent:
        assert get(agent.base_url + "/readyz")[0] == 200, "nothing exported yet: nothing known to fail"
        export_one(provider, batch)
        status, body = get(agent.base_url + "/readyz")
        assert get(agent.base_url + "/healthz")[0] == 200, "a restart would not fix the exporter"
    provider.shutdown()
    assert status == 503
    assert body["checks"]["agent_card"]["status"] == "ok"
    [exporter] = body["checks"]["telemetry"]["exporters"]
    assert exporter["status"] == "fail"
    assert exporter["reasons"] == ["export_failed"]
    assert (exporter["exporter"], exporter["last_export"], exporter["consecutive_failures"]) == (
        "OTLPSpanExporter",
        "failure",
        1,
    )
    port = endpoint.rsplit(":", 1)[1].split("/")[0]
    assert leaks(body, endpoint, port, "refused", "Connection") == []


def test_readiness_follows_a_real_collector_going_away(tmp_path) -> None:
    with receiver_in_thread(tmp_path / "store.duckdb") as (url, _writer):
        provider, batch = provider_exporting_to(url + "/v1/traces")
        readiness = Readiness(tracer_provider=provider)
        export_one(provider, batch)
        ready = readiness.check()
    export_one(provider, batch)
    not_ready = readiness.check()
    provider.shutdown()
    assert ready[0] == 200, ready
    assert ready[1]["checks"]["telemetry"]["exporters"][0]["last_export"] == "success"
    assert not_ready[0] == 503, not_ready
    assert not_ready[1]["checks"]["telemetry"]["exporters"][0]["last_export"] == "failure"


def test_a_full_queue_makes_it_not_ready_until_it_drains() -> None:
    stuck = StuckExporter()
    provider = TracerProvider()
    batch = BatchSpanProcessor(stuck, max_queue_size=2, max_export_batch_size=1, schedule_delay_millis=10)
    provider.add_span_processor(batch)
    readiness = Readiness(tracer_provider=provider)
    tracer = provider.get_tracer("tests")
    tracer.start_span("first").end()
    assert stuck.entered.wait(10), "the exporter holds the first span"
    for name in ("second", "third"):
        tracer.start_span(name).end()
    status, body = readiness.check()
    [exporter] = body["checks"]["telemetry"]["exporters"]
    assert (status, exporter["status"], exporter["reasons"]) == (503, "fail", ["queue_full"])
    assert (exporter["queue_size"], exporter["queue_max"]) == (2, 2)
    stuck.release.set()
    batch.force_flush()
    status, body = readiness.check()
    assert status == 200, body
    assert body["checks"]["telemetry"]["exporters"][0]["queue_size"] == 0
    provider.shutdown()


def test_telemetry_can_be_reported_without_failing_readiness() -> None:
    provider, batch = provider_exporting_to(closed_endpoint())
    readiness = Readiness(tracer_provider=provider, require_telemetry=False)
    export_one(provider, batch)
    status, body = readiness.check()
    provider.shutdown()
    assert status == 200
    assert body["checks"]["telemetry"]["status"] == "fail"


def test_an_old_failure_with_nothing_tried_since_no_longer_fails(monkeypatch) -> None:
    """Out of rotation, an agent makes no spans, so tries no export: it must be able to
    come back."""
    provider, batch = provider_exporting_to(closed_endpoint())
    readiness = Readiness(tracer_provider=provider)
    export_one(provider, batch)
    assert readiness.check()[0] == 503
    monkeypatch.setattr(exporter_health, "FAILURE_WINDOW_S", 0.0)
    status, body = readiness.check()
    provider.shutdown()
    assert status == 200
    [exporter] = body["checks"]["telemetry"]["exporters"]
    assert (exporter["status"], exporter["last_export"]) == ("unknown", "failure")


def test_unreadable_sdk_internals_are_reported_unknown_not_raised() -> None:
    provider = TracerProvider()
    processors = provider._active_span_processor
    provider._active_span_processor = None  # type: ignore[assignment]  # as if a release renamed it
    status, body = Readiness(tracer_provider=provider).check()
    provider._active_span_processor = processors
    assert status == 200
    assert body["checks"]["telemetry"] == {
        "status": "unknown",
        "exporters": [{"signal": "traces", "status": "unknown"}],
    }


def test_tracking_keeps_the_exporter_working(tmp_path) -> None:
    with receiver_in_thread(tmp_path / "store.duckdb") as (url, _writer):
        provider, batch = provider_exporting_to(url + "/v1/traces")
        Readiness(tracer_provider=provider)
        wrapped = batch._batch_processor._exporter
        assert isinstance(wrapped, exporter_health.TrackingExporter)
        assert wrapped._endpoint == url + "/v1/traces", "attributes pass through"
        export_one(provider, batch)
        assert wrapped.last_success is True
        provider.shutdown()  # hands the timeout on to the OTLP exporter's own shutdown


def test_a_probe_server_of_its_own_checks_the_card_over_http(agent) -> None:
    with serve_probes(card_url=agent.base_url + "/.well-known/agent-card.json", metrics=False) as probes:
        assert probes.url.startswith(f"http://{LOOPBACK}:")
        assert get(probes.url + "/healthz")[0] == 200
        status, body = get(probes.url + "/readyz")
        assert (status, body["checks"]["agent_card"]["status"]) == (200, "ok")
        assert get_status(probes.url + "/elsewhere") == 404
    gone = f"http://{LOOPBACK}:{free_port()}/.well-known/agent-card.json"
    with serve_probes(card_url=gone, metrics=False) as probes:
        status, body = get(probes.url + "/readyz")
    assert status == 503
    assert body["checks"]["agent_card"]["reason"] == "unreachable"
    assert body["checks"]["agent_card"]["error_type"]
    assert leaks(body, "refused") == []


async def test_concurrent_probes_share_one_card_fetch() -> None:
    fetches = 0

    async def fetch() -> dict[str, Any]:
        nonlocal fetches
        fetches += 1
        await asyncio.sleep(0.05)
        return {"status": "ok", "path": "/card"}

    check = CardCheck("/card", fetch_async=fetch, cache_for=60)
    results = await asyncio.gather(*(check.result_async() for _ in range(50)))
    assert fetches == 1
    assert all(r == {"status": "ok", "path": "/card"} for r in results)
