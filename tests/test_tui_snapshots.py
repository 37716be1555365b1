"""Screenshots of the debugger's main screens at 80x24 and 160x48, compared with the committed
SVGs (``pytest --snapshot-update`` refreshes them). The store is a fixed recording of real
agents, opened by a relative name, so every pixel is the same on every run."""

from __future__ import annotations

import pytest

from tests.tui_support import FAILED_CONVERSATION, fixture_store, make_app, wait_until

SIZES = [(80, 24), (160, 48)]


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fixture_store(tmp_path)
    return make_app("demo.duckdb", keymap={})


async def _listed(pilot) -> None:
    screen = pilot.app.screen
    await wait_until(pilot, lambda: len(pilot.app.conversation_rows()) == 3)
    await wait_until(pilot, lambda: len(screen.audits) == 3)
    await pilot.pause()


async def _opened(pilot) -> None:
    await _listed(pilot)
    rows = pilot.app.conversation_rows()
    await pilot.press(*["down"] * rows.index(FAILED_CONVERSATION), "enter")
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "data", None) is not None)
    await pilot.press("e")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_conversation_list(app, snap_compare, size) -> None:
    assert snap_compare(app, terminal_size=size, run_before=_listed)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_conversation_view_at_the_first_error(app, snap_compare, size) -> None:
    assert snap_compare(app, terminal_size=size, run_before=_opened)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(app, snap_compare, size) -> None:
    async def help_shown(pilot) -> None:
        await _listed(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=help_shown)
