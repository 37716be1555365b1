"""python-a2a agents for the demo network, served by Flask on 127.0.0.1 in their own thread.

python-a2a is the library many A2A networks start with, and they mix it with a2a-sdk agents;
these agents let the demo (and the tests) show one trace crossing both: a greeter that answers
and streams, a relay that hands its input to an a2a-sdk agent, and an a2a-sdk executor that
delegates to a python-a2a agent.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.types import Part, TaskState
from python_a2a import A2AClient, A2AServer, AgentCard, Message, MessageRole, TextContent

from a2a_observe.demo.agents import start_task
from a2a_observe.demo.serving import LOOPBACK, free_port
from a2a_observe.replay.sdk_client import final_text, send_text


def _text(message: Any) -> str:
    return str(getattr(message.content, "text", "") or "")


def _reply(message: Any, text: str) -> Message:
    return Message(
        content=TextContent(text=text),
        role=MessageRole.AGENT,
        parent_message_id=message.message_id,
        conversation_id=message.conversation_id,
    )


class Greeter(A2AServer):
    """Answers ``hello: <input>``; streams the input back word by word."""

    def handle_message(self, message: Any) -> Message:
        return _reply(message, f"hello: {_text(message)}")

    async def stream_response(self, message: Any) -> AsyncIterator[str]:  # type: ignore[override]
        # python-a2a's /stream route polls for chunks and stops once the agent is done, so
        # each chunk is given time to be picked up before the next one (or the end).
        for word in _text(message).split():
            await asyncio.sleep(0.05)
            yield word
        await asyncio.sleep(0.2)


class Relay(A2AServer):
    """Hands its input to an a2a-sdk agent and answers ``relayed: <that agent's answer>``.

    Fails (the handler raises) when the a2a-sdk agent's task does not complete.
    """

    def __init__(self, agent_card: Any, worker_card: Any) -> None:
        super().__init__(agent_card=agent_card)  # type: ignore[no-untyped-call]
        self.worker_card = worker_card

    def handle_message(self, message: Any) -> Message:
        # The worker is asked within the relay's own conversation, as the orchestrator does.
        conversation = getattr(message, "conversation_id", None) or None
        events = asyncio.run(
            send_text(self.worker_card, _text(message), streaming=False, context_id=conversation)
        )
        state, answer = final_text(events)
        if state != TaskState.TASK_STATE_COMPLETED:
            raise RuntimeError(f"worker ended in {TaskState.Name(state)}")
        return _reply(message, f"relayed: {answer}")


class PythonA2ADelegate(AgentExecutor):
    """An a2a-sdk agent that asks a python-a2a agent and completes with its answer."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        updater = await start_task(context, event_queue)
        client = await asyncio.to_thread(A2AClient, self.url)
        question = Message(content=TextContent(text=context.get_user_input()), role=MessageRole.USER)
        answer = await client.send_message_async(question)
        await updater.add_artifact([Part(text=_text(answer))], name="answer")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        return None


@dataclass
class RunningPythonA2AAgent:
    """A python-a2a agent being served; ``stop()`` shuts its server and thread down."""

    name: str
    url: str
    agent: Any
    _server: Any
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=15)

    def __enter__(self) -> RunningPythonA2AAgent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def python_a2a_card(name: str, url: str, version: str = "1.0.0", description: str = "") -> AgentCard:
    return AgentCard(name=name, description=description or f"{name} agent", url=url, version=version)


def serve_python_a2a_agent(
    make_agent: Callable[[AgentCard], Any] | None = None,
    name: str = "greeter",
    *,
    version: str = "1.0.0",
    description: str = "",
) -> RunningPythonA2AAgent:
    """Serve ``make_agent(card)`` (a :class:`Greeter` by default) as python-a2a's Flask app.

    The card is built first because a python-a2a agent needs its own URL to exist.
    """
    from python_a2a.server.http import create_flask_app
    from werkzeug.serving import make_server

    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    card = python_a2a_card(name, url, version, description)
    agent = make_agent(card) if make_agent is not None else Greeter(agent_card=card)  # type: ignore[no-untyped-call]
    server = make_server(LOOPBACK, port, create_flask_app(agent), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"python-a2a-{name}", daemon=True)
    thread.start()
    return RunningPythonA2AAgent(name=name, url=url, agent=agent, _server=server, _thread=thread)
