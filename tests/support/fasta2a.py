"""A real fasta2a agent on 127.0.0.1: fasta2a's own in-memory storage and broker, and a
worker with no model that echoes, fails on ``boom`` and, on ``ask URL TEXT``, asks an a2a-sdk
agent and answers with what it said.

fasta2a's ``InMemoryStorage`` stamps task states with naive local times
(``2026-12-02T14:43:59.088673``), which a2a-sdk 1.x clients refuse to parse (a protobuf
``Timestamp`` needs its zone); the storage here stamps them in UTC, as RFC 3339 wants, so that
a2a-sdk clients can talk to it at all.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from fasta2a import FastA2A, Worker
from fasta2a.broker import InMemoryBroker
from fasta2a.client import A2AClient
from fasta2a.storage import InMemoryStorage

from a2a_observe.demo.serving import LOOPBACK, free_port
from a2a_observe.replay.sdk_client import final_text, send_text

AGENT_NAME = "fasta2a-echo"
AGENT_VERSION = "2.0.1"


class UtcStorage(InMemoryStorage[Any]):
    """fasta2a's in-memory storage, with zoned timestamps."""

    @staticmethod
    def _zoned(task: Any) -> Any:
        task["status"]["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        return task

    async def submit_task(self, context_id: str, message: Any) -> Any:
        return self._zoned(await super().submit_task(context_id, message))

    async def update_task(self, task_id: str, state: Any, *args: Any, **kwargs: Any) -> Any:
        return self._zoned(await super().update_task(task_id, state, *args, **kwargs))


class EchoWorker(Worker[Any]):
    async def run_task(self, params: Any) -> None:
        task_id, context_id = params["id"], params["context_id"]
        await self.storage.update_task(task_id, state="working")
        await self.publish_status(task_id, context_id, "working")
        text = "".join(part.get("text", "") for part in params["message"]["parts"])
        if text == "boom":
            raise RuntimeError("the worker failed on purpose")
        if text.startswith("ask "):
            _, card_url, question = text.split(" ", 2)
            answer = await ask_sdk_agent(card_url, question)
        else:
            answer = f"echo: {text}"
        artifact: Any = {"artifact_id": str(uuid.uuid4()), "parts": [{"text": answer}]}
        await self.publish_artifact(task_id, context_id, artifact)
        await self.storage.update_task(task_id, state="completed", new_artifacts=[artifact])

    async def cancel_task(self, params: Any) -> None:
        await self.storage.update_task(params["id"], state="canceled")

    def build_message_history(self, history: list[Any]) -> list[Any]:
        return history

    def build_artifacts(self, result: Any) -> list[Any]:
        return []


async def ask_sdk_agent(card_url: str, question: str) -> str:
    from a2a.client import A2ACardResolver

    async with httpx.AsyncClient() as http:
        card = await A2ACardResolver(http, card_url).get_agent_card()
    events = await send_text(card, question, streaming=False)
    return final_text(events)[1]


@dataclass
class RunningFastA2A:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def client(self) -> A2AClient:
        return A2AClient(self.url)


@contextmanager
def serve_app(make_app: Callable[[str], Any]) -> Iterator[RunningFastA2A]:
    """Serve the app ``make_app(url)`` builds on a free port until the block ends."""
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    server = uvicorn.Server(uvicorn.Config(make_app(url), host=LOOPBACK, port=port, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), name="fasta2a", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the fasta2a server did not start"
        time.sleep(0.02)
    try:
        yield RunningFastA2A(url, server, thread)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def echo_app(url: str) -> FastA2A:
    storage = UtcStorage()
    broker = InMemoryBroker()

    @asynccontextmanager
    async def lifespan(app: FastA2A) -> AsyncIterator[None]:
        async with app.task_manager, EchoWorker(broker=broker, storage=storage).run():
            yield

    return FastA2A(
        storage=storage, broker=broker, name=AGENT_NAME, version=AGENT_VERSION, url=url, lifespan=lifespan
    )


def user_message(text: str, context_id: str | None = None) -> Any:
    message: dict[str, Any] = {"role": "user", "parts": [{"text": text}], "message_id": str(uuid.uuid4())}
    if context_id:
        message["context_id"] = context_id
    return message
