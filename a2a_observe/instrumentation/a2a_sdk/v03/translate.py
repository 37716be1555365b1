"""a2a-sdk 0.3 objects (pydantic, protocol v0.3) translated into the same neutral facts as
the 1.x line's.

States and roles are handed over as protocol v0.3 names them (``input-required``, ``user``):
how they are spelled on spans is the observation's business, for every line alike. File
parts become the v1.0 part kinds by their content (bytes: ``raw``, a URI: ``url``). Sizes are
the JSON bytes the 0.3 HTTP bindings send. Duck-typed like the 1.x module: nothing here
imports ``a2a``.
"""

from __future__ import annotations

import sys
from typing import Any

from a2a_observe import semconv
from a2a_observe.instrumentation.a2a_sdk.translate import codes_from_causes
from a2a_observe.observation.facts import (
    AgentFacts,
    ArtifactFacts,
    ErrorFacts,
    EventFacts,
    MessageFacts,
    PartFacts,
)

_SERVER_DEFAULT_CODES: dict[str | None, tuple[str | None, int | None]] = {
    semconv.BINDING_JSONRPC: ("-32603", None),
    semconv.BINDING_HTTP_JSON: (None, 500),
    semconv.BINDING_GRPC: ("UNKNOWN", None),
}
"""What a 0.3 server answers when a handler raises something that is not an A2A error."""

GRPC_STATUS: dict[str, str] = {
    "JSONParseError": "INTERNAL",
    "InvalidRequestError": "INVALID_ARGUMENT",
    "MethodNotFoundError": "NOT_FOUND",
    "InvalidParamsError": "INVALID_ARGUMENT",
    "InternalError": "INTERNAL",
    "TaskNotFoundError": "NOT_FOUND",
    "TaskNotCancelableError": "UNIMPLEMENTED",
    "PushNotificationNotSupportedError": "UNIMPLEMENTED",
    "UnsupportedOperationError": "UNIMPLEMENTED",
    "ContentTypeNotSupportedError": "UNIMPLEMENTED",
    "InvalidAgentResponseError": "INTERNAL",
}
"""The gRPC status the 0.3 gRPC handler aborts with for each A2A error (others: UNKNOWN)."""

ERROR_NAMES: dict[int, str] = {
    -32700: "JSONParseError",
    -32600: "InvalidRequestError",
    -32601: "MethodNotFoundError",
    -32602: "InvalidParamsError",
    -32603: "InternalError",
    -32001: "TaskNotFoundError",
    -32002: "TaskNotCancelableError",
    -32003: "PushNotificationNotSupportedError",
    -32004: "UnsupportedOperationError",
    -32005: "ContentTypeNotSupportedError",
    -32006: "InvalidAgentResponseError",
    -32007: "AuthenticatedExtendedCardNotConfiguredError",
}
"""The protocol's error for each JSON-RPC code: a 0.3 client parses every error response as a
plain ``JSONRPCError``, so the code is what names it."""


def _enum_value(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value)) or None


def state_name(status: Any) -> str | None:
    """The task state as protocol v0.3 names it (``input-required``); the observation records
    every line's states the same way, whatever the spelling."""
    return _enum_value(getattr(status, "state", None))


def role_name(message: Any) -> str | None:
    """The role as protocol v0.3 names it: ``user`` or ``agent``."""
    return _enum_value(getattr(message, "role", None))


def _json_size(obj: Any) -> int | None:
    """Bytes of the object as JSON, what the 0.3 HTTP bindings send; None if it is no model."""
    dump = getattr(obj, "model_dump_json", None)
    if dump is None:
        return None
    return len(dump(exclude_none=True).encode("utf-8"))


def part_facts(part: Any) -> PartFacts:
    inner = getattr(part, "root", part)
    kind = getattr(inner, "kind", None)
    if kind == "text":
        text = str(inner.text or "")
        return PartFacts(kind="text", size=len(text.encode("utf-8")), content=text)
    if kind == "data":
        data = inner.data
        size = _json_size(inner) or 0
        return PartFacts(kind="data", size=size, content=data)
    if kind == "file":
        file = inner.file
        media_type = getattr(file, "mime_type", None) or None
        uri = getattr(file, "uri", None)
        if uri is not None:
            return PartFacts(kind="url", size=len(uri), media_type=media_type, content=uri)
        encoded = str(getattr(file, "bytes", "") or "")
        size = len(encoded) * 3 // 4 - encoded.count("=", -2)  # base64 on the wire: the raw bytes
        return PartFacts(kind="raw", size=size, media_type=media_type, content=f"<{size} bytes>")
    return PartFacts(kind="unknown")


def message_facts(message: Any, *, sized: bool = True) -> MessageFacts:
    return MessageFacts(
        message_id=getattr(message, "message_id", None) or None,
        role=role_name(message),
        task_id=getattr(message, "task_id", None) or None,
        context_id=getattr(message, "context_id", None) or None,
        reference_task_ids=tuple(getattr(message, "reference_task_ids", None) or ()),
        parts=tuple(part_facts(p) for p in getattr(message, "parts", None) or ()),
        size=_json_size(message) if sized else None,
    )


def artifact_facts(artifact: Any, append: bool, last_chunk: bool) -> ArtifactFacts:
    return ArtifactFacts(
        artifact_id=getattr(artifact, "artifact_id", None) or None,
        name=getattr(artifact, "name", None) or None,
        parts=tuple(part_facts(p) for p in getattr(artifact, "parts", None) or ()),
        append=bool(append),
        last_chunk=bool(last_chunk),
    )


def _status_message(status: Any, sized: bool) -> MessageFacts | None:
    message = getattr(status, "message", None)
    return message_facts(message, sized=sized) if message is not None else None


def event_facts(obj: Any, *, sized: bool = True) -> EventFacts | None:
    """A Task, Message, status or artifact update; a JSON-RPC response or a client event
    tuple ``(task, update)`` is read for what it carries. ``sized=False``: no serialised
    sizes (see the 1.x translator)."""
    kind = getattr(obj, "kind", None)  # first: a missing attribute is slow on pydantic models
    if kind is None:
        if isinstance(obj, tuple):  # ClientFactory clients yield (task, update-or-None)
            for item in reversed(obj):
                if item is not None:
                    return event_facts(item, sized=sized)
            return None
        root = getattr(obj, "root", None)
        if root is not None and hasattr(root, "jsonrpc"):  # a JSON-RPC response envelope
            return event_facts(getattr(root, "result", None), sized=sized)
        return None
    if kind == "task":
        return EventFacts(
            size=_json_size(obj) if sized else None,
            kind=semconv.EVENT_KIND_TASK,
            task_id=obj.id or None,
            context_id=obj.context_id or None,
            state=state_name(obj.status),
            message=_status_message(obj.status, sized),
            artifacts_count=len(obj.artifacts or ()),
        )
    if kind == "message":
        return EventFacts(
            size=_json_size(obj) if sized else None,
            kind=semconv.EVENT_KIND_MESSAGE,
            task_id=obj.task_id or None,
            context_id=obj.context_id or None,
            message=message_facts(obj, sized=sized),
        )
    if kind == "status-update":
        return EventFacts(
            size=_json_size(obj) if sized else None,
            kind=semconv.EVENT_KIND_STATUS_UPDATE,
            task_id=obj.task_id or None,
            context_id=obj.context_id or None,
            state=state_name(obj.status),
            message=_status_message(obj.status, sized),
        )
    if kind == "artifact-update":
        return EventFacts(
            size=_json_size(obj) if sized else None,
            kind=semconv.EVENT_KIND_ARTIFACT_UPDATE,
            task_id=obj.task_id or None,
            context_id=obj.context_id or None,
            artifact=artifact_facts(obj.artifact, bool(obj.append), bool(obj.last_chunk)),
        )
    return None


def request_ids(request: Any) -> tuple[str | None, str | None, MessageFacts | None, str | None]:
    """(task id, context id, message, tenant) named by the params of any 0.3 method.

    ``MessageSendParams`` carries its ids on the message, read by the caller; the task
    methods name the task as ``id`` (``TaskPushNotificationConfig`` as ``task_id``). v0.3
    has no tenants.
    """
    if request is None or hasattr(request, "message") or hasattr(request, "jsonrpc"):
        return None, None, None, None  # a JSON-RPC envelope's id names the request, not a task
    task_id = getattr(request, "task_id", None) or getattr(request, "id", None) or None
    return (str(task_id) if task_id else None), None, None, None


def agent_facts(card: Any) -> AgentFacts:
    if card is None:
        return AgentFacts()
    return AgentFacts(
        name=getattr(card, "name", None) or None,
        version=getattr(card, "version", None) or None,
        description=getattr(card, "description", None) or None,
        url=getattr(card, "url", None) or None,
    )


def _a2a_error(exc: BaseException) -> Any:
    """The protocol error an exception stands for: a server's ``ServerError(error=...)`` or a
    JSON-RPC client's ``A2AClientJSONRPCError``; None for anything else."""
    error = getattr(exc, "error", None)
    if error is None or not isinstance(getattr(error, "code", None), int):
        return None
    return error


def _http_status(error: Any) -> int | None:
    module = sys.modules.get("a2a.utils.error_handlers")
    mapping = getattr(module, "A2AErrorToHttpStatus", None) or {}
    status = mapping.get(type(error))
    return status if isinstance(status, int) else None


def error_facts(exc: BaseException, binding: str | None, *, server: bool = False) -> ErrorFacts:
    """The protocol error's type and the code this binding puts on the wire for ``exc``."""
    error = _a2a_error(exc)
    rpc_code: str | None = None
    http_code: int | None = None
    error_type = type(exc).__qualname__
    message = str(exc)
    if error is not None:
        error_type = type(error).__name__
        if error_type == "JSONRPCError":
            error_type = ERROR_NAMES.get(error.code, error_type)
        message = str(getattr(error, "message", None) or message)
        if binding == semconv.BINDING_JSONRPC:
            rpc_code = str(error.code)
        elif binding == semconv.BINDING_GRPC:
            rpc_code = GRPC_STATUS.get(error_type, "UNKNOWN")
        elif binding == semconv.BINDING_HTTP_JSON:
            http_code = _http_status(error) or 500
    if rpc_code is None and http_code is None:
        status = getattr(exc, "status_code", None)  # A2AClientHTTPError
        if isinstance(status, int):
            http_code = status
        else:
            rpc_code, http_code = codes_from_causes(exc)
    if server and rpc_code is None and http_code is None:
        rpc_code, http_code = _SERVER_DEFAULT_CODES.get(binding, (None, None))
    return ErrorFacts(
        error_type=error_type, message=message, rpc_status_code=rpc_code, http_status_code=http_code
    )
