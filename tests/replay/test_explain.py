"""``a2a-observe explain``: the failure chain of a recorded conversation of real agents, in
plain words, checked against what the agents did (the orchestrator delegated to the writer,
which completed, and to the translator, whose agent raised)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from a2a_observe.cli import main
from a2a_observe.replay import open_store, rebuild
from a2a_observe.replay.explain import explain
from tests.support.tui import FAILED_CONVERSATION, fixture_store


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fixture_store(tmp_path_factory.mktemp("explain"))


def test_the_chain_goes_from_the_users_turn_to_the_span_that_failed(db: Path) -> None:
    model = rebuild(open_store(db), FAILED_CONVERSATION)
    explanation = explain(model)
    assert explanation.failed
    assert [(h.caller, h.agent) for h in explanation.hops] == [
        ("user", "orchestrator"),
        ("orchestrator", "translator"),
    ]
    translator = model.exchange(explanation.hops[1].path)
    assert explanation.hops[1].took_ns == translator.latency_ns
    assert (
        explanation.hops[1].error == "RuntimeError: translator cannot handle 'please fail this translation'"
    )
    leaf = explanation.leaf
    assert leaf is not None and leaf.agent == "translator" and leaf.kind == "INTERNAL"
    assert model.spans[leaf.span_id].status_code == "ERROR"
    assert leaf.span_id in translator.agent_span_ids


def test_the_command_explains_the_newest_failure_by_default(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"conversation {FAILED_CONVERSATION}"
    assert lines[1].startswith("Turn 1 of 1 failed after 126.0 ms: the failure began at translator")
    assert lines[3].startswith(
        '1  user → orchestrator  SendMessage "please fail this translation"  at +0.0 ms'
    )
    assert "  1.2  orchestrator → translator  SendStreamingMessage" in out
    assert "      error: RuntimeError: translator cannot handle 'please fail this translation'" in out
    assert "where it began: span invoke_agent translator (INTERNAL) of translator" in out
    assert main(["explain", FAILED_CONVERSATION[:8], "--db", str(db), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["failed"] and doc["leaf"]["agent"] == "translator"


def test_a_conversation_that_did_not_fail_is_explained_by_its_slowest_path(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", "e2eb62cc", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Nothing failed. The slowest turn, 1 of 1, took 134.4 ms; most of it went to writer" in out
    assert main(["explain", "nope", "--db", str(db)]) == 2
    assert "no conversation 'nope'" in capsys.readouterr().err
    assert main(["explain", "--db", str(db.parent / "missing.duckdb")]) == 2


def test_html_export_is_one_offline_page_with_chat_spans_and_findings(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from html.parser import HTMLParser

    target = tmp_path / "report.html"
    assert (
        main(["export", FAILED_CONVERSATION[:8], "--db", str(db), "--format", "html", "-o", str(target)]) == 0
    )
    page = target.read_text(encoding="utf-8")
    model = rebuild(open_store(db), FAILED_CONVERSATION)

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []
            self.links: list[str] = []
            self.text = ""

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append(tag)
            self.links += [v or "" for k, v in attrs if k in ("src", "href")]

        def handle_data(self, data: str) -> None:
            self.text += data

    reader = Reader()
    reader.feed(page)
    assert "script" not in reader.tags and reader.links == []  # nothing to fetch: opens offline
    assert reader.tags.count("details") == len(model.spans)  # every span, each with its attributes
    assert "RuntimeError: translator cannot handle 'please fail this translation'" in reader.text
    assert "A2A006" in reader.text and "Why it failed" in reader.text
    assert all(t in reader.text for t in model.trace_ids)


def test_html_export_escapes_what_the_agents_recorded(db: Path) -> None:
    import dataclasses

    from a2a_observe.replay.export_html import to_html

    model = rebuild(open_store(db), FAILED_CONVERSATION)
    span = next(iter(model.spans.values()))
    hostile = dataclasses.replace(
        span, name="<script>alert(1)</script>", attributes={"x": '"><img src=x onerror=alert(1)>'}
    )
    page = to_html(dataclasses.replace(model, spans={**model.spans, span.span_id: hostile}))
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
