"""The OpenTelemetry A2A semantic conventions (semantic-conventions-genai, ``docs/gen-ai/a2a.md``,
``model/a2a/*``) as checks on finished spans, shared by the conformance suites of both a2a-sdk
lines (``tests/instrumentation/test_conformance.py`` on 1.x, ``tests/sdk03/test_conformance.py``
on 0.3): the same convention, held to every library and line in one place.

Every CLIENT and SERVER span is held to the convention's span name and kind, its required and
conditionally required attributes, its recommended ones, their types and the enums; any value
outside an enum, and any attribute that is neither the convention's nor one of our documented
``a2a.*`` extensions, is a problem.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from a2a_observe import semconv
from tests.support.metrics import total

BINDINGS = [semconv.BINDING_JSONRPC, semconv.BINDING_HTTP_JSON, semconv.BINDING_GRPC]
VERSIONS = ["1.0", "0.3"]

# --- the convention -------------------------------------------------------------------------
CONVENTION = {
    # attribute: (type, requirement level) on A2A CLIENT and SERVER spans
    semconv.A2A_METHOD_NAME: (str, "required"),
    semconv.A2A_MESSAGE_ID: (str, "conditionally required"),
    semconv.A2A_TASK_ID: (str, "conditionally required"),
    semconv.A2A_TASK_STATE: (str, "conditionally required"),
    semconv.A2A_TENANT: (str, "conditionally required"),
    semconv.ERROR_TYPE: (str, "conditionally required"),
    semconv.GEN_AI_AGENT_NAME: (str, "conditionally required"),
    semconv.GEN_AI_AGENT_VERSION: (str, "conditionally required"),
    semconv.GEN_AI_AGENT_DESCRIPTION: (str, "conditionally required"),
    semconv.GEN_AI_CONVERSATION_ID: (str, "conditionally required"),
    semconv.A2A_MESSAGE_REFERENCE_TASK_IDS: (tuple, "recommended"),
    semconv.A2A_PROTOCOL_VERSION: (str, "recommended"),
    semconv.SERVER_ADDRESS: (str, "recommended"),
    semconv.SERVER_PORT: (int, "recommended"),
    semconv.CLIENT_ADDRESS: (str, "recommended, SERVER"),
    semconv.CLIENT_PORT: (int, "recommended, SERVER"),
}
EXTENSIONS = {
    semconv.A2A_PROTOCOL_BINDING,
    semconv.A2A_METHOD_ORIGINAL,
    semconv.A2A_MESSAGE_ROLE,
    semconv.A2A_MESSAGE_PARTS_COUNT,
    semconv.A2A_MESSAGE_PARTS_KINDS,
    semconv.A2A_MESSAGE_SIZE,
    semconv.A2A_RESPONSE_KIND,
    semconv.A2A_STREAM_EVENTS_COUNT,
    semconv.A2A_STREAM_TIME_TO_FIRST_EVENT,
    semconv.A2A_STREAM_END,
    semconv.A2A_AGENT_URL,
    semconv.URL_FULL,
}
ENUMS: dict[str, set[Any]] = {
    semconv.A2A_METHOD_NAME: {*semconv.A2A_METHODS, semconv.METHOD_OTHER},
    semconv.A2A_TASK_STATE: set(semconv.TASK_STATES),
    semconv.A2A_PROTOCOL_BINDING: {semconv.BINDING_JSONRPC, semconv.BINDING_HTTP_JSON, semconv.BINDING_GRPC},
    semconv.A2A_PROTOCOL_VERSION: {"1.0", "0.3"},
    semconv.A2A_STREAM_END: {
        semconv.STREAM_END_COMPLETED,
        semconv.STREAM_END_CLOSED_EARLY,
        semconv.STREAM_END_CANCELLED,
        semconv.STREAM_END_ERROR,
    },
    semconv.A2A_STREAM_EVENT_KIND: {
        semconv.EVENT_KIND_TASK,
        semconv.EVENT_KIND_MESSAGE,
        semconv.EVENT_KIND_STATUS_UPDATE,
        semconv.EVENT_KIND_ARTIFACT_UPDATE,
    },
}
GRPC_STATUS = re.compile(r"^[A-Z][A-Z_]+$")
WIRE_CODE = {
    semconv.BINDING_JSONRPC: re.compile(r"^-32\d{3}$"),
    semconv.BINDING_HTTP_JSON: re.compile(r"^[45]\d\d$"),
    semconv.BINDING_GRPC: GRPC_STATUS,
}
CANONICAL_NAME = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*$")
TASK_SCOPED = {semconv.GET_TASK, semconv.CANCEL_TASK, semconv.SUBSCRIBE_TO_TASK}
UNPARSED = {"-32700", "-32600", "-32601", "-32602"}
"""JSON-RPC's codes for requests refused before their params were read."""
REST_UNPARSED = {"1.0": "400", "0.3": "500"}
"""What HTTP+JSON answers a body that does not parse, by protocol version: 400 INVALID_ARGUMENT
on 1.x; the 0.3 SDK's error decorator answers 500 ``unknown exception``."""


def ours(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [
        s
        for s in spans
        if s.instrumentation_scope and s.instrumentation_scope.name == semconv.INSTRUMENTATION_SCOPE
    ]


def problems(span: ReadableSpan) -> list[str]:
    """Everything about one of our spans that the convention would not accept."""
    attrs = dict(span.attributes or {})
    out: list[str] = []
    where = f"{span.kind.name} {span.name}"
    if span.kind not in (SpanKind.CLIENT, SpanKind.SERVER):
        return [f"{where}: A2A instrumentations report A2A requests only, not {span.kind.name} spans"]
    if span.name == semconv.AGENT_CARD_SPAN:
        if semconv.A2A_METHOD_NAME in attrs:
            out.append(f"{where}: a card fetch is no protocol method")
    elif attrs.get(semconv.A2A_METHOD_NAME) != span.name:
        out.append(f"{where}: span name is not a2a.method.name ({attrs.get(semconv.A2A_METHOD_NAME)!r})")
    for key, value in attrs.items():
        if key not in CONVENTION and key not in EXTENSIONS:
            out.append(f"{where}: {key} is neither the convention's nor a documented extension")
            continue
        if key in CONVENTION:
            expected = CONVENTION[key][0]
            if not isinstance(value, expected) or isinstance(value, bool):
                out.append(f"{where}: {key}={value!r} is not {expected.__name__}")
            if key in (semconv.CLIENT_ADDRESS, semconv.CLIENT_PORT) and span.kind != SpanKind.SERVER:
                out.append(f"{where}: {key} belongs on SERVER spans")
        if key in ENUMS and value not in ENUMS[key]:
            out.append(f"{where}: {key}={value!r} is outside the enum")
    for port, address in (
        (semconv.SERVER_PORT, semconv.SERVER_ADDRESS),
        (semconv.CLIENT_PORT, semconv.CLIENT_ADDRESS),
    ):
        if port in attrs and address not in attrs:
            out.append(f"{where}: {port} without {address}")
    failed = span.status.status_code == StatusCode.ERROR
    if failed != (semconv.ERROR_TYPE in attrs):
        out.append(f"{where}: error.type must be set if and only if the operation failed")
    error_type = attrs.get(semconv.ERROR_TYPE)
    if error_type is not None and not (
        WIRE_CODE[semconv.BINDING_JSONRPC].match(str(error_type))
        or WIRE_CODE[semconv.BINDING_HTTP_JSON].match(str(error_type))
        or GRPC_STATUS.match(str(error_type))
        or CANONICAL_NAME.match(str(error_type))
    ):
        out.append(f"{where}: error.type={error_type!r} is no wire code and no exception name")
    binding = attrs.get(semconv.A2A_PROTOCOL_BINDING)
    server = span.kind == SpanKind.SERVER
    if (
        error_type is not None
        and server
        and binding in WIRE_CODE
        and not WIRE_CODE[binding].match(str(error_type))
    ):
        out.append(f"{where}: error.type={error_type!r} is not the {binding} code the server answered")
    method = attrs.get(semconv.A2A_METHOD_NAME)
    version = attrs.get(semconv.A2A_PROTOCOL_VERSION)
    if error_type in UNPARSED or (
        binding == semconv.BINDING_HTTP_JSON and error_type == REST_UNPARSED.get(str(version))
    ):
        return out  # the request was refused unread: it names no message or task the SDK took
    if (
        method in (semconv.SEND_MESSAGE, semconv.SEND_STREAMING_MESSAGE)
        and semconv.A2A_MESSAGE_ID not in attrs
    ):
        out.append(f"{where}: a request with a message needs a2a.message.id")
    if method in TASK_SCOPED and semconv.A2A_TASK_ID not in attrs:
        out.append(f"{where}: a task-scoped request needs a2a.task.id")
    for event in span.events:
        event_attrs = dict(event.attributes or {})
        for key in (semconv.A2A_TASK_STATE, semconv.A2A_STREAM_EVENT_KIND):
            if key in event_attrs and event_attrs[key] not in ENUMS[key]:
                out.append(f"{where}: event {event.name} {key}={event_attrs[key]!r} is outside the enum")
    return out


def assert_conforms(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    mine = ours(spans)
    assert mine, "no spans of ours to check"
    found = [p for span in mine for p in problems(span)]
    assert found == [], "\n".join(found)
    return mine


def calls(spans: list[ReadableSpan], kind: SpanKind) -> list[ReadableSpan]:
    return [s for s in ours(spans) if s.kind == kind and s.name != semconv.AGENT_CARD_SPAN]


def assert_send_pair(
    send_client: ReadableSpan,
    send_server: ReadableSpan,
    task_id: str,
    version: str,
    agent: tuple[str, str, str],
    references: bool = True,
) -> None:
    """What the convention asks of a SendMessage that created and completed a task, on both
    sides: ids, state, protocol version, the agent's name, version and description, and the
    peers' addresses. ``references``: whether the server could see the message's
    ``referenceTaskIds`` (the v0.3 protobuf Message has none)."""
    for span in (send_client, send_server):
        attrs = span.attributes or {}
        assert attrs[semconv.A2A_TASK_ID] == task_id
        assert attrs[semconv.A2A_TASK_STATE] == semconv.TASK_STATE_COMPLETED
        if span.kind == SpanKind.CLIENT or references:
            assert attrs[semconv.A2A_MESSAGE_REFERENCE_TASK_IDS] == ("earlier-task",)
        assert attrs[semconv.A2A_PROTOCOL_VERSION] == version
        assert semconv.GEN_AI_CONVERSATION_ID in attrs
        assert (
            attrs[semconv.GEN_AI_AGENT_NAME],
            attrs[semconv.GEN_AI_AGENT_VERSION],
            attrs[semconv.GEN_AI_AGENT_DESCRIPTION],
        ) == agent
    client_attrs, server_attrs = send_client.attributes or {}, send_server.attributes or {}
    assert client_attrs[semconv.SERVER_ADDRESS] == "127.0.0.1"
    assert isinstance(client_attrs[semconv.SERVER_PORT], int)
    assert server_attrs[semconv.CLIENT_ADDRESS] == "127.0.0.1"
    assert isinstance(server_attrs[semconv.CLIENT_PORT], int)


def server_states(span: ReadableSpan) -> list[Any]:
    """The agent's states, as events of the SERVER span."""
    return [
        (e.attributes or {})[semconv.A2A_TASK_STATE]
        for e in span.events
        if e.name == semconv.EVENT_TASK_STATUS
    ]


def assert_rejected(spans: list[ReadableSpan], method: str, code: str) -> ReadableSpan:
    """The one SERVER span of a request refused before the handler: named by the method the
    body names (else ``_OTHER``), failed, with the wire code as ``error.type``."""
    [server] = assert_conforms(spans)
    attrs = server.attributes or {}
    assert (server.kind, server.name, attrs[semconv.A2A_METHOD_NAME]) == (SpanKind.SERVER, method, method)
    assert attrs[semconv.ERROR_TYPE] == code
    assert attrs[semconv.CLIENT_ADDRESS] == "127.0.0.1"
    assert server.status.status_code == StatusCode.ERROR
    return server


def assert_refused(spans: Any, url: str, body: bytes, method: str, code: str, version: str) -> None:
    """POST ``body`` to a JSON-RPC endpoint that refuses it before any handler: the answer has
    ``code``; one SERVER span says so (see ``assert_rejected``), with the protocol version the
    request asked for (``A2A-Version``, 0.3 when absent) and the wire name of the method when
    it is not the 1.0 name; the server's duration metric counts it under the code."""
    before = total(semconv.METRIC_RPC_SERVER_DURATION, **{semconv.ERROR_TYPE: code})
    headers = {"content-type": "application/json"}
    if version != "0.3":
        headers["A2A-Version"] = version
    answer = httpx.post(url, content=body, headers=headers)
    assert answer.json()["error"]["code"] == int(code)
    got = spans.wait(lambda found: bool(calls(found, SpanKind.SERVER)))
    attrs = assert_rejected(got, method, code).attributes or {}
    assert attrs[semconv.A2A_PROTOCOL_VERSION] == version
    wire = re.search(rb'"method": "([^"]+)"', body)
    if wire is not None and wire.group(1).decode() != method:
        assert attrs[semconv.A2A_METHOD_ORIGINAL] == wire.group(1).decode()
    assert total(semconv.METRIC_RPC_SERVER_DURATION, **{semconv.ERROR_TYPE: code}) - before == 1


def assert_rest_refused(
    spans: Any, url: str, body: bytes, method: str, status: str, version: str | None
) -> None:
    """POST ``body`` to an HTTP+JSON endpoint that refuses it before any handler: the answer
    has HTTP ``status``; one SERVER span names the method and says so (see
    ``assert_rejected``), with the protocol version asked for (0.3 when absent); the server's
    duration metric counts it under the status."""
    before = total(semconv.METRIC_RPC_SERVER_DURATION, **{semconv.ERROR_TYPE: status})
    headers = {"content-type": "application/json"}
    if version is not None:
        headers["A2A-Version"] = version
    answer = httpx.post(url, content=body, headers=headers)
    assert str(answer.status_code) == status, answer.text
    got = spans.wait(lambda found: bool(calls(found, SpanKind.SERVER)))
    attrs = assert_rejected(got, method, status).attributes or {}
    assert attrs[semconv.A2A_PROTOCOL_BINDING] == semconv.BINDING_HTTP_JSON
    assert attrs[semconv.A2A_PROTOCOL_VERSION] == (version or "0.3")
    assert total(semconv.METRIC_RPC_SERVER_DURATION, **{semconv.ERROR_TYPE: status}) - before == 1


REST_REFUSALS = [
    (b"{not json", semconv.SEND_MESSAGE, "400"),
    (b'{"message": 5}', semconv.SEND_MESSAGE, "400"),
]
"""HTTP+JSON SendMessage bodies an endpoint refuses before any handler: ``(body, a2a.method.name,
error.type)``."""


def refusals(
    send: str, get: str, unknown: str, unversioned: str, bad_params: str
) -> list[tuple[bytes, str, str]]:
    """JSON-RPC bodies an endpoint refuses before any handler, as ``(body, a2a.method.name,
    error.type)``, with the endpoint's wire names for SendMessage and GetTask, an unknown method
    name, and the codes the endpoint gives a body without ``"jsonrpc"`` and GetTask params that
    do not validate. The method is named whenever the body names one."""

    def body(**fields: Any) -> bytes:
        return json.dumps(fields).encode()

    return [
        (b"{not json", semconv.METHOD_OTHER, "-32700"),
        (body(id=1, method=send, params={}), semconv.SEND_MESSAGE, unversioned),
        (body(jsonrpc="2.0", id=2, method=unknown, params={}), semconv.METHOD_OTHER, "-32601"),
        (
            body(jsonrpc="2.0", id=3, method=get, params={"id": {"not": "a string"}}),
            semconv.GET_TASK,
            bad_params,
        ),
    ]


def all_answered(spans: list[ReadableSpan], count: int) -> bool:
    """At least ``count`` CLIENT spans, each with its SERVER span: the exercise has settled."""
    clients = calls(spans, SpanKind.CLIENT)
    parents = {s.parent.span_id for s in calls(spans, SpanKind.SERVER) if s.parent is not None}
    return len(clients) >= count and all(c.context.span_id in parents for c in clients)


def assert_exercise(
    mine: list[ReadableSpan],
    binding: str,
    task_id: str,
    version: str,
    agent: tuple[str, str, str],
    references: bool,
) -> tuple[ReadableSpan, ReadableSpan]:
    """What the convention asks of the calls that have it, after an exercise that sent the
    echo agent a message (task ``task_id``) and asked for a task that does not exist: the
    SendMessage pair (see ``assert_send_pair``), the wire code on both sides of the failed
    GetTask, and the agent's states as events of the SERVER span. The SendMessage pair."""
    [send_client] = [s for s in calls(mine, SpanKind.CLIENT) if s.name == semconv.SEND_MESSAGE][:1]
    [send_server] = [
        s
        for s in calls(mine, SpanKind.SERVER)
        if s.name == semconv.SEND_MESSAGE and (s.attributes or {}).get(semconv.A2A_TASK_ID) == task_id
    ]
    assert_send_pair(send_client, send_server, task_id, version, agent, references)
    missing = [s for s in mine if (s.attributes or {}).get(semconv.A2A_TASK_ID) == "no-such-task"]
    assert {s.kind for s in missing} == {SpanKind.CLIENT, SpanKind.SERVER}
    for span in missing:
        assert WIRE_CODE[binding].match(str((span.attributes or {})[semconv.ERROR_TYPE])), span.attributes
    assert server_states(send_server) == [
        semconv.TASK_STATE_SUBMITTED,
        semconv.TASK_STATE_WORKING,
        semconv.TASK_STATE_COMPLETED,
    ]
    return send_client, send_server
