"""The few lines every a2a-sdk caller writes: a client for a card, text sent, events read.

The demo, the re-drive and the tests all call agents this way.
"""

from __future__ import annotations

import uuid
from typing import Any

from a2a.client import ClientConfig, ClientFactory
from a2a.types import (
    Message,
    Part,
    Role,
    SendMessageConfiguration,
    SendMessageRequest,
    StreamResponse,
    TaskState,
)


def make_client(card: Any, binding: str = "JSONRPC", streaming: bool = True) -> Any:
    import grpc  # noqa: PLC0415 - loaded only when a client is made

    config = ClientConfig(
        streaming=streaming,
        supported_protocol_bindings=[binding],
        grpc_channel_factory=grpc.aio.insecure_channel,
    )
    return ClientFactory(config).create(card)


def user_message(text: str, context_id: str | None = None, task_id: str | None = None) -> Message:
    return Message(
        role=Role.ROLE_USER,
        message_id=str(uuid.uuid4()),
        parts=[Part(text=text)],
        context_id=context_id or "",
        task_id=task_id or "",
    )


async def send_text(
    card: Any,
    text: str,
    *,
    binding: str = "JSONRPC",
    streaming: bool = True,
    context_id: str | None = None,
    task_id: str | None = None,
    return_immediately: bool = False,
) -> list[StreamResponse]:
    """Send ``text`` and return every event the agent answered with; ``return_immediately``
    asks for the task as soon as it exists, leaving the agent working in the background."""
    client = make_client(card, binding, streaming)
    try:
        request = SendMessageRequest(
            message=user_message(text, context_id, task_id),
            configuration=SendMessageConfiguration(return_immediately=return_immediately),
        )
        return [event async for event in client.send_message(request)]
    finally:
        await client.close()


def final_text(events: list[StreamResponse]) -> tuple[int, str]:
    """(final task state, the text of all artifacts, or else of the last status message)."""
    state = TaskState.TASK_STATE_UNSPECIFIED
    chunks: list[str] = []
    status_text = ""
    for event in events:
        which = event.WhichOneof("payload")
        if which == "task":
            state = event.task.status.state
            status_text = "".join(p.text for p in event.task.status.message.parts)
            if not chunks:
                chunks = [p.text for a in event.task.artifacts for p in a.parts if p.text]
        elif which == "status_update":
            state = event.status_update.status.state
            status_text = "".join(p.text for p in event.status_update.status.message.parts)
        elif which == "artifact_update":
            chunks.extend(p.text for p in event.artifact_update.artifact.parts if p.text)
        elif which == "message":
            chunks.extend(p.text for p in event.message.parts if p.text)
    return state, ("".join(chunks) or status_text).strip()
