"""Every output that shows stored text, fed a store whose every text is hostile
(``tests/support/hostile_corpus.py``): the terminal gets no control character, Rich and Textual read
no markup, Mermaid gets no directive or ``click`` line, Markdown keeps its fences and runs no
HTML, and the debugger neither crashes nor draws a link."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from rich.text import Text
from textual.content import Content

from a2a_observe.cli import main
from a2a_observe.replay import escaping
from a2a_observe.replay.audits import audit
from a2a_observe.replay.exports import export
from a2a_observe.replay.load import open_store, rebuild
from tests.support.hostile_corpus import MARKUP, PAYLOAD, hostile_store, unsafe_for_a_terminal
from tests.support.store import post, receiver_in_thread
from tests.support.tui import make_app, screen_text, wait_until


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile_store(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def models(hostile: Path):
    con = open_store(hostile)
    ids = con.conversation_ids()
    assert len(ids) == 3
    assert all(PAYLOAD in cid for cid in ids)
    return [rebuild(con, cid) for cid in ids]


# --- the escaping functions on their own -------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.text() | st.text(alphabet=st.sampled_from("[]\\/=a@#$ "), max_size=20))
def test_escaped_markup_is_read_as_plain_text_by_rich_and_textual(text: str) -> None:
    escaped = escaping.markup(text)
    rich, textual = Text.from_markup(escaped), Content.from_markup(escaped)
    assert rich.spans == []
    assert textual.spans == []
    assert rich.plain == textual.plain
    if not re.search(r"\\\[", text):
        assert rich.plain == escaping.terminal(text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_terminal_text_has_no_control_character_and_one_line_has_no_break(text: str) -> None:
    assert unsafe_for_a_terminal(escaping.terminal(text)) == []
    line = escaping.one_line(text)
    assert unsafe_for_a_terminal(line) == []
    assert "\n" not in line
    assert "\t" not in line


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_mermaid_text_is_one_statement_without_directive_characters(text: str) -> None:
    safe = re.sub(r"#(\d+|quot);", "", escaping.mermaid(text))
    assert not set(safe) & set('\n\r;%<>"{}`#')


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_markdown_code_block_holds_any_text_whole(text: str) -> None:
    block = "\n".join(escaping.markdown_code(text))
    tokens = [t for t in MarkdownIt("commonmark").parse(block) if t.type == "fence"]
    assert len(tokens) == 1
    assert tokens[0].content.rstrip("\n") == "\n".join(escaping.terminal(text).splitlines())


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("<>&*_[]()!`#-+=.1) \n\tjavascript:img"), max_size=60) | st.text())
def test_markdown_prose_renders_as_plain_paragraphs(text: str) -> None:
    rendered = MarkdownIt("commonmark").render(escaping.markdown(text))
    assert set(re.findall(r"</?([a-z0-9]+)", rendered)) <= {"p", "br", "pre", "code"}


# --- exports -------------------------------------------------------------------------------------
ARROWS = re.compile(r"->>\+|-->>-|--x-")
MERMAID_LINE = re.compile(
    r"^(sequenceDiagram|    %% conversation .*|    participant p\d+ as .*|    p\d+(->>\+|-->>-|--x-)p\d+: .*"
    r"|    Note over p\d+: .*)$"
)


def test_mermaid_export_of_hostile_text_is_only_diagram_statements(models) -> None:
    for model in models:
        diagram = export(model, "mermaid", audit(model))
        for line in diagram.splitlines():
            assert MERMAID_LINE.match(line), line
            assert not re.search(r"%%\s*\{", line)
            assert not ARROWS.sub("", line).count("<")
            assert not ARROWS.sub("", line).count(">")
        assert unsafe_for_a_terminal(diagram) == []
        assert "click" not in [line.split()[0] for line in diagram.splitlines() if line.strip()]


def test_markdown_export_of_hostile_text_runs_no_html_and_keeps_its_fences(models) -> None:
    saw_artifact = False
    for model in models:
        document = export(model, "markdown", audit(model))
        assert unsafe_for_a_terminal(document) == []
        rendered = MarkdownIt("commonmark").render(document)
        assert "<img" not in rendered
        assert "<script" not in rendered
        assert 'href="javascript' not in rendered
        assert "<a " not in rendered
        headings = [line for line in document.splitlines() if line.startswith("#")]
        assert headings[0].startswith("# Conversation ")
        fences = [t for t in MarkdownIt("commonmark").parse(document) if t.type == "fence"]
        for artifact in (a for turn in model.turns for a in turn.artifacts):
            if artifact.text is not None:
                saw_artifact = True
                whole = "\n".join(escaping.terminal(artifact.text).splitlines())
                assert any(t.content.rstrip("\n") == whole for t in fences)
    assert saw_artifact


def test_json_export_of_hostile_text_is_terminal_safe_and_loses_nothing(models) -> None:
    for model in models:
        document = export(model, "json", ())
        assert unsafe_for_a_terminal(document) == []
        assert json.loads(document)["conversation_id"] == model.conversation_id


# --- the commands ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_check_prints_hostile_text_without_control_characters(hostile: Path, capsys, fmt) -> None:
    assert main(["check", str(hostile), "--quiet", "--format", fmt]) == 1
    out, err = capsys.readouterr()
    assert ("\\x1b" if fmt == "text" else "\\u001b") in out
    assert unsafe_for_a_terminal(out) == []
    assert unsafe_for_a_terminal(err) == []


@pytest.mark.parametrize("fmt", ["json", "markdown", "mermaid"])
def test_export_prints_hostile_text_without_control_characters(hostile: Path, models, capsys, fmt) -> None:
    prefix = models[0].conversation_id[:8]
    assert main(["export", prefix, "--db", str(hostile), "--format", fmt]) == 0
    out, err = capsys.readouterr()
    assert unsafe_for_a_terminal(out) == []
    assert unsafe_for_a_terminal(err) == []
    assert main(["export", "\x1b]52;c;eA==\x07", "--db", str(hostile)]) == 2
    assert unsafe_for_a_terminal(capsys.readouterr().err) == []


# --- the debugger --------------------------------------------------------------------------------
async def test_the_debugger_shows_hostile_text_literally_and_survives_every_step(hostile: Path) -> None:
    app = make_app(hostile)
    async with app.run_test(size=(180, 60)) as pilot:
        await wait_until(pilot, lambda: len(app.conversation_rows()) == 3)
        await wait_until(pilot, lambda: MARKUP[:30] in screen_text(app))
        for row in range(3):
            await pilot.press("home", *["down"] * row, "enter")
            await wait_until(pilot, lambda: getattr(pilot.app.screen, "data", None) is not None)
            screen = pilot.app.screen
            for _ in range(len(screen.data.steps)):
                await pilot.press("n")
            await pilot.press("s")
            await pilot.pause()
            shown = screen_text(app)
            # Markup arrives as text (so "[link=...]" is no link) and escapes as visible codes.
            assert "[link=https://evil.example/rich]" in shown
            assert "\\x1b" in shown
            assert unsafe_for_a_terminal(shown) == []
            await pilot.press("escape")
            await wait_until(pilot, lambda: len(app.conversation_rows()) == 3)
        assert app.is_running
    assert app.return_code in (None, 0)
    assert app._exception is None


async def test_the_debugger_lists_a_store_holding_one_span_posted_by_hand(tmp_path: Path) -> None:
    span = {
        "traceId": "ab" * 16,
        "spanId": "cd" * 8,
        "name": "posted by hand",
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000001000000000",
        "attributes": [{"key": "gen_ai.conversation.id", "value": {"stringValue": "by-hand"}}],
    }
    body = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}).encode()
    with receiver_in_thread(tmp_path / "one.duckdb") as (url, _writer):
        assert post(f"{url}/v1/traces", body, "application/json")[0] == 200
    app = make_app(tmp_path / "one.duckdb")
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: "1 conversation " in screen_text(app))
        assert "by-hand" in screen_text(app)
        assert "Opening the store" not in screen_text(app)
