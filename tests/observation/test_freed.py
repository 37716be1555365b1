"""A finished call and the agent run that reported to it are freed as soon as nothing holds
them, without waiting for the garbage collector: a reference cycle per request would leave
every call's span, attributes and events for the collector, which then runs more often and
longer in a busy server."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.observation.facts import AgentFacts, CallFacts, EventFacts
from a2a_observe.observation.observer import Observer


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_a_served_call_and_its_agent_run_need_no_garbage_collector(collector_off: None) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    observer = Observer(provider.get_tracer("test"), Settings())
    agent = AgentFacts(name="echo")
    call = observer.start_server_call(CallFacts(method="SendMessage", agent=agent), {})
    with call.activated():
        run = observer.start_agent_run(semconv.OPERATION_INVOKE_AGENT, agent, "t1", "c1")
        completed = EventFacts(kind=semconv.EVENT_KIND_STATUS_UPDATE, task_id="t1", state="completed")
        run.emitted(object(), completed)
        run.end()
    call.end()
    assert run.call is call  # the run reported to this call's span
    freed = [weakref.ref(call), weakref.ref(run)]
    del call, run

    assert [ref() for ref in freed] == [None, None]
    [span] = exporter.get_finished_spans()
    assert [event.name for event in span.events] == [semconv.EVENT_TASK_STATUS]
