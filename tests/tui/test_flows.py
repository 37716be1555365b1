"""The debugger driven like a user would, on a store filled by real instrumented agents: the
demo network's streaming, failing and input-required conversations, content captured."""

from __future__ import annotations

import asyncio

import pytest

from a2a_observe import semconv
from a2a_observe.collect.importer import import_files
from a2a_observe.demo.network import TURNS, demo_network, send_turn
from a2a_observe.store.opening import open_source
from a2a_observe.tui.app import ReplayApp
from a2a_observe.tui.screens.conversation import ConversationScreen
from a2a_observe.tui.screens.help import HelpScreen
from a2a_observe.tui.screens.redrive import RedriveScreen
from a2a_observe.tui.widgets.timeline import Timeline
from a2a_observe.tui.widgets.waterfall import Waterfall
from tests.support.replay import capture, recording
from tests.support.store import receiver_in_thread
from tests.support.tui import FIXTURE, make_app, screen_text, wait_until

SUMMARISE, FAIL, GREET = TURNS[0], TURNS[2], TURNS[6]


@pytest.fixture(scope="module")
def recorded(tracer_provider, tmp_path_factory):
    db = tmp_path_factory.mktemp("tui") / "agents.duckdb"
    with demo_network(slow_seconds=0.05) as network:
        with capture(True), recording(tracer_provider, db):

            async def talk() -> None:
                for turn in (SUMMARISE, FAIL, GREET):
                    await send_turn(network, turn)

            asyncio.run(talk())
        yield db, network


async def _listed(pilot, count: int) -> None:
    await wait_until(pilot, lambda: len(pilot.app.conversation_rows()) == count)


async def _open_first(pilot) -> ConversationScreen:
    await pilot.press("enter")
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "data", None) is not None)
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ConversationScreen)
    return screen


async def test_filter_open_step_jump_and_copy(recorded) -> None:
    db, _ = recorded
    app = make_app(db)
    async with app.run_test(size=(160, 48)) as pilot:
        await _listed(pilot, 3)
        await pilot.press("slash", *"error", "enter")
        await _listed(pilot, 1)
        await wait_until(pilot, lambda: "1 conversation · filter: error" in screen_text(app))
        screen = await _open_first(pilot)
        data = screen.data
        assert data is not None and data.model.final_state == semconv.TASK_STATE_FAILED
        assert {"orchestrator", "writer", "translator"} <= {a.name for a in data.model.agents}

        # "e" stops at every failure: the translator's error and the failed state the
        # framework then gave its task, in time order.
        failures = []
        for _ in range(4):
            await pilot.press("e")
            failures.append(data.steps[screen.step_index])
            if failures[-1].kind == "error":
                break
        error_step = failures[-1]
        assert error_step.kind == "error" and error_step.agent == "translator"
        assert all(f.kind == "error" or f.summary.endswith(semconv.TASK_STATE_FAILED) for f in failures)
        await wait_until(pilot, lambda: "STEP error" in screen_text(app))
        text = screen_text(app)
        assert "RuntimeError: translator cannot handle" in text
        assert "A2A006" in text  # the audit finding at this step

        await pilot.press("n")
        assert screen.step_index == data.steps.index(error_step) + 1
        await pilot.press("p")
        assert data.steps[screen.step_index] == error_step

        await pilot.press("s")
        waterfall = app.screen.query_one(Waterfall)
        assert waterfall.has_focus and waterfall.current_span_id() == error_step.span_id
        await wait_until(pilot, lambda: f"span {error_step.span_id}" in screen_text(app))
        await pilot.press("c")
        assert app.clipboard == error_step.span_id
        await pilot.press("s")
        assert app.screen.query_one(Timeline).has_focus
        assert data.steps[screen.step_index].span_id == error_step.span_id

        await pilot.press("escape")
        await wait_until(pilot, lambda: "1 conversation · " in screen_text(app))


async def test_waterfall_collapses_and_marks_errors_and_critical_path(recorded) -> None:
    db, _ = recorded
    app = make_app(db)
    async with app.run_test(size=(160, 48)) as pilot:
        await _listed(pilot, 3)
        await pilot.press("exclamation_mark")
        await _listed(pilot, 1)
        await _open_first(pilot)
        waterfall = app.screen.query_one(Waterfall)
        rows = waterfall.rows_shown
        assert rows[0].depth == 0 and rows[0].critical
        assert any(r.error and r.span.agent_name == "translator" for r in rows)
        waterfall.focus()
        waterfall.move_cursor(row=0)
        await pilot.press("space")
        assert len(waterfall.rows_shown) == 1 and waterfall.rows_shown[0].collapsed
        await pilot.press("plus")
        assert len(waterfall.rows_shown) == len(rows)


async def test_export_in_every_format(recorded, tmp_path, monkeypatch) -> None:
    db, _ = recorded
    monkeypatch.chdir(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await _listed(pilot, 3)
        screen = await _open_first(pilot)
        conversation_id = screen.conversation_id
        for moves, suffix, marker in (
            (0, ".json", '"conversation_id"'),
            (1, ".md", "#"),
            (2, ".mmd", "sequenceDiagram"),
            (3, ".html", "<!DOCTYPE html>"),
        ):
            await pilot.press("x")
            await pilot.press(*["down"] * moves, "enter", "enter")
            target = tmp_path / f"conversation-{conversation_id[:12]}{suffix}"
            await wait_until(pilot, target.exists)
            await wait_until(pilot, lambda t=target: t.stat().st_size > 0)
            assert marker in target.read_text()
            assert isinstance(app.screen, ConversationScreen)


async def test_redrive_against_the_live_agent_shows_the_diff(recorded) -> None:
    db, network = recorded
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await _listed(pilot, 3)
        await pilot.press("slash", *"agent:greeter", "enter")
        await _listed(pilot, 1)
        await _open_first(pilot)
        await pilot.press("r", *network.agents["greeter"].base_url, "enter")
        await wait_until(
            pilot, lambda: isinstance(app.screen, RedriveScreen) and app.screen.result is not None
        )
        text = screen_text(app)
        assert "runs match" in text, text
        assert [t.turn for t in app.screen.result.diff.turns] == ["1", "2"]
        await pilot.press("c")
        assert app.clipboard.endswith("runs match\n")


async def test_help_lists_every_key_and_the_keymap_remaps(recorded) -> None:
    db, _ = recorded
    app = make_app(db, keymap={"step.next": "j", "app.help": "f2"})
    async with app.run_test(size=(160, 48)) as pilot:
        await _listed(pilot, 3)
        await pilot.press("f2")
        assert isinstance(app.screen, HelpScreen)
        # The table is longer than the screen: read every line of it by scrolling, as a user does.
        seen = screen_text(app)
        for _ in range(6):
            await pilot.press("pagedown")
            await pilot.pause()
            seen += screen_text(app)
        for description in (
            "Filter",
            "Next error",
            "Next audit finding",
            "Step ↔ span",
            "Export",
            "Re-drive",
            "Collapse/expand",
            "Errors only",
        ):
            assert description in seen, description
        assert "step.next" in seen
        assert "f2" in seen  # the remapped key is shown as remapped
        await pilot.press("escape")
        screen = await _open_first(pilot)
        await pilot.press("j", "j")
        assert screen.step_index == 2


async def test_attached_to_a_collector_the_list_updates_live(tmp_path) -> None:
    with receiver_in_thread(tmp_path / "live.duckdb") as (url, writer):
        app = ReplayApp(lambda: open_source(url), poll_seconds=0.1)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: app.source is not None)
            assert app.conversation_rows() == []
            # The source is set before the header that says so is painted: wait for the paint.
            await wait_until(pilot, lambda: "live" in screen_text(app))
            report = await asyncio.to_thread(import_files, [FIXTURE], writer)
            assert report.ok
            await _listed(pilot, 3)
