"""SERVER spans for a2a-sdk 0.3 agents: the shared handler hooks with the 0.3 method names.

As on 1.x, every binding (``A2AStarletteApplication``, ``A2AFastAPIApplication``, the REST
app, ``GrpcHandler``) ends in the ``RequestHandler`` methods with a ``ServerCallContext``
that carries the request's headers or gRPC context. A 0.3 ``DefaultRequestHandler`` does not
know its agent's card, though: the per-binding handlers that wrap it do. So we note, as each
of those is built, which card it serves for which request handler.
"""

from __future__ import annotations

import contextvars
import weakref
from types import ModuleType, SimpleNamespace
from typing import Any

from a2a_observe import semconv
from a2a_observe.instrumentation.a2a_sdk.line import ServerLine
from a2a_observe.instrumentation.a2a_sdk.server import ServerHooks
from a2a_observe.instrumentation.a2a_sdk.v03 import translate
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.observation.observer import Observer
from a2a_observe.safety import call_guarded

HANDLER_METHODS: dict[str, str] = {
    "on_message_send": semconv.SEND_MESSAGE,
    "on_message_send_stream": semconv.SEND_STREAMING_MESSAGE,
    "on_get_task": semconv.GET_TASK,
    "on_cancel_task": semconv.CANCEL_TASK,
    "on_resubscribe_to_task": semconv.SUBSCRIBE_TO_TASK,
    "on_set_task_push_notification_config": semconv.CREATE_TASK_PUSH_NOTIFICATION_CONFIG,
    "on_get_task_push_notification_config": semconv.GET_TASK_PUSH_NOTIFICATION_CONFIG,
    "on_list_task_push_notification_config": semconv.LIST_TASK_PUSH_NOTIFICATION_CONFIGS,
    "on_delete_task_push_notification_config": semconv.DELETE_TASK_PUSH_NOTIFICATION_CONFIG,
}

BINDING_HANDLERS = (
    ("a2a.server.request_handlers.jsonrpc_handler", "JSONRPCHandler"),
    ("a2a.server.request_handlers.rest_handler", "RESTHandler"),
    ("a2a.server.request_handlers.grpc_handler", "GrpcHandler"),
)
"""The per-binding handlers, built with the card and the request handler they serve."""

_cards: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
"""request handler -> the card of the agent it serves, as its binding handlers said."""


def _agent_card(handler: Any) -> Any:
    try:
        return _cards.get(handler)
    except TypeError:  # a handler that cannot be weakly referenced
        return None


_jsonrpc: contextvars.ContextVar[tuple[Any, str] | None] = contextvars.ContextVar(
    "a2a_observe_v03_jsonrpc", default=None
)
"""(ServerCallContext, method) of the JSON-RPC request this task serves. Early 0.3 releases
(0.3.4, for one) do not put the method in the context's state, and their JSON-RPC and REST
contexts look alike otherwise. Kept with its context, so a value seen elsewhere names nothing."""


def _jsonrpc_method(call_context: Any) -> str | None:
    noted = _jsonrpc.get()
    return noted[1] if noted is not None and noted[0] is call_context else None


async def _process_wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Note which JSON-RPC method the app dispatches, for the handler hooks to read."""

    def note() -> None:
        request = args[1] if len(args) > 1 else kwargs.get("a2a_request")
        context = args[2] if len(args) > 2 else kwargs.get("context")
        method = getattr(getattr(request, "root", request), "method", None)
        if context is not None and isinstance(method, str):
            _jsonrpc.set((context, method))

    call_guarded("noting the JSON-RPC method", note)
    return await wrapped(*args, **kwargs)


SDK03_SERVER = ServerLine(
    translator=translate,
    handler_methods=HANDLER_METHODS,
    agent_card=_agent_card,
    protocol_version="0.3",
    jsonrpc_method=_jsonrpc_method,
)


def _remember_card(instance: Any) -> None:
    handler = getattr(instance, "request_handler", None)
    card = getattr(instance, "agent_card", None)
    if handler is not None and card is not None:
        _cards[handler] = card


def _init_wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = wrapped(*args, **kwargs)
    call_guarded("noting the agent card", _remember_card, instance)
    return result


EXTENDED_CARD_HANDLERS = (
    ("a2a.server.request_handlers.jsonrpc_handler", "JSONRPCHandler", "get_authenticated_extended_card"),
    ("a2a.server.apps.rest.rest_adapter", "RESTAdapter", "handle_authenticated_agent_card"),
)
"""Where a 0.3 app serves ``GetExtendedAgentCard``: beside the request handler, not in it.
Both take ``(request, ServerCallContext)``, as the request handler's methods do."""


class ServerHooks03(ServerHooks):
    def __init__(self, observer: Observer) -> None:
        super().__init__(observer, SDK03_SERVER)

    def install(self, patches: Patches) -> None:
        super().install(patches)
        for module_name, cls in BINDING_HANDLERS:
            patches.when_imported(
                module_name,
                lambda module, cls=cls: self._patch_binding_handler(patches, module, cls),  # type: ignore[misc]
            )
        card_wrapper = self._unary_wrapper(semconv.GET_EXTENDED_AGENT_CARD)
        for module_name, cls, method in EXTENDED_CARD_HANDLERS:
            patches.when_imported(
                module_name,
                lambda module, cls=cls, method=method: patches.wrap(  # type: ignore[misc]
                    getattr(module, cls), method, card_wrapper
                ),
            )
        patches.when_imported(
            "a2a.server.request_handlers.grpc_handler",
            lambda module: patches.wrap(module.GrpcHandler, "GetAgentCard", self._grpc_card_wrapper),
        )
        patches.when_imported(
            "a2a.server.apps.jsonrpc.jsonrpc_app", lambda module: self._patch_app(patches, module)
        )

    @staticmethod
    def _patch_app(patches: Patches, module: ModuleType) -> None:
        for name in ("_process_non_streaming_request", "_process_streaming_request"):
            patches.wrap(module.JSONRPCApplication, name, _process_wrapper)

    @staticmethod
    def _patch_binding_handler(patches: Patches, module: ModuleType, cls: str) -> None:
        patches.wrap(getattr(module, cls), "__init__", _init_wrapper)

    def _grpc_card_wrapper(
        self, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """gRPC's ``GetAgentCard`` gets the servicer context itself; we read it as the other
        handlers' ``ServerCallContext`` would carry it."""
        request = args[0] if args else kwargs.get("request")
        servicer_context = args[1] if len(args) > 1 else kwargs.get("context")
        call_context = SimpleNamespace(state={"grpc_context": servicer_context})
        call = call_guarded(
            "server span start",
            self._start,
            semconv.GET_EXTENDED_AGENT_CARD,
            instance,
            (request, call_context),
            {},
        )
        if call is None:
            return wrapped(*args, **kwargs)
        return self.outcomes.run(call, lambda: wrapped(*args, **kwargs))
