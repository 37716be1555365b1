"""A SERVER span's stream events say what was sent when; what a chunk carried is recorded once
on that span, by the agent run that emitted it, unless no run reports there (a resubscription,
an agent the adapters cannot see into), where the stream event is the only record of it."""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.observation.facts import AgentFacts, ArtifactFacts, CallFacts, EventFacts
from a2a_observe.observation.observer import Observer, current_ids


def _chunk(index: int) -> EventFacts:
    return EventFacts(
        kind=semconv.EVENT_KIND_ARTIFACT_UPDATE,
        task_id="t1",
        artifact=ArtifactFacts(artifact_id="draft", name="draft", append=index > 0, last_chunk=index == 2),
    )


def _served(*, with_run: bool) -> ReadableSpan:
    """The SERVER span of a three-chunk stream, with or without an agent run reporting to it."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    observer = Observer(provider.get_tracer("test"), Settings())
    facts = CallFacts(method=semconv.SEND_STREAMING_MESSAGE, agent=AgentFacts(name="writer"))
    call = observer.start_server_call(facts, {})
    with call.activated():
        run = (
            observer.start_agent_run(semconv.OPERATION_INVOKE_AGENT, facts.agent, "t1", "c1")
            if with_run
            else None
        )
        for index in range(3):
            chunk = _chunk(index)
            if run is not None:
                run.emitted(chunk, chunk)
            call.stream_event(chunk)
        if run is not None:
            run.end()
    call.stream_ended(semconv.STREAM_END_COMPLETED)
    call.end()
    [span] = exporter.get_finished_spans()
    return span


def test_chunks_an_agent_run_recorded_are_not_repeated_by_the_stream_events() -> None:
    span = _served(with_run=True)
    chunks = [e.attributes or {} for e in span.events if e.name == semconv.EVENT_ARTIFACT]
    assert [c[semconv.A2A_ARTIFACT_LAST_CHUNK] for c in chunks] == [False, False, True]
    assert {c[semconv.A2A_ARTIFACT_ID] for c in chunks} == {"draft"}
    sent = [e.attributes or {} for e in span.events if e.name == semconv.EVENT_STREAM]
    assert [dict(s) for s in sent] == [
        {
            semconv.A2A_STREAM_EVENT_KIND: semconv.EVENT_KIND_ARTIFACT_UPDATE,
            semconv.A2A_STREAM_EVENT_INDEX: 0,
            semconv.A2A_TASK_ID: "t1",
        },
        {
            semconv.A2A_STREAM_EVENT_KIND: semconv.EVENT_KIND_ARTIFACT_UPDATE,
            semconv.A2A_STREAM_EVENT_INDEX: 1,
        },
        {
            semconv.A2A_STREAM_EVENT_KIND: semconv.EVENT_KIND_ARTIFACT_UPDATE,
            semconv.A2A_STREAM_EVENT_INDEX: 2,
        },
    ]


def test_without_an_agent_run_the_stream_events_carry_the_chunks() -> None:
    span = _served(with_run=False)
    assert not [e for e in span.events if e.name == semconv.EVENT_ARTIFACT]
    sent = [e.attributes or {} for e in span.events if e.name == semconv.EVENT_STREAM]
    assert [s[semconv.A2A_ARTIFACT_LAST_CHUNK] for s in sent] == [False, False, True]
    assert [s[semconv.A2A_ARTIFACT_APPEND] for s in sent] == [False, True, True]
    assert {s[semconv.A2A_ARTIFACT_ID] for s in sent} == {"draft"}


def test_the_call_names_the_task_its_stream_reveals_to_what_runs_inside_it() -> None:
    observer = Observer(TracerProvider().get_tracer("test"), Settings())
    call = observer.start_client_call(
        CallFacts(method=semconv.SEND_STREAMING_MESSAGE, agent=AgentFacts(name="writer"))
    )
    with call.activated():
        assert current_ids() == {semconv.GEN_AI_AGENT_NAME: "writer"}
    call.stream_event(EventFacts(kind=semconv.EVENT_KIND_TASK, task_id="t9", context_id="c9"))
    for _ in range(2):  # the same on every later item of the stream
        with call.activated():
            assert current_ids() == {
                semconv.A2A_TASK_ID: "t9",
                semconv.GEN_AI_CONVERSATION_ID: "c9",
                semconv.GEN_AI_AGENT_NAME: "writer",
            }
    call.end()
