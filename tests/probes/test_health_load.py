"""The probes answer, and answer right, while an agent has 200 requests in flight."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
from a2a.client import ClientConfig, ClientFactory
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.types import Part, SendMessageRequest, StreamResponse

from a2a_observe.demo.agents import start_task
from a2a_observe.demo.serving import serve_agent
from a2a_observe.probes.web import mount_starlette
from a2a_observe.replay.sdk_client import final_text, user_message

IN_FLIGHT = 200


class GatedAgent(AgentExecutor):
    """Starts each task, then works until the gate opens; counts the runs under way."""

    def __init__(self) -> None:
        self.started = 0
        self._gate: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        if self._gate is None:
            self._gate, self._loop = asyncio.Event(), asyncio.get_running_loop()
        updater = await start_task(context, event_queue)
        self.started += 1
        await self._gate.wait()
        await updater.add_artifact([Part(text="done")], name="result")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        return None

    def open(self) -> None:
        if self._loop is not None and self._gate is not None:
            self._loop.call_soon_threadsafe(self._gate.set)


async def until(condition: Callable[[], bool], deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


async def send_patiently(card: object, text: str) -> list[StreamResponse]:
    """A SendMessage that waits as long as the gate stays shut: starting 200 tasks on a loaded
    machine can take longer than the client's default timeout."""
    async with httpx.AsyncClient(timeout=120) as http:
        config = ClientConfig(streaming=False, supported_protocol_bindings=["JSONRPC"], httpx_client=http)
        client = ClientFactory(config).create(card)
        try:
            return [
                event async for event in client.send_message(SendMessageRequest(message=user_message(text)))
            ]
        finally:
            await client.close()


async def test_probes_answer_while_200_requests_are_in_flight() -> None:
    agent_code = GatedAgent()
    with serve_agent(
        agent_code, "busy", grpc=False, mount=lambda app: mount_starlette(app, metrics=False)
    ) as agent:
        calls = [asyncio.create_task(send_patiently(agent.card, f"job {n}")) for n in range(IN_FLIGHT)]
        try:
            await until(lambda: agent_code.started >= IN_FLIGHT)
            assert agent_code.started == IN_FLIGHT
            async with httpx.AsyncClient(base_url=agent.base_url, timeout=30) as http:
                probes = await asyncio.gather(
                    *(http.get(path) for _ in range(25) for path in ("/healthz", "/readyz"))
                )
            assert not any(call.done() for call in calls), "every request was still in flight"
        finally:
            agent_code.open()
        results = await asyncio.gather(*calls)
    assert [p.status_code for p in probes] == [200] * 50
    live, ready = probes[0].json(), probes[1].json()
    assert live == {"status": "ok", "checks": {}}
    assert ready["status"] == "ok"
    assert ready["checks"]["agent_card"]["status"] == "ok"
    assert {final_text(events) for events in results} == {(3, "done")}
