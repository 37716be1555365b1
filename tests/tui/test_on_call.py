"""The debugger as an on-call engineer drives it, on the fixed recording of real agents, at the
two terminal sizes people use: keys that mean the same on every screen, a filter that narrows
as it is typed and says what is wrong, a list that fits, a waterfall that names the agents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from a2a_observe import semconv
from a2a_observe.replay.waterfall_layout import axis_ticks, self_times
from a2a_observe.tui.listing import Filter, parse_filter, parse_state, state_label
from a2a_observe.tui.screens.conversation import ConversationScreen
from a2a_observe.tui.screens.conversations import column_widths, plural
from a2a_observe.tui.widgets.waterfall import Waterfall
from tests.support.tui import FAILED_CONVERSATION, fixture_store, make_app, screen_text, wait_until
from tests.tui.test_units import _span

SIZES = [(80, 24), (120, 40)]
sizes = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
NOW = 1_800_000_000_000_000_000


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return fixture_store(tmp_path)


async def _listed(pilot) -> None:
    await wait_until(pilot, lambda: len(pilot.app.conversation_rows()) == 3)
    await wait_until(pilot, lambda: len(pilot.app.screen.audits) == 3)


async def _open_failed(pilot) -> ConversationScreen:
    await _listed(pilot)
    rows = pilot.app.conversation_rows()
    await pilot.press(*["j"] * rows.index(FAILED_CONVERSATION), "enter")
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "data", None) is not None)
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ConversationScreen)
    return screen


def test_filter_words_show_back_as_typed_and_name_valid_states() -> None:
    flt = parse_filter("since:1h until:2025-01-31 state:FAILED", NOW)
    assert flt.describe() == "state:failed since:1h until:2025-01-31"
    assert flt.state == semconv.TASK_STATE_FAILED
    assert parse_state("TASK_STATE_INPUT_REQUIRED") == semconv.TASK_STATE_INPUT_REQUIRED
    assert state_label(semconv.TASK_STATE_INPUT_REQUIRED) == "input-required"
    with pytest.raises(ValueError, match="'bogus' is not a task state; states are submitted, working, "):
        parse_filter("state:bogus", NOW)
    assert plural(1, "conversation") == "1 conversation" and plural(2, "turn") == "2 turns"


@pytest.mark.parametrize("width", [80, 90, 100, 110, 119, 120, 160])
def test_list_columns_fit_the_terminal(width: int) -> None:
    widths = column_widths(width)
    assert sum(widths.values()) + 2 * len(widths) + 3 <= width
    assert widths["conversation"] == 8
    assert ("agents" in widths) == (width >= 100)
    assert widths["first"] >= 10


def test_self_time_and_axis_ticks() -> None:
    spans = [
        _span("root", None, 0, 100),
        _span("a", "root", 10, 40),
        _span("b", "root", 30, 60),  # overlaps a: counted once
        _span("c", "a", 15, 20),
    ]
    assert self_times(spans) == {"root": 50, "a": 25, "b": 30, "c": 5}
    ticks = axis_ticks(100_000_000, 40)
    assert len(ticks) == 40
    assert ticks.startswith("0 ") and ticks.rstrip().endswith("100ms")
    assert "50ms" in ticks and "25ms" in ticks


@sizes
async def test_list_fits_moves_with_j_k_and_tells_conversations_apart(db, size) -> None:
    app = make_app(db, keymap={})
    async with app.run_test(size=size) as pilot:
        await _listed(pilot)
        table = app.screen.query_one("#conversations")
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert not table.show_horizontal_scrollbar
        text = screen_text(app)
        for first in ("hello", "please fail thi", "summarise the q"):
            assert first in text
        assert "3 conversations · filter: all" in text
        assert FAILED_CONVERSATION[:8] in text and FAILED_CONVERSATION[:9] not in text
        await pilot.press("j")
        assert table.cursor_row == 1
        await pilot.press("k")
        assert table.cursor_row == 0
        await pilot.press("e")  # the next conversation with errors, as e is the next error everywhere
        assert app.conversation_rows()[table.cursor_row] == FAILED_CONVERSATION


@sizes
async def test_filter_narrows_while_typing_and_escape_clears_it(db, size) -> None:
    app = make_app(db, keymap={})
    async with app.run_test(size=size) as pilot:
        await _listed(pilot)
        await pilot.press("slash", *"state:failed since:1000w")
        await wait_until(pilot, lambda: len(app.conversation_rows()) == 1)  # no enter pressed
        await wait_until(
            pilot, lambda: "1 conversation · filter: state:failed since:1000w" in screen_text(app)
        )
        await pilot.press(*" state:bogus")
        await wait_until(pilot, lambda: "'bogus' is not a task state" in screen_text(app))
        assert app.conversation_rows() == [FAILED_CONVERSATION]  # a mistake keeps the list
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(app.conversation_rows()) == 3)
        assert app.screen.flt == Filter()
        assert "3 conversations · filter: all" in screen_text(app)
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: len(app.conversation_rows()) == 1)
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(app.conversation_rows()) == 3)


@sizes
async def test_waterfall_names_every_agent_and_z_toggles(db, size) -> None:
    app = make_app(db, keymap={})
    async with app.run_test(size=size) as pilot:
        screen = await _open_failed(pilot)
        waterfall = screen.query_one(Waterfall)
        rows = waterfall.rows_shown
        shown = [str(waterfall.get_row_at(i)[0]) for i in range(len(rows))]
        for row, label in zip(rows, shown, strict=True):
            agent = row.span.agent_name or row.span.service_name
            assert label.strip(" ▾▸→").startswith(agent[:10]), (label, agent)
        assert {"orchestrator", "writer", "translator"} <= {r.span.agent_name for r in rows}
        assert "critical path" in str(waterfall.border_subtitle)
        assert "failed" in screen_text(app) and "other" in str(waterfall.border_subtitle)
        await pilot.press("j", "j")
        assert screen.step_index == 2
        await pilot.press("k")
        assert screen.step_index == 1
        before = waterfall.size.width
        await pilot.press("s", "z")
        assert screen.maximized is waterfall
        await pilot.press("z")
        await pilot.pause()
        assert screen.maximized is None and waterfall.size.width == before
        # The waterfall's header is the time axis: its ticks end at the conversation's length.
        bar_header = str(waterfall.ordered_columns[1].label)
        assert bar_header.startswith("0") and bar_header.rstrip().endswith("126ms")


@sizes
async def test_footer_hints_fit(db, size) -> None:
    app = make_app(db, keymap={})
    async with app.run_test(size=size) as pilot:
        await _open_failed(pilot)
        for focus in ("timeline", "waterfall"):
            app.screen.query_one(f"#{focus}").focus()
            await pilot.pause()
            footer = app.screen.query_one("Footer")
            assert footer.virtual_size.width <= size[0], (focus, footer.virtual_size)
            assert "Back" in screen_text(app) and "Help" in screen_text(app)


async def test_help_scrolls_without_tab(db) -> None:
    app = make_app(db, keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await _listed(pilot)
        await pilot.press("question_mark")
        table = app.screen.query_one("#help-keys")
        assert table.has_focus
        await pilot.press("j", "j", "pagedown")
        assert table.scroll_y > 0


def test_replay_of_a_missing_store_fails_at_once(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "a2a-observe"), "replay", str(tmp_path / "missing.duckdb")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"a2a-observe replay: {tmp_path / 'missing.duckdb'}: no such store file"
    folder = subprocess.run(
        [str(Path(sys.executable).parent / "a2a-observe"), "replay", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert folder.returncode == 2 and "is a folder, not a store file" in folder.stderr


@sizes
async def test_why_shows_the_failure_chain_and_selects_the_span_where_it_began(db, size) -> None:
    app = make_app(db, keymap={})
    async with app.run_test(size=size) as pilot:
        screen = await _open_failed(pilot)
        await pilot.press("w")
        await wait_until(pilot, lambda: "WHY it failed" in screen_text(app))
        text = screen_text(app)
        assert "user → orchestrator" in text and "orchestrator → translator" in text
        waterfall = screen.query_one(Waterfall)
        span = screen.data.model.spans[waterfall.current_span_id()]
        assert span.status_code == "ERROR" and span.agent_name == "translator" and span.kind == "INTERNAL"


@sizes
async def test_an_empty_live_list_says_where_to_send_otlp(tmp_path: Path, size) -> None:
    from a2a_observe.store.opening import open_source
    from a2a_observe.tui.app import ReplayApp
    from tests.support.store import receiver_in_thread

    with receiver_in_thread(tmp_path / "live.duckdb") as (url, _writer):
        app = ReplayApp(lambda: open_source(url), poll_seconds=0.2)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(
                pilot, lambda: f"agents send OTLP/HTTP to {url.rstrip('/')}/v1/traces" in screen_text(app)
            )
