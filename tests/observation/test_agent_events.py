"""An agent run records each event it emits once: a queue hands the same event object on to
its child queues, and every hand-over passes the hook. The run remembers a bounded number of
recent events, so a long stream neither grows its memory nor repeats an event."""

from __future__ import annotations

import dataclasses

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.observation.facts import AgentFacts, ArtifactFacts, EventFacts
from a2a_observe.observation.observer import Observer


def _run(exporter: InMemorySpanExporter) -> object:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = dataclasses.replace(Settings(), agent_spans=True)
    observer = Observer(provider.get_tracer("test"), settings)
    return observer.start_agent_run(semconv.OPERATION_INVOKE_AGENT, AgentFacts(name="writer"), "t1", "c1")


def _chunk(index: int) -> EventFacts:
    return EventFacts(
        kind=semconv.EVENT_KIND_ARTIFACT_UPDATE,
        task_id="t1",
        artifact=ArtifactFacts(artifact_id=f"a{index}", name="chunk"),
    )


def test_an_event_handed_on_to_child_queues_is_recorded_once() -> None:
    exporter = InMemorySpanExporter()
    run = _run(exporter)
    events = [(object(), _chunk(i)) for i in range(3)]
    for source, facts in events:
        for _ in range(3):  # the queue and two child queues
            run.emitted(source, facts)
    run.end()
    [span] = exporter.get_finished_spans()
    ids = [e.attributes[semconv.A2A_ARTIFACT_ID] for e in span.events if e.name == semconv.EVENT_ARTIFACT]
    assert ids == ["a0", "a1", "a2"]


def test_a_long_stream_records_every_event_once() -> None:
    exporter = InMemorySpanExporter()
    run = _run(exporter)
    sources = [object() for _ in range(300)]
    for index, source in enumerate(sources):
        run.emitted(source, _chunk(index))
        run.emitted(source, _chunk(index))  # handed on again right away
    run.end()
    [span] = exporter.get_finished_spans()
    recorded = [e for e in span.events if e.name == semconv.EVENT_ARTIFACT]
    assert len(recorded) + span.dropped_events == 300
    assert len(run._recent) <= 64
