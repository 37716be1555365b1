"""SERVER spans for every request an a2a-sdk agent serves, on every binding.

The route factories capture bound dispatcher methods when the app is built, so patching the
dispatchers would miss apps built before ``instrument()``. Every binding (JSON-RPC, REST,
gRPC, and the v0.3 compat adapters) ends in the same ``RequestHandler`` methods, looked up
on the handler at call time, with a ``ServerCallContext`` that carries the request's
headers or gRPC context. So the SERVER span lives there, and works however the app was built.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from a2a_observe import semconv
from a2a_observe.instrumentation.a2a_sdk import peers
from a2a_observe.instrumentation.a2a_sdk.outcomes import Outcomes
from a2a_observe.instrumentation.common import observe_async_stream
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.instrumentation.transport import A2A_VERSION_HEADER, grpc_peer, header_carrier, host_and_port
from a2a_observe.observation.facts import CallFacts
from a2a_observe.observation.observer import CallObservation, Observer, active_call
from a2a_observe.safety import call_guarded

if TYPE_CHECKING:
    from a2a_observe.instrumentation.a2a_sdk.line import ServerLine

HANDLER_METHODS: dict[str, str] = {
    "on_message_send": semconv.SEND_MESSAGE,
    "on_message_send_stream": semconv.SEND_STREAMING_MESSAGE,
    "on_get_task": semconv.GET_TASK,
    "on_list_tasks": semconv.LIST_TASKS,
    "on_cancel_task": semconv.CANCEL_TASK,
    "on_subscribe_to_task": semconv.SUBSCRIBE_TO_TASK,
    "on_create_task_push_notification_config": semconv.CREATE_TASK_PUSH_NOTIFICATION_CONFIG,
    "on_get_task_push_notification_config": semconv.GET_TASK_PUSH_NOTIFICATION_CONFIG,
    "on_list_task_push_notification_configs": semconv.LIST_TASK_PUSH_NOTIFICATION_CONFIGS,
    "on_delete_task_push_notification_config": semconv.DELETE_TASK_PUSH_NOTIFICATION_CONFIG,
    "on_get_extended_agent_card": semconv.GET_EXTENDED_AGENT_CARD,
}


def _request_side(call_context: Any) -> tuple[str | None, dict[str, str]]:
    """(binding, carrier headers) of the request behind a ServerCallContext."""
    state = getattr(call_context, "state", None) or {}
    grpc_context = state.get("grpc_context")
    if grpc_context is not None:
        return semconv.BINDING_GRPC, header_carrier(grpc_context.invocation_metadata() or ())
    headers = state.get("headers")
    carrier = header_carrier(headers) if isinstance(headers, dict) else {}
    if "request_id" in state or "method" in state:
        return semconv.BINDING_JSONRPC, carrier
    if headers is not None:
        return semconv.BINDING_HTTP_JSON, carrier
    return None, carrier


def _server_facts(
    line: ServerLine, method: str, handler: Any, request: Any, call_context: Any
) -> tuple[CallFacts, dict[str, str]]:
    binding, carrier = _request_side(call_context)
    state = getattr(call_context, "state", None) or {}
    wire_method = state.get("method")
    if wire_method is None and binding == semconv.BINDING_HTTP_JSON:
        wire_method = line.jsonrpc_method(call_context)
        binding = semconv.BINDING_JSONRPC if wire_method else binding
    original = wire_method if isinstance(wire_method, str) and wire_method != method else None
    translator = line.translator
    task_id, context_id, _, tenant = translator.request_ids(request)
    message = None
    if method in (semconv.SEND_MESSAGE, semconv.SEND_STREAMING_MESSAGE) and request is not None:
        message = translator.message_facts(request.message)
        task_id, context_id = message.task_id, message.context_id
    card = getattr(handler, "_agent_card", None) or getattr(handler, "agent_card", None)
    server_address, server_port = host_and_port(carrier.get("host") or carrier.get(":authority"))
    grpc_context = state.get("grpc_context")
    if grpc_context is not None:
        client_address, client_port = grpc_peer(grpc_context.peer())
    else:
        noted = peers.current()
        client_address = noted.client_address if noted else None
        client_port = noted.client_port if noted else None
    version = line.protocol_version or carrier.get(A2A_VERSION_HEADER, peers.DEFAULT_PROTOCOL_VERSION)
    facts = CallFacts(
        method=method,
        binding=binding,
        protocol_version=version if binding else None,
        original_method=original,
        agent=translator.agent_facts(card if card is not None else line.agent_card(handler)),
        tenant=tenant or getattr(call_context, "tenant", None) or None,
        task_id=task_id,
        context_id=context_id,
        message=message,
        server_address=server_address,
        server_port=server_port,
        client_address=client_address,
        client_port=client_port,
    )
    return facts, carrier


def _args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    request = args[0] if args else kwargs.get("params", kwargs.get("request"))
    call_context = args[1] if len(args) > 1 else kwargs.get("context")
    return request, call_context


class ServerHooks:
    def __init__(self, observer: Observer, line: ServerLine) -> None:
        self.observer = observer
        self.line = line
        self.outcomes = Outcomes(line.translator)

    def install(self, patches: Patches) -> None:
        patches.when_imported(
            "a2a.server.request_handlers.request_handler",
            lambda module: self._patch_handlers(patches, module),
        )

    def _patch_handlers(self, patches: Patches, module: ModuleType) -> None:
        for name, method in self.line.handler_methods.items():
            wrapper = (
                self._stream_wrapper(method)
                if method in semconv.STREAMING_METHODS
                else self._unary_wrapper(method)
            )
            patches.wrap_subclasses(module.RequestHandler, [name], wrapper)

    def _start(
        self, method: str, handler: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> CallObservation | None:
        request, call_context = _args(args, kwargs)
        current = active_call()
        if current is not None and call_context is not None and current.key is call_context:
            return None  # a handler override calling super(): the request is observed already
        facts, carrier = _server_facts(self.line, method, handler, request, call_context)
        call = self.observer.start_server_call(facts, carrier)
        call.key = call_context
        peers.mark_served()
        return call

    def _unary_wrapper(self, method: str) -> Callable[..., Any]:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            call = call_guarded("server span start", self._start, method, instance, args, kwargs)
            if call is None:
                return wrapped(*args, **kwargs)
            return self.outcomes.run(call, lambda: wrapped(*args, **kwargs))

        return wrapper

    def _stream_wrapper(self, method: str) -> Callable[..., Any]:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            return self._run_stream(wrapped, instance, args, kwargs, method)

        return wrapper

    async def _run_stream(
        self, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], method: str
    ) -> AsyncIterator[Any]:
        call = call_guarded("server span start", self._start, method, instance, args, kwargs)
        if call is None:
            async for item in wrapped(*args, **kwargs):
                yield item
            return
        with call.activated():
            stream = wrapped(*args, **kwargs)
        observed = observe_async_stream(call, stream, self.outcomes.item, self.outcomes.error)
        async with contextlib.aclosing(observed):  # closing ours closes it at once, not at GC
            async for item in observed:
                yield item
