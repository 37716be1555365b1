"""a2a-sdk 0.3 agents and servers for the 0.3 tests, written against the 0.3 API only.

Each agent is served the ways a 0.3 app serves it: JSON-RPC through
``A2AStarletteApplication`` (or ``A2AFastAPIApplication``), REST through
``A2ARESTFastAPIApplication`` mounted under ``/rest``, and gRPC through ``GrpcHandler``, all
on 127.0.0.1 free ports, in a thread with its own event loop as another process would be.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
from a2a.client import ClientConfig, ClientFactory
from a2a.grpc import a2a_pb2_grpc
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.apps import A2AFastAPIApplication, A2ARESTFastAPIApplication, A2AStarletteApplication
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler, GrpcHandler
from a2a.server.tasks import InMemoryPushNotificationConfigStore, InMemoryTaskStore, TaskUpdater
from a2a.types import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentSkill,
    Message,
    Part,
    Role,
    TaskState,
    TextPart,
)
from a2a.utils import new_agent_text_message, new_task
from starlette.routing import Mount

from a2a_observe.demo.serving import LOOPBACK, free_port, serve_in_thread

BINDINGS = ["JSONRPC", "HTTP+JSON", "GRPC"]


# -- agents ------------------------------------------------------------------------------------
async def start_task(context: RequestContext, event_queue: EventQueue) -> TaskUpdater:
    task = context.current_task
    if task is None:
        assert context.message is not None
        task = new_task(context.message)
        await event_queue.enqueue_event(task)
    updater = TaskUpdater(event_queue, task.id, task.context_id)
    await updater.start_work()
    return updater


def text_part(text: str) -> Part:
    return Part(root=TextPart(text=text))


class EchoAgent(AgentExecutor):
    """Answers with one artifact ``echo: <input>`` and completes."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = await start_task(context, event_queue)
        await updater.add_artifact([text_part(f"echo: {context.get_user_input()}")], name="echo")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = TaskUpdater(event_queue, context.task_id or "", context.context_id or "")
        await updater.update_status(TaskState.canceled, final=True)


class MessageAgent(AgentExecutor):
    """Answers with a single message and no task."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        await event_queue.enqueue_event(
            new_agent_text_message(f"hello: {context.get_user_input()}", context_id=context.context_id)
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
        for index in range(self.chunks):
            if self.delay:
                await asyncio.sleep(self.delay)
            await updater.add_artifact(
                [text_part(f"chunk{index} ")],
                artifact_id="draft",
                name="draft",
                append=index > 0,
                last_chunk=index == self.chunks - 1,
            )
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = TaskUpdater(event_queue, context.task_id or "", context.context_id or "")
        await updater.update_status(TaskState.canceled, final=True)


class FlakyAgent(AgentExecutor):
    """Starts working, then raises ``RuntimeError("translator cannot handle ...")``."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        await start_task(context, event_queue)
        raise RuntimeError(f"translator cannot handle {context.get_user_input()!r}")

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        return None


class SlowAgent(AgentExecutor):
    """Works for ``seconds`` (so a caller can cancel it), then completes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = await start_task(context, event_queue)
        await asyncio.sleep(self.seconds)
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = TaskUpdater(event_queue, context.task_id or "", context.context_id or "")
        await updater.update_status(TaskState.canceled, final=True)


# -- serving -----------------------------------------------------------------------------------
@dataclass
class RunningAgent:
    name: str
    base_url: str
    grpc_target: str
    card: AgentCard
    handler: DefaultRequestHandler

    def card_for(self, binding: str) -> AgentCard:
        """The card with ``binding`` preferred, as an agent serving only that one would publish."""
        urls = {"JSONRPC": self.base_url, "HTTP+JSON": f"{self.base_url}/rest", "GRPC": self.grpc_target}
        return self.card.model_copy(
            update={"url": urls[binding], "preferred_transport": binding, "additional_interfaces": None}
        )


def build_card(name: str, base_url: str, grpc_target: str, version: str) -> AgentCard:
    return AgentCard(
        name=name,
        description=f"{name} agent",
        url=base_url,
        version=version,
        preferred_transport="JSONRPC",
        additional_interfaces=[
            AgentInterface(url=f"{base_url}/rest", transport="HTTP+JSON"),
            AgentInterface(url=grpc_target, transport="GRPC"),
        ],
        capabilities=AgentCapabilities(streaming=True, push_notifications=True),
        supports_authenticated_extended_card=True,
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=[AgentSkill(id=name, name=name, description=name, tags=["test"])],
    )


@contextmanager
def serve_agent(
    executor: AgentExecutor,
    name: str,
    *,
    version: str = "1.0.0",
    jsonrpc_app: str = "starlette",
    mount: Callable[[Any], object] | None = None,
) -> Iterator[RunningAgent]:
    """Serve ``executor`` on JSON-RPC, REST (under ``/rest``) and gRPC until the block ends."""
    http_port, grpc_port = free_port(), free_port()
    base = f"http://{LOOPBACK}:{http_port}"
    grpc_target = f"{LOOPBACK}:{grpc_port}"
    card = build_card(name, base, grpc_target, version)
    handler = DefaultRequestHandler(
        agent_executor=executor,
        task_store=InMemoryTaskStore(),
        push_config_store=InMemoryPushNotificationConfigStore(),
    )
    app_cls = A2AFastAPIApplication if jsonrpc_app == "fastapi" else A2AStarletteApplication
    app = app_cls(agent_card=card, http_handler=handler).build()
    app.router.routes.append(
        Mount("/rest", app=A2ARESTFastAPIApplication(agent_card=card, http_handler=handler).build())
    )
    if mount is not None:
        mount(app)

    async def start_grpc() -> Any:
        grpc_server = grpc.aio.server()
        a2a_pb2_grpc.add_A2AServiceServicer_to_server(GrpcHandler(card, handler), grpc_server)
        grpc_server.add_insecure_port(grpc_target)
        await grpc_server.start()
        return grpc_server

    thread, request_stop = serve_in_thread(name, app, http_port, start_grpc=start_grpc)
    try:
        yield RunningAgent(name=name, base_url=base, grpc_target=grpc_target, card=card, handler=handler)
    finally:
        request_stop()
        thread.join(timeout=15)


# -- clients -----------------------------------------------------------------------------------
def user_message(text: str, context_id: str | None = None, task_id: str | None = None) -> Message:
    return Message(
        role=Role.user,
        message_id=str(uuid.uuid4()),
        parts=[text_part(text)],
        context_id=context_id,
        task_id=task_id,
    )


def make_client(agent: RunningAgent, binding: str, streaming: bool = True, polling: bool = False) -> Any:
    """A ``ClientFactory`` client that speaks only ``binding`` to ``agent``; ``polling`` sends
    non-blocking requests (the task comes back at once, the agent works on)."""
    return client_for_card(agent.card_for(binding), binding, streaming, polling)


def client_for_card(card: AgentCard, binding: str, streaming: bool = True, polling: bool = False) -> Any:
    config = ClientConfig(
        streaming=streaming,
        polling=polling,
        supported_transports=[binding],
        grpc_channel_factory=grpc.aio.insecure_channel,
        httpx_client=httpx.AsyncClient(timeout=30),
    )
    return ClientFactory(config).create(card)
