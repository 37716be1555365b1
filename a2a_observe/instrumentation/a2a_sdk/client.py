"""CLIENT spans for every a2a-sdk client transport, v1.0 and the v0.3 compat layer.

The transports are the narrowest place every client call crosses exactly once with its
binding known, so that is where we wrap. Trace context goes out through
``ClientCallContext.service_parameters``, which all six transports copy into HTTP headers
or gRPC metadata; we hand the transport a copy of the caller's context, never the original.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from a2a_observe import semconv
from a2a_observe.instrumentation.a2a_sdk import translate
from a2a_observe.instrumentation.a2a_sdk.line import Translator
from a2a_observe.instrumentation.a2a_sdk.outcomes import Outcomes
from a2a_observe.instrumentation.common import observe_async_stream, run_async
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.instrumentation.transport import A2A_VERSION_HEADER, safe_url, url_address
from a2a_observe.observation.facts import CallFacts
from a2a_observe.observation.observer import CallObservation, Observer
from a2a_observe.safety import call_guarded


@dataclass(frozen=True)
class TransportSpec:
    module: str
    cls: str
    binding: str
    protocol_version: str


TRANSPORTS = (
    TransportSpec("a2a.client.transports.jsonrpc", "JsonRpcTransport", semconv.BINDING_JSONRPC, "1.0"),
    TransportSpec("a2a.client.transports.rest", "RestTransport", semconv.BINDING_HTTP_JSON, "1.0"),
    TransportSpec("a2a.client.transports.grpc", "GrpcTransport", semconv.BINDING_GRPC, "1.0"),
    TransportSpec(
        "a2a.compat.v0_3.jsonrpc_transport", "CompatJsonRpcTransport", semconv.BINDING_JSONRPC, "0.3"
    ),
    TransportSpec("a2a.compat.v0_3.rest_transport", "CompatRestTransport", semconv.BINDING_HTTP_JSON, "0.3"),
    TransportSpec("a2a.compat.v0_3.grpc_transport", "CompatGrpcTransport", semconv.BINDING_GRPC, "0.3"),
)

TRANSPORT_METHODS: dict[str, str] = {
    "send_message": semconv.SEND_MESSAGE,
    "send_message_streaming": semconv.SEND_STREAMING_MESSAGE,
    "get_task": semconv.GET_TASK,
    "list_tasks": semconv.LIST_TASKS,
    "cancel_task": semconv.CANCEL_TASK,
    "subscribe": semconv.SUBSCRIBE_TO_TASK,
    "create_task_push_notification_config": semconv.CREATE_TASK_PUSH_NOTIFICATION_CONFIG,
    "get_task_push_notification_config": semconv.GET_TASK_PUSH_NOTIFICATION_CONFIG,
    "list_task_push_notification_configs": semconv.LIST_TASK_PUSH_NOTIFICATION_CONFIGS,
    "delete_task_push_notification_config": semconv.DELETE_TASK_PUSH_NOTIFICATION_CONFIG,
    "get_extended_agent_card": semconv.GET_EXTENDED_AGENT_CARD,
}

_V03_WIRE_NAMES = {
    v1: v03 for v03, v1 in semconv.V03_METHOD_NAMES.items() if "/" in v03 and not v03.startswith("tasks/send")
}


def _interface_url(card: Any, spec: TransportSpec) -> str | None:
    """The card's URL for this binding: gRPC transports keep no URL of their own."""
    for interface in getattr(card, "supported_interfaces", None) or ():
        if interface.protocol_binding == spec.binding:
            return str(interface.url) or None
    return None


def _call_facts(spec: TransportSpec, method: str, transport: Any, request: Any) -> CallFacts:
    card = getattr(transport, "agent_card", None)
    url = getattr(transport, "url", None) or _interface_url(card, spec)
    host, port = url_address(url if isinstance(url, str) else None)
    message = None
    task_id, context_id, _, tenant = translate.request_ids(request)
    if method in (semconv.SEND_MESSAGE, semconv.SEND_STREAMING_MESSAGE) and request is not None:
        message = translate.message_facts(request.message)
        task_id, context_id = message.task_id, message.context_id
    original = None
    if spec.protocol_version == "0.3" and spec.binding == semconv.BINDING_JSONRPC:
        original = _V03_WIRE_NAMES.get(method)
    return CallFacts(
        method=method,
        binding=spec.binding,
        protocol_version=spec.protocol_version,
        original_method=original,
        agent=translate.agent_facts(card),
        tenant=tenant,
        task_id=task_id,
        context_id=context_id,
        message=message,
        server_address=host,
        server_port=port,
    )


def _version_asked(context: Any) -> str | None:
    """The ``A2A-Version`` a caller set on the call itself, which replaces the transport's own
    header on HTTP; gRPC metadata keeps the transport's value first, which the server reads."""
    params = getattr(context, "service_parameters", None) or {}
    for key, value in params.items():
        if key.lower() == A2A_VERSION_HEADER:
            return str(value)
    return None


def _with_trace_context(kwargs: dict[str, Any], carrier: dict[str, str], context_cls: type) -> dict[str, Any]:
    """kwargs whose ``context`` is a copy of the caller's, plus our trace headers."""
    context = kwargs.get("context")
    if context is None:
        new_context = context_cls(service_parameters=dict(carrier))
    else:
        params = dict(context.service_parameters or {})
        params.update(carrier)
        new_context = context.model_copy(update={"service_parameters": params})
    return {**kwargs, "context": new_context}


def _split_request(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if args:
        return args[0]
    return kwargs.get("request")


class ClientHooks:
    """The wrappers for one ``instrument()``; they read the observer it configured.

    This class observes the 1.x line's transports; a line whose transports differ overrides
    what they are, what their requests mean and how trace context reaches the wire.
    """

    transports: tuple[TransportSpec, ...] = TRANSPORTS
    methods: dict[str, str] = TRANSPORT_METHODS
    translator: Translator = translate

    def __init__(self, observer: Observer) -> None:
        self.observer = observer
        self.outcomes = Outcomes(self.translator)
        self._context_cls: type | None = None

    def install(self, patches: Patches) -> None:
        for spec in self.transports:
            patches.when_imported(spec.module, functools.partial(self._patch_transport, patches, spec=spec))
        patches.when_imported(
            "a2a.client.card_resolver", lambda module: self._patch_card_resolver(patches, module)
        )

    def _patch_transport(self, patches: Patches, module: ModuleType, *, spec: TransportSpec) -> None:
        cls = getattr(module, spec.cls)
        for name, method in self.methods.items():
            streaming = method in semconv.STREAMING_METHODS
            patches.wrap(
                cls,
                name,
                self._stream_wrapper(spec, method) if streaming else self._unary_wrapper(spec, method),
            )

    def _patch_card_resolver(self, patches: Patches, module: ModuleType) -> None:
        patches.wrap(module.A2ACardResolver, "get_agent_card", self._card_wrapper)

    def _client_context_cls(self) -> type:
        if self._context_cls is None:
            from a2a.client.client import ClientCallContext  # noqa: PLC0415 - the instrumented library

            self._context_cls = ClientCallContext
        return self._context_cls

    def call_facts(
        self, spec: TransportSpec, method: str, transport: Any, request: Any, kwargs: dict[str, Any]
    ) -> CallFacts:
        facts = _call_facts(spec, method, transport, request)
        asked = _version_asked(kwargs.get("context"))
        if asked is not None and spec.binding != semconv.BINDING_GRPC:  # gRPC sends its own first
            facts = dataclasses.replace(facts, protocol_version=asked)
        return facts

    def traced_kwargs(self, kwargs: dict[str, Any], carrier: dict[str, str]) -> dict[str, Any]:
        """The transport call's kwargs, carrying ``carrier`` to the wire."""
        return _with_trace_context(kwargs, carrier, self._client_context_cls())

    def _start(
        self, spec: TransportSpec, method: str, transport: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[CallObservation, dict[str, Any]]:
        facts = self.call_facts(spec, method, transport, _split_request(args, kwargs), kwargs)
        call = self.observer.start_client_call(facts)
        call.key = transport
        return call, self.traced_kwargs(kwargs, call.carrier())

    def observes(self, method: str, transport: Any) -> bool:
        """Whether this call of ``method`` goes to the agent (some only answer from a cache)."""
        return True

    def _unary_wrapper(self, spec: TransportSpec, method: str) -> Callable[..., Any]:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if not self.observes(method, instance):
                return wrapped(*args, **kwargs)
            started = call_guarded("client span start", self._start, spec, method, instance, args, kwargs)
            if started is None:
                return wrapped(*args, **kwargs)
            call, new_kwargs = started
            return self.outcomes.run(call, lambda: wrapped(*args, **new_kwargs))

        return wrapper

    def _stream_wrapper(self, spec: TransportSpec, method: str) -> Callable[..., Any]:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            return self._run_stream(wrapped, instance, args, kwargs, spec, method)

        return wrapper

    async def _run_stream(
        self,
        wrapped: Any,
        instance: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        spec: TransportSpec,
        method: str,
    ) -> AsyncIterator[Any]:
        """The transport's stream, observed; the span opens with the first read.

        The transport's own generator sends nothing before it is first read, so opening the
        span then is exact, and a stream that is never read leaves no span behind.
        """
        started = call_guarded("client span start", self._start, spec, method, instance, args, kwargs)
        if started is None:
            async for item in wrapped(*args, **kwargs):
                yield item
            return
        call, new_kwargs = started
        stream = wrapped(*args, **new_kwargs)
        observed = observe_async_stream(call, stream, self.outcomes.item, self.outcomes.error)
        async with contextlib.aclosing(observed):  # closing ours closes it at once, not at GC
            async for item in observed:
                yield item

    def _card_wrapper(
        self, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        started = call_guarded("card span start", self._start_card, instance, args, kwargs)
        if started is None:
            return wrapped(*args, **kwargs)
        call, new_kwargs = started
        return self._run_card(wrapped, new_kwargs, call)

    def _start_card(
        self, resolver: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[CallObservation, dict[str, Any]]:
        relative = args[0] if args else kwargs.get("relative_card_path")
        base = str(getattr(resolver, "base_url", ""))
        path = str(relative or getattr(resolver, "agent_card_path", "")).lstrip("/")
        url = safe_url(f"{base}/{path}" if path else base)
        host, port = url_address(url)
        facts = CallFacts(method=semconv.GET_AGENT_CARD, url=url, server_address=host, server_port=port)
        call = self.observer.start_client_call(facts)
        http_kwargs = dict(kwargs.get("http_kwargs") or {})
        headers = dict(http_kwargs.get("headers") or {})
        headers.update(call.carrier())
        http_kwargs["headers"] = headers
        new_kwargs = dict(kwargs)
        if len(args) >= 2:
            new_kwargs["relative_card_path"] = args[0]
            new_kwargs["http_kwargs"] = http_kwargs
            if len(args) >= 3:
                new_kwargs["signature_verifier"] = args[2]
        else:
            if args:
                new_kwargs["relative_card_path"] = args[0]
            new_kwargs["http_kwargs"] = http_kwargs
        return call, new_kwargs

    def _run_card(self, wrapped: Any, kwargs: dict[str, Any], call: CallObservation) -> Any:
        return run_async(call, lambda: wrapped(**kwargs), self.outcomes.card, self.outcomes.error)
