"""What a2a-observe's own code costs per SendMessage, without the network or the app: the
observation of one call on both sides (CLIENT span, trace context out and in, SERVER span,
the agent's four task events with their metrics, results, ends) driven directly with real
a2a-sdk objects and the real OpenTelemetry SDK (batch export into a sink that drops).

    python benchmarks/profiles/observer_cost.py [calls]
    python benchmarks/profiles/observer_cost.py 3000 --phases

Prints CPU microseconds per call; ``--phases`` also where they go (wall time per part of the
observation: facts, each side's start and end, the agent's events, ...), largest first. No event
loop runs here, so histogram records are made inline, as in a synchronous server. Run it
against another checkout's package (``PYTHONPATH=/path/to/checkout``) to compare two versions
on the same machine.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult


class Drop(SpanExporter):
    def export(self, spans: object) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _no_phase(name: str) -> None:
    return None


class Phases:
    """Wall time per named part of the observation: each mark charges the time since the last
    one to its name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def start(self) -> None:
        self._last = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._last
        self._last = now


def observation() -> tuple[Callable[[], tuple[Any, Any, list[Any]]], Callable[..., None]]:
    """The two halves of one observed SendMessage: what the app makes, and a2a-observe's
    observation of it on both sides, on the global tracer and meter providers (set them first).
    The observation takes an optional ``phase`` callable, called with each part's name as it
    ends (:class:`Phases`)."""
    from a2a.helpers.proto_helpers import new_task_from_user_message
    from a2a.types import SendMessageRequest, TaskArtifactUpdateEvent, TaskState, TaskStatusUpdateEvent

    from a2a_observe.config import Settings
    from a2a_observe.demo.serving import build_card
    from a2a_observe.instrumentation.a2a_sdk import translate
    from a2a_observe.observation.facts import AgentFacts, CallFacts
    from a2a_observe.observation.observer import Observer
    from a2a_observe.replay.sdk_client import user_message

    observer = Observer.create(Settings())
    card = build_card("echo", 8000, None, "1.0.0")

    def enqueued(event: object) -> object:
        """An event as the executor hooks translate it (older versions have no ``sized``)."""
        try:
            return translate.event_facts(event, sized=False)
        except TypeError:
            return translate.event_facts(event)

    def app_objects() -> tuple[Any, Any, list[Any]]:
        """What the app and a2a-sdk make for one call (the request, its task, the agent's four
        events): not a2a-observe's cost, built apart so a benchmark can leave it out."""
        message = user_message("ping")
        request = SendMessageRequest(message=message)
        task = new_task_from_user_message(message)
        events = [
            task,
            TaskStatusUpdateEvent(task_id=task.id, context_id=task.context_id),
            TaskArtifactUpdateEvent(task_id=task.id, context_id=task.context_id),
            TaskStatusUpdateEvent(task_id=task.id, context_id=task.context_id),
        ]
        events[1].status.state = TaskState.TASK_STATE_WORKING
        events[2].artifact.artifact_id = "a"
        events[2].artifact.name = "echo"
        events[2].artifact.parts.add().text = "echo: ping"
        events[3].status.state = TaskState.TASK_STATE_COMPLETED
        return request, task, events

    def observe(request: Any, task: Any, events: list[Any], phase: Callable[[str], None] = _no_phase) -> None:
        facts = CallFacts(
            method="SendMessage",
            binding="JSONRPC",
            protocol_version="1.0",
            agent=translate.agent_facts(card),
            message=translate.message_facts(request.message),
            server_address="127.0.0.1",
            server_port=8000,
        )
        phase("facts")
        client = observer.start_client_call(facts)
        phase("client start")
        carrier = client.carrier()
        phase("trace context out")
        server_facts = CallFacts(**{**facts.__dict__, "client_address": "127.0.0.1", "client_port": 50000})
        phase("facts")
        server = observer.start_server_call(server_facts, carrier)
        phase("server start (context in)")
        with server.activated():
            run = observer.start_agent_run("invoke_agent", AgentFacts(name="echo"), task.id, task.context_id)
            phase("agent run")
            for event in events:
                facts_of_event = enqueued(event)
                phase("translating events")
                run.emitted(event, facts_of_event)
                phase("agent events")
            run.end()
        phase("agent run")
        task.status.state = TaskState.TASK_STATE_COMPLETED
        result = translate.event_facts(task)
        phase("translating events")
        server.result(result)
        server.end()
        phase("server result and end")
        client.result(result)
        client.end()
        phase("client result and end")

    return app_objects, observe


def observed_call() -> Callable[[], None]:
    """One SendMessage observed on both sides by a2a-observe's observer, the app's objects
    included, on the global tracer and meter providers (set them first)."""
    app_objects, observe = observation()

    def one_call() -> None:
        observe(*app_objects())

    return one_call


def main() -> None:
    arguments = [a for a in sys.argv[1:] if a != "--phases"]
    calls = int(arguments[0]) if arguments else 3000
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Drop(), max_queue_size=65536))
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))

    import a2a_observe

    print(a2a_observe.__file__, file=sys.stderr)
    one_call = observed_call()
    for _ in range(200):
        one_call()
    started = time.process_time()
    for _ in range(calls):
        one_call()
    per_call = (time.process_time() - started) / calls
    print(f"{per_call * 1e6:.1f} us of CPU per call (both sides), {calls} calls")
    if "--phases" in sys.argv:
        app_objects, observe = observation()
        phases = Phases()
        made = [app_objects() for _ in range(calls)]
        for objects in made:
            phases.start()
            observe(*objects, phase=phases)
        for name, seconds in sorted(phases.seconds.items(), key=lambda item: -item[1]):
            print(f"  {name:28s} {seconds / calls * 1e6:7.1f} us")
    provider.shutdown()


if __name__ == "__main__":
    main()
