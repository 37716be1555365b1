"""Re-driving: record a conversation against a real agent, send it again to the same agent
(the runs match) and to a changed one (the diff names the turn and the field)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from a2a.server.agent_execution import RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import Part
from opentelemetry.sdk.trace import TracerProvider

from a2a_observe import semconv
from a2a_observe.cli import main
from a2a_observe.demo.agents import AskingAgent, EchoAgent
from a2a_observe.demo.serving import RunningAgent, serve_agent
from a2a_observe.replay import ReplayError, open_store, rebuild
from a2a_observe.replay.diff import DiffOptions, compare, describe
from a2a_observe.replay.redrive import redrive
from a2a_observe.replay.sdk_client import send_text
from tests.support.replay import ask_twice, capture, recording, run, task_of


class PoliteAskingAgent(AskingAgent):
    """The asking agent after a change: it greets with "Good day" instead of "Hello"."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        if context.current_task is None:
            await super().execute(context, event_queue)
            return
        updater = TaskUpdater(event_queue, context.current_task.id, context.current_task.context_id)
        await updater.start_work()
        await updater.add_artifact([Part(text=f"Good day, {context.get_user_input()}!")], name="greeting")
        await updater.complete()


@pytest.fixture(scope="module")
def agents() -> Iterator[tuple[RunningAgent, RunningAgent]]:
    with (
        serve_agent(AskingAgent(), "asking", grpc=False) as same,
        serve_agent(PoliteAskingAgent(), "asking", grpc=False) as changed,
    ):
        yield same, changed


@pytest.fixture(scope="module")
def recorded(
    agents: tuple[RunningAgent, RunningAgent],
    tracer_provider: TracerProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("redrive") / "s.duckdb"
    with capture(True), recording(tracer_provider, db):
        context = run(ask_twice(agents[0].card, "hello", "Ada"))[1]
    return db, context


def _redrive(db: Path, context: str, agent: RunningAgent, provider: TracerProvider, **options: object) -> str:
    model = rebuild(open_store(db), context)
    progress: list[tuple[int, int]] = []
    with capture(True), recording(provider, db):
        result = asyncio.run(redrive(model, agent.base_url, on_progress=lambda d, t: progress.append((d, t))))
    assert progress == [(1, 2), (2, 2)]
    assert [t.state for t in result.turns] == [
        semconv.TASK_STATE_INPUT_REQUIRED,
        semconv.TASK_STATE_COMPLETED,
    ]
    return result.context_id


def test_the_same_agent_gives_the_same_run(recorded, agents, tracer_provider) -> None:
    db, context = recorded
    new = _redrive(db, context, agents[0], tracer_provider)
    con = open_store(db)
    diff = compare(rebuild(con, context), rebuild(con, new))
    assert diff.matches, describe(diff)
    assert [t.turn for t in diff.turns] == ["1", "2"]
    assert all(t.replayed_latency_ns and t.recorded_latency_ns for t in diff.turns)
    assert describe(diff).endswith("runs match\n")


def test_a_changed_agent_is_named_by_turn_and_field(recorded, agents, tracer_provider) -> None:
    db, context = recorded
    new = _redrive(db, context, agents[1], tracer_provider)
    con = open_store(db)
    diff = compare(rebuild(con, context), rebuild(con, new))
    assert not diff.matches
    first, second = diff.turns
    assert first.matches
    [difference] = second.differences
    assert (difference.field, difference.recorded, difference.replayed) == (
        "artifacts[greeting].text",
        "Hello, Ada!",
        "Good day, Ada!",
    )
    text = describe(diff)
    assert "turn 2: DIFFERS" in text
    expected = '  artifacts[greeting].text:\n    recorded:   "Hello, Ada!"\n    re-driven:  "Good day, Ada!"'
    assert expected in text
    loose = compare(rebuild(con, context), rebuild(con, new), DiffOptions(text="normalised"))
    assert not loose.matches, "normalising case and spaces does not hide a different word"


def test_normalised_text_ignores_case_and_spacing(tracer_provider, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with serve_agent(EchoAgent(), "echo", grpc=False) as echo, capture(True), recording(tracer_provider, db):
        first = task_of(run(send_text(echo.card, "Hello  World", streaming=False)))[1]
        second = task_of(run(send_text(echo.card, "hello world", streaming=False)))[1]
    con = open_store(db)
    old, new = rebuild(con, first), rebuild(con, second)
    assert not compare(old, new).matches
    assert compare(old, new, DiffOptions(text="normalised")).matches


def test_the_redrive_command_exits_by_whether_the_runs_match(recorded, agents, capsys) -> None:
    db, context = recorded
    assert main(["redrive", context, "--db", str(db), "--against", agents[0].base_url, "--quiet"]) == 0
    assert capsys.readouterr().out.endswith("runs match\n")
    assert main(["redrive", context, "--db", str(db), "--against", agents[1].base_url, "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "turn 2: DIFFERS" in out and "artifacts[greeting].text" in out


def test_redrive_needs_captured_content(agents, tracer_provider, tmp_path: Path, capsys) -> None:
    db = tmp_path / "bare.duckdb"
    with recording(tracer_provider, db):
        context = run(ask_twice(agents[0].card, "hello", "Ada"))[1]
    model = rebuild(open_store(db), context)
    with pytest.raises(ReplayError, match="only stored when content capture was on"):
        asyncio.run(redrive(model, agents[0].base_url))
    assert main(["redrive", context, "--db", str(db), "--against", agents[0].base_url]) == 2
    assert "A2A_OBSERVE_CAPTURE_CONTENT=true" in capsys.readouterr().err


def test_redrive_refuses_an_address_without_an_agent(recorded, capsys) -> None:
    db, context = recorded
    assert main(["redrive", context, "--db", str(db), "--against", "http://127.0.0.1:9/", "--quiet"]) == 2
    assert "no agent card at http://127.0.0.1:9/" in capsys.readouterr().err
