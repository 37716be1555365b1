"""An agent that logs from everywhere an agent's code runs, for the log tests."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import structlog
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.types import Part
from opentelemetry import trace

from a2a_observe.demo.agents import start_task

LOGGER = "tests.logging_agent"
PLACES = ("execute", "thread", "pool", "to_thread", "run_in_executor", "task")
"""Where the agent logs with the run's span current."""
USER_SPAN = "user work"


def log_both(where: str) -> None:
    structlog.get_logger(LOGGER).info("structlog line", where=where)
    logging.getLogger(LOGGER).info("stdlib line", extra={"where": where})


class LoggingAgent(AgentExecutor):
    """Logs through structlog and stdlib in ``execute``, in a thread, a thread pool,
    ``asyncio.to_thread``, ``run_in_executor`` and an asyncio task, then once more inside a
    span of its own; answers ``logged`` and completes."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = await start_task(context, event_queue)

        log_both("execute")
        thread = threading.Thread(target=log_both, args=("thread",))
        thread.start()
        await asyncio.to_thread(thread.join)
        with ThreadPoolExecutor(max_workers=1) as pool:
            await asyncio.wrap_future(pool.submit(log_both, "pool"))
        await asyncio.to_thread(log_both, "to_thread")
        await asyncio.get_running_loop().run_in_executor(None, log_both, "run_in_executor")

        async def in_task() -> None:
            await asyncio.sleep(0)
            log_both("task")

        await asyncio.create_task(in_task())
        with trace.get_tracer("tests").start_as_current_span(USER_SPAN):
            log_both(USER_SPAN)

        await updater.add_artifact([Part(text="logged")], name="answer")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        return None
