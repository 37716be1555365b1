"""Exports of conversations recorded from real agents: JSON with the whole model, a Markdown
transcript and a Mermaid sequence diagram, through the library and the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider

from a2a_observe import semconv
from a2a_observe.cli import main
from a2a_observe.demo.agents import AskingAgent, FlakyAgent, Orchestrator, StreamingWriter
from a2a_observe.demo.serving import serve_agent
from a2a_observe.replay import open_store, rebuild
from a2a_observe.replay.audits import audit
from a2a_observe.replay.exports import export
from a2a_observe.replay.sdk_client import send_text
from tests.support.replay import Recorded, ask_twice, capture, recording, run, stream_until_error, task_of


@pytest.fixture(scope="module")
def store(
    tracer_provider: TracerProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Recorded]]:
    db = tmp_path_factory.mktemp("exports") / "s.duckdb"
    out = Recorded()
    with (
        serve_agent(StreamingWriter(chunks=2), "writer", grpc=False) as writer,
        serve_agent(Orchestrator([("writer", writer.card)]), "boss", grpc=False) as boss,
        serve_agent(AskingAgent(), "asking", grpc=False) as asking,
        serve_agent(FlakyAgent(), "flaky", grpc=False) as flaky,
        capture(True),
        recording(tracer_provider, db),
    ):
        out.contexts["chain"] = task_of(run(send_text(boss.card, "plan it", streaming=False)))[1]
        out.contexts["asking"] = run(ask_twice(asking.card, "hello", "Ada"))[1]
        out.contexts["flaky"] = task_of(run(stream_until_error(flaky.card, "please fail")))[1]
    yield db, out


def test_json_holds_the_whole_model(store: tuple[Path, Recorded]) -> None:
    db, recorded = store
    model = rebuild(open_store(db), recorded.contexts["chain"])
    doc = json.loads(export(model, "json"))
    assert doc["format"] == "a2a-observe.conversation/1"
    assert doc["conversation_id"] == recorded.contexts["chain"]
    [turn] = doc["turns"]
    assert (turn["agent"], turn["final_state"], turn["request"]["text"]) == (
        "boss",
        semconv.TASK_STATE_COMPLETED,
        "plan it",
    )
    [delegation] = turn["delegations"]
    assert (delegation["path"], delegation["caller"], delegation["agent"]) == ("1.1", "boss", "writer")
    [artifact] = delegation["artifacts"]
    assert (artifact["chunk_count"], artifact["text"]) == (2, "plan it ")
    assert {s["span_id"] for s in doc["spans"]} == set(model.spans)
    assert doc["findings"] == []


def escaped(text: str) -> str:
    """Markdown as the export writes it: underscores in stored values are escaped."""
    return text.replace("_", "\\_")


def test_markdown_reads_like_a_transcript(store: tuple[Path, Recorded]) -> None:
    db, recorded = store
    model = rebuild(open_store(db), recorded.contexts["asking"])
    text = export(model, "markdown", audit(model))
    expected_in_order = [
        f"# Conversation {recorded.contexts['asking']}",
        "## Turn 1: user → asking (SendMessage, JSONRPC,",
        "> hello",
        "> What is your name?",
        escaped("TASK_STATE_SUBMITTED → TASK_STATE_WORKING → TASK_STATE_INPUT_REQUIRED"),
        escaped("Outcome: **TASK_STATE_INPUT_REQUIRED**"),
        "## Turn 2: user → asking",
        "> Ada",
        escaped("TASK_STATE_INPUT_REQUIRED → TASK_STATE_WORKING → TASK_STATE_COMPLETED"),
        "Artifact **greeting** (1 chunk):",
        "Hello, Ada!",
        escaped("Outcome: **TASK_STATE_COMPLETED**"),
        "## Findings",
        "None.",
    ]
    positions = [text.index(piece) for piece in expected_in_order]
    assert positions == sorted(positions)
    # Trace ids and durations, to find the spans of each exchange in any trace viewer.
    assert f"- Traces: {', '.join(f'`{t}`' for t in model.trace_ids)}" in text
    first = model.turns[0]
    assert (
        f"Started +0.0 ms into the conversation, took {first.latency_ns / 1e6:.1f} ms; "
        f"trace `{first.trace_id}`, client `{first.client_span_id}`, server `{first.server_span_id}`"
    ) in text


def test_markdown_lists_the_findings(store: tuple[Path, Recorded]) -> None:
    db, recorded = store
    model = rebuild(open_store(db), recorded.contexts["flaky"])
    text = export(model, "markdown", audit(model))
    assert "**Error** (agent): `RuntimeError`: translator cannot handle 'please fail'" in text
    assert "- **A2A006** server-error (exchange 1): flaky failed serving" in text


def test_mermaid_is_a_sequence_diagram_across_agents(store: tuple[Path, Recorded]) -> None:
    db, recorded = store
    model = rebuild(open_store(db), recorded.contexts["chain"])
    lines = export(model, "mermaid").splitlines()
    assert lines[0] == "sequenceDiagram"
    assert lines[2:5] == [
        "    participant p0 as user",
        "    participant p1 as boss",
        "    participant p2 as writer",
    ]
    arrows = [line.strip() for line in lines if "->>" in line or "-->>" in line]
    turn, delegation = model.turns[0], model.turns[0].delegations[0]

    def at(exchange) -> str:
        return f"@+{(exchange.start_ns - model.start_ns) / 1e6:.1f} ms"

    def took(exchange) -> str:
        return f"in {exchange.latency_ns / 1e6:.1f} ms"

    assert arrows == [
        f"p0->>+p1: SendMessage plan it {at(turn)}",
        f"p1->>+p2: SendStreamingMessage plan it {at(delegation)}",
        f"p2-->>-p1: TASK_STATE_COMPLETED {took(delegation)}, draft (2 chunks)",
        f"p1-->>-p0: TASK_STATE_COMPLETED {took(turn)}, answer (1 chunk)",
    ]
    failed = export(rebuild(open_store(db), recorded.contexts["flaky"]), "mermaid")
    assert re.search(
        r"p1--x-p0: TASK_STATE_FAILED in \d+\.\d ms: RuntimeError translator cannot handle 'please fail'",
        failed,
    )


def test_the_export_command(
    store: tuple[Path, Recorded], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, recorded = store
    target = tmp_path / "chain.mmd"
    context = recorded.contexts["chain"]
    assert main(["export", context[:12], "--db", str(db), "--format", "mermaid", "-o", str(target)]) == 0
    assert target.read_text().startswith("sequenceDiagram")
    assert main(["export", context, "--db", str(db), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["conversation_id"] == context
    assert main(["export", "no-such-context", "--db", str(db)]) == 2
    assert "no conversation 'no-such-context'" in capsys.readouterr().err
