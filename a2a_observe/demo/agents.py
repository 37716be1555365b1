"""Small a2a-sdk agents with every behaviour worth observing.

Each one does exactly what its docstring says, so tests can compare what the telemetry shows
against what the agent really did: an echo, a streaming writer, an agent that fails on
request, one that asks for input, a slow one, and an orchestrator that delegates to others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from a2a.helpers.proto_helpers import new_task_from_user_message, new_text_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import Part, TaskState

from a2a_observe.replay.sdk_client import final_text, send_text


async def start_task(context: RequestContext, event_queue: EventQueue) -> TaskUpdater:
    """Publish the task (new or continued) and move it to working."""
    task = context.current_task
    if task is None:
        assert context.message is not None
        task = new_task_from_user_message(context.message)
        await event_queue.enqueue_event(task)
    updater = TaskUpdater(event_queue, task.id, task.context_id)
    await updater.start_work()
    return updater


class EchoAgent(AgentExecutor):
    """Answers with one artifact ``echo: <input>`` and completes."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = await start_task(context, event_queue)
        await updater.add_artifact([Part(text=f"echo: {context.get_user_input()}")], name="echo")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = TaskUpdater(event_queue, context.task_id or "", context.context_id or "")
        await updater.cancel()


class MessageAgent(AgentExecutor):
    """Answers with a single message and no task."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        await event_queue.enqueue_event(
            new_text_message(f"hello: {context.get_user_input()}", context_id=context.context_id)
        )

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        return None


class StreamingWriter(AgentExecutor):
    """Streams one artifact in ``chunks`` chunks (append, the last flagged), then completes."""

    def __init__(self, chunks: int = 5, delay: float = 0.0) -> None:
        self.chunks = chunks
        self.delay = delay

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = await start_task(context, event_queue)
        words = context.get_user_input().split() or ["…"]
        for index in range(self.chunks):
            if self.delay:
                await asyncio.sleep(self.delay)
            await updater.add_artifact(
                [Part(text=f"{words[index % len(words)]} ")],
                artifact_id="draft",
                name="draft",
                append=index > 0,
                last_chunk=index == self.chunks - 1,
            )
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = TaskUpdater(event_queue, context.task_id or "", context.context_id or "")
        await updater.cancel()


class FlakyAgent(AgentExecutor):
    """Raises ``RuntimeError`` when the input contains ``fail``; otherwise echoes in upper case."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        text = context.get_user_input()
        updater = await start_task(context, event_queue)
        if "fail" in text.lower():
            raise RuntimeError(f"translator cannot handle {text!r}")
        await updater.add_artifact([Part(text=text.upper())], name="translation")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        return None


class AskingAgent(AgentExecutor):
    """Turn 1 asks for a name (input-required); turn 2 greets that name and completes."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        continuing = context.current_task is not None
        updater = await start_task(context, event_queue)
        if not continuing:
            await updater.requires_input(
                new_text_message("What is your name?", context_id=updater.context_id, task_id=updater.task_id)
            )
            return
        await updater.add_artifact([Part(text=f"Hello, {context.get_user_input()}!")], name="greeting")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        return None


class SlowAgent(AgentExecutor):
    """Works for ``seconds`` (cancellable), then completes."""

    def __init__(self, seconds: float = 1.0) -> None:
        self.seconds = seconds

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = await start_task(context, event_queue)
        await asyncio.sleep(self.seconds)
        await updater.add_artifact([Part(text="done")], name="result")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = TaskUpdater(event_queue, context.task_id or "", context.context_id or "")
        await updater.cancel()


class Orchestrator(AgentExecutor):
    """Sends the input to each worker in turn and completes with their answers.

    Workers are asked within the orchestrator's own contextId, so the whole delegation is
    one conversation. When a worker's task fails, the orchestrator's task fails too, naming the worker: the
    failure crosses agents the way it does in production.
    """

    def __init__(self, workers: Sequence[tuple[str, Any]], binding: str = "JSONRPC") -> None:
        self.workers = list(workers)
        self.binding = binding

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = await start_task(context, event_queue)
        text = context.get_user_input()
        answers: list[str] = []
        for name, card in self.workers:
            try:
                events = await send_text(
                    card, text, binding=self.binding, streaming=True, context_id=updater.context_id
                )
                state, answer = final_text(events)
                problem = None if state == TaskState.TASK_STATE_COMPLETED else TaskState.Name(state)
            except Exception as exc:  # noqa: BLE001 - a worker's failure is reported, not raised
                problem, answer = f"{type(exc).__name__}: {exc}", ""
            if problem is not None:
                await updater.failed(
                    new_text_message(
                        f"{name} failed: {problem}", context_id=updater.context_id, task_id=updater.task_id
                    )
                )
                return
            answers.append(f"{name}: {answer}")
        await updater.add_artifact([Part(text="\n".join(answers))], name="answer")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        return None
