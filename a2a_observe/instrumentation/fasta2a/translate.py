"""fasta2a's JSON-RPC bodies translated into neutral facts.

One fasta2a endpoint speaks two dialects: its own (the v0.3 method names such as
``message/send``, snake_case keys, lower-case states and roles), and A2A 1.0's for every
request made with a 1.0 method name (``SendMessage``, camelCase keys, ``TASK_STATE_*`` and
``ROLE_*``). Both carry the 1.0 object shapes: a result is ``{"task": ...}``,
``{"statusUpdate": ...}`` and so on, a part has ``text``, ``raw``, ``url`` or ``data``. So one
duck-typed reader serves both, works on the decoded JSON the client and the server exchange,
and imports nothing from fasta2a.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from a2a_observe import semconv
from a2a_observe.observation.facts import ArtifactFacts, ErrorFacts, EventFacts, MessageFacts, PartFacts

V1_METHODS = frozenset(semconv.A2A_METHODS)
OTHER_ERROR = "_OTHER"
"""The OpenTelemetry conventions' ``error.type`` when nothing names the error (no code)."""
PROTOCOL_V1 = "1.0"
PROTOCOL_V03 = "0.3"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def field(data: Mapping[str, Any], name: str) -> Any:
    """``data[name]`` in either spelling: ``context_id`` or ``contextId``."""
    value = data.get(name)
    return data.get(_camel(name)) if value is None else value


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _json_size(value: Any) -> int:
    try:
        return len(json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":")).encode())
    except (TypeError, ValueError):
        return 0


def state_name(value: Any) -> str | None:
    """``completed`` or ``TASK_STATE_COMPLETED`` in the conventions' spelling."""
    return semconv.task_state(_text(value))


def role_name(value: Any) -> str | None:
    text = _text(value)
    return text.lower().removeprefix("role_") if text else None


def part_facts(part: Any) -> PartFacts:
    data = _mapping(part)
    media_type = _text(field(data, "media_type"))
    if isinstance(data.get("text"), str):
        text = data["text"]
        return PartFacts(kind="text", size=len(text.encode()), media_type=media_type, content=text)
    if data.get("raw") is not None:
        raw = str(data["raw"])
        return PartFacts(
            kind="raw",
            size=len(raw),
            media_type=media_type,
            content=f"<{len(raw)} base64 chars>",
        )
    if data.get("url") is not None:
        url = str(data["url"])
        return PartFacts(kind="url", size=len(url), media_type=media_type, content=url)
    if "data" in data:
        payload = data["data"]
        return PartFacts(kind="data", size=_json_size(payload), media_type=media_type, content=payload)
    return PartFacts(kind="unknown", size=_json_size(data))


def message_facts(message: Any) -> MessageFacts | None:
    data = _mapping(message)
    if not data:
        return None
    return MessageFacts(
        message_id=_text(field(data, "message_id")),
        role=role_name(data.get("role")),
        task_id=_text(field(data, "task_id")),
        context_id=_text(field(data, "context_id")),
        reference_task_ids=tuple(str(t) for t in field(data, "reference_task_ids") or ()),
        parts=tuple(part_facts(p) for p in data.get("parts") or ()),
        size=_json_size(data),
    )


def _task_facts(task: Mapping[str, Any], size: int | None) -> EventFacts:
    status = _mapping(task.get("status"))
    return EventFacts(
        kind=semconv.EVENT_KIND_TASK,
        task_id=_text(task.get("id")),
        context_id=_text(field(task, "context_id")),
        state=state_name(status.get("state")),
        message=message_facts(status.get("message")),
        artifacts_count=len(task.get("artifacts") or ()),
        size=size,
    )


def event_facts(result: Any) -> EventFacts | None:
    """A JSON-RPC ``result``: one of task, message, status update or artifact update, or a
    bare task (what ``tasks/get`` and ``tasks/cancel`` answer)."""
    data = _mapping(result)
    if not data:
        return None
    size = _json_size(data)
    if isinstance(data.get("task"), Mapping):
        return _task_facts(data["task"], size)
    if isinstance(data.get("message"), Mapping) and "status" not in data:
        message = message_facts(data["message"])
        return EventFacts(
            kind=semconv.EVENT_KIND_MESSAGE,
            task_id=message.task_id if message else None,
            context_id=message.context_id if message else None,
            message=message,
            size=size,
        )
    update = _mapping(field(data, "status_update"))
    if update:
        status = _mapping(update.get("status"))
        return EventFacts(
            kind=semconv.EVENT_KIND_STATUS_UPDATE,
            task_id=_text(field(update, "task_id")),
            context_id=_text(field(update, "context_id")),
            state=state_name(status.get("state")),
            message=message_facts(status.get("message")),
            size=size,
        )
    update = _mapping(field(data, "artifact_update"))
    if update:
        artifact = _mapping(update.get("artifact"))
        return EventFacts(
            kind=semconv.EVENT_KIND_ARTIFACT_UPDATE,
            task_id=_text(field(update, "task_id")),
            context_id=_text(field(update, "context_id")),
            artifact=ArtifactFacts(
                artifact_id=_text(field(artifact, "artifact_id")),
                name=_text(artifact.get("name")),
                parts=tuple(part_facts(p) for p in artifact.get("parts") or ()),
                append=bool(update.get("append")),
                last_chunk=bool(field(update, "last_chunk")),
            ),
            size=size,
        )
    if "id" in data and "status" in data:
        return _task_facts(data, size)
    return None


def rpc_error(body: Any) -> ErrorFacts | None:
    """The JSON-RPC error a response carries instead of a result, if it does."""
    error = _mapping(_mapping(body).get("error"))
    if not error:
        return None
    code = _text(error.get("code"))
    return ErrorFacts(
        error_type=code or OTHER_ERROR,
        message=str(error.get("message") or ""),
        rpc_status_code=code,
    )


@dataclass(frozen=True)
class RequestFacts:
    """What one JSON-RPC request says about the call."""

    method: str
    original_method: str | None
    protocol_version: str
    task_id: str | None
    context_id: str | None
    message: MessageFacts | None


def request_facts(body: Any) -> RequestFacts | None:
    """The call a request body makes; None when it is not JSON-RPC with a method name."""
    data = _mapping(body)
    wire = data.get("method")
    if not isinstance(wire, str) or not wire:
        return None
    if wire in V1_METHODS:
        method, original, version = wire, None, PROTOCOL_V1
    else:
        method = semconv.V03_METHOD_NAMES.get(wire, wire)
        original, version = wire, PROTOCOL_V03
    params = _mapping(data.get("params"))
    message = message_facts(params.get("message"))
    task_id = _text(params.get("id")) or (message.task_id if message else None)
    context_id = message.context_id if message else None
    return RequestFacts(method, original, version, task_id, context_id, message)


def sse_results(chunk: Any) -> list[Mapping[str, Any]]:
    """The decoded JSON-RPC responses of the server-sent events in one body chunk.

    fasta2a writes whole ``data:`` events per chunk; anything else is skipped.
    """
    text = chunk.decode("utf-8", "replace") if isinstance(chunk, bytes | bytearray) else chunk
    if not isinstance(text, str):
        return []
    found: list[Mapping[str, Any]] = []
    for line in text.splitlines():
        if line.startswith("data:"):
            try:
                decoded = json.loads(line[5:].strip())
            except ValueError:
                continue
            if isinstance(decoded, Mapping):
                found.append(decoded)
    return found
