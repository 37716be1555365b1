"""The probes and ``/metrics`` on a python-a2a agent's Flask app, answered before Flask's
routing, while the agent keeps serving."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("python_a2a")

from python_a2a import A2AClient, Message, MessageRole, TextContent
from python_a2a.server.http import create_flask_app
from werkzeug.serving import make_server

from a2a_observe.demo.python_a2a_agents import Greeter, python_a2a_card
from a2a_observe.demo.serving import LOOPBACK, free_port
from a2a_observe.probes.web import mount_flask
from tests.support.health import closed_endpoint, export_one, get, provider_exporting_to


def serve_flask(**mount: Any) -> Iterator[str]:
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    app = create_flask_app(Greeter(agent_card=python_a2a_card("greeter", url)))  # type: ignore[no-untyped-call]
    mount_flask(app, **mount)
    server = make_server(LOOPBACK, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.fixture(scope="module")
def greeter() -> Iterator[str]:
    yield from serve_flask()


def test_a_python_a2a_agent_is_live_and_ready_and_still_answers(greeter) -> None:
    assert get(greeter + "/healthz") == (200, {"status": "ok", "checks": {}})
    status, body = get(greeter + "/readyz")
    assert status == 200, body
    # python-a2a serves its card at the standard path too; that is the one checked.
    assert body["checks"]["agent_card"] == {"status": "ok", "path": "/.well-known/agent-card.json"}
    assert body["checks"]["telemetry"]["status"] == "ok"
    answer = A2AClient(greeter).send_message(Message(content=TextContent(text="you"), role=MessageRole.USER))
    assert answer.content.text == "hello: you"
    assert "greeter agent" not in str(body), "no card content in the probe"


def test_metrics_are_served_beside_the_probes(greeter) -> None:
    with urllib.request.urlopen(greeter + "/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")


def test_a_missing_card_or_a_failing_exporter_makes_it_not_ready() -> None:
    for url in serve_flask(card_path="/no-card.json", metrics=False):
        status, body = get(url + "/readyz")
        # python-a2a answers any path with 200 and its HTML page: not a card all the same.
        assert (status, body["checks"]["agent_card"]["reason"]) == (503, "not_a_card")
    provider, batch = provider_exporting_to(closed_endpoint())
    for url in serve_flask(tracer_provider=provider, metrics=False):
        export_one(provider, batch)
        status, body = get(url + "/readyz")
        assert get(url + "/healthz")[0] == 200
        assert status == 503
        assert body["checks"]["agent_card"]["status"] == "ok"
        assert body["checks"]["telemetry"]["exporters"][0]["reasons"] == ["export_failed"]
    provider.shutdown()
