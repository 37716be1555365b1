"""A store of real conversations whose every piece of stored text is hostile.

The recorded demo conversations (``tests/data/replay_demo.otlp.jsonl``) are rewritten so that
agent names, conversation ids, span names, status and exception messages, artifact names,
message and artifact content carry what an attacker who can send spans would put there: Rich
and Textual markup, terminal escapes (CSI, OSC 8 links, OSC 52 clipboard writes, C1 controls),
bidirectional overrides, Mermaid directives and ``click`` lines after a newline, Markdown that
tries to leave its code fence, and HTML.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from a2a_observe import semconv
from a2a_observe.collect.importer import import_files
from a2a_observe.store.writer import StoreWriter
from tests.support.tui import FIXTURE

MARKUP = "[/][link=https://evil.example/rich]rich link[/link][bold red on blue]styled"
TERMINAL = (
    "\x1b[2J\x1b]8;;https://evil.example/osc8\x1b\\osc8 link\x1b]8;;\x1b\\"
    "\x1b]52;c;cHduZWQ=\x07\x9b31m\u202eexe.txt"
)
MERMAID = '\n%%{init: {"securityLevel": "loose"}}%%\nclick p1 href "javascript:alert(1)"\n'
MARKDOWN = "\n```\n<img src=x onerror=alert(1)>\n<script>alert(2)</script>[x](javascript:alert(3))\n~~~\n"
PAYLOAD = f"{MARKUP}{TERMINAL}{MERMAID}{MARKDOWN}"
"""Everything at once, appended to each stored text the corpus rewrites."""

CONTROL_CHARACTERS = [chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]]
BIDI_CONTROLS = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]

_HOSTILE_KEYS = {
    semconv.GEN_AI_AGENT_NAME,
    semconv.GEN_AI_CONVERSATION_ID,
    semconv.A2A_ARTIFACT_NAME,
    semconv.A2A_METHOD_NAME,
    semconv.ERROR_TYPE,
    "exception.message",
}


def _rewrite(node: Any) -> Any:
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    if not isinstance(node, dict):
        return node
    key, value = node.get("key"), node.get("value")
    if isinstance(key, str) and isinstance(value, dict) and "stringValue" in value:
        text = value["stringValue"]
        if key in _HOSTILE_KEYS:
            return {"key": key, "value": {"stringValue": text + PAYLOAD}}
        if key == semconv.A2A_CONTENT:
            parts = json.loads(text)
            for part in parts:
                if isinstance(part.get("content"), str):
                    part["content"] += PAYLOAD
            return {"key": key, "value": {"stringValue": json.dumps(parts)}}
    out = {k: _rewrite(v) for k, v in node.items()}
    if "spanId" in node and isinstance(node.get("name"), str):
        out["name"] = node["name"] + PAYLOAD
    if isinstance(node.get("status"), dict):
        out["status"] = {**node["status"], "message": "failed" + PAYLOAD}
    return out


def hostile_store(folder: Path, name: str = "hostile.duckdb") -> Path:
    """The demo recording, made hostile, imported through the store's own writer."""
    source = folder / "hostile.otlp.jsonl"
    lines = [
        json.dumps(_rewrite(json.loads(line))) for line in FIXTURE.read_text().splitlines() if line.strip()
    ]
    source.write_text("\n".join(lines) + "\n")
    db = folder / name
    writer = StoreWriter(db)
    try:
        report = import_files([source], writer)
    finally:
        writer.close()
    assert report.spans > 0, report.problems
    return db


def unsafe_for_a_terminal(text: str) -> list[str]:
    """Characters a terminal would act on (every control but newline and tab, and bidi
    overrides that reorder what is shown)."""
    return sorted({c for c in text if c in CONTROL_CHARACTERS or c in BIDI_CONTROLS})
