"""The demo agent network and the traffic it carries, for the demo, the dashboards' end-to-end
test and anyone who wants live A2A telemetry to look at.

Agents (each a real server on 127.0.0.1, in this process):

- ``orchestrator`` (a2a-sdk) delegates every request over gRPC to ``writer`` and ``translator``;
- ``writer`` (a2a-sdk) streams its answer in chunks;
- ``translator`` (a2a-sdk) fails when asked to;
- ``slow`` (a2a-sdk) takes its time;
- ``greeter`` (a2a-sdk) asks for input before it completes;
- ``batch`` (a2a-sdk) starts a job in the background that hangs: a task stuck in working;
- ``relay`` (python-a2a, Flask) hands its input to ``writer``: one trace across both libraries.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from a2a_observe import semconv
from a2a_observe.demo.serving import RunningAgent


@dataclass(frozen=True)
class Turn:
    """One user request the traffic sends, and how."""

    agent: str
    text: str
    binding: str = "JSONRPC"
    streaming: bool = False
    protocol_version: str = "1.0"
    answer: str | None = "Ada"
    """What the user answers when the agent asks for input; ``None`` leaves the task waiting."""
    background: bool = False
    """Ask for the task at once and leave the agent working (``return_immediately``)."""


@dataclass(frozen=True)
class TurnResult:
    turn: Turn
    state: str
    text: str


TURNS = (
    Turn("orchestrator", "summarise the quarterly report", streaming=True),
    Turn("orchestrator", "translate the release notes", binding="HTTP+JSON"),
    Turn("orchestrator", "please fail this translation"),
    Turn("orchestrator", "old clients still work", binding="GRPC", streaming=True, protocol_version="0.3"),
    Turn("relay", "python-a2a meets a2a-sdk"),
    Turn("slow", "take your time", binding="GRPC"),
    Turn("greeter", "hello"),
    Turn("greeter", "hello, back in a minute", answer=None),
    Turn("batch", "run the nightly batch", background=True),
)


@dataclass
class DemoNetwork:
    agents: dict[str, RunningAgent]
    relay_url: str

    def card(self, name: str, protocol_version: str = "1.0") -> Any:
        agent = self.agents[name]
        return agent.card if protocol_version == "1.0" else agent.v03_card


@contextlib.contextmanager
def demo_network(slow_seconds: float = 0.6, batch_seconds: float = 3600.0) -> Iterator[DemoNetwork]:
    from a2a_observe.demo.agents import AskingAgent, FlakyAgent, Orchestrator, SlowAgent, StreamingWriter
    from a2a_observe.demo.python_a2a_agents import Relay, serve_python_a2a_agent
    from a2a_observe.demo.serving import serve_agent as serve
    from a2a_observe.probes.web import mount_starlette

    def serve_agent(executor: Any, name: str, description: str) -> RunningAgent:
        """Every agent answers /healthz, /readyz and /metrics beside its A2A routes."""
        return serve(executor, name, description=description, mount=mount_starlette)

    with contextlib.ExitStack() as stack:
        writer = stack.enter_context(
            serve_agent(StreamingWriter(chunks=5, delay=0.02), "writer", description="streams a draft")
        )
        translator = stack.enter_context(
            serve_agent(FlakyAgent(), "translator", description="fails when asked to")
        )
        orchestrator = stack.enter_context(
            serve_agent(
                Orchestrator([("writer", writer.card), ("translator", translator.card)], binding="GRPC"),
                "orchestrator",
                description="delegates to the writer and the translator",
            )
        )
        slow = stack.enter_context(serve_agent(SlowAgent(slow_seconds), "slow", description="takes its time"))
        greeter = stack.enter_context(serve_agent(AskingAgent(), "greeter", description="asks for your name"))
        batch = stack.enter_context(
            serve_agent(SlowAgent(batch_seconds), "batch", description="a nightly batch that hangs")
        )
        relay = stack.enter_context(
            serve_python_a2a_agent(
                lambda card: Relay(card, writer.card),
                "relay",
                description="a python-a2a agent relaying to the writer",
            )
        )
        agents = {a.name: a for a in (orchestrator, writer, translator, slow, greeter, batch)}
        yield DemoNetwork(agents=agents, relay_url=relay.url)


async def send_turn(network: DemoNetwork, turn: Turn) -> TurnResult:
    """Send one turn the way a user of that agent would."""
    import asyncio

    from a2a.types import TaskState

    from a2a_observe.replay.sdk_client import final_text, send_text

    def state_name(state: int) -> str:
        return semconv.task_state(TaskState.Name(state)) or semconv.TASK_STATE_UNSPECIFIED

    if turn.agent == "relay":
        import uuid

        from python_a2a import A2AClient, Message, MessageRole, TextContent

        def ask() -> str:
            client = A2AClient(network.relay_url)
            question = Message(
                content=TextContent(text=turn.text), role=MessageRole.USER, conversation_id=str(uuid.uuid4())
            )
            answer = client.send_message(question)
            return str(getattr(answer.content, "text", answer.content))

        text = await asyncio.to_thread(ask)
        done = text.startswith("relayed:")
        return TurnResult(turn, semconv.TASK_STATE_COMPLETED if done else semconv.TASK_STATE_FAILED, text)

    card = network.card(turn.agent, turn.protocol_version)
    events = await send_text(
        card, turn.text, binding=turn.binding, streaming=turn.streaming, return_immediately=turn.background
    )
    state, text = final_text(events)
    if turn.agent == "greeter" and state == TaskState.TASK_STATE_INPUT_REQUIRED and turn.answer:
        task = events[-1].task if events[-1].WhichOneof("payload") == "task" else None
        if task is not None:
            answered = await send_text(
                card, turn.answer, binding=turn.binding, context_id=task.context_id, task_id=task.id
            )
            state, text = final_text(answered)
            text = f"(asked for input, answered {turn.answer!r}) {text}"
    return TurnResult(turn, state_name(state), text)


async def traffic(network: DemoNetwork, turns: tuple[Turn, ...] = TURNS, rounds: int = 1) -> list[TurnResult]:
    results = []
    for _ in range(rounds):
        for turn in turns:
            results.append(await send_turn(network, turn))
    return results
