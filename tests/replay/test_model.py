"""Conversations of real instrumented agents, rebuilt from a store and compared, field by
field, with what the agents did: both libraries, streaming, multi-turn with input-required,
cancel, failure and a three-agent chain."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from python_a2a import A2AClient, Message, MessageRole, TextContent

from a2a_observe import semconv
from a2a_observe.demo.agents import (
    AskingAgent,
    EchoAgent,
    FlakyAgent,
    Orchestrator,
    SlowAgent,
    StreamingWriter,
)
from a2a_observe.demo.python_a2a_agents import Relay, serve_python_a2a_agent
from a2a_observe.demo.serving import serve_agent
from a2a_observe.replay import ConversationModel, ReplayError, open_store, rebuild
from a2a_observe.replay.sdk_client import send_text
from tests.support.replay import (
    Recorded,
    ask_twice,
    capture,
    new_context,
    recording,
    run,
    send_and_cancel,
    stream_until_error,
    task_of,
)

SUBMITTED, WORKING = semconv.TASK_STATE_SUBMITTED, semconv.TASK_STATE_WORKING
COMPLETED, INPUT = semconv.TASK_STATE_COMPLETED, semconv.TASK_STATE_INPUT_REQUIRED
FAILED = semconv.TASK_STATE_FAILED


@dataclass
class Store:
    db: Path
    recorded: Recorded

    def model(self, name: str) -> ConversationModel:
        return rebuild(open_store(self.db), self.recorded.contexts[name])


def _record_all(provider: TracerProvider, db: Path, content: bool, agent_spans: bool = False) -> Recorded:
    out = Recorded()
    with (
        serve_agent(EchoAgent(), "echo", grpc=False) as echo,
        serve_agent(StreamingWriter(chunks=3), "writer", grpc=False) as writer,
        serve_agent(AskingAgent(), "asking", grpc=False) as asking,
        serve_agent(FlakyAgent(), "flaky", grpc=False) as flaky,
        serve_agent(SlowAgent(30), "slow", grpc=False) as slow,
        serve_agent(Orchestrator([("writer", writer.card)]), "middle", grpc=False) as middle,
        serve_agent(Orchestrator([("middle", middle.card)]), "top", grpc=False) as top,
        serve_python_a2a_agent(name="greeter") as greeter,
        serve_python_a2a_agent(lambda card: Relay(card, echo.card), name="relay") as relay,
        capture(content, agent_spans),
        recording(provider, db),
    ):
        out.tasks["echo"], out.contexts["echo"] = task_of(run(send_text(echo.card, "hi", streaming=False)))
        events = run(send_text(writer.card, "one two three", binding="HTTP+JSON", streaming=True))
        out.tasks["writer"], out.contexts["writer"] = task_of(events)
        out.tasks["asking"], out.contexts["asking"] = run(ask_twice(asking.card, "hello", "Ada"))
        out.tasks["flaky"], out.contexts["flaky"] = task_of(
            run(stream_until_error(flaky.card, "please fail"))
        )
        out.tasks["slow"], out.contexts["slow"] = run(send_and_cancel(slow.card, "take your time"))
        out.tasks["chain"], out.contexts["chain"] = task_of(
            run(send_text(top.card, "go team", streaming=False))
        )
        for name, agent in (("greeter", greeter), ("relay", relay)):
            context = new_context()
            A2AClient(agent.url).send_message(
                Message(
                    content=TextContent(text=f"to {name}"), role=MessageRole.USER, conversation_id=context
                )
            )
            out.contexts[name] = context
    return out


@pytest.fixture(scope="module")
def store(tracer_provider: TracerProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    db = tmp_path_factory.mktemp("replay") / "captured.duckdb"
    yield Store(db, _record_all(tracer_provider, db, content=True))


@pytest.fixture(scope="module")
def with_agent_spans(
    tracer_provider: TracerProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    db = tmp_path_factory.mktemp("replay") / "agent-spans.duckdb"
    yield Store(db, _record_all(tracer_provider, db, content=True, agent_spans=True))


@pytest.fixture(scope="module")
def bare(tracer_provider: TracerProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    db = tmp_path_factory.mktemp("replay") / "structure.duckdb"
    yield Store(db, _record_all(tracer_provider, db, content=False))


def states(transitions: list) -> list[tuple[str | None, str]]:
    return [(t.from_state, t.state) for t in transitions]


def test_a_unary_call_is_one_turn_with_its_task_states_and_artifact(store: Store) -> None:
    model = store.model("echo")
    assert [a.name for a in model.agents] == ["echo"]
    [turn] = model.turns
    assert (turn.path, turn.caller, turn.agent, turn.method, turn.binding) == (
        "1",
        None,
        "echo",
        semconv.SEND_MESSAGE,
        semconv.BINDING_JSONRPC,
    )
    assert (turn.task_id, turn.context_id, turn.task_created) == (
        store.recorded.tasks["echo"],
        store.recorded.contexts["echo"],
        True,
    )
    assert turn.request is not None and (turn.request.role, turn.request.text) == ("user", "hi")
    assert states(turn.transitions) == [(None, SUBMITTED), (SUBMITTED, WORKING), (WORKING, COMPLETED)]
    assert [t.source for t in turn.transitions] == ["agent"] * 3
    assert [t.final for t in turn.transitions] == [False, False, True]
    [artifact] = turn.artifacts
    assert (artifact.name, artifact.chunk_count, artifact.text, artifact.last_chunk_seen) == (
        "echo",
        1,
        "echo: hi",
        False,
    )
    assert turn.final_state == COMPLETED and turn.error is None and turn.delegations == []
    assert turn.stream is None and turn.response_kind == "task"
    assert [m.text for m in turn.messages] == ["hi"]
    assert {model.span(s).kind for s in turn.span_ids} == {"CLIENT", "SERVER"}
    assert model.content_captured


def test_a_stream_keeps_every_chunk_in_order(store: Store) -> None:
    [turn] = store.model("writer").turns
    assert (turn.method, turn.binding) == (semconv.SEND_STREAMING_MESSAGE, semconv.BINDING_HTTP_JSON)
    [artifact] = turn.artifacts
    assert (artifact.artifact_id, artifact.name, artifact.chunk_count) == ("draft", "draft", 3)
    assert [(c.append, c.last_chunk) for c in artifact.chunks] == [
        (False, False),
        (True, False),
        (True, True),
    ]
    assert ["".join(p.content for p in c.parts or ()) for c in artifact.chunks] == ["one ", "two ", "three "]
    assert turn.stream is not None
    assert (turn.stream.end, turn.stream.events, turn.stream.states) == (
        semconv.STREAM_END_COMPLETED,
        6,
        [SUBMITTED, WORKING, COMPLETED],
    )
    assert turn.final_state == COMPLETED


def test_input_required_then_the_answer_are_two_turns_of_one_task(store: Store) -> None:
    model = store.model("asking")
    first, second = model.turns
    task = store.recorded.tasks["asking"]
    assert (first.task_id, second.task_id) == (task, task)
    assert (first.task_created, second.task_created) == (True, False)
    assert states(first.transitions) == [(None, SUBMITTED), (SUBMITTED, WORKING), (WORKING, INPUT)]
    assert first.final_state == INPUT
    question = first.transitions[-1].message
    assert question is not None and (question.role, question.text) == ("agent", "What is your name?")
    assert [(m.role, m.text) for m in first.messages] == [("user", "hello"), ("agent", "What is your name?")]
    assert states(second.transitions) == [(INPUT, WORKING), (WORKING, COMPLETED)]
    assert [(a.name, a.text) for a in second.artifacts] == [("greeting", "Hello, Ada!")]
    assert second.request is not None and second.request.text == "Ada"
    [whole] = model.tasks
    assert (whole.task_id, whole.agent, whole.final_state, whole.exchanges) == (
        task,
        "asking",
        COMPLETED,
        ["1", "2"],
    )
    assert len(whole.transitions) == 5


def test_a_failure_is_the_agents_error_and_the_framework_fails_the_task(store: Store) -> None:
    """The agent raised; a2a-sdk then fails its task, which the agent span records."""
    [turn] = store.model("flaky").turns
    assert states(turn.transitions) == [(None, SUBMITTED), (SUBMITTED, WORKING), (WORKING, FAILED)]
    assert turn.error is not None
    assert (turn.error.side, turn.error.error_type) == ("agent", "RuntimeError")
    assert turn.error.message == "translator cannot handle 'please fail'"
    assert turn.stream is not None and turn.stream.end == semconv.STREAM_END_ERROR
    assert turn.final_state == FAILED


def test_a_cancel_is_a_turn_of_its_own_that_ends_the_task(store: Store) -> None:
    model = store.model("slow")
    stream, cancel = model.turns
    assert (stream.method, cancel.method) == (semconv.SEND_STREAMING_MESSAGE, semconv.CANCEL_TASK)
    assert states(stream.transitions) == [(None, SUBMITTED), (SUBMITTED, WORKING)]
    assert states(cancel.transitions) == [(WORKING, semconv.TASK_STATE_CANCELED)]
    assert cancel.request is None and cancel.task_id == store.recorded.tasks["slow"]
    assert stream.final_state == cancel.final_state == semconv.TASK_STATE_CANCELED
    assert model.tasks[0].final_state == semconv.TASK_STATE_CANCELED


def test_a_three_agent_chain_nests_each_delegation_under_its_caller(store: Store) -> None:
    model = store.model("chain")
    [turn] = model.turns
    assert [a.name for a in model.agents] == ["middle", "top", "writer"]
    [middle] = turn.delegations
    [writer] = middle.delegations
    assert [(e.path, e.caller, e.agent, e.method) for e in (turn, middle, writer)] == [
        ("1", None, "top", semconv.SEND_MESSAGE),
        ("1.1", "top", "middle", semconv.SEND_STREAMING_MESSAGE),
        ("1.1.1", "middle", "writer", semconv.SEND_STREAMING_MESSAGE),
    ]
    assert all(e.context_id == store.recorded.contexts["chain"] for e in (turn, middle, writer))
    assert [e.final_state for e in (turn, middle, writer)] == [COMPLETED] * 3
    assert [a.text for a in writer.artifacts] == ["go team go "]
    assert [a.text for a in middle.artifacts] == ["writer: go team go"]
    assert [a.text for a in turn.artifacts] == ["middle: writer: go team go"]
    assert len({e.task_id for e in (turn, middle, writer)}) == 3 == len(model.tasks)
    assert turn.start_ns < middle.start_ns < writer.start_ns < writer.end_ns < middle.end_ns < turn.end_ns


def test_python_a2a_calls_are_turns_and_cross_library_delegations(store: Store) -> None:
    [greet] = store.model("greeter").turns
    assert (greet.agent, greet.method, greet.final_state) == ("greeter", semconv.SEND_MESSAGE, COMPLETED)
    assert [(m.role, m.text) for m in greet.messages] == [
        ("user", "to greeter"),
        ("agent", "hello: to greeter"),
    ]
    [relay] = store.model("relay").turns
    [echo] = relay.delegations
    assert (relay.agent, echo.caller, echo.agent) == ("relay", "relay", "echo")
    assert [a.text for a in echo.artifacts] == ["echo: to relay"]
    assert [(m.role, m.text) for m in relay.messages][-1] == ("agent", "relayed: echo: to relay")


def test_steps_are_in_time_order_and_point_at_their_spans(store: Store) -> None:
    model = store.model("chain")
    steps = model.steps()
    assert [s.time_ns for s in steps] == sorted(s.time_ns for s in steps)
    assert {s.kind for s in steps} >= {"request", "transition", "artifact", "response"}
    assert all(s.span_id in model.spans for s in steps)
    assert [s.path for s in steps if s.kind == "request"] == ["1", "1.1", "1.1.1"]
    request = model.turns[0].request
    assert request is not None and request.message_id is not None
    assert {s.kind for s in model.message_spans(request.message_id)} == {"CLIENT", "SERVER"}


def test_structure_only_data_rebuilds_the_same_story_without_text(bare: Store) -> None:
    for name in ("echo", "asking", "chain", "writer"):
        model = bare.model(name)
        assert not model.content_captured
        assert all(m.parts is None and m.text is None for e in model.exchanges() for m in e.messages)
    first, second = bare.model("asking").turns
    assert states(first.transitions) == [(None, SUBMITTED), (SUBMITTED, WORKING), (WORKING, INPUT)]
    assert [(m.role, m.parts_count) for m in first.messages] == [("user", 1), ("agent", 1)]
    assert second.final_state == COMPLETED
    [artifact] = bare.model("writer").turns[0].artifacts
    assert (artifact.chunk_count, artifact.text) == (3, None)
    chain = bare.model("chain")
    assert [e.agent for e in chain.exchanges()] == ["top", "middle", "writer"]


def test_bad_input_gets_a_clear_error(store: Store, tmp_path: Path) -> None:
    con = open_store(store.db)
    with pytest.raises(ReplayError, match="no conversation 'nope'"):
        rebuild(con, "nope")
    prefix = store.recorded.contexts["echo"][:13]
    assert rebuild(con, prefix).conversation_id == store.recorded.contexts["echo"]
    with pytest.raises(ReplayError, match="no such store file"):
        open_store(tmp_path / "missing.duckdb")
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ReplayError, match="cannot be"):
        open_store(junk)
    import duckdb

    foreign = tmp_path / "foreign.duckdb"
    duckdb.connect(str(foreign)).execute("CREATE TABLE t (x INT)").close()
    with pytest.raises(ReplayError, match="not an a2a-observe store"):
        open_store(foreign)


def test_the_replay_core_imports_without_textual() -> None:
    code = (
        "import sys; import a2a_observe.replay, a2a_observe.replay.audits, a2a_observe.replay.exports, "
        "a2a_observe.replay.redrive, a2a_observe.replay.diff, a2a_observe.replay.redriving, a2a_observe.cli; "
        "a2a_observe.cli.build_parser(); "
        "assert 'textual' not in sys.modules, 'textual imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_conversation_list_pages_and_filters(store: Store) -> None:
    from a2a_observe.store.records import ConversationFilter

    source = open_store(store.db)
    everything = source.list_conversations()
    assert source.list_conversations(limit=3, offset=2) == everything[2:5]
    contexts = store.recorded.contexts
    assert set(contexts.values()) <= {c.conversation_id for c in everything}

    def found(**where: object) -> list[str]:
        return [c.conversation_id for c in source.list_conversations(ConversationFilter(**where))]  # type: ignore[arg-type]

    assert found(agent="middle") == [contexts["chain"]]
    assert set(found(errors_only=True)) == {contexts["flaky"]}
    assert found(text="GREET") == [contexts["greeter"]]
    assert found(state=semconv.TASK_STATE_CANCELED) == [contexts["slow"]]


def _outline(model: ConversationModel) -> list[tuple[object, ...]]:
    """What a reader of a replay sees of each exchange, without span ids and times."""
    return [
        (
            exchange.path,
            exchange.method,
            exchange.agent,
            exchange.caller,
            exchange.final_state,
            [(t.from_state, t.state, t.source, t.final) for t in exchange.transitions],
            [(a.name, a.chunk_count, a.text) for a in exchange.artifacts],
            [(m.role, m.text) for m in exchange.messages],
            (exchange.error.side, exchange.error.error_type, exchange.error.message)
            if exchange.error
            else None,
        )
        for exchange in model.exchanges()
    ]


@pytest.mark.parametrize(
    "scenario", ["echo", "writer", "asking", "flaky", "slow", "chain", "greeter", "relay"]
)
def test_the_replay_is_the_same_with_or_without_agent_spans(
    store: Store, with_agent_spans: Store, scenario: str
) -> None:
    with_spans = with_agent_spans.model(scenario)
    assert any(s.kind == "INTERNAL" for s in with_spans.spans.values()), "the agent spans were there"
    assert _outline(store.model(scenario)) == _outline(with_spans)
