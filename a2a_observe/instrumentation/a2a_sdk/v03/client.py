"""CLIENT spans for the a2a-sdk 0.3 transports (JSON-RPC, REST, gRPC).

Every 0.3 client, the ``ClientFactory`` clients and the legacy ``A2AClient`` and
``A2AGrpcClient`` alike, ends in these transports, so the shared client hooks wrap them with
the 0.3 method names. Trace context reaches the wire as 0.3 carries per-call headers: HTTP
transports read ``context.state["http_kwargs"]`` (we hand them a copy of the caller's
context with our headers added); gRPC calls get it as metadata from the stub's methods,
while one of our gRPC client calls is current.
"""

from __future__ import annotations

import copy
from types import ModuleType
from typing import Any

import wrapt

from a2a_observe import semconv
from a2a_observe.instrumentation.a2a_sdk.client import ClientHooks, TransportSpec
from a2a_observe.instrumentation.a2a_sdk.line import Translator
from a2a_observe.instrumentation.a2a_sdk.v03 import translate
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.instrumentation.transport import url_address
from a2a_observe.observation.facts import CallFacts
from a2a_observe.observation.observer import active_call
from a2a_observe.safety import call_guarded

PROTOCOL_VERSION = "0.3"

TRANSPORTS = (
    TransportSpec("a2a.client.transports.jsonrpc", "JsonRpcTransport", semconv.BINDING_JSONRPC, "0.3"),
    TransportSpec("a2a.client.transports.rest", "RestTransport", semconv.BINDING_HTTP_JSON, "0.3"),
    TransportSpec("a2a.client.transports.grpc", "GrpcTransport", semconv.BINDING_GRPC, "0.3"),
)

TRANSPORT_METHODS: dict[str, str] = {
    "send_message": semconv.SEND_MESSAGE,
    "send_message_streaming": semconv.SEND_STREAMING_MESSAGE,
    "get_task": semconv.GET_TASK,
    "cancel_task": semconv.CANCEL_TASK,
    "resubscribe": semconv.SUBSCRIBE_TO_TASK,
    "set_task_callback": semconv.CREATE_TASK_PUSH_NOTIFICATION_CONFIG,
    "get_task_callback": semconv.GET_TASK_PUSH_NOTIFICATION_CONFIG,
    "get_card": semconv.GET_EXTENDED_AGENT_CARD,
}

WIRE_NAMES: dict[str, str] = {
    semconv.SEND_MESSAGE: "message/send",
    semconv.SEND_STREAMING_MESSAGE: "message/stream",
    semconv.GET_TASK: "tasks/get",
    semconv.CANCEL_TASK: "tasks/cancel",
    semconv.SUBSCRIBE_TO_TASK: "tasks/resubscribe",
    semconv.CREATE_TASK_PUSH_NOTIFICATION_CONFIG: "tasks/pushNotificationConfig/set",
    semconv.GET_TASK_PUSH_NOTIFICATION_CONFIG: "tasks/pushNotificationConfig/get",
    semconv.GET_EXTENDED_AGENT_CARD: "agent/getAuthenticatedExtendedCard",
}
"""The JSON-RPC method each transport method sends, kept as ``rpc.method_original``."""


def _card_url(card: Any, binding: str) -> str | None:
    """Where the card says this binding is served: its main URL, or an additional interface."""
    if card is None:
        return None
    wanted = {semconv.BINDING_GRPC: "GRPC", semconv.BINDING_HTTP_JSON: "HTTP+JSON"}.get(binding, "JSONRPC")
    if str(getattr(card, "preferred_transport", "") or "JSONRPC") == wanted:
        return getattr(card, "url", None) or None
    for interface in getattr(card, "additional_interfaces", None) or ():
        if str(getattr(interface, "transport", "")) == wanted:
            return getattr(interface, "url", None) or None
    return getattr(card, "url", None) or None


class _TracedRpc(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """One of the gRPC stub's methods, sending our trace context while one of our gRPC client
    calls is current. Early 0.3 transports pass no per-call metadata the caller could set, so
    the stub is the one place every 0.3 release sends through."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        traced = call_guarded("gRPC trace context", _with_trace_metadata, kwargs)
        return self.__wrapped__(*args, **(traced if traced is not None else kwargs))


def _with_trace_metadata(kwargs: dict[str, Any]) -> dict[str, Any]:
    call = active_call()
    if call is None or not call.is_client or call.facts.binding != semconv.BINDING_GRPC:
        return kwargs
    metadata = list(kwargs.get("metadata") or ())
    present = {str(key).lower() for key, _ in metadata}
    metadata.extend((k, v) for k, v in call.carrier().items() if k not in present)
    return {**kwargs, "metadata": metadata}


def _stub_init_wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = wrapped(*args, **kwargs)

    def trace_methods() -> None:
        for name, value in list(vars(instance).items()):
            if name[:1].isupper() and callable(value):
                setattr(instance, name, _TracedRpc(value))

    call_guarded("gRPC stub", trace_methods)
    return result


class ClientHooks03(ClientHooks):
    transports = TRANSPORTS
    methods = TRANSPORT_METHODS
    translator: Translator = translate

    def install(self, patches: Patches) -> None:
        super().install(patches)
        patches.when_imported("a2a.grpc.a2a_pb2_grpc", lambda module: self._patch_stub(patches, module))

    @staticmethod
    def _patch_stub(patches: Patches, module: ModuleType) -> None:
        patches.wrap(module.A2AServiceStub, "__init__", _stub_init_wrapper)

    def observes(self, method: str, transport: Any) -> bool:
        if method == semconv.GET_EXTENDED_AGENT_CARD:  # otherwise answered from the card it holds
            return bool(getattr(transport, "agent_card", None)) and bool(
                getattr(transport, "_needs_extended_card", False)
            )
        return True

    def call_facts(
        self, spec: TransportSpec, method: str, transport: Any, request: Any, kwargs: dict[str, Any]
    ) -> CallFacts:
        card = getattr(transport, "agent_card", None)
        url = getattr(transport, "url", None) or _card_url(card, spec.binding)
        host, port = url_address(url if isinstance(url, str) else None)
        task_id, context_id, _, _ = translate.request_ids(request)
        message = None
        if method in (semconv.SEND_MESSAGE, semconv.SEND_STREAMING_MESSAGE) and request is not None:
            message = translate.message_facts(request.message)
            task_id, context_id = message.task_id, message.context_id
        original = WIRE_NAMES.get(method) if spec.binding == semconv.BINDING_JSONRPC else None
        return CallFacts(
            method=method,
            binding=spec.binding,
            protocol_version=PROTOCOL_VERSION,
            original_method=original,
            agent=translate.agent_facts(card),
            task_id=task_id,
            context_id=context_id,
            message=message,
            server_address=host,
            server_port=port,
        )

    def traced_kwargs(self, kwargs: dict[str, Any], carrier: dict[str, str]) -> dict[str, Any]:
        """A copy of the caller's context whose ``http_kwargs`` headers carry ours."""
        context = kwargs.get("context")
        if context is None:
            from a2a.client.middleware import ClientCallContext  # noqa: PLC0415 - the instrumented library

            return {**kwargs, "context": ClientCallContext(state={"http_kwargs": {"headers": dict(carrier)}})}
        state = dict(context.state or {})
        http_kwargs = copy.copy(state.get("http_kwargs") or {})
        headers = dict(http_kwargs.get("headers") or {})
        headers.update(carrier)
        http_kwargs["headers"] = headers
        state["http_kwargs"] = http_kwargs
        return {**kwargs, "context": context.model_copy(update={"state": state})}
