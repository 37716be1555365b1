"""Every span, attribute, event and metric name that a2a-observe emits.

Instrumentation, the store, replay and the dashboards import these names from here and never
retype them, so renaming one is a one-line change and a typo cannot split a signal in two.
Names and values follow the OpenTelemetry A2A semantic conventions (semantic-conventions-genai,
``docs/gen-ai/a2a.md``), the GenAI agent conventions and ``error.type``; the rest are ours and
live under ``a2a.``. The value rules (task states, ``error.type``) live here too, so every
adapter hands over facts and every reader of old stores maps them the same way.
``docs/semconv.md`` documents every name; ``tests/test_semconv.py`` keeps the two in step.
"""

from __future__ import annotations

from typing import Final

# --- Instrumentation scope -------------------------------------------------------------------
INSTRUMENTATION_SCOPE: Final = "a2a_observe"
"""Tracer and meter name; the store tells our spans from other libraries' by it."""

# --- A2A methods (v1.0 names; also the span names of CLIENT and SERVER spans) ----------------
SEND_MESSAGE: Final = "SendMessage"
SEND_STREAMING_MESSAGE: Final = "SendStreamingMessage"
GET_TASK: Final = "GetTask"
LIST_TASKS: Final = "ListTasks"
CANCEL_TASK: Final = "CancelTask"
SUBSCRIBE_TO_TASK: Final = "SubscribeToTask"
CREATE_TASK_PUSH_NOTIFICATION_CONFIG: Final = "CreateTaskPushNotificationConfig"
GET_TASK_PUSH_NOTIFICATION_CONFIG: Final = "GetTaskPushNotificationConfig"
LIST_TASK_PUSH_NOTIFICATION_CONFIGS: Final = "ListTaskPushNotificationConfigs"
DELETE_TASK_PUSH_NOTIFICATION_CONFIG: Final = "DeleteTaskPushNotificationConfig"
GET_EXTENDED_AGENT_CARD: Final = "GetExtendedAgentCard"
GET_AGENT_CARD: Final = "GetAgentCard"
"""What adapters call fetching the public agent card. Not a protocol method: the span is named
``AGENT_CARD_SPAN`` and carries no ``a2a.method.name``, and no method metric counts it."""
AGENT_CARD_SPAN: Final = "a2a.agent_card.fetch"
"""The span of a public agent card fetch (CLIENT) or of serving one (SERVER)."""

A2A_METHODS: Final = (
    SEND_MESSAGE,
    SEND_STREAMING_MESSAGE,
    GET_TASK,
    LIST_TASKS,
    CANCEL_TASK,
    SUBSCRIBE_TO_TASK,
    CREATE_TASK_PUSH_NOTIFICATION_CONFIG,
    GET_TASK_PUSH_NOTIFICATION_CONFIG,
    LIST_TASK_PUSH_NOTIFICATION_CONFIGS,
    DELETE_TASK_PUSH_NOTIFICATION_CONFIG,
    GET_EXTENDED_AGENT_CARD,
)
"""The protocol's methods: the well-known values of ``a2a.method.name``."""
METHOD_OTHER: Final = "_OTHER"
"""``a2a.method.name`` (and span name) of a request naming no protocol method, as the HTTP
conventions spell an unknown method; the wire name goes to ``a2a.method.original``."""
STREAMING_METHODS: Final = frozenset({SEND_STREAMING_MESSAGE, SUBSCRIBE_TO_TASK})

V03_METHOD_NAMES: Final = {
    "message/send": SEND_MESSAGE,
    "message/stream": SEND_STREAMING_MESSAGE,
    "tasks/get": GET_TASK,
    "tasks/list": LIST_TASKS,
    "tasks/cancel": CANCEL_TASK,
    "tasks/resubscribe": SUBSCRIBE_TO_TASK,
    "tasks/pushNotificationConfig/set": CREATE_TASK_PUSH_NOTIFICATION_CONFIG,
    "tasks/pushNotificationConfig/get": GET_TASK_PUSH_NOTIFICATION_CONFIG,
    "tasks/pushNotificationConfig/list": LIST_TASK_PUSH_NOTIFICATION_CONFIGS,
    "tasks/pushNotificationConfig/delete": DELETE_TASK_PUSH_NOTIFICATION_CONFIG,
    "agent/getAuthenticatedExtendedCard": GET_EXTENDED_AGENT_CARD,
    "agent/getExtendedAgentCard": GET_EXTENDED_AGENT_CARD,
    # python-a2a and other pre-0.3 peers
    "tasks/send": SEND_MESSAGE,
    "tasks/sendSubscribe": SEND_STREAMING_MESSAGE,
}
"""Protocol v0.3 (and older) JSON-RPC method names mapped to the v1.0 span name."""

# --- Agent spans (GenAI agent conventions) ---------------------------------------------------
OPERATION_INVOKE_AGENT: Final = "invoke_agent"
OPERATION_CANCEL_AGENT: Final = "cancel_agent"
"""Written by earlier versions around the agent's cancel hook; still read from old stores."""
PROVIDER_DEFAULT: Final = "a2a"
"""``gen_ai.provider.name`` of an opted-in agent span when ``A2A_OBSERVE_AGENT_PROVIDER`` is unset:
a plain ``AgentExecutor`` names no GenAI provider."""


def agent_span_name(operation: str, agent_name: str | None) -> str:
    """``invoke_agent {gen_ai.agent.name}`` as the GenAI conventions spell it."""
    return f"{operation} {agent_name}" if agent_name else operation


# --- Attributes: the A2A span conventions ---------------------------------------------------
A2A_METHOD_NAME: Final = "a2a.method.name"
A2A_TASK_ID: Final = "a2a.task.id"
A2A_TASK_STATE: Final = "a2a.task.state"
A2A_MESSAGE_ID: Final = "a2a.message.id"
A2A_PROTOCOL_VERSION: Final = "a2a.protocol.version"
A2A_TENANT: Final = "a2a.tenant"
A2A_MESSAGE_REFERENCE_TASK_IDS: Final = "a2a.message.reference_task_ids"

# --- Attributes: ours, beyond the conventions (extensions) -------------------------------------
A2A_PROTOCOL_BINDING: Final = "a2a.protocol.binding"
"""The A2A transport: ``JSONRPC``, ``HTTP+JSON`` or ``GRPC`` (the agent card's spelling)."""
A2A_MESSAGE_ROLE: Final = "a2a.message.role"
A2A_MESSAGE_PARTS_COUNT: Final = "a2a.message.parts.count"
A2A_MESSAGE_PARTS_KINDS: Final = "a2a.message.parts.kinds"
A2A_MESSAGE_SIZE: Final = "a2a.message.size"
"""Bytes of the serialised message; recorded without content capture."""
A2A_RESPONSE_KIND: Final = "a2a.response.kind"
"""What a call returned: ``task``, ``message``, ``stream`` or ``none``."""
A2A_ARTIFACT_ID: Final = "a2a.artifact.id"
A2A_ARTIFACT_NAME: Final = "a2a.artifact.name"
A2A_ARTIFACT_APPEND: Final = "a2a.artifact.append"
A2A_ARTIFACT_LAST_CHUNK: Final = "a2a.artifact.last_chunk"
A2A_ARTIFACT_PARTS_COUNT: Final = "a2a.artifact.parts.count"
A2A_STREAM_EVENT_KIND: Final = "a2a.stream.event.kind"
A2A_STREAM_EVENT_INDEX: Final = "a2a.stream.event.index"
A2A_STREAM_EVENTS_COUNT: Final = "a2a.stream.events.count"
A2A_STREAM_TIME_TO_FIRST_EVENT: Final = "a2a.stream.time_to_first_event"
"""Seconds from the start of the call to the first stream event."""
A2A_STREAM_END: Final = "a2a.stream.end"
"""How a stream ended: ``completed``, ``closed_early``, ``cancelled`` or ``error``."""
A2A_CONTENT: Final = "a2a.content"
"""The captured parts (JSON), only when content capture is on."""
A2A_CONTENT_TRUNCATED: Final = "a2a.content.truncated"
A2A_TASK_FINAL: Final = "a2a.task.final"
"""True on the state change that ends a task (terminal or interrupted)."""
A2A_AGENT_URL: Final = "a2a.agent.url"
A2A_METHOD_ORIGINAL: Final = "a2a.method.original"
"""The method as sent on the wire when it differs from ``a2a.method.name`` (v0.3 names)."""

# --- Attributes: GenAI -------------------------------------------------------------------------
GEN_AI_CONVERSATION_ID: Final = "gen_ai.conversation.id"
GEN_AI_USAGE_PREFIX: Final = "gen_ai.usage."
"""Token counts (and cost, where a framework reports it) of model calls, e.g. ``input_tokens``."""
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
"""The A2A contextId."""
GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
GEN_AI_AGENT_VERSION: Final = "gen_ai.agent.version"
GEN_AI_AGENT_DESCRIPTION: Final = "gen_ai.agent.description"
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"

# --- Attributes: RPC, HTTP, network, errors ---------------------------------------------------
RPC_SYSTEM_NAME: Final = "rpc.system.name"
RPC_METHOD: Final = "rpc.method"
"""``rpc.system.name`` and ``rpc.method`` label the ``rpc.*.call.duration`` metrics only; A2A
spans leave ``rpc.*`` to the transport's own spans."""
RPC_METHOD_ORIGINAL: Final = "rpc.method_original"
"""Written on spans by earlier versions; read from old stores as ``a2a.method.original``."""
RPC_RESPONSE_STATUS_CODE: Final = "rpc.response.status_code"
"""JSON-RPC error code (``-32001``) or gRPC status name (``NOT_FOUND``), as a string: a label
of ``a2a.errors`` beside ``error.type``."""
HTTP_RESPONSE_STATUS_CODE: Final = "http.response.status_code"
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
CLIENT_ADDRESS: Final = "client.address"
CLIENT_PORT: Final = "client.port"
URL_FULL: Final = "url.full"
ERROR_TYPE: Final = "error.type"

RPC_SYSTEM_JSONRPC: Final = "jsonrpc"
RPC_SYSTEM_GRPC: Final = "grpc"
RPC_SYSTEM_HTTP: Final = "http"

BINDING_JSONRPC: Final = "JSONRPC"
BINDING_HTTP_JSON: Final = "HTTP+JSON"
BINDING_GRPC: Final = "GRPC"

BINDING_RPC_SYSTEM: Final = {
    BINDING_JSONRPC: RPC_SYSTEM_JSONRPC,
    BINDING_HTTP_JSON: RPC_SYSTEM_HTTP,
    BINDING_GRPC: RPC_SYSTEM_GRPC,
}

# --- Task states (the convention's enum: the protocol's proto names) ------------------------
TASK_STATE_SUBMITTED: Final = "TASK_STATE_SUBMITTED"
TASK_STATE_WORKING: Final = "TASK_STATE_WORKING"
TASK_STATE_INPUT_REQUIRED: Final = "TASK_STATE_INPUT_REQUIRED"
TASK_STATE_AUTH_REQUIRED: Final = "TASK_STATE_AUTH_REQUIRED"
TASK_STATE_COMPLETED: Final = "TASK_STATE_COMPLETED"
TASK_STATE_CANCELED: Final = "TASK_STATE_CANCELED"
TASK_STATE_FAILED: Final = "TASK_STATE_FAILED"
TASK_STATE_REJECTED: Final = "TASK_STATE_REJECTED"
TASK_STATE_UNSPECIFIED: Final = "TASK_STATE_UNSPECIFIED"
TASK_STATES: Final = (
    TASK_STATE_SUBMITTED,
    TASK_STATE_WORKING,
    TASK_STATE_INPUT_REQUIRED,
    TASK_STATE_AUTH_REQUIRED,
    TASK_STATE_COMPLETED,
    TASK_STATE_CANCELED,
    TASK_STATE_FAILED,
    TASK_STATE_REJECTED,
    TASK_STATE_UNSPECIFIED,
)
"""Every value ``a2a.task.state`` may take."""
TERMINAL_TASK_STATES: Final = frozenset(
    {TASK_STATE_COMPLETED, TASK_STATE_CANCELED, TASK_STATE_FAILED, TASK_STATE_REJECTED}
)
INTERRUPTED_TASK_STATES: Final = frozenset({TASK_STATE_INPUT_REQUIRED, TASK_STATE_AUTH_REQUIRED})

_STATE_SPELLINGS: Final = {
    **{state: state for state in TASK_STATES},
    **{state.removeprefix("TASK_STATE_").lower().replace("_", "-"): state for state in TASK_STATES},
    "cancelled": TASK_STATE_CANCELED,
    "waiting": TASK_STATE_WORKING,
    "unknown": TASK_STATE_UNSPECIFIED,
}
"""Every spelling a library or an older store uses: the proto names, the v0.3 JSON names
(``input-required``, written by earlier versions of a2a-observe too), python-a2a's own."""


def task_state(raw: object) -> str | None:
    """The convention's value for a task state however a library or an old store spells it.

    ``None`` when there is no state; a spelling nobody defines becomes ``TASK_STATE_UNSPECIFIED``,
    so no value outside the enum ever reaches a span, a metric or a replay.
    """
    if raw is None:
        return None
    text = str(getattr(raw, "value", raw)).strip()
    if not text:
        return None
    found = _STATE_SPELLINGS.get(text) or _STATE_SPELLINGS.get(text.lower())
    if found is None:
        found = _STATE_SPELLINGS.get(text.upper().replace("-", "_"), TASK_STATE_UNSPECIFIED)
    return found


def state_label(state: str) -> str:
    """A state as people read and type it (``input-required``), whatever spelling it is stored in:
    screens show it where the convention's ``TASK_STATE_INPUT_REQUIRED`` would not fit."""
    return state.lower().removeprefix("task_state_").replace("_", "-")


def error_type(rpc_status_code: str | None, http_status_code: int | None, name: str) -> str:
    """``error.type`` as the A2A convention wants it: the wire code when one was returned (the
    JSON-RPC code, gRPC status or HTTP status, as a string), else the exception's name."""
    if rpc_status_code:
        return str(rpc_status_code)
    if http_status_code is not None:
        return str(http_status_code)
    return name or ERROR_TYPE_OTHER


def exception_name(exc: BaseException) -> str:
    """The canonical name of an exception's class: qualified by its module, except builtins."""
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"


ERROR_TYPE_OTHER: Final = "_OTHER"
"""The convention's fallback ``error.type`` when nothing names the error."""

# --- Stream event kinds -----------------------------------------------------------------------
EVENT_KIND_TASK: Final = "task"
EVENT_KIND_MESSAGE: Final = "message"
EVENT_KIND_STATUS_UPDATE: Final = "status-update"
EVENT_KIND_ARTIFACT_UPDATE: Final = "artifact-update"

STREAM_END_COMPLETED: Final = "completed"
STREAM_END_CLOSED_EARLY: Final = "closed_early"
STREAM_END_CANCELLED: Final = "cancelled"
STREAM_END_ERROR: Final = "error"

# --- Span events ------------------------------------------------------------------------------
EVENT_STREAM: Final = "a2a.stream.event"
"""One event received (client) or sent (server) on a stream."""
EVENT_TASK_STATUS: Final = "a2a.task.status"
"""The agent moved its task to a state (on the SERVER span; on the agent span when opted in)."""
EVENT_ARTIFACT: Final = "a2a.artifact"
"""The agent produced an artifact or an artifact chunk."""
EVENT_EXCEPTION: Final = "exception"
"""The OpenTelemetry SDK's ``record_exception`` event (with ``exception.type`` and
``exception.message``); without an agent span, what the agent raised is one on the SERVER span."""
EXCEPTION_TYPE: Final = "exception.type"
EXCEPTION_MESSAGE: Final = "exception.message"
EVENT_MESSAGE: Final = "a2a.message"
"""A message sent or received; carries content only when capture is on."""

# --- Log events -------------------------------------------------------------------------------
EVENT_SPAN_START: Final = "a2a_observe.span.start"
"""Log record of a SERVER or agent span still open ``A2A_OBSERVE_SPAN_START_DELAY`` after it
started (with its start time), so work in progress is visible before its span ends (a span is
exported only once it has ended)."""
SPAN_START_NAME: Final = "a2a_observe.span.name"
SPAN_START_KIND: Final = "a2a_observe.span.kind"
SPAN_START_PARENT: Final = "a2a_observe.span.parent_span_id"
EVENT_RUN_CONTINUES: Final = "a2a_observe.agent_run.continues"
"""Log record emitted when the SERVER span of a request ends while the agent's run on it goes
on (a non-blocking SendMessage) and no agent span covers the run: the run is in progress, as
the start of an ``invoke_agent`` span would say. Its trace and span ids are the SERVER span's;
its time is when the run started."""
EVENT_RUN_END: Final = "a2a_observe.agent_run.end"
"""Log record emitted when a run announced by ``EVENT_RUN_CONTINUES`` ends."""
LATE_EVENTS: Final = frozenset({EVENT_TASK_STATUS, EVENT_ARTIFACT, EVENT_MESSAGE})
"""Span events that, once the SERVER span they belong to has ended, are emitted as log records
of the same name, with that span's trace and span ids (what an agent does in the background
after a non-blocking SendMessage answered)."""

# --- Metrics (recorded by the metrics module) -------------------------------------------------
METRIC_RPC_CLIENT_DURATION: Final = "rpc.client.call.duration"
METRIC_RPC_SERVER_DURATION: Final = "rpc.server.call.duration"
METRIC_SERVER_ACTIVE_REQUESTS: Final = "a2a.server.active_requests"
METRIC_TASK_TRANSITIONS: Final = "a2a.task.transitions"
METRIC_TASK_DURATION: Final = "a2a.task.duration"
METRIC_TASK_ACTIVE: Final = "a2a.task.active"
METRIC_STREAM_EVENTS: Final = "a2a.stream.events"
METRIC_STREAM_TIME_TO_FIRST_EVENT: Final = "a2a.stream.time_to_first_event"
METRIC_STREAM_DURATION: Final = "a2a.stream.duration"
METRIC_STREAM_ACTIVE: Final = "a2a.stream.active"
METRIC_REQUEST_SIZE: Final = "a2a.request.size"
METRIC_RESPONSE_SIZE: Final = "a2a.response.size"
METRIC_ERRORS: Final = "a2a.errors"

A2A_CALL_SIDE: Final = "a2a.call.side"
"""On metrics a process records as both caller and agent: ``client`` or ``server``."""
SIDE_CLIENT: Final = "client"
SIDE_SERVER: Final = "server"

DURATION_BUCKETS: Final = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
)
"""Seconds: agent calls take milliseconds (a cache hit) to minutes (a long LLM task)."""
SIZE_BUCKETS: Final = (128, 512, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216)
"""Bytes: a one-word message to a multi-megabyte artifact."""

# --- Configuration (environment variables) ----------------------------------------------------
ENV_DISABLED: Final = "A2A_OBSERVE_DISABLED"
ENV_CAPTURE_CONTENT: Final = "A2A_OBSERVE_CAPTURE_CONTENT"
ENV_GENAI_CAPTURE_CONTENT: Final = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
ENV_MAX_CONTENT_LENGTH: Final = "A2A_OBSERVE_MAX_CONTENT_LENGTH"
ENV_MAX_ATTRIBUTE_LENGTH: Final = "A2A_OBSERVE_MAX_ATTRIBUTE_LENGTH"
ENV_RECORD_ERROR_MESSAGES: Final = "A2A_OBSERVE_RECORD_ERROR_MESSAGES"
"""``true`` keeps exception messages and error descriptions (redacted) with content capture off."""
ENV_SHUTDOWN_TIMEOUT: Final = "A2A_OBSERVE_SHUTDOWN_TIMEOUT"
"""Seconds exporting may hold up an exiting app (default 5) when the endpoint is down."""
ENV_REDACT_PATTERNS: Final = "A2A_OBSERVE_REDACT_PATTERNS"
"""More regular expressions to redact from recorded text: one, or a JSON array of them."""
ENV_SDK_SPANS: Final = "A2A_OBSERVE_SDK_SPANS"
ENV_CONFIGURE_PROVIDERS: Final = "A2A_OBSERVE_CONFIGURE_PROVIDERS"
ENV_OTEL_DISABLED_INSTRUMENTATIONS: Final = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
ENV_SPAN_STARTS: Final = "A2A_OBSERVE_SPAN_STARTS"
"""``false`` keeps ``instrument()`` from logging the start of SERVER and agent spans (on by
default wherever an SDK logger provider exports logs)."""
ENV_SPAN_START_DELAY: Final = "A2A_OBSERVE_SPAN_START_DELAY"
"""Seconds a SERVER or agent span must stay open before its start is logged (default 0.5; 0
logs every start at once): a call that ends sooner needs no record of its start."""
ENV_AGENT_SPANS: Final = "A2A_OBSERVE_AGENT_SPANS"
"""``true`` adds an ``invoke_agent {name}`` INTERNAL span around a plain ``AgentExecutor``."""
ENV_AGENT_PROVIDER: Final = "A2A_OBSERVE_AGENT_PROVIDER"
"""``gen_ai.provider.name`` of those agent spans."""
ENV_SEMCONV_STABILITY_OPT_IN: Final = "OTEL_SEMCONV_STABILITY_OPT_IN"
SEMCONV_GEN_AI_LATEST_EXPERIMENTAL: Final = "gen_ai_latest_experimental"
"""The ``OTEL_SEMCONV_STABILITY_OPT_IN`` value that selects the latest GenAI conventions."""
INSTRUMENTATION_NAME: Final = "a2a"
"""The name in ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` and the entry point."""

# --- Exceptions (OpenTelemetry's exception semantic conventions) ---------------------------------
EXCEPTION_STACKTRACE: Final = "exception.stacktrace"

# --- Resource attributes the store reads -------------------------------------------------------
SERVICE_NAME: Final = "service.name"

# --- Store and collector settings (environment variables) -------------------------------------
ENV_STORE: Final = "A2A_OBSERVE_STORE"
"""A DuckDB file: when set, ``a2a_observe.auto`` also writes spans and logs there."""
ENV_COLLECT_TOKEN: Final = "A2A_OBSERVE_COLLECT_TOKEN"
"""Bearer token that ``a2a-observe collect`` requires and snapshot readers send."""
ENV_COLLECT_TOKEN_FILE: Final = "A2A_OBSERVE_COLLECT_TOKEN_FILE"
"""A file holding that token (readable by its owner only); wins over the token itself."""
ENV_CLICKHOUSE_PASSWORD: Final = "A2A_OBSERVE_CLICKHOUSE_PASSWORD"
"""The ClickHouse password when a ``clickhouse://`` store URL has none (a URL on the command
line is visible to other users in ps)."""

# --- Log record fields (the logs module adds them to every line) -----------------------------
LOG_TRACE_ID: Final = "trace_id"
"""The current trace, 32 lower-case hex digits (W3C form); with ``a2a.task.id``,
``gen_ai.conversation.id`` and ``gen_ai.agent.name`` when an A2A call or agent run is current."""
LOG_SPAN_ID: Final = "span_id"
"""The current span, 16 lower-case hex digits."""
ENV_LOG_FORMAT: Final = "A2A_OBSERVE_LOG_FORMAT"
"""``json`` or ``console`` for ``configure_logging()``; unset: console on a terminal, else JSON."""
