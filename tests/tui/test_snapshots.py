"""Screenshots of the debugger at 80x24 and 120x40, compared with the committed SVGs
(``pytest --snapshot-update`` refreshes them; look at each changed one before accepting it).
The store is a fixed recording of real agents, opened by a relative name, so every pixel is
the same on every run."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from a2a_observe.replay import audits
from a2a_observe.replay import running as running_module
from a2a_observe.tui.screens import conversations
from tests.support import running
from tests.support.running import running_store
from tests.support.tui import FAILED_CONVERSATION, fixture_store, make_app, screen_text, wait_until
from tests.support.usage import SUMMARISE, usage_store

SIZES = [(80, 24), (120, 40)]
sizes = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fixture_store(tmp_path)
    return make_app("demo.duckdb", keymap={})


async def _listed(pilot) -> None:
    await wait_until(pilot, lambda: len(pilot.app.conversation_rows()) == 3)
    screen = pilot.app.screen  # the list, pushed over the first frame once it is loaded
    await wait_until(pilot, lambda: len(screen.audits) == 3)
    await pilot.pause()


async def _opened(pilot) -> None:
    await _listed(pilot)
    rows = pilot.app.conversation_rows()
    await pilot.press(*["j"] * rows.index(FAILED_CONVERSATION), "enter")
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "data", None) is not None)
    await pilot.press("e")
    await pilot.pause()


@sizes
def test_conversation_list(app, snap_compare, size) -> None:
    """Short ids, the first message, agents (from 100 columns), no horizontal scrollbar."""
    assert snap_compare(app, terminal_size=size, run_before=_listed)


@sizes
def test_conversation_view_at_the_first_error(app, snap_compare, size) -> None:
    """Agents first on every waterfall row, the legend, the axis ticks; two panes at 80x24."""
    assert snap_compare(app, terminal_size=size, run_before=_opened)


@sizes
def test_spans_focused_with_the_failed_span_detail(app, snap_compare, size) -> None:
    async def on_span(pilot) -> None:
        await _opened(pilot)
        await pilot.press("s")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=on_span)


@sizes
def test_detail_instead_of_spans_and_zoom(app, snap_compare, size) -> None:
    """``d`` shows the detail pane (in place of the spans on a short screen); ``z`` zooms it."""

    async def zoomed(pilot) -> None:
        await _opened(pilot)
        await pilot.press("d", "z")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=zoomed)


@sizes
def test_help(app, snap_compare, size) -> None:
    async def help_shown(pilot) -> None:
        await _listed(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=help_shown)


@sizes
def test_filter_narrows_as_typed_and_says_what_is_wrong(app, snap_compare, size) -> None:
    async def typed(pilot) -> None:
        await _listed(pilot)
        await pilot.press("slash", *"state:failed since:1000w")
        await wait_until(pilot, lambda: len(pilot.app.conversation_rows()) == 1)
        await pilot.press(*" state:bogus")
        await wait_until(pilot, lambda: "'bogus' is not a task state" in screen_text(pilot.app))
        pilot.app.screen.query_one("#filter").cursor_blink = False  # a blinking cursor differs by the frame
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=typed)


@sizes
def test_why_it_failed(app, snap_compare, size) -> None:
    async def why(pilot) -> None:
        await _opened(pilot)
        await pilot.press("w")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=why)


# --- work in progress and tokens ---------------------------------------------------------------
@pytest.fixture
def live_app(tmp_path, monkeypatch):
    """A store with a run still going, seen with the wall clock frozen 3m12s after it started."""
    monkeypatch.chdir(tmp_path)
    running_store(tmp_path)
    frozen = SimpleNamespace(time_ns=lambda: running.NOW)
    for module in (running_module, audits, conversations):
        monkeypatch.setattr(module, "time", frozen)
    return make_app("live.duckdb", keymap={})


async def _running_listed(pilot) -> None:
    await wait_until(pilot, lambda: pilot.app.conversation_rows() == [running.CONVERSATION])
    await wait_until(pilot, lambda: "▶ running 3m12s" in screen_text(pilot.app))
    await pilot.pause()


@sizes
def test_running_work_in_the_list(live_app, snap_compare, size) -> None:
    """A run still going shows in the state column with its elapsed time."""
    assert snap_compare(live_app, terminal_size=size, run_before=_running_listed)


@sizes
def test_running_work_in_the_conversation(live_app, snap_compare, size) -> None:
    """The header counts the running run; the waterfall draws it up to now, marked ``▶``."""

    async def opened(pilot) -> None:
        await _running_listed(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "1 running" in screen_text(pilot.app))
        await pilot.pause()

    assert snap_compare(live_app, terminal_size=size, run_before=opened)


@sizes
def test_tokens_of_the_conversation_and_the_turn(tmp_path, monkeypatch, snap_compare, size) -> None:
    """The conversation's total in the header, the turn's figures in its detail."""
    monkeypatch.chdir(tmp_path)
    usage_store(tmp_path)

    async def turn_shown(pilot) -> None:
        await wait_until(pilot, lambda: SUMMARISE in pilot.app.conversation_rows())
        rows = pilot.app.conversation_rows()
        await wait_until(pilot, lambda: len(pilot.app.screen.audits) == len(rows))
        await pilot.press(*["j"] * rows.index(SUMMARISE), "enter")
        await wait_until(pilot, lambda: getattr(pilot.app.screen, "data", None) is not None)
        await wait_until(pilot, lambda: "150 in/30 out tokens" in screen_text(pilot.app))
        await pilot.press("n")
        if size == (80, 24):
            await pilot.press("d")  # a short screen shows the detail in place of the spans
        await wait_until(pilot, lambda: "Tokens of turn 1" in screen_text(pilot.app))
        await pilot.pause()

    assert snap_compare(make_app("demo.duckdb", keymap={}), terminal_size=size, run_before=turn_shown)
