"""python-a2a objects and wire bodies translated into neutral facts.

python-a2a speaks two shapes at once: its own (``content`` + ``role`` messages, ``sessionId``
tasks, ``messages`` conversations) and the older Google A2A one (``parts`` lists), as model
objects on the client and as JSON bodies on the wire. Everything here is duck-typed on both,
so this module imports nothing from ``python_a2a`` and importing a2a-observe never imports it.

Mapping: a conversation id and a task's ``sessionId`` are the A2A context id
(``gen_ai.conversation.id``), a task's ``id`` is ``a2a.task.id``. python-a2a's ``waiting``
state is the spec's ``working``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from a2a_observe import semconv
from a2a_observe.observation.facts import AgentFacts, ArtifactFacts, EventFacts, MessageFacts, PartFacts

ERROR_CONTENT = "ErrorContent"
"""``error.type`` of a call whose answer is python-a2a's error content."""


def _str(value: Any) -> str | None:
    """An id as a string; enums and other objects by their value."""
    if value is None or value == "":
        return None
    value = getattr(value, "value", value)
    return str(value)


def _json_size(value: Any) -> int:
    try:
        return len(json.dumps(value, default=str, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        return 0


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _as_dict(obj: Any) -> Any:
    """A model object as its python-a2a dict; dicts and other values as they are."""
    if isinstance(obj, Mapping):
        return obj
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        try:
            return to_dict()
        except Exception:  # noqa: BLE001 - a half-built model: nothing to say about it
            return {}
    return obj


def state_name(value: Any) -> str | None:
    """A python-a2a ``TaskState`` (or its string) as the convention's value."""
    return semconv.task_state(_str(value))


def part_facts(part: Any) -> PartFacts:
    """One part: python-a2a content (``text``, ``function_call``, ``function_response``,
    ``error``) or a Google A2A part (``text``, ``data``, ``file``).

    Everything but text and files is structured data, so it is a ``data`` part, as
    python-a2a itself converts it for Google A2A peers.
    """
    data = _as_dict(part)
    if not isinstance(data, Mapping):
        text = str(data)
        return PartFacts(kind="text", size=len(text.encode("utf-8")), content=text)
    kind = _str(data.get("type") or data.get("kind")) or "unknown"
    if kind == "text":
        text = str(data.get("text", ""))
        return PartFacts(kind="text", size=len(text.encode("utf-8")), content=text)
    if kind == "file":
        file = data.get("file") if isinstance(data.get("file"), Mapping) else {}
        media = file.get("mimeType") if isinstance(file, Mapping) else None
        return PartFacts(kind="file", size=_json_size(data), media_type=media, content=None)
    payload = {k: v for k, v in data.items() if k != "type"}
    payload = {kind: payload} if kind != "data" else payload.get("data", payload)
    return PartFacts(
        kind="data",
        size=_json_size(payload),
        media_type="application/json",
        content=payload,
    )


def message_facts(message: Any) -> MessageFacts | None:
    """A python-a2a ``Message`` or a message dict in either wire shape."""
    data = _as_dict(message)
    if not isinstance(data, Mapping):
        return None
    if "parts" in data and "content" not in data:
        metadata = _mapping(data.get("metadata"))
        parts = tuple(part_facts(p) for p in data.get("parts") or ())
        message_id = data.get("messageId") or metadata.get("message_id")
        context_id = data.get("contextId") or metadata.get("conversation_id")
        task_id = data.get("taskId")
    elif "content" in data:
        parts = (part_facts(data.get("content")),)
        message_id = data.get("message_id")
        context_id = data.get("conversation_id")
        task_id = None
    else:
        return None
    return MessageFacts(
        message_id=_str(message_id),
        role=_str(data.get("role")),
        task_id=_str(task_id),
        context_id=_str(context_id),
        parts=parts,
        size=_json_size(data),
    )


def conversation_facts(conversation: Any) -> tuple[str | None, MessageFacts | None]:
    """(conversation id, its last message): what one send of a conversation adds to it."""
    data = _as_dict(conversation)
    if not isinstance(data, Mapping):
        return None, None
    messages = data.get("messages") or []
    last = message_facts(messages[-1]) if messages else None
    return _str(data.get("conversation_id") or data.get("conversationId")), last


def _artifact_parts(artifacts: Any) -> tuple[PartFacts, ...]:
    parts: list[PartFacts] = []
    for artifact in artifacts or ():
        if isinstance(artifact, Mapping):
            parts.extend(part_facts(p) for p in artifact.get("parts") or ())
    return tuple(parts)


def task_facts(task: Any) -> EventFacts | None:
    """A python-a2a ``Task`` or task dict: ids, state and the number of artifacts."""
    data = _as_dict(task)
    if not isinstance(data, Mapping):
        return None
    status = _mapping(data.get("status"))
    message = message_facts(data.get("message")) if data.get("message") else None
    task_id, context_id = task_ids(data)
    return EventFacts(
        kind=semconv.EVENT_KIND_TASK,
        task_id=task_id,
        context_id=context_id,
        state=state_name(status.get("state")),
        message=message,
        artifacts_count=len(data.get("artifacts") or ()),
    )


def _message_conversation(message: Any) -> str | None:
    data = message if isinstance(message, Mapping) else None
    if data is None:
        return _str(getattr(message, "conversation_id", None))
    metadata = _mapping(data.get("metadata"))
    return _str(data.get("conversation_id") or data.get("contextId") or metadata.get("conversation_id"))


def task_ids(task: Any) -> tuple[str | None, str | None]:
    """(task id, context id) of a task object or dict, without serialising it.

    The context is the conversation its message belongs to; the task's ``sessionId`` only
    when the message names none, since python-a2a's clients give every task a fresh one.
    """
    if isinstance(task, Mapping):
        task_id, session, message = (
            task.get("id"),
            task.get("sessionId") or task.get("session_id"),
            task.get("message"),
        )
    else:
        task_id, session, message = (
            getattr(task, "id", None),
            getattr(task, "session_id", None),
            getattr(task, "message", None),
        )
    context = _message_conversation(message) if message else None
    return _str(task_id), context or _str(session)


def event_facts(obj: Any) -> EventFacts | None:
    """What a call returned, whatever python-a2a shape it has (object or wire body)."""
    if obj is None or isinstance(obj, bool | int | float):
        return None
    if isinstance(obj, str):
        return chunk_facts(obj)
    data = _as_dict(obj)
    if not isinstance(data, Mapping):
        return None
    if "jsonrpc" in data:
        result = data.get("result")
        return event_facts(result) if isinstance(result, Mapping) else None
    if "messages" in data:
        context_id, last = conversation_facts(data)
        return EventFacts(
            kind=semconv.EVENT_KIND_MESSAGE,
            task_id=last.task_id if last else None,
            context_id=context_id,
            message=last,
        )
    if "status" in data and ("id" in data or "sessionId" in data):
        return task_facts(data)
    message = message_facts(data)
    if message is not None:
        return EventFacts(
            kind=semconv.EVENT_KIND_MESSAGE,
            task_id=message.task_id,
            context_id=message.context_id,
            message=message,
        )
    return None


def chunk_facts(chunk: Any, *, last_chunk: bool = False) -> EventFacts | None:
    """One item of a python-a2a stream.

    Text chunks and ``{"content": ...}`` chunks are pieces of one streamed answer
    (artifact updates); ``{"status": ..., "artifacts": ...}`` chunks and tasks are status
    updates.
    """
    if isinstance(chunk, str):
        part = part_facts({"type": "text", "text": chunk})
        return EventFacts(
            kind=semconv.EVENT_KIND_ARTIFACT_UPDATE,
            artifact=ArtifactFacts(parts=(part,), append=True, last_chunk=last_chunk),
        )
    data = _as_dict(chunk)
    if not isinstance(data, Mapping):
        return None
    if "status" in data and "id" not in data:
        status = data.get("status")
        state = status.get("state") if isinstance(status, Mapping) else status
        return EventFacts(
            kind=semconv.EVENT_KIND_STATUS_UPDATE,
            state=state_name(state),
            artifacts_count=len(data.get("artifacts") or ()),
        )
    if "status" in data:
        task = task_facts(data)
        if task is None:
            return None
        return EventFacts(
            kind=semconv.EVENT_KIND_STATUS_UPDATE,
            task_id=task.task_id,
            context_id=task.context_id,
            state=task.state,
            artifacts_count=task.artifacts_count,
        )
    if "error" in data:
        return EventFacts(kind=semconv.EVENT_KIND_STATUS_UPDATE, state=semconv.TASK_STATE_FAILED)
    if "content" in data and not isinstance(data.get("content"), Mapping):
        text = str(data.get("content") or "")
        return chunk_facts(text, last_chunk=bool(data.get("lastChunk")))
    part = part_facts({"type": "data", "data": dict(data)})
    return EventFacts(
        kind=semconv.EVENT_KIND_ARTIFACT_UPDATE,
        artifact=ArtifactFacts(parts=(part,), append=True),
    )


def sse_data(chunk: Any) -> list[tuple[str, Any]]:
    """(event type, decoded data) of each server-sent event in one body chunk.

    python-a2a writes whole events per chunk, so no event spans two chunks; comments and
    events without data are skipped.
    """
    text = chunk.decode("utf-8", "replace") if isinstance(chunk, bytes) else chunk
    if not isinstance(text, str):
        return []
    events: list[tuple[str, Any]] = []
    for block in text.split("\n\n"):
        event_type, data = "message", None
        for line in block.split("\n"):
            if line.startswith("event:"):
                event_type = line[6:].strip()
            elif line.startswith("data:"):
                data = line[5:].strip()
        if data is None:
            continue
        try:
            events.append((event_type, json.loads(data)))
        except ValueError:
            events.append((event_type, data))
    return events


def agent_facts(card: Any) -> AgentFacts:
    """A python-a2a ``AgentCard`` or card dict."""
    if card is None:
        return AgentFacts()
    if isinstance(card, Mapping):
        get = card.get
    else:

        def get(name: str, default: Any = None) -> Any:
            return getattr(card, name, default)

    return AgentFacts(
        name=_str(get("name")),
        version=_str(get("version")),
        description=_str(get("description")),
        url=_str(get("url")),
    )


PROTOCOL_VERSION = "0.3"
"""The A2A protocol version python-a2a 0.5 speaks (its ``AgentCard.protocol_version`` default,
``0.3.0``) when a card does not say otherwise."""


def protocol_version(card: Any) -> str:
    """``a2a.protocol.version`` (major.minor, as the conventions spell it) from a python-a2a
    card or card dict; python-a2a's own version when there is no card."""
    if isinstance(card, Mapping):
        declared = card.get("protocolVersion") or card.get("protocol_version")
    else:
        declared = getattr(card, "protocol_version", None)
    if not isinstance(declared, str):
        return PROTOCOL_VERSION
    parts = declared.strip().split(".")
    if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
        return f"{int(parts[0])}.{int(parts[1])}"
    return PROTOCOL_VERSION


def error_text(obj: Any) -> str | None:
    """The error python-a2a answered with instead of a result, if it did.

    Its clients turn transport and server failures into an ``ErrorContent`` message (or a
    conversation ending in one) rather than raising, so this is how a failed call shows.
    """
    messages = getattr(obj, "messages", None)
    if isinstance(messages, list):
        obj = messages[-1] if messages else None
    content = getattr(obj, "content", None)
    if content is not None and _str(getattr(content, "type", None)) == "error":
        return str(getattr(content, "message", "") or "error")
    return None


def rpc_error_code(body: Any) -> str | None:
    """The JSON-RPC error code of a response body, as a string."""
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        code = body["error"].get("code")
        return None if code is None else str(code)
    return None


def wire_method(body: Any) -> str | None:
    """The JSON-RPC method a request body names, if it is JSON-RPC."""
    if isinstance(body, Mapping) and "jsonrpc" in body and isinstance(body.get("method"), str):
        return str(body["method"])
    return None


def request_ids(body: Any) -> tuple[str | None, str | None, MessageFacts | None]:
    """(task id, context id, message) a request body names: JSON-RPC or direct, a task, a
    message or a conversation."""
    if not isinstance(body, Mapping):
        return None, None, None
    params = body.get("params") if "jsonrpc" in body else body
    if not isinstance(params, Mapping):
        return None, None, None
    if "messages" in params:
        context_id, last = conversation_facts(params)
        return None, context_id, last
    if "message" in params or "sessionId" in params or ("id" in params and "content" not in params):
        message = message_facts(params.get("message")) if params.get("message") else None
        task_id, context_id = task_ids(params)
        return task_id, context_id, message
    message = message_facts(params)
    return None, message.context_id if message else None, message
