"""The agent run around a python-a2a agent's own handlers (an ``invoke_agent`` span when opted in).

Users implement ``handle_message``, ``handle_task``, ``handle_conversation`` or
``stream_response`` on a ``BaseA2AServer`` subclass, so every subclass is wrapped, including
ones defined after ``instrument()``. The handlers call each other (``handle_task`` calls
``handle_message``, ``handle_conversation`` calls ``handle_message``): the outermost one is
the span, and an exception raised by an inner one is recorded on it even when the outer one
turns it into an answer, as python-a2a's ``handle_task`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from a2a_observe import semconv
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.instrumentation.python_a2a import translate
from a2a_observe.observation.facts import AgentFacts
from a2a_observe.observation.observer import AgentRun, Observer, current_agent
from a2a_observe.safety import call_guarded

HANDLERS = ("handle_message", "handle_task", "handle_conversation")


@dataclass
class _Running:
    agent: object
    run: AgentRun
    recorded: list[BaseException] = field(default_factory=list)


_running: contextvars.ContextVar[_Running | None] = contextvars.ContextVar(
    "a2a_observe_python_a2a_agent", default=None
)


@contextmanager
def _current(state: _Running) -> Iterator[None]:
    run_token = _running.set(state)
    try:
        with state.run.activated():
            yield
    finally:
        _running.reset(run_token)


def _record(state: _Running, exc: BaseException) -> None:
    if any(seen is exc for seen in state.recorded):
        return
    state.recorded.append(exc)
    state.run.exception(exc)


class AgentHooks:
    def __init__(self, observer: Observer) -> None:
        self.observer = observer

    def install(self, patches: Patches) -> None:
        patches.when_imported("python_a2a.server.base", lambda module: self._patch(patches, module))

    def _patch(self, patches: Patches, module: ModuleType) -> None:
        base = module.BaseA2AServer
        patches.wrap(base, "handle_conversation", self._handler)
        patches.wrap_subclasses(base, HANDLERS, self._handler)
        patches.wrap_subclasses(base, ["stream_response"], self._stream)

    def _start(self, agent: object, handler: str, argument: Any) -> _Running:
        facts = translate.agent_facts(getattr(agent, "agent_card", None))
        if facts.name is None:
            facts = current_agent() or AgentFacts(name=type(agent).__name__)
        task_id = context_id = None
        if handler == "handle_task":
            task_id, context_id = translate.task_ids(argument)
        else:
            context_id = translate.conversation_facts(argument)[0] or getattr(
                argument, "conversation_id", None
            )
        run = self.observer.start_agent_run(semconv.OPERATION_INVOKE_AGENT, facts, task_id, context_id)
        return _Running(agent, run)

    def _emitted(self, run: AgentRun, result: Any) -> None:
        event = translate.event_facts(result)
        if event is not None:
            run.emitted(result, event)

    def _handler(self, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        current = _running.get()
        if current is not None and current.agent is instance:
            try:
                return wrapped(*args, **kwargs)
            except Exception as exc:
                call_guarded("agent span error", _record, current, exc)
                raise
        argument = args[0] if args else next(iter(kwargs.values()), None)
        state = call_guarded("agent span start", self._start, instance, wrapped.__name__, argument)
        if state is None:
            return wrapped(*args, **kwargs)
        try:
            with _current(state):
                result = wrapped(*args, **kwargs)
            call_guarded("agent event", self._emitted, state.run, result)
            return result
        except BaseException as exc:
            call_guarded("agent span error", _record, state, exc)
            raise
        finally:
            call_guarded("agent span end", state.run.end)

    def _stream(self, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return self._run_stream(wrapped, instance, args, kwargs)

    async def _run_stream(
        self, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> AsyncIterator[Any]:
        """The agent's stream, observed: each chunk is an artifact update it emitted."""
        current = _running.get()
        state = None
        if current is None or current.agent is not instance:
            argument = args[0] if args else kwargs.get("message")
            state = call_guarded("agent span start", self._start, instance, "stream_response", argument)
        if state is None:
            async for item in wrapped(*args, **kwargs):
                yield item
            return
        iterator = wrapped(*args, **kwargs).__aiter__()
        finished = False
        try:
            while True:
                try:
                    with _current(state):
                        item = await iterator.__anext__()
                except StopAsyncIteration:
                    finished = True
                    break
                event = call_guarded("agent event", translate.chunk_facts, item)
                if event is not None:
                    call_guarded("agent event", state.run.emitted, object(), event)
                yield item
        except (asyncio.CancelledError, GeneratorExit):
            raise
        except BaseException as exc:
            finished = True
            call_guarded("agent span error", _record, state, exc)
            raise
        finally:
            if not finished:
                with contextlib.suppress(BaseException):  # best effort, as the agent's own close
                    await iterator.aclose()
            call_guarded("agent span end", state.run.end)
