"""Who is on each end of a request an a2a-sdk agent serves, and requests it turns away.

The SDK's ``ServerCallContext`` keeps the request's headers (or gRPC context) but not the
socket's peer, so the HTTP bindings' context builders are wrapped to note the peer in the
request's own task, where the SERVER span reads it. The JSON-RPC dispatcher and the HTTP+JSON
error handler answer some requests before any request handler runs (invalid JSON-RPC, unknown
method, unparsable params, unsupported version): those get a SERVER span of their own, with
the wire code. These functions are looked up when a request comes, so apps built before
``instrument()`` are covered too (the peer of a JSON-RPC request refused before its context
is built needs ``handle_requests``, which such apps captured unpatched).
"""

from __future__ import annotations

import contextvars
import json
import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from a2a_observe import semconv
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.instrumentation.transport import A2A_VERSION_HEADER, header_carrier, host_and_port
from a2a_observe.observation.facts import CallFacts, ErrorFacts
from a2a_observe.observation.observer import Observer
from a2a_observe.safety import call_guarded


@dataclass
class Request:
    """What the HTTP bindings know of the request being served in this task."""

    client_address: str | None = None
    client_port: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    http_request: Any = None
    served: bool = False
    """A SERVER span was made for it by the request-handler hooks."""


_request: contextvars.ContextVar[Request | None] = contextvars.ContextVar(
    "a2a_observe_sdk_request", default=None
)


def current() -> Request | None:
    return _request.get()


def _note(http_request: Any) -> Request:
    client = getattr(http_request, "client", None)
    headers = getattr(http_request, "headers", None) or {}
    noted = Request(
        client_address=getattr(client, "host", None),
        client_port=getattr(client, "port", None),
        headers=header_carrier(headers),
        http_request=http_request,
    )
    _request.set(noted)
    return noted


_V1_METHODS = frozenset(semconv.A2A_METHODS)


def note_peers(patches: Patches, module: ModuleType, builder_name: str) -> None:
    """Note the peer of every request whose call context a builder of this module makes.

    Both SDK lines build a ``ServerCallContext`` from the Starlette request in one abstract
    builder (1.x ``ServerCallContextBuilder``, 0.3 ``CallContextBuilder``) whose subclasses
    apps may bring; wrapping each subclass's ``build`` is where the socket's peer is still known.
    """
    builder = getattr(module, builder_name, None)
    if builder is not None:
        patches.wrap_subclasses(builder, ["build"], _build_wrapper)


def _build_wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = wrapped(*args, **kwargs)
    http_request = args[0] if args else kwargs.get("request")
    if _request.get() is None:
        call_guarded("request peer", _note, http_request)
    return result


class RejectionHooks:
    def __init__(self, observer: Observer) -> None:
        self.observer = observer

    def install(self, patches: Patches) -> None:
        patches.when_imported(
            "a2a.server.routes.common", lambda module: self._patch_builders(patches, module)
        )
        patches.when_imported(
            "a2a.server.routes.jsonrpc_dispatcher", lambda module: self._patch_dispatcher(patches, module)
        )
        patches.when_imported(
            "a2a.compat.v0_3.jsonrpc_adapter", lambda module: self._patch_v03_adapter(patches, module)
        )
        patches.when_imported(
            "a2a.utils.error_handlers",
            lambda module: patches.wrap(module, "_create_error_response", self._rest_error_wrapper),
        )

    def install_v03(self, patches: Patches) -> None:
        """The 0.3 line's JSON-RPC app refuses requests itself (invalid JSON, invalid JSON-RPC,
        unknown method, params that do not validate), in ``_handle_requests``."""
        patches.when_imported(
            "a2a.server.apps.jsonrpc.jsonrpc_app", lambda module: self._patch_v03_app(patches, module)
        )
        patches.when_imported(
            "a2a.server.apps.rest.rest_adapter", lambda module: self._patch_v03_rest(patches, module)
        )

    def _patch_v03_rest(self, patches: Patches, module: ModuleType) -> None:
        """The 0.3 REST app's binding handler parses the body before any request handler and
        its error decorator answers what fails there (500 ``unknown exception`` for a body that
        does not parse): ``_handle_request`` is where both are behind us. The app binds its
        routes to it when it is built, so an app built before ``instrument()`` keeps the
        original, and one built under it keeps the wrapper, silent once it is undone."""
        adapter = getattr(module, "RESTAdapter", None)
        if adapter is None:
            return

        async def refusals(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            response = await wrapped(*args, **kwargs)
            if patches.active:
                call_guarded("rejected request span", self._rejected_rest_if_error, response)
            return response

        patches.wrap(adapter, "_handle_request", refusals)

    def _patch_v03_app(self, patches: Patches, module: ModuleType) -> None:
        app = getattr(module, "JSONRPCApplication", None)
        if app is None:
            return
        patches.wrap(app, "_handle_requests", self._handle_wrapper)
        patches.wrap(app, "_generate_error_response", self._error_wrapper)

    def _patch_builders(self, patches: Patches, module: ModuleType) -> None:
        note_peers(patches, module, "ServerCallContextBuilder")

    def _patch_dispatcher(self, patches: Patches, module: ModuleType) -> None:
        dispatcher = getattr(module, "JsonRpcDispatcher", None)
        if dispatcher is None:
            return
        patches.wrap(dispatcher, "handle_requests", self._handle_wrapper)
        patches.wrap(dispatcher, "_generate_error_response", self._error_wrapper)
        patches.wrap(dispatcher, "_create_response", self._response_wrapper)

    def _patch_v03_adapter(self, patches: Patches, module: ModuleType) -> None:
        """In v0.3 compat mode the adapter refuses a request whose params do not validate
        against the v0.3 models, before any handler, with its own error response."""
        adapter = getattr(module, "JSONRPC03Adapter", None)
        if adapter is not None:
            patches.wrap(adapter, "_generate_error_response", self._error_wrapper)

    @staticmethod
    async def _handle_wrapper(
        wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        http_request = args[0] if args else kwargs.get("request")
        call_guarded("request peer", _note, http_request)
        return await wrapped(*args, **kwargs)

    def _error_wrapper(
        self, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        response = wrapped(*args, **kwargs)
        call_guarded("rejected request span", self._rejected_response, response)
        return response

    def _response_wrapper(
        self, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """Errors raised before the handler on the unary path (an unsupported A2A-Version)
        are answered here rather than through ``_generate_error_response``."""
        payload = args[1] if len(args) > 1 else kwargs.get("handler_result")
        if isinstance(payload, dict):
            call_guarded("rejected request span", self._rejected, payload)
        return wrapped(*args, **kwargs)

    def _rejected_response(self, response: Any) -> None:
        self._rejected(json.loads(bytes(getattr(response, "body", b"") or b"{}")))

    def _rejected(self, body: Any) -> None:
        """A SERVER span for a JSON-RPC error answer no request handler produced."""
        noted = _request.get()
        if noted is not None and noted.served:
            return  # the request handler's SERVER span has this error already
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return
        code = error.get("code")
        wire = _wire_method(noted)
        method = semconv.V03_METHOD_NAMES.get(wire or "", wire)
        failure = ErrorFacts(
            error_type=str(code),
            message=str(error.get("message") or ""),
            rpc_status_code=None if code is None else str(code),
        )
        self._record(noted, semconv.BINDING_JSONRPC, method, wire, failure)

    def _rest_error_wrapper(
        self, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        response = wrapped(*args, **kwargs)
        call_guarded("rejected request span", self._rejected_rest, response)
        return response

    def _rejected_rest_if_error(self, response: Any) -> None:
        if int(getattr(response, "status_code", 200)) >= 400:
            self._rejected_rest(response)

    def _rejected_rest(self, response: Any) -> None:
        """A SERVER span for an HTTP+JSON error answer no request handler produced (an
        unsupported ``A2A-Version``, a body that does not parse)."""
        noted = _request.get()
        if noted is not None and noted.served:
            return
        status = int(getattr(response, "status_code", 500))
        http_request = noted.http_request if noted is not None else None
        method = rest_method(
            str(getattr(getattr(http_request, "url", None), "path", "")),
            str(getattr(http_request, "method", "")),
        )
        failure = ErrorFacts(error_type=str(status), message=f"HTTP {status}", http_status_code=status)
        self._record(noted, semconv.BINDING_HTTP_JSON, method, None, failure)

    def _record(
        self, noted: Request | None, binding: str, method: str | None, wire: str | None, failure: ErrorFacts
    ) -> None:
        if method not in _V1_METHODS:
            method = semconv.METHOD_OTHER
        headers = noted.headers if noted is not None else {}
        host, port = host_and_port(headers.get("host"))
        facts = CallFacts(
            method=method,
            binding=binding,
            protocol_version=headers.get(A2A_VERSION_HEADER, DEFAULT_PROTOCOL_VERSION),
            original_method=wire if wire and wire != method else None,
            server_address=host,
            server_port=port,
            client_address=noted.client_address if noted else None,
            client_port=noted.client_port if noted else None,
        )
        call = self.observer.start_server_call(facts, headers)
        call.error(failure)
        call.end()


_CONFIGS = r"/tasks/[^/]+/pushNotificationConfigs"
_REST_ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"/message:send$"), semconv.SEND_MESSAGE),
    ("POST", re.compile(r"/message:stream$"), semconv.SEND_STREAMING_MESSAGE),
    ("POST", re.compile(r"/tasks/[^/]+:cancel$"), semconv.CANCEL_TASK),
    ("*", re.compile(r"/tasks/[^/]+:subscribe$"), semconv.SUBSCRIBE_TO_TASK),
    ("GET", re.compile(r"/tasks/[^/:]+$"), semconv.GET_TASK),
    ("GET", re.compile(r"/tasks$"), semconv.LIST_TASKS),
    ("GET", re.compile(_CONFIGS + r"/[^/]+$"), semconv.GET_TASK_PUSH_NOTIFICATION_CONFIG),
    ("DELETE", re.compile(_CONFIGS + r"/[^/]+$"), semconv.DELETE_TASK_PUSH_NOTIFICATION_CONFIG),
    ("GET", re.compile(_CONFIGS + "$"), semconv.LIST_TASK_PUSH_NOTIFICATION_CONFIGS),
    ("POST", re.compile(_CONFIGS + "$"), semconv.CREATE_TASK_PUSH_NOTIFICATION_CONFIG),
    ("GET", re.compile(r"/extendedAgentCard$"), semconv.GET_EXTENDED_AGENT_CARD),
)
"""The HTTP+JSON binding's routes (the A2A specification's method mapping)."""


def rest_method(path: str, http_method: str) -> str | None:
    """The A2A method an HTTP+JSON request's route stands for, if any."""
    for verb, pattern, method in _REST_ROUTES:
        if verb in ("*", http_method.upper()) and pattern.search(path):
            return method
    return None


DEFAULT_PROTOCOL_VERSION = "0.3"
"""The SDK treats a request without ``A2A-Version`` as protocol v0.3; so do we."""


def _wire_method(noted: Request | None) -> str | None:
    """The method the request named, when the dispatcher had parsed its body."""
    http_request = noted.http_request if noted is not None else None
    parsed = getattr(http_request, "_json", None)  # Starlette keeps the parsed body here
    method = parsed.get("method") if isinstance(parsed, dict) else None
    return method[:128] if isinstance(method, str) and method else None


def mark_served() -> None:
    """The request handler hooks made a SERVER span for this task's request."""
    noted = _request.get()
    if noted is not None:
        noted.served = True
