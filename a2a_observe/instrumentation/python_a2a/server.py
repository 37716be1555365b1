"""SERVER spans for the A2A routes of python-a2a's Flask apps.

python-a2a defines its routes as closures inside ``create_flask_app`` and ``setup_routes``,
and ``tasks/get`` and ``tasks/cancel`` are answered inside them, with no method of the agent
to hook. So the span lives in ``Flask.full_dispatch_request``, the one place every request
crosses once with its route known, and is opened only for routes python-a2a itself defined
(the view's module says so): every other Flask route of the process is left alone. Because
this is looked up at request time, apps built before ``instrument()`` are observed too.

Streamed bodies keep the span open until the body is fully sent or closed, and make it
current while the body is produced, since python-a2a runs the agent inside the body.
"""

from __future__ import annotations

import contextvars
import functools
import weakref
from types import ModuleType
from typing import Any

from a2a_observe import semconv
from a2a_observe.instrumentation.common import ObservedIterator
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.instrumentation.python_a2a import translate
from a2a_observe.instrumentation.transport import header_carrier, host_and_port
from a2a_observe.observation.facts import AgentFacts, CallFacts, ErrorFacts
from a2a_observe.observation.observer import CallObservation, Observer
from a2a_observe.safety import call_guarded

_OWN_MODULES = "python_a2a."

ROUTES: dict[str, str] = {
    "/tasks/send": semconv.SEND_MESSAGE,
    "/tasks/get": semconv.GET_TASK,
    "/tasks/cancel": semconv.CANCEL_TASK,
    "/tasks/stream": semconv.SEND_STREAMING_MESSAGE,
    "/stream": semconv.SEND_STREAMING_MESSAGE,
    "/": semconv.SEND_MESSAGE,
    "/agent.json": semconv.GET_AGENT_CARD,
    "/.well-known/agent.json": semconv.GET_AGENT_CARD,
    "/.well-known/agent-card.json": semconv.GET_AGENT_CARD,
}
"""python-a2a's A2A routes (each also under ``/a2a``) and the method each one serves; a
JSON-RPC body's own method takes precedence (``/tasks/stream`` serves two)."""


def route_method(rule: str, http_method: str) -> str | None:
    """The A2A method a python-a2a route serves for this HTTP method, if it is an A2A route."""
    path = rule.removeprefix("/a2a") or "/"
    method = ROUTES.get(path)
    if method is None:
        return None
    reads = method == semconv.GET_AGENT_CARD
    return method if (http_method == "GET") == reads else None


class _ContextThreading:
    """python-a2a's ``/stream`` route runs the agent's stream in a thread it starts itself.

    This stand-in for the ``threading`` module, in that one module only, starts the thread
    in a copy of the request's context, as ``asyncio.to_thread`` would, so the agent's span
    joins the request's trace instead of starting a new one.
    """

    def __init__(self, real: ModuleType) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def Thread(self, *args: Any, **kwargs: Any) -> Any:
        target = kwargs.get("target")
        if target is not None:
            kwargs["target"] = functools.partial(contextvars.copy_context().run, target)
        return self._real.Thread(*args, **kwargs)


class ServerHooks:
    def __init__(self, observer: Observer) -> None:
        self.observer = observer
        self._agents: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self._request: Any = None

    def install(self, patches: Patches) -> None:
        patches.when_imported("python_a2a.server.base", lambda module: self._patch_base(patches, module))
        patches.when_imported("python_a2a.server.http", lambda module: self._patch_http(patches, module))

    def _patch_base(self, patches: Patches, module: ModuleType) -> None:
        base = module.BaseA2AServer
        patches.wrap(base, "setup_routes", self._setup_routes)
        patches.wrap_subclasses(base, ["setup_routes"], self._setup_routes)

    def _patch_http(self, patches: Patches, module: ModuleType) -> None:
        patches.replace(module, "threading", _ContextThreading(module.threading))
        patches.when_imported("flask.app", lambda flask_app: self._patch_flask(patches, flask_app))

    def _patch_flask(self, patches: Patches, module: ModuleType) -> None:
        from flask import request  # noqa: PLC0415 - flask is imported already when this runs

        self._request = request
        patches.wrap(module.Flask, "full_dispatch_request", self._dispatch)

    def _setup_routes(
        self, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """Remember which agent an app serves: its routes are closures that do not say."""
        app = args[0] if args else kwargs.get("app")

        def remember() -> None:
            if app is not None and app not in self._agents:
                self._agents[app] = instance

        call_guarded("server agent", remember)
        return wrapped(*args, **kwargs)

    # -- requests ------------------------------------------------------------------------------
    def _dispatch(self, wrapped: Any, app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        call = call_guarded("server span start", self._start, app)
        if call is None:
            return wrapped(*args, **kwargs)
        try:
            with call.activated():
                response = wrapped(*args, **kwargs)
        except BaseException as exc:
            call_guarded("server span error", self._on_error, call, exc)
            call_guarded("server span end", call.end)
            raise
        if call_guarded("server span result", self._finish, call, response) is None:
            call_guarded("server span end", call.end)
        return response

    def _start(self, app: Any) -> CallObservation | None:
        request = self._request
        rule = request.url_rule
        if rule is None:
            return None
        view = app.view_functions.get(rule.endpoint)
        if not str(getattr(view, "__module__", "")).startswith(_OWN_MODULES):
            return None
        method = route_method(rule.rule, request.method)
        if method is None:
            return None
        body = request.get_json(silent=True) if request.method == "POST" else None
        wire = translate.wire_method(body)
        if wire is not None:
            method = semconv.V03_METHOD_NAMES.get(wire, method)
        task_id, context_id, message = translate.request_ids(body)
        agent = self._agents.get(app)
        server_address, server_port = host_and_port(request.host)
        facts = CallFacts(
            method=method,
            binding=semconv.BINDING_JSONRPC if wire else None,
            original_method=wire if wire and wire != method else None,
            agent=translate.agent_facts(getattr(agent, "agent_card", None)) if agent else AgentFacts(),
            protocol_version=translate.protocol_version(getattr(agent, "agent_card", None)),
            task_id=task_id,
            context_id=context_id,
            message=message,
            server_address=server_address,
            server_port=server_port,
            client_address=request.remote_addr or None,
            client_port=_port(request.environ.get("REMOTE_PORT")),
        )
        carrier = header_carrier(request.headers.items())
        return self.observer.start_server_call(facts, carrier)

    def _finish(self, call: CallObservation, response: Any) -> bool:
        """Record a buffered response and end the span, or hand a streamed body the span."""
        status = int(response.status_code)
        if response.is_streamed and status < 400:
            response.response = ObservedIterator(call, response.response, self._on_chunk, self._on_error)
            return True
        body = response.get_json(silent=True) if response.is_json else None
        if call.facts.method != semconv.GET_AGENT_CARD:
            call.result(translate.event_facts(body))
        code = translate.rpc_error_code(body)
        if status >= 400 or code is not None:
            error = body.get("error") if isinstance(body, dict) else None
            message = error.get("message") if isinstance(error, dict) else None
            call.error(
                ErrorFacts(
                    error_type=code or str(status),
                    message=str(message or f"HTTP {status}"),
                    rpc_status_code=code,
                    http_status_code=status,
                )
            )
        call.end()
        return True

    def _on_chunk(self, call: CallObservation, chunk: Any) -> None:
        for _, data in translate.sse_data(chunk):
            event = translate.chunk_facts(data)
            if event is not None:
                call.stream_event(event)

    @staticmethod
    def _on_error(call: CallObservation, exc: BaseException) -> None:
        call.exception(exc, ErrorFacts(error_type=type(exc).__qualname__, message=str(exc)))


def _port(value: Any) -> int | None:
    """A WSGI ``REMOTE_PORT`` (a string) as ``client.port``."""
    text = str(value) if value is not None else ""
    return int(text) if text.isdigit() else None
