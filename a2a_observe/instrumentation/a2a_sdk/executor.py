"""What the user's ``AgentExecutor.execute`` (and ``cancel``) did, as an agent run.

``execute`` is abstract, so every subclass is wrapped, including ones defined after
``instrument()``. The run opens inside the coroutine, in the task the SDK runs it in: a
wrapper that opened it at call time would put turn 2 of a multi-turn task into turn 1's
trace. What the agent puts on its event queue while the run is current becomes events of the
SERVER span serving the request (or of the ``invoke_agent`` span, when opted in).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from types import ModuleType
from typing import Any

from a2a_observe import semconv
from a2a_observe.instrumentation.a2a_sdk import translate
from a2a_observe.instrumentation.a2a_sdk.line import Translator
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.observation.facts import AgentFacts
from a2a_observe.observation.observer import AgentRun, Observer, agent_span_current, current_agent
from a2a_observe.safety import call_guarded

_run: contextvars.ContextVar[tuple[object, AgentRun] | None] = contextvars.ContextVar(
    "a2a_observe_agent_run", default=None
)


FRAMEWORKS_WITH_AGENT_SPANS: tuple[str, ...] = ("google.adk.", "strands.")
"""Packages whose ``AgentExecutor`` runs an agent that reports its own ``invoke_agent`` span
(google-adk's ``A2aAgentExecutor``, strands-agents' ``StrandsA2AExecutor``): the span opens
inside ``execute``, after our wrapper has run, so only the executor's package can tell."""


def agent_reported_elsewhere(executor: object) -> bool:
    """Whether someone else reports the agent operation this executor performs, so that ours
    would be a duplicate: the conventions want one agent span per operation, and the one who
    runs the agent knows it best (its model, its tools, its own name for the agent).

    True when ``executor`` is (or subclasses) a framework's executor and the framework reports
    its own agent span, or when an agent span is already current (an agent that calls an
    executor in-process, as a tool).
    """
    if any((cls.__module__ + ".").startswith(FRAMEWORKS_WITH_AGENT_SPANS) for cls in type(executor).__mro__):
        return True
    return agent_span_current()


class ExecutorHooks:
    def __init__(self, observer: Observer, translator: Translator = translate) -> None:
        self.observer = observer
        self.translator = translator

    def install(self, patches: Patches) -> None:
        patches.when_imported(
            "a2a.server.agent_execution.agent_executor",
            lambda module: self._patch_executors(patches, module),
        )
        patches.when_imported(
            "a2a.server.events.event_queue", lambda module: self._patch_queues(patches, module)
        )

    def _patch_executors(self, patches: Patches, module: ModuleType) -> None:
        patches.wrap_subclasses(
            module.AgentExecutor, ["execute"], self._wrapper(semconv.OPERATION_INVOKE_AGENT)
        )
        patches.wrap_subclasses(
            module.AgentExecutor, ["cancel"], self._wrapper(semconv.OPERATION_CANCEL_AGENT)
        )

    def _patch_queues(self, patches: Patches, module: ModuleType) -> None:
        queue = module.EventQueue
        own = queue.__dict__.get("enqueue_event")
        if own is not None and not getattr(own, "__isabstractmethod__", False):
            patches.wrap(queue, "enqueue_event", self._enqueue_wrapper)  # 0.3: a concrete class
        patches.wrap_subclasses(queue, ["enqueue_event"], self._enqueue_wrapper)

    def _wrapper(self, operation: str) -> Callable[..., Any]:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            return self._run(wrapped, instance, args, kwargs, operation)

        return wrapper

    def _start(
        self, instance: Any, operation: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> AgentRun | None:
        current = _run.get()
        if (
            current is not None
            and current[0] is instance
            and current[1].recording
            and operation == semconv.OPERATION_INVOKE_AGENT
        ):
            return None  # an override calling super().execute(): already observed
        request_context = args[0] if args else kwargs.get("context")
        agent = current_agent() or AgentFacts(name=type(instance).__name__)
        task_id = getattr(request_context, "task_id", None)
        context_id = getattr(request_context, "context_id", None)
        return self.observer.start_agent_run(
            operation, agent, task_id, context_id, agent_span=not agent_reported_elsewhere(instance)
        )

    async def _run(
        self, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], operation: str
    ) -> Any:
        run = call_guarded("agent span start", self._start, instance, operation, args, kwargs)
        if run is None:
            return await wrapped(*args, **kwargs)
        run_token = _run.set((instance, run))
        try:
            with run.activated():
                return await wrapped(*args, **kwargs)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            call_guarded("agent span error", run.exception, exc)
            if operation == semconv.OPERATION_INVOKE_AGENT:
                call_guarded("agent span error", run.task_failed_by_framework)
            raise
        finally:
            _run.reset(run_token)
            call_guarded("agent span end", run.end)

    def _enqueue_wrapper(
        self, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        current = _run.get()
        if current is not None:
            event = args[0] if args else kwargs.get("event")
            run = current[1]

            def record() -> None:
                facts = self.translator.event_facts(event, sized=False)  # the run records no sizes
                if facts is not None:
                    run.emitted(event, facts)

            call_guarded("agent event", record)
        return wrapped(*args, **kwargs)
