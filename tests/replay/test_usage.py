"""Tokens: a framework's model-call spans in the same trace (here arriving over OTLP, as they
would from any framework's exporter) rolled up per turn, per agent and per conversation in the
exports, ``check --format json`` and the debugger, never counting a figure twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from a2a_observe.cli import main
from a2a_observe.collect.importer import import_files
from a2a_observe.replay import open_store, rebuild
from a2a_observe.replay.exports import export
from a2a_observe.replay.usage import usage
from a2a_observe.store.snapshot import open_snapshot
from a2a_observe.store.writer import StoreWriter
from a2a_observe.tui.screens.conversation import ConversationScreen
from tests.support.tui import FIXTURE, make_app, screen_text, wait_until

SUMMARISE = "e2eb62cc-6433-498f-a18c-b4d63cd3a18a"


def _attr(key: str, value: object) -> dict[str, object]:
    typed = {"intValue": str(value)} if isinstance(value, int) else {"stringValue": str(value)}
    return {"key": key, "value": typed}


def _model_call(trace_id: str, parent: str, span_id: str, start: int, tokens: tuple[int, int]) -> dict:
    return {
        "traceId": trace_id,
        "spanId": span_id,
        "parentSpanId": parent,
        "name": "chat stub-model",
        "kind": 3,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 1_000_000),
        "attributes": [
            _attr("gen_ai.operation.name", "chat"),
            _attr("gen_ai.agent.name", "writer"),
            _attr("gen_ai.usage.input_tokens", tokens[0]),
            _attr("gen_ai.usage.output_tokens", tokens[1]),
        ],
    }


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("usage")
    db = folder / "demo.duckdb"
    writer = StoreWriter(db)
    try:
        assert import_files([FIXTURE], writer).ok
    finally:
        writer.close()
    con = open_snapshot(db)
    run = con.execute(
        "SELECT trace_id, span_id, start_ns FROM spans WHERE conversation_id = ? AND agent_name = 'writer' "
        "AND name LIKE 'invoke_agent%'",
        [SUMMARISE],
    ).fetchone()
    con.close()
    assert run is not None
    trace_id, parent, start = run
    calls = [
        _model_call(trace_id, parent, "00000000000000a1", start + 1_000, (100, 20)),
        _model_call(trace_id, parent, "00000000000000a2", start + 2_000_000, (50, 10)),
    ]
    line = {
        "resourceSpans": [
            {
                "resource": {"attributes": [_attr("service.name", "writer-framework")]},
                "scopeSpans": [{"scope": {"name": "stub-framework"}, "spans": calls}],
            }
        ]
    }
    extra = folder / "framework.otlp.jsonl"
    extra.write_text(json.dumps(line) + "\n")
    writer = StoreWriter(db)
    try:
        assert import_files([extra], writer).ok
    finally:
        writer.close()
    return db


def test_usage_rolls_up_per_turn_agent_and_conversation(db: Path) -> None:
    model = rebuild(open_store(db), SUMMARISE)
    rollup = usage(model)
    assert rollup.total == {"input_tokens": 150.0, "output_tokens": 30.0}
    assert rollup.by_turn == {"1": {"input_tokens": 150.0, "output_tokens": 30.0}}
    assert rollup.by_agent == {"writer": {"input_tokens": 150.0, "output_tokens": 30.0}}
    doc = json.loads(export(model, "json"))
    assert doc["usage"]["total"] == {"input_tokens": 150.0, "output_tokens": 30.0}
    assert "- Tokens: input_tokens 150 · output_tokens 30" in export(model, "markdown")
    assert "| agent writer | input_tokens 150 · output_tokens 30 |" in export(model, "markdown")
    assert "input_tokens 150 · output_tokens 30" in export(model, "html")


def test_a_figure_reported_again_above_is_not_counted_twice(db: Path) -> None:
    import dataclasses

    model = rebuild(open_store(db), SUMMARISE)
    run = next(
        s for s in model.spans.values() if s.name.startswith("invoke_agent") and s.agent_name == "writer"
    )
    summed = dataclasses.replace(
        run, attributes={**run.attributes, "gen_ai.usage.input_tokens": 150, "gen_ai.usage.cost": 0.25}
    )
    rollup = usage(dataclasses.replace(model, spans={**model.spans, run.span_id: summed}))
    assert rollup.total == {"input_tokens": 150.0, "output_tokens": 30.0, "cost": 0.25}


def test_check_json_carries_the_usage(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(db), "--quiet", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["usage"]["total"] == {"input_tokens": 150.0, "output_tokens": 30.0}
    assert doc["usage"]["conversations"][SUMMARISE]["by_agent"]["writer"]["output_tokens"] == 30.0
    assert {f["code"] for f in doc["findings"]} >= {"A2A006"}


async def test_the_debugger_shows_tokens_of_the_conversation_turn_and_agent(db: Path) -> None:
    app = make_app(db, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: SUMMARISE in app.conversation_rows())
        rows = app.conversation_rows()
        await pilot.press(*["j"] * rows.index(SUMMARISE), "enter")
        await wait_until(pilot, lambda: getattr(app.screen, "data", None) is not None)
        assert isinstance(app.screen, ConversationScreen)
        await wait_until(pilot, lambda: "150 in/30 out tokens · agents:" in screen_text(app))
        await pilot.press("n")
        await wait_until(
            pilot, lambda: "Tokens of turn 1: input_tokens 150 · output_tokens 30" in screen_text(app)
        )
