"""client -> orchestrator -> workers is ONE trace with the exact expected tree, and a
multi-turn task puts each turn in the trace of the request that caused it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.types import Part, SendMessageRequest, TaskState
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.demo.agents import AskingAgent, FlakyAgent, Orchestrator, StreamingWriter, start_task
from a2a_observe.demo.serving import RunningAgent, serve_agent
from a2a_observe.replay.sdk_client import final_text, make_client, send_text, user_message
from tests.support.helpers import tree


@pytest.fixture(scope="module")
def chain() -> Iterator[RunningAgent]:
    with (
        serve_agent(StreamingWriter(chunks=3), "writer") as writer,
        serve_agent(FlakyAgent(), "translator") as translator,
        serve_agent(
            Orchestrator([("writer", writer.card), ("translator", translator.card)], binding="GRPC"),
            "orchestrator",
        ) as orchestrator,
    ):
        yield orchestrator


def expected_tree(workers: list[str], agent_spans: bool = False) -> list[tuple[int, str, str]]:
    """A2A requests only by default; with agent spans opted in, one under each SERVER span."""
    deeper = 1 if agent_spans else 0
    rows = [(0, "CLIENT", "SendMessage"), (1, "SERVER", "SendMessage")]
    if agent_spans:
        rows.append((2, "INTERNAL", "invoke_agent orchestrator"))
    for worker in workers:
        rows += [
            (2 + deeper, "CLIENT", "SendStreamingMessage"),
            (3 + deeper, "SERVER", "SendStreamingMessage"),
        ]
        if agent_spans:
            rows.append((5, "INTERNAL", f"invoke_agent {worker}"))
    return rows


@pytest.mark.parametrize("agent_spans", [False, True])
async def test_three_agents_one_trace(spans, chain, agent_spans, reinstrument) -> None:
    if agent_spans:
        reinstrument(settings=Settings(agent_spans=True))
    count = 9 if agent_spans else 6
    client = make_client(chain.card, semconv.BINDING_JSONRPC, streaming=False)
    events = [e async for e in client.send_message(SendMessageRequest(message=user_message("hello there")))]
    await client.close()
    state, text = final_text(events)
    assert state == TaskState.TASK_STATE_COMPLETED
    assert text == "writer: hello there hello\ntranslator: HELLO THERE"

    got = await spans.until(lambda s: len(s) >= count)
    assert len(got) == count
    assert len({s.context.trace_id for s in got}) == 1
    assert tree(got) == expected_tree(["writer", "translator"], agent_spans)
    context_id = events[-1].task.context_id
    assert {(s.attributes or {}).get(semconv.GEN_AI_CONVERSATION_ID) for s in got} == {context_id}
    workers = [s for s in got if s.kind == SpanKind.CLIENT and s.name == semconv.SEND_STREAMING_MESSAGE]
    assert [(s.attributes or {})[semconv.A2A_PROTOCOL_BINDING] for s in workers] == ["GRPC", "GRPC"]
    assert [(s.attributes or {})[semconv.GEN_AI_AGENT_NAME] for s in workers] == ["writer", "translator"]


async def test_a_failing_worker_is_visible_from_the_top(spans, chain) -> None:
    events = await send_text(chain.card, "please fail", binding=semconv.BINDING_HTTP_JSON, streaming=False)
    state, _ = final_text(events)
    assert state == TaskState.TASK_STATE_FAILED
    got = await spans.until(lambda s: len(s) >= 6)
    assert len({s.context.trace_id for s in got}) == 1
    assert tree(got) == expected_tree(["writer", "translator"])
    failing = next(
        s
        for s in got
        if s.kind == SpanKind.SERVER and (s.attributes or {}).get(semconv.GEN_AI_AGENT_NAME) == "translator"
    )
    [exception] = [e for e in failing.events if e.name == "exception"]
    assert (exception.attributes or {})["exception.type"] == "RuntimeError"
    top = next(s for s in got if s.kind == SpanKind.CLIENT and s.name == semconv.SEND_MESSAGE)
    assert (top.attributes or {})[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_FAILED


def answers(server: ReadableSpan, spans: list[ReadableSpan]) -> bool:
    """The SERVER span answers one of these CLIENT spans (not a late one of an earlier call)."""
    clients = {s.context.span_id for s in spans if s.kind == SpanKind.CLIENT}
    return server.parent is not None and server.parent.span_id in clients


def answered(spans: list[ReadableSpan]) -> bool:
    return any(s.kind == SpanKind.SERVER and answers(s, spans) for s in spans)


async def test_each_turn_of_a_multi_turn_task_is_in_its_own_trace(spans) -> None:
    with serve_agent(AskingAgent(), "greeter") as greeter:
        first = await send_text(greeter.card, "hi", streaming=False)
        task = first[-1].task
        assert task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
        turn_one = await spans.until(answered)
        spans.clear()
        second = await send_text(
            greeter.card, "Ada", streaming=False, context_id=task.context_id, task_id=task.id
        )
        assert final_text(second) == (TaskState.TASK_STATE_COMPLETED, "Hello, Ada!")
        turn_two = await spans.until(answered)

    def trace_of(spans_: list, kind: SpanKind) -> int:
        return next(s.context.trace_id for s in spans_ if s.kind == kind)

    for turn in (turn_one, turn_two):
        server = next(s for s in turn if s.kind == SpanKind.SERVER and answers(s, turn))
        assert server.context.trace_id == trace_of(turn, SpanKind.CLIENT)
        assert (server.attributes or {})[semconv.A2A_TASK_ID] == task.id
        assert any(e.name == semconv.EVENT_TASK_STATUS for e in server.events), "the turn's own work"
    assert trace_of(turn_one, SpanKind.CLIENT) != trace_of(turn_two, SpanKind.CLIENT)
    first_server = next(s for s in turn_one if s.kind == SpanKind.SERVER and answers(s, turn_one))
    final = [e for e in first_server.events if (e.attributes or {}).get(semconv.A2A_TASK_FINAL)]
    assert [(e.attributes or {})[semconv.A2A_TASK_STATE] for e in final] == [
        semconv.TASK_STATE_INPUT_REQUIRED
    ]


class BaggageReader(AgentExecutor):
    """Answers with the baggage and trace state it sees inside ``execute``."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        from opentelemetry import baggage, trace

        updater = await start_task(context, event_queue)
        state = trace.get_current_span().get_span_context().trace_state
        seen = f"tenant={baggage.get_baggage('tenant')} vendor={state.get('vendor')}"
        await updater.add_artifact([Part(text=seen)], name="seen")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        return None


@pytest.mark.parametrize("binding", ["JSONRPC", "HTTP+JSON", "GRPC"])
async def test_baggage_and_trace_state_reach_the_agent(spans, binding) -> None:
    from opentelemetry import baggage, context, trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState

    caller = SpanContext(
        trace_id=0x1234,
        span_id=0x5678,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
        trace_state=TraceState([("vendor", "abc")]),
    )
    ctx = baggage.set_baggage("tenant", "acme", trace.set_span_in_context(NonRecordingSpan(caller)))
    token = context.attach(ctx)
    try:
        with serve_agent(BaggageReader(), "baggage") as agent:
            events = await send_text(agent.card, "what do you see?", binding=binding, streaming=False)
    finally:
        context.detach(token)
    assert final_text(events)[1] == "tenant=acme vendor=abc"
    got = await spans.until(lambda s: any(x.kind == trace.SpanKind.SERVER for x in s))
    assert {(x.kind.name, x.name) for x in got} == {("CLIENT", "SendMessage"), ("SERVER", "SendMessage")}
    assert {s.context.trace_id for s in got} == {0x1234}
