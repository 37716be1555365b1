"""A store whose agents' frameworks reported tokens: the demo recording plus a framework's
model-call spans in the writer's trace, as any framework's exporter would send them."""

from __future__ import annotations

import json
from pathlib import Path

from a2a_observe.collect.importer import import_files
from a2a_observe.store.snapshot import open_snapshot
from a2a_observe.store.writer import StoreWriter
from tests.support.tui import FIXTURE

SUMMARISE = "e2eb62cc-6433-498f-a18c-b4d63cd3a18a"
"""The recorded conversation in which the writer summarises."""


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


def usage_store(folder: Path) -> Path:
    """The demo recording plus two model calls of the writer (150 in, 30 out tokens) arriving
    over OTLP in conversation ``SUMMARISE``: ``folder/demo.duckdb``."""
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
