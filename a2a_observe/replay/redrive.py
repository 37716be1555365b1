"""Sending a recorded conversation's user turns again, to a live agent.

Only the user's side is replayed: each recorded turn's text goes to the agent in a new
conversation, and a turn that answered an ``input-required`` task answers the new run's task.
Whatever the agent does then (its states, artifacts, delegations) is new, and the instrumented
client records it like any other call, so the new run can be rebuilt and compared.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from a2a_observe import semconv
from a2a_observe.replay.errors import ReplayError
from a2a_observe.replay.model import ConversationModel, Exchange

_SENDS = frozenset({semconv.SEND_MESSAGE, semconv.SEND_STREAMING_MESSAGE})
REDRIVEN_METHODS = _SENDS | {semconv.CANCEL_TASK}
"""Turns that are sent again; reads (GetTask, ListTasks...) change nothing and are skipped."""


@dataclass(frozen=True)
class RecordedTurn:
    path: str
    method: str
    text: str | None
    binding: str | None
    task_id: str | None
    continues_task: bool
    """True when the turn answered (or cancelled) a task an earlier turn started."""


def recorded_turns(model: ConversationModel) -> list[RecordedTurn]:
    """The user's side of the conversation; an error when its text was not captured."""
    turns: list[RecordedTurn] = []
    for exchange in model.turns:
        if exchange.method not in REDRIVEN_METHODS:
            continue
        text = exchange.request.text if exchange.request is not None else None
        if exchange.method in _SENDS and text is None:
            raise ReplayError(
                f"turn {exchange.path} of conversation {model.conversation_id} has no recorded text: "
                "re-driving needs the user's messages, which are only stored when content capture was on "
                f"while recording ({semconv.ENV_CAPTURE_CONTENT}=true or "
                f"{semconv.ENV_GENAI_CAPTURE_CONTENT}=true)"
            )
        turns.append(
            RecordedTurn(
                path=exchange.path,
                method=exchange.method,
                text=text,
                binding=exchange.binding,
                task_id=exchange.task_id,
                continues_task=exchange.method == semconv.CANCEL_TASK or not exchange.task_created,
            )
        )
    if not turns:
        raise ReplayError(f"conversation {model.conversation_id} has no user turns to re-drive")
    return turns


@dataclass
class SentTurn:
    path: str
    task_id: str | None
    state: str | None
    error: str | None = None


@dataclass
class RedriveRun:
    recorded_id: str
    context_id: str
    binding: str
    turns: list[SentTurn] = field(default_factory=list)


def _state_name(value: int) -> str:
    from a2a.types import TaskState  # noqa: PLC0415 - the SDK is loaded only to re-drive

    return semconv.task_state(TaskState.Name(value)) or semconv.TASK_STATE_UNSPECIFIED


def _outcome(events: list[Any]) -> tuple[str | None, str | None]:
    task_id = state = None
    for event in events:
        which = event.WhichOneof("payload")
        if which == "task":
            task_id, state = event.task.id, _state_name(event.task.status.state)
        elif which == "status_update":
            task_id, state = event.status_update.task_id, _state_name(event.status_update.status.state)
        elif which == "artifact_update":
            task_id = task_id or event.artifact_update.task_id
    return task_id, state


async def fetch_card(url: str) -> Any:
    """The agent card at ``url`` (the agent's base URL or the card's own URL)."""
    import httpx  # noqa: PLC0415
    from a2a.client import A2ACardResolver  # noqa: PLC0415

    base, path = url.rstrip("/"), None
    if base.endswith(".json"):
        base, _, tail = base.rpartition("/")
        path = tail
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            resolver = A2ACardResolver(http, base) if path is None else A2ACardResolver(http, base, path)
            return await resolver.get_agent_card()
    except Exception as exc:
        raise ReplayError(f"no agent card at {url}: {type(exc).__name__}: {exc}") from exc


def choose_binding(card: Any, wanted: str | None, recorded: str | None) -> str:
    offered = [i.protocol_binding for i in card.supported_interfaces]
    if wanted is not None:
        if wanted not in offered:
            raise ReplayError(f"the agent offers {', '.join(offered) or 'no binding'}, not {wanted}")
        return wanted
    if recorded in offered:
        return str(recorded)
    if not offered:
        raise ReplayError("the agent card lists no interface to call")
    return str(offered[0])


async def redrive(
    model: ConversationModel,
    url: str,
    *,
    binding: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> RedriveRun:
    """Send the recorded user turns of ``model`` to the agent at ``url`` in a new conversation."""
    from a2a.types import CancelTaskRequest, SendMessageRequest  # noqa: PLC0415

    from a2a_observe.replay.sdk_client import make_client, user_message  # noqa: PLC0415

    turns = recorded_turns(model)
    card = await fetch_card(url)
    chosen = choose_binding(card, binding, turns[0].binding)
    streaming_ok = bool(card.capabilities.streaming)
    run = RedriveRun(model.conversation_id, str(uuid.uuid4()), chosen)
    tasks: dict[str, str] = {}
    for done, turn in enumerate(turns, 1):
        new_task = tasks.get(turn.task_id or "") if turn.continues_task else None
        streaming = turn.method == semconv.SEND_STREAMING_MESSAGE and streaming_ok
        client = make_client(card, chosen, streaming)
        sent = SentTurn(turn.path, new_task, None)
        try:
            if turn.method == semconv.CANCEL_TASK:
                if new_task is None:
                    raise ReplayError(f"turn {turn.path} cancels a task the re-drive never started")
                answer = await client.cancel_task(CancelTaskRequest(id=new_task))
                sent.state = _state_name(answer.status.state)
            else:
                request = SendMessageRequest(message=user_message(turn.text or "", run.context_id, new_task))
                events = [event async for event in client.send_message(request)]
                sent.task_id, sent.state = _outcome(events)
                if turn.task_id and sent.task_id:
                    tasks[turn.task_id] = sent.task_id
        except ReplayError:
            raise
        except Exception as exc:  # noqa: BLE001 - the agent's failure is part of the new run
            sent.error = f"{type(exc).__name__}: {exc}"
        finally:
            await client.close()
        run.turns.append(sent)
        if on_progress is not None:
            on_progress(done, len(turns))
    return run


def redriven(model: ConversationModel) -> list[Exchange]:
    """The recorded turns that a re-drive sends again, to line up with the new run's turns."""
    return [e for e in model.turns if e.method in REDRIVEN_METHODS]
