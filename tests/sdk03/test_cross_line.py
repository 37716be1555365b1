"""A 0.3 agent and a 1.x agent calling each other make one trace: the 1.x side runs in a
subprocess from the 1.x environment, as two services on different SDK lines would."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.trace import SpanKind

from a2a_observe import semconv
from tests.sdk03.support import BINDINGS, EchoAgent, build_card, client_for_card, serve_agent, user_message

ROOT = Path(__file__).resolve().parents[2]
PEER = ROOT / "tests" / "apps" / "sdk1_peer.py"
SDK1_PYTHON_ENV = "A2A_OBSERVE_SDK1_PYTHON"


def sdk1_python() -> str:
    """The 1.x environment's Python: ``$A2A_OBSERVE_SDK1_PYTHON`` or the checkout's ``.venv``."""
    python = os.environ.get(SDK1_PYTHON_ENV) or str(ROOT / ".venv" / "bin" / "python")
    if not Path(python).exists():
        pytest.fail(f"the cross-line tests need the a2a-sdk 1.x environment at {python} (run `make setup`)")
    return python


def read_spans(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def hex_id(value: int, width: int) -> str:
    return f"0x{value:0{width}x}"


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path]]:
    """A 1.x echo agent served by another process; yields its addresses and its span file."""
    spans_path = tmp_path_factory.mktemp("peer") / "spans.jsonl"
    process = subprocess.Popen(
        [sdk1_python(), str(PEER), "--spans", str(spans_path), "serve"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    line = process.stdout.readline()
    assert line, "the 1.x peer did not start"
    try:
        yield json.loads(line), spans_path
    finally:
        process.stdin.close()
        process.wait(timeout=30)


@pytest.mark.parametrize("binding", BINDINGS)
async def test_a_03_client_calling_a_1x_agent_is_one_trace(spans, peer, binding) -> None:
    addresses, spans_path = peer
    url = addresses[binding]
    card = build_card("peer-1x", url, url, "1.0.0").model_copy(
        update={"url": url, "preferred_transport": binding, "additional_interfaces": None}
    )
    client = client_for_card(card, binding, streaming=False)
    events = [e async for e in client.send_message(user_message("from 0.3"))]
    await client.close()
    task = events[-1][0]
    assert task.status.state.value == "completed"
    ours = next(s for s in spans.all() if s.kind == SpanKind.CLIENT and s.name == semconv.SEND_MESSAGE)
    trace_id = hex_id(ours.context.trace_id, 32)

    def theirs() -> list[dict[str, Any]]:
        return [s for s in read_spans(spans_path) if s["context"]["trace_id"] == trace_id]

    found = spans.wait(lambda _: any(s["name"].startswith("invoke_agent") for s in theirs()))
    assert found is not None
    peer_spans = theirs()
    server = next(s for s in peer_spans if s["kind"] == "SpanKind.SERVER")
    assert server["name"] == semconv.SEND_MESSAGE
    assert server["parent_id"] == hex_id(ours.context.span_id, 16)
    assert server["attributes"][semconv.A2A_PROTOCOL_VERSION] == "0.3"
    assert server["attributes"][semconv.A2A_TASK_ID] == task.id
    agent_span = next(s for s in peer_spans if s["name"] == "invoke_agent peer-1x")
    assert agent_span["parent_id"] == server["context"]["span_id"]
    assert (ours.attributes or {})[semconv.A2A_TASK_ID] == task.id


async def test_a_1x_client_calling_a_03_agent_is_one_trace(spans, tmp_path) -> None:
    spans_path = tmp_path / "spans.jsonl"
    with serve_agent(EchoAgent(), "peer-03") as agent:
        addresses = {binding: agent.card_for(binding).url for binding in BINDINGS}
        done = subprocess.run(
            [sdk1_python(), str(PEER), "--spans", str(spans_path), "call", json.dumps(addresses)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        results = json.loads(done.stdout.strip().splitlines()[-1])
        assert {b: r["text"] for b, r in results.items()} == {b: "echo: from 1.x" for b in BINDINGS}
        got = await spans_until_servers(spans, len(BINDINGS))
    callers = [s for s in read_spans(spans_path) if s["kind"] == "SpanKind.CLIENT"]
    assert len(callers) == len(BINDINGS)
    for caller in callers:
        binding = caller["attributes"][semconv.A2A_PROTOCOL_BINDING]
        server = next(
            s
            for s in got
            if s.kind == SpanKind.SERVER
            and s.name == semconv.SEND_MESSAGE
            and (s.attributes or {})[semconv.A2A_PROTOCOL_BINDING] == binding
        )
        assert hex_id(server.context.trace_id, 32) == caller["context"]["trace_id"], binding
        assert server.parent is not None and hex_id(server.parent.span_id, 16) == caller["context"]["span_id"]
        assert caller["attributes"][semconv.A2A_PROTOCOL_VERSION] == "0.3"
        run = next(
            s
            for s in got
            if s.name == "invoke_agent peer-03" and s.context.trace_id == server.context.trace_id
        )
        assert run.parent is not None and run.parent.span_id == server.context.span_id


async def spans_until_servers(spans: Any, count: int) -> list[Any]:
    return await spans.until(
        lambda s: (
            sum(1 for x in s if x.kind == SpanKind.SERVER) >= count
            and sum(1 for x in s if x.name == "invoke_agent peer-03") >= count
        )
    )
