"""CLIENT spans for fasta2a's ``A2AClient``: ``send_message``, ``stream_message``, ``get_task``.

The client builds its HTTP request inside each method with headers of its own, so the trace
context cannot ride in an argument. Instead, while one of our calls is current, the
``httpx.AsyncClient`` that this very ``A2AClient`` owns adds the call's W3C headers to what it
sends (a wrapper on ``AsyncClient.send`` that does nothing for any other client or outside our
calls). fasta2a's client speaks its own dialect: the v0.3 method names.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from a2a_observe import semconv
from a2a_observe.instrumentation.common import observe_async_stream, run_async
from a2a_observe.instrumentation.fasta2a import translate
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.instrumentation.transport import safe_url
from a2a_observe.observation.facts import AgentFacts, CallFacts, ErrorFacts
from a2a_observe.observation.observer import CallObservation, Observer
from a2a_observe.safety import call_guarded

CLIENT_METHODS: dict[str, str] = {
    "send_message": "message/send",
    "stream_message": "message/stream",
    "get_task": "tasks/get",
}
"""``A2AClient`` methods and the JSON-RPC method each sends."""

_outgoing: contextvars.ContextVar[tuple[Any, dict[str, str]] | None] = contextvars.ContextVar(
    "a2a_observe_fasta2a_outgoing", default=None
)
"""(the httpx client of the current call, the headers it adds) while a call is current."""


def _agent(client: Any, base_url: Any) -> AgentFacts:
    card = getattr(client, "agent_card", None)
    get = card.get if isinstance(card, dict) else (lambda _name: None)
    return AgentFacts(
        name=get("name"), version=get("version"), description=get("description"), url=str(base_url)
    )


def call_facts(client: Any, wire: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> CallFacts:
    http_client = getattr(client, "http_client", None)
    base_url = getattr(http_client, "base_url", None)
    message = translate.message_facts(args[0] if args else kwargs.get("message"))
    task_id = (args[0] if args else kwargs.get("task_id")) if wire == "tasks/get" else None
    return CallFacts(
        method=semconv.V03_METHOD_NAMES[wire],
        binding=semconv.BINDING_JSONRPC,
        protocol_version=translate.PROTOCOL_V03,
        original_method=wire,
        agent=_agent(client, base_url) if base_url is not None else AgentFacts(),
        task_id=str(task_id) if task_id else (message.task_id if message else None),
        context_id=message.context_id if message else None,
        message=message,
        server_address=getattr(base_url, "host", None) or None,
        server_port=getattr(base_url, "port", None),
        url=safe_url(str(base_url)) if base_url is not None else None,
    )


def response_error(exc: BaseException) -> ErrorFacts:
    """fasta2a raises ``UnexpectedResponseError`` for an HTTP error status; others as they are."""
    status = getattr(exc, "status_code", None)
    if type(exc).__name__ == "UnexpectedResponseError" and isinstance(status, int):
        return ErrorFacts(error_type=str(status), message=f"HTTP {status}", http_status_code=status)
    return ErrorFacts(error_type=type(exc).__qualname__, message=str(exc))


def _inject(request: Any, carrier: dict[str, str]) -> None:
    for key, value in carrier.items():
        request.headers[key] = value


class ClientHooks:
    def __init__(self, observer: Observer) -> None:
        self.observer = observer

    def install(self, patches: Patches) -> None:
        patches.when_imported("fasta2a.client", lambda module: self._patch(patches, module))

    def _patch(self, patches: Patches, module: ModuleType) -> None:
        patches.wrap(module.httpx.AsyncClient, "send", self._send)
        for name, wire in CLIENT_METHODS.items():
            streaming = semconv.V03_METHOD_NAMES[wire] in semconv.STREAMING_METHODS
            patches.wrap(module.A2AClient, name, self._stream(wire) if streaming else self._unary(wire))

    @staticmethod
    def _send(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        outgoing = _outgoing.get()
        if outgoing is not None and outgoing[0] is instance:
            request = args[0] if args else kwargs.get("request")
            call_guarded("fasta2a trace context", _inject, request, outgoing[1])
        return wrapped(*args, **kwargs)

    def _start(
        self, client: Any, wire: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[CallObservation, Callable[[], contextlib.AbstractContextManager[None]]]:
        facts = call_facts(client, wire, args, kwargs)
        call = self.observer.start_client_call(facts)
        outgoing = (getattr(client, "http_client", None), call.carrier())

        @contextlib.contextmanager
        def activated() -> Iterator[None]:
            with call.activated():
                token = _outgoing.set(outgoing)
                try:
                    yield
                finally:
                    _outgoing.reset(token)

        return call, activated

    def _unary(self, wire: str) -> Callable[..., Any]:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            started = call_guarded("fasta2a client span start", self._start, instance, wire, args, kwargs)
            if started is None:
                return wrapped(*args, **kwargs)
            call, activated = started
            return run_async(
                call, lambda: wrapped(*args, **kwargs), self._on_result, self._on_error, activated
            )

        return wrapper

    def _stream(self, wire: str) -> Callable[..., Any]:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            started = call_guarded("fasta2a client span start", self._start, instance, wire, args, kwargs)
            if started is None:
                return wrapped(*args, **kwargs)
            call, activated = started
            return observe_async_stream(
                call, wrapped(*args, **kwargs), self._on_result, self._on_error, activated
            )

        return wrapper

    def _on_result(self, call: CallObservation, response: Any) -> None:
        """A JSON-RPC response (whole, or one event of a stream)."""
        error = translate.rpc_error(response)
        if error is not None:
            call.error(error)
            return
        result = response.get("result") if isinstance(response, dict) else None
        event = translate.event_facts(result)
        if call.streaming:
            if event is not None:
                call.stream_event(event)
        else:
            call.result(event)

    @staticmethod
    def _on_error(call: CallObservation, exc: BaseException) -> None:
        call.exception(exc, response_error(exc))
