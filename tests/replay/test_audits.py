"""Every audit, once triggered and once not: by real agents where real agents can misbehave
that way, by hand-built spans written through the store's own writer where they cannot."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from a2a_observe import semconv
from a2a_observe.cli import main
from a2a_observe.demo.agents import AskingAgent, EchoAgent, FlakyAgent, SlowAgent, StreamingWriter
from a2a_observe.demo.serving import serve_agent
from a2a_observe.replay import open_store, rebuild
from a2a_observe.replay.audits import RULES, AuditSettings, Finding, audit
from a2a_observe.replay.sdk_client import send_text
from a2a_observe.store.sdk_rows import spans_batch
from a2a_observe.store.writer import StoreWriter
from tests.support.replay import Recorded, ask_twice, capture, recording, run, stream_until_error, task_of

NOW_AND_FOREVER = AuditSettings(stuck_after=0.0)


@dataclass
class Store:
    db: Path
    recorded: Recorded

    def findings(self, name: str, settings: AuditSettings | None = None) -> list[Finding]:
        return audit(rebuild(open_store(self.db), self.recorded.contexts[name]), settings)

    def codes(self, name: str, settings: AuditSettings | None = None) -> list[str]:
        return [f.code for f in self.findings(name, settings)]


async def _call_nowhere(context_id: str) -> None:
    card = serve_agent(EchoAgent(), "gone", grpc=False)
    card.stop()
    try:
        await send_text(card.card, "anyone there?", streaming=False, context_id=context_id)
    except Exception:  # the agent is gone: that is the point
        return
    raise AssertionError("the call to a stopped agent succeeded")


@pytest.fixture(scope="module")
def store(tracer_provider: TracerProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    db = tmp_path_factory.mktemp("audits") / "agents.duckdb"
    out = Recorded()
    with (
        serve_agent(EchoAgent(), "echo", grpc=False) as echo,
        serve_agent(StreamingWriter(chunks=3), "writer", grpc=False) as writer,
        serve_agent(AskingAgent(), "asking", grpc=False) as asking,
        serve_agent(FlakyAgent(), "flaky", grpc=False) as flaky,
        serve_agent(SlowAgent(3600), "stalled", grpc=False) as stalled,
        capture(True),
        recording(tracer_provider, db),
    ):
        out.contexts["echo"] = task_of(run(send_text(echo.card, "hi", streaming=False)))[1]
        out.contexts["writer"] = task_of(run(send_text(writer.card, "a b c", streaming=True)))[1]
        out.contexts["unanswered"] = task_of(run(send_text(asking.card, "hello", streaming=False)))[1]
        out.contexts["answered"] = run(ask_twice(asking.card, "hello", "Ada"))[1]
        out.contexts["flaky"] = task_of(run(stream_until_error(flaky.card, "please fail")))[1]
        background = send_text(stalled.card, "run all night", streaming=False, return_immediately=True)
        out.contexts["stalled"] = task_of(run(background))[1]
        out.contexts["nowhere"] = str(uuid.uuid4())
        asyncio.run(_call_nowhere(out.contexts["nowhere"]))
    yield Store(db, out)


# --- hand-built spans, for what no real agent does ----------------------------------------------
def _agent_call(
    tracer: trace.Tracer, context_id: str, task_id: str, events: Sequence[tuple[str, dict[str, Any]]]
) -> None:
    """A CLIENT, SERVER and ``invoke_agent`` span of one call, with the agent's events."""
    base = 1_700_000_000_000_000_000
    ids = {semconv.GEN_AI_CONVERSATION_ID: context_id, semconv.A2A_TASK_ID: task_id}
    call = {**ids, semconv.A2A_METHOD_NAME: semconv.SEND_MESSAGE, semconv.GEN_AI_AGENT_NAME: "made"}
    client = tracer.start_span(semconv.SEND_MESSAGE, kind=SpanKind.CLIENT, attributes=call, start_time=base)
    ctx = trace.set_span_in_context(client)
    server = tracer.start_span(
        semconv.SEND_MESSAGE, context=ctx, kind=SpanKind.SERVER, attributes=call, start_time=base + 10
    )
    run_attrs = {
        **ids,
        semconv.GEN_AI_AGENT_NAME: "made",
        semconv.GEN_AI_OPERATION_NAME: semconv.OPERATION_INVOKE_AGENT,
    }
    agent = tracer.start_span(
        semconv.agent_span_name(semconv.OPERATION_INVOKE_AGENT, "made"),
        context=trace.set_span_in_context(server),
        kind=SpanKind.INTERNAL,
        attributes=run_attrs,
        start_time=base + 20,
    )
    for index, (name, attrs) in enumerate(events):
        agent.add_event(name, attrs, timestamp=base + 100 + index)
    agent.end(base + 1000)
    server.end(base + 1100)
    client.end(base + 1200)


def _write(db: Path, spans: Sequence[ReadableSpan]) -> None:
    """Through the store's own writer, as the exporter and the collector write."""
    writer = StoreWriter(db)
    try:
        writer.submit(lambda: spans_batch(spans), len(spans), "test").result(30)
    finally:
        writer.close()


def _made(db: Path, events: Sequence[tuple[str, dict[str, Any]]]) -> list[Finding]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    context_id = str(uuid.uuid4())
    _agent_call(provider.get_tracer("hand"), context_id, "t-1", events)
    _write(db, memory.get_finished_spans())
    return audit(rebuild(open_store(db), context_id))


def _state(state: str) -> tuple[str, dict[str, Any]]:
    attrs: dict[str, Any] = {semconv.A2A_TASK_STATE: state}
    if state in semconv.TERMINAL_TASK_STATES:
        attrs[semconv.A2A_TASK_FINAL] = True
    return semconv.EVENT_TASK_STATUS, attrs


def _chunk(append: bool, last: bool) -> tuple[str, dict[str, Any]]:
    return semconv.EVENT_ARTIFACT, {
        semconv.A2A_ARTIFACT_ID: "a-1",
        semconv.A2A_ARTIFACT_NAME: "doc",
        semconv.A2A_ARTIFACT_APPEND: append,
        semconv.A2A_ARTIFACT_LAST_CHUNK: last,
    }


# --- A2A001 -------------------------------------------------------------------------------------
def test_a2a001_a_transition_after_a_terminal_state(tmp_path: Path) -> None:
    found = _made(tmp_path / "s.duckdb", [_state("submitted"), _state("completed"), _state("working")])
    [finding] = [f for f in found if f.code == "A2A001"]
    assert finding.message == (
        "task t-1 of made moved from TASK_STATE_COMPLETED (terminal) to TASK_STATE_WORKING"
    ), "states an earlier version wrote read as the conventions spell them"
    assert (finding.name, finding.task_id, finding.path) == ("transition-after-terminal", "t-1", "1")


def test_a2a001_not_for_a_task_that_ends_once(store: Store, tmp_path: Path) -> None:
    assert "A2A001" not in store.codes("echo") + store.codes("answered")
    assert _made(tmp_path / "s.duckdb", [_state("submitted"), _state("working"), _state("completed")]) == []


# --- A2A002 -------------------------------------------------------------------------------------
def test_a2a002_a_task_stuck_in_working(store: Store) -> None:
    [finding] = [f for f in store.findings("stalled", NOW_AND_FOREVER) if f.code == "A2A002"]
    assert re.search(r"of stalled has been TASK_STATE_(SUBMITTED|WORKING) for", finding.message), (
        finding.message
    )
    # Without span-start records the audit cannot tell a hung run from a lost task (starts
    # are not logged, or only for spans open longer than the delay), and says so.
    assert finding.message.endswith(
        "(limit 0 s) and never reached a final state: still running or lost "
        "(no span of its run is known to be open: see SpanStartLogger)"
    )


def test_a2a002_with_span_starts_logged_and_none_open_the_task_is_lost(store: Store) -> None:
    import dataclasses

    model = rebuild(open_store(store.db), store.recorded.contexts["stalled"])
    logged = dataclasses.replace(model, starts_recorded=True)
    [finding] = [f for f in audit(logged, NOW_AND_FOREVER) if f.code == "A2A002"]
    assert finding.message.endswith("never reached a final state: lost (no span of its run is still open)")


def test_a2a002_not_for_finished_tasks_nor_before_the_limit(store: Store) -> None:
    assert "A2A002" not in store.codes("echo", NOW_AND_FOREVER)
    assert "A2A002" not in store.codes("flaky", NOW_AND_FOREVER)  # the framework failed it
    assert "A2A002" not in store.codes("stalled", AuditSettings(stuck_after=3600))


# --- A2A003 -------------------------------------------------------------------------------------
def test_a2a003_input_required_never_answered(store: Store) -> None:
    [finding] = [f for f in store.findings("unanswered") if f.code == "A2A003"]
    assert finding.message.endswith(
        "of asking is TASK_STATE_INPUT_REQUIRED (it asked: 'What is your name?') "
        "and no later message answered it"
    )


def test_a2a003_not_once_answered(store: Store) -> None:
    assert store.codes("answered") == []
    assert "A2A003" not in store.codes("unanswered", AuditSettings(answer_within=3600))


# --- A2A004 -------------------------------------------------------------------------------------
def test_a2a004_a_stream_that_ends_without_a_final_state(store: Store) -> None:
    [finding] = [f for f in store.findings("flaky") if f.code == "A2A004"]
    assert finding.message == (
        "the stream of SendStreamingMessage to flaky (exchange 1) ended (error) after 2 events "
        "with the task at TASK_STATE_WORKING"
    )


def test_a2a004_not_for_a_completed_stream(store: Store) -> None:
    assert store.codes("writer") == []


# --- A2A005 -------------------------------------------------------------------------------------
def test_a2a005_a_chunk_after_the_last_chunk(tmp_path: Path) -> None:
    events = [
        _state("working"),
        _chunk(False, False),
        _chunk(True, True),
        _chunk(True, False),
        _state("completed"),
    ]
    [finding] = [f for f in _made(tmp_path / "s.duckdb", events) if f.code == "A2A005"]
    assert (
        finding.message
        == "artifact 'doc' in SendMessage to made (exchange 1): chunk 3 came after chunk 2, the last chunk"
    )


def test_a2a005_a_first_chunk_that_appends_to_nothing(tmp_path: Path) -> None:
    events = [_state("working"), _chunk(True, False), _chunk(True, True), _state("completed")]
    [finding] = [f for f in _made(tmp_path / "s.duckdb", events) if f.code == "A2A005"]
    assert "chunk 1 appends to an artifact that was never started" in finding.message


def test_a2a005_not_for_chunks_in_order(store: Store, tmp_path: Path) -> None:
    assert "A2A005" not in store.codes("writer")
    events = [
        _state("working"),
        _chunk(False, False),
        _chunk(True, False),
        _chunk(True, True),
        _state("completed"),
    ]
    assert _made(tmp_path / "s.duckdb", events) == []


# --- A2A006 -------------------------------------------------------------------------------------
def test_a2a006_an_agent_that_fails(store: Store) -> None:
    [finding] = [f for f in store.findings("flaky") if f.code == "A2A006"]
    assert finding.message == (
        "flaky failed serving SendStreamingMessage to flaky (exchange 1): "
        "RuntimeError: translator cannot handle 'please fail'"
    )
    model = rebuild(open_store(store.db), store.recorded.contexts["flaky"])
    span = model.span(finding.span_id)
    assert (span.kind, span.name) == ("SERVER", semconv.SEND_STREAMING_MESSAGE), "the agent ran under it"


def test_a2a006_not_when_the_agent_succeeds(store: Store) -> None:
    assert "A2A006" not in store.codes("echo") + store.codes("writer") + store.codes("answered")


# --- A2A007 -------------------------------------------------------------------------------------
def test_a2a007_a_call_whose_server_never_reported(store: Store) -> None:
    [finding] = [f for f in store.findings("nowhere") if f.code == "A2A007"]
    assert finding.message.startswith("SendMessage to gone (exchange 1) at ")
    assert "has no SERVER span in this store" in finding.message
    assert "the call failed:" in finding.message


def test_a2a007_not_when_the_server_reported(store: Store) -> None:
    assert "A2A007" not in store.codes("echo") + store.codes("writer") + store.codes("flaky")


# --- the rules and the command ------------------------------------------------------------------
def test_codes_are_unique_and_findings_have_stable_ids(store: Store) -> None:
    assert [r.code for r in RULES] == [f"A2A00{n}" for n in range(1, 8)]
    first = [f.finding_id for f in store.findings("flaky")]
    assert first == [f.finding_id for f in store.findings("flaky")] and len(set(first)) == len(first)


def test_check_prints_findings_and_exits_non_zero(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(store.db), "--quiet"]) == 1
    out = capsys.readouterr().out
    for code in ("A2A003", "A2A004", "A2A006", "A2A007"):
        assert code in out
    assert main(["check", str(store.db), "--quiet", "-c", store.recorded.contexts["writer"]]) == 0
    ignored = ["--ignore", "A2A004", "--ignore", "A2A006", "--ignore", "A2A002"]
    assert main(["check", str(store.db), "--quiet", "-c", store.recorded.contexts["flaky"], *ignored]) == 0


def test_check_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "none.duckdb")]) == 2
    assert "no such store file" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "none.duckdb"), "--ignore", "A2A999"]) == 2
    assert "unknown rule A2A999" in capsys.readouterr().err
