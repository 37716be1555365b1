"""a2a-sdk objects (protobuf, protocol v1.0) translated into neutral facts.

Works on duck-typed protobuf messages so that this module imports nothing from ``a2a``: the
compat layer's types and future SDK versions translate the same way, and importing
a2a-observe never imports the SDK.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

from a2a_observe import semconv
from a2a_observe.observation.facts import (
    AgentFacts,
    ArtifactFacts,
    ErrorFacts,
    EventFacts,
    MessageFacts,
    PartFacts,
)

_PART_KINDS = ("text", "data", "raw", "url")


def _has(msg: Any, name: str) -> bool:
    try:
        return bool(msg.HasField(name))
    except (ValueError, AttributeError):
        return False


_ENUM_NAMES: dict[tuple[type, str], dict[int, str]] = {}
"""Enum value names per (message class, field). Descriptor look-ups are slow on every call
(upb builds them anew), and they sit on the hot path of every stream event."""


def _enum_name(msg: Any, field: str, value: int) -> str | None:
    key = (type(msg), field)
    names = _ENUM_NAMES.get(key)
    if names is None:
        try:
            enum = msg.DESCRIPTOR.fields_by_name[field].enum_type
            names = {number: str(v.name) for number, v in enum.values_by_number.items()}
        except (KeyError, AttributeError):
            names = {}
        _ENUM_NAMES[key] = names
    return names.get(value)


def state_name(status_holder: Any) -> str | None:
    """The protocol's name of the state (``TASK_STATE_INPUT_REQUIRED``); the observation maps
    it to the convention's value. ``None`` when the status names none."""
    try:
        value = status_holder.state
    except AttributeError:
        return None
    if not value:
        return None  # TASK_STATE_UNSPECIFIED (0): the status has no state yet
    return _enum_name(status_holder, "state", value) or semconv.TASK_STATE_UNSPECIFIED


def role_name(message: Any) -> str | None:
    name = _enum_name(message, "role", getattr(message, "role", 0))
    if name is None:
        return None
    name = name.removeprefix("ROLE_").lower()
    return None if name == "unspecified" else name


def part_facts(part: Any) -> PartFacts:
    kind = "unknown"
    try:
        kind = part.WhichOneof("content") or "unknown"
    except (ValueError, AttributeError):
        for candidate in _PART_KINDS:
            if _has(part, candidate) or getattr(part, candidate, None):
                kind = candidate
                break
    media_type = getattr(part, "media_type", None) or None
    size = 0
    content: Any = None
    load_content = None
    if kind == "text":
        size = len(part.text.encode("utf-8"))
        content = part.text
    elif kind == "raw":
        size = len(part.raw)
        content = f"<{size} bytes>"
    elif kind == "url":
        size = len(part.url)
        content = part.url
    elif kind == "data":
        size = part.data.ByteSize()
        load_content = functools.partial(_struct_as_dict, part.data)
    return PartFacts(kind=kind, size=size, media_type=media_type, content=content, load_content=load_content)


def _struct_as_dict(struct: Any) -> Any:
    from google.protobuf.json_format import MessageToDict  # noqa: PLC0415 - the instrumented library's

    return MessageToDict(struct)


def message_facts(message: Any, *, sized: bool = True) -> MessageFacts:
    return MessageFacts(
        message_id=message.message_id or None,
        role=role_name(message),
        task_id=message.task_id or None,
        context_id=message.context_id or None,
        reference_task_ids=tuple(message.reference_task_ids),
        parts=tuple(part_facts(p) for p in message.parts),
        size=message.ByteSize() if sized else None,
    )


def artifact_facts(artifact: Any, append: bool, last_chunk: bool) -> ArtifactFacts:
    return ArtifactFacts(
        artifact_id=artifact.artifact_id or None,
        name=artifact.name or None,
        parts=tuple(part_facts(p) for p in artifact.parts),
        append=append,
        last_chunk=last_chunk,
    )


def _status_message(status: Any, sized: bool) -> MessageFacts | None:
    return message_facts(status.message, sized=sized) if _has(status, "message") else None


def event_facts(obj: Any, *, sized: bool = True) -> EventFacts | None:
    """A Task, Message, status/artifact update, StreamResponse or SendMessageResponse.

    ``sized=False`` leaves the serialised sizes out (``None``): only what a call returns
    is measured, and serialising every event an agent enqueues again would be wasted."""
    kind = type(obj).__name__
    if kind in ("StreamResponse", "SendMessageResponse"):
        try:
            which = obj.WhichOneof("payload")
        except ValueError:
            which = next(
                (f for f in ("task", "message", "status_update", "artifact_update") if _has(obj, f)), None
            )
        if which is None:
            return None
        return event_facts(getattr(obj, which), sized=sized)
    size = obj.ByteSize() if sized and hasattr(obj, "ByteSize") else None
    if kind == "Task":
        return EventFacts(
            size=size,
            kind=semconv.EVENT_KIND_TASK,
            task_id=obj.id or None,
            context_id=obj.context_id or None,
            state=state_name(obj.status),
            message=_status_message(obj.status, sized),
            artifacts_count=len(obj.artifacts),
        )
    if kind == "Message":
        return EventFacts(
            size=size,
            kind=semconv.EVENT_KIND_MESSAGE,
            task_id=obj.task_id or None,
            context_id=obj.context_id or None,
            message=message_facts(obj, sized=sized),
        )
    if kind == "TaskStatusUpdateEvent":
        return EventFacts(
            size=size,
            kind=semconv.EVENT_KIND_STATUS_UPDATE,
            task_id=obj.task_id or None,
            context_id=obj.context_id or None,
            state=state_name(obj.status),
            message=_status_message(obj.status, sized),
        )
    if kind == "TaskArtifactUpdateEvent":
        return EventFacts(
            size=size,
            kind=semconv.EVENT_KIND_ARTIFACT_UPDATE,
            task_id=obj.task_id or None,
            context_id=obj.context_id or None,
            artifact=artifact_facts(obj.artifact, obj.append, obj.last_chunk),
        )
    return None


def request_ids(request: Any) -> tuple[str | None, str | None, MessageFacts | None, str | None]:
    """(task id, context id, message, tenant) named by a request of any A2A method."""
    tenant = getattr(request, "tenant", None) or None
    if type(request).__name__ == "SendMessageRequest":
        return None, None, None, tenant
    task_id = getattr(request, "task_id", None) or None
    if task_id is None and type(request).__name__ in (
        "GetTaskRequest",
        "CancelTaskRequest",
        "SubscribeToTaskRequest",
    ):
        task_id = getattr(request, "id", None) or None
    return task_id, None, None, tenant


def agent_facts(card: Any) -> AgentFacts:
    if card is None:
        return AgentFacts()
    url = None
    interfaces = getattr(card, "supported_interfaces", None)
    if interfaces:
        url = interfaces[0].url or None
    return AgentFacts(
        name=getattr(card, "name", None) or None,
        version=getattr(card, "version", None) or None,
        description=getattr(card, "description", None) or None,
        url=url,
    )


_SERVER_DEFAULT_CODES: dict[str | None, tuple[str | None, int | None]] = {
    semconv.BINDING_JSONRPC: ("-32603", None),
    semconv.BINDING_HTTP_JSON: (None, 500),
    semconv.BINDING_GRPC: ("UNKNOWN", None),
}
"""What the SDK answers when a handler raises something that is not an A2A error."""


def error_facts(exc: BaseException, binding: str | None, *, server: bool = False) -> ErrorFacts:
    """The error type and the code this binding puts on the wire for ``exc``."""
    rpc_code: str | None = None
    http_code: int | None = None
    errors_module = _sdk_errors()
    if errors_module is not None and isinstance(exc, errors_module.A2AError):
        jsonrpc_code = errors_module.JSON_RPC_ERROR_CODE_MAP.get(type(exc))
        mapping = errors_module.A2A_ERROR_MAPPING.get(type(exc))
        if binding == semconv.BINDING_JSONRPC and jsonrpc_code is not None:
            rpc_code = str(jsonrpc_code)
        elif binding == semconv.BINDING_GRPC and mapping is not None:
            rpc_code = mapping.grpc_status
        elif binding == semconv.BINDING_HTTP_JSON and mapping is not None:
            http_code = mapping.http_code
    if rpc_code is None and http_code is None:
        rpc_code, http_code = codes_from_causes(exc)
    if server and rpc_code is None and http_code is None:
        rpc_code, http_code = _SERVER_DEFAULT_CODES.get(binding, (None, None))
    return ErrorFacts(
        error_type=type(exc).__qualname__,
        message=str(exc),
        rpc_status_code=rpc_code,
        http_status_code=http_code,
    )


def codes_from_causes(exc: BaseException) -> tuple[str | None, int | None]:
    """Status codes from the transport error a client error wraps (httpx, grpc)."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            break
        response = getattr(seen, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            return None, status
        code = getattr(seen, "code", None)
        if callable(code):
            try:
                name = getattr(code(), "name", None)
            except Exception:  # noqa: BLE001 - not a grpc error after all
                name = None
            if isinstance(name, str):
                return name, None
        seen = seen.__cause__ or seen.__context__
    return None, None


def _sdk_errors() -> Any:
    return sys.modules.get("a2a.utils.errors")
