"""CLIENT spans for python-a2a's ``A2AClient`` and ``StreamingClient``.

One span per A2A operation the app asked for, at the client's public methods: python-a2a
tries several endpoints and wire formats per operation and hides most failures in its answer,
so the span is the operation, and the wire (URL, JSON-RPC method, last HTTP outcome) is
learned from the HTTP requests made while it is current. Those requests carry our
``traceparent``: ``requests`` and ``aiohttp`` are hooked only while a python-a2a call is
current, and every hook works on a copy of the headers it is given.

Helpers that call other public methods (``ask`` → ``send_message``, ``stream_task`` →
``tasks_send_subscribe``) make one span, not two. The ``*_async`` methods of ``A2AClient``
run the sync method in an executor thread, which does not inherit context; the async call
hands its observation over to that thread instead.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from a2a_observe import semconv
from a2a_observe.instrumentation.common import observe_async_stream, run_async, run_sync
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.instrumentation.python_a2a import translate
from a2a_observe.instrumentation.transport import safe_url, url_address
from a2a_observe.observation.facts import CallFacts, ErrorFacts, MessageFacts
from a2a_observe.observation.observer import CallObservation, Observer
from a2a_observe.safety import call_guarded

SYNC, ASYNC, STREAM = "sync", "async", "stream"


@dataclass(frozen=True)
class MethodSpec:
    method: str
    shape: str
    argument: str | None
    """What the first parameter is: ``message``, ``conversation``, ``task`` or ``task_id``."""


_SEND = semconv.SEND_MESSAGE
_STREAMED = semconv.SEND_STREAMING_MESSAGE

A2A_CLIENT_METHODS: dict[str, MethodSpec] = {
    "send_message": MethodSpec(_SEND, SYNC, "message"),
    "send_conversation": MethodSpec(_SEND, SYNC, "conversation"),
    "_send_task": MethodSpec(_SEND, SYNC, "task"),
    "get_task": MethodSpec(semconv.GET_TASK, SYNC, "task_id"),
    "cancel_task": MethodSpec(semconv.CANCEL_TASK, SYNC, "task_id"),
    "_fetch_agent_card": MethodSpec(semconv.GET_AGENT_CARD, SYNC, None),
    "send_message_async": MethodSpec(_SEND, ASYNC, "message"),
    "send_conversation_async": MethodSpec(_SEND, ASYNC, "conversation"),
    "send_task_async": MethodSpec(_SEND, ASYNC, "task"),
    "check_streaming_support": MethodSpec(semconv.GET_AGENT_CARD, ASYNC, None),
    "stream_response": MethodSpec(_STREAMED, STREAM, "message"),
    "stream_task": MethodSpec(_STREAMED, STREAM, "task"),
}
"""``ask`` is not here: it only builds a message and calls ``send_message``."""

STREAMING_CLIENT_METHODS: dict[str, MethodSpec] = {
    "send_message": MethodSpec(_SEND, SYNC, "message"),
    "send_conversation": MethodSpec(_SEND, SYNC, "conversation"),
    "send_message_async": MethodSpec(_SEND, ASYNC, "message"),
    "send_conversation_async": MethodSpec(_SEND, ASYNC, "conversation"),
    "send_task": MethodSpec(_SEND, ASYNC, "task"),
    "check_streaming_support": MethodSpec(semconv.GET_AGENT_CARD, ASYNC, None),
    "stream_response": MethodSpec(_STREAMED, STREAM, "message"),
    "stream_task": MethodSpec(_STREAMED, STREAM, "task"),
    "tasks_send_subscribe": MethodSpec(_STREAMED, STREAM, "task"),
    "tasks_resubscribe": MethodSpec(semconv.SUBSCRIBE_TO_TASK, STREAM, "task_id"),
}

CLIENT_CLASSES = (
    ("python_a2a.client.http", "A2AClient", A2A_CLIENT_METHODS),
    ("python_a2a.client.streaming", "StreamingClient", STREAMING_CLIENT_METHODS),
)


@dataclass
class ClientCall:
    """One observed client operation and what its HTTP attempts have shown so far."""

    observation: CallObservation
    failure: ErrorFacts | None = None
    """The latest HTTP attempt's failure; cleared by a later attempt that succeeds."""


_current: contextvars.ContextVar[ClientCall | None] = contextvars.ContextVar(
    "a2a_observe_python_a2a_call", default=None
)


def current_call() -> ClientCall | None:
    return _current.get()


@contextmanager
def activated(state: ClientCall) -> Iterator[None]:
    """The call's span current, and the call visible to the HTTP hooks."""
    token = _current.set(state)
    try:
        with state.observation.activated():
            yield
    finally:
        _current.reset(token)


class Handoffs:
    """Observations lent to the executor thread an async method runs its sync twin in.

    Keyed by the identities of the client and of the argument object both methods receive;
    the async caller holds both alive until it takes the entry back, so the key is unique.
    """

    def __init__(self) -> None:
        self._calls: dict[tuple[int, int], ClientCall] = {}
        self._lock = threading.Lock()

    def lend(self, client: Any, argument: Any, state: ClientCall) -> tuple[int, int] | None:
        if argument is None:
            return None
        key = (id(client), id(argument))
        with self._lock:
            self._calls[key] = state
        return key

    def find(self, client: Any, argument: Any) -> ClientCall | None:
        if argument is None:
            return None
        with self._lock:
            return self._calls.get((id(client), id(argument)))

    def take_back(self, key: tuple[int, int] | None) -> None:
        if key is not None:
            with self._lock:
                self._calls.pop(key, None)


def _first_argument(spec: MethodSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if args:
        return args[0]
    return kwargs.get(spec.argument) if spec.argument else None


def merged_headers(headers: Any, carrier: Mapping[str, str]) -> Any:
    """A new header collection: the caller's headers with our trace context on top."""
    if headers is None:
        return dict(carrier)
    ours = {key.lower() for key in carrier}
    items = headers.items() if isinstance(headers, Mapping) else headers
    merged = [(key, value) for key, value in items if str(key).lower() not in ours]
    merged.extend(carrier.items())
    return dict(merged) if isinstance(headers, dict) else merged


class ClientHooks:
    def __init__(self, observer: Observer) -> None:
        self.observer = observer
        self.handoffs = Handoffs()

    def install(self, patches: Patches) -> None:
        for module_name, class_name, methods in CLIENT_CLASSES:
            patches.when_imported(
                module_name,
                functools.partial(self._patch_client, patches, class_name=class_name, methods=methods),
            )

    # -- patching ------------------------------------------------------------------------------
    def _patch_client(
        self, patches: Patches, module: ModuleType, *, class_name: str, methods: dict[str, MethodSpec]
    ) -> None:
        cls = getattr(module, class_name)
        for name, spec in methods.items():
            if spec.shape == SYNC:
                patches.wrap(cls, name, self._sync_wrapper(spec))
            elif spec.shape == ASYNC:
                patches.wrap(cls, name, self._async_wrapper(spec))
            else:
                patches.wrap(cls, name, self._stream_wrapper(spec))
        # The HTTP libraries are hooked only once python-a2a's clients are in use.
        patches.when_imported(
            "requests.sessions", lambda m: patches.wrap(m.Session, "request", self._requests)
        )
        patches.when_imported(
            "aiohttp.client", lambda m: patches.wrap(m.ClientSession, "_request", self._aiohttp)
        )

    # -- opening calls -------------------------------------------------------------------------
    def _facts(self, spec: MethodSpec, client: Any, argument: Any) -> CallFacts:
        task_id = context_id = None
        message: MessageFacts | None = None
        if spec.argument == "message":
            message = translate.message_facts(argument)
            context_id = message.context_id if message else None
        elif spec.argument == "conversation":
            context_id, message = translate.conversation_facts(argument)
        elif spec.argument == "task":
            task_id, context_id = translate.task_ids(argument)
            raw = (
                argument.get("message")
                if isinstance(argument, Mapping)
                else getattr(argument, "message", None)
            )
            message = translate.message_facts(raw) if raw else None
        elif spec.argument == "task_id":
            task_id = None if argument is None else str(argument)
        url = getattr(client, "endpoint_url", None) or getattr(client, "url", None)
        url = safe_url(url) if isinstance(url, str) else None
        host, port = url_address(url)
        card = getattr(client, "agent_card", None)
        return CallFacts(
            method=spec.method,
            agent=translate.agent_facts(card),
            protocol_version=translate.protocol_version(card),
            task_id=task_id,
            context_id=context_id,
            message=message,
            server_address=host,
            server_port=port,
            url=url,
        )

    def _start(self, spec: MethodSpec, client: Any, argument: Any) -> ClientCall:
        return ClientCall(self.observer.start_client_call(self._facts(spec, client, argument)))

    # -- outcomes ------------------------------------------------------------------------------
    def _on_result(self, state: ClientCall, spec: MethodSpec, call: CallObservation, result: Any) -> None:
        if spec.method == semconv.GET_AGENT_CARD:
            if result is not None and not isinstance(result, bool):
                call.card_returned(translate.agent_facts(result))
            return
        event = translate.event_facts(result)
        call.result(event)
        error = translate.error_text(result)
        failure = state.failure
        if error is not None:
            call.error(
                ErrorFacts(
                    error_type=failure.error_type if failure else translate.ERROR_CONTENT,
                    message=error,
                    rpc_status_code=failure.rpc_status_code if failure else None,
                    http_status_code=failure.http_status_code if failure else None,
                )
            )
        elif failure is not None and event is not None and event.state == semconv.TASK_STATE_FAILED:
            call.error(failure)

    def _on_error(self, state: ClientCall, call: CallObservation, exc: BaseException) -> None:
        failure = state.failure
        call.exception(
            exc,
            ErrorFacts(
                error_type=type(exc).__qualname__,
                message=str(exc),
                rpc_status_code=failure.rpc_status_code if failure else None,
                http_status_code=failure.http_status_code if failure else None,
            ),
        )

    def _on_item(self, call: CallObservation, item: Any) -> None:
        event = translate.chunk_facts(item)
        if event is not None:
            call.stream_event(event)

    # -- wrappers ------------------------------------------------------------------------------
    def _sync_wrapper(self, spec: MethodSpec) -> Callable[..., Any]:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if _current.get() is not None:
                return wrapped(*args, **kwargs)
            argument = _first_argument(spec, args, kwargs)
            lent = self.handoffs.find(instance, argument)
            if lent is not None:
                with activated(lent):
                    return wrapped(*args, **kwargs)
            state = call_guarded("client span start", self._start, spec, instance, argument)
            if state is None:
                return wrapped(*args, **kwargs)
            return run_sync(
                state.observation,
                lambda: wrapped(*args, **kwargs),
                functools.partial(self._on_result, state, spec),
                functools.partial(self._on_error, state),
                lambda: activated(state),
            )

        return wrapper

    def _async_wrapper(self, spec: MethodSpec) -> Callable[..., Any]:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            return self._run_async(spec, wrapped, instance, args, kwargs)

        return wrapper

    async def _run_async(
        self, spec: MethodSpec, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        argument = _first_argument(spec, args, kwargs)
        current = _current.get()
        if current is not None:
            key = call_guarded("client handoff", self.handoffs.lend, instance, argument, current)
            try:
                return await wrapped(*args, **kwargs)
            finally:
                call_guarded("client handoff", self.handoffs.take_back, key)
        state = call_guarded("client span start", self._start, spec, instance, argument)
        if state is None:
            return await wrapped(*args, **kwargs)
        key = call_guarded("client handoff", self.handoffs.lend, instance, argument, state)
        try:
            return await run_async(
                state.observation,
                lambda: wrapped(*args, **kwargs),
                functools.partial(self._on_result, state, spec),
                functools.partial(self._on_error, state),
                lambda: activated(state),
            )
        finally:
            call_guarded("client handoff", self.handoffs.take_back, key)

    def _stream_wrapper(self, spec: MethodSpec) -> Callable[..., Any]:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            return self._run_stream(spec, wrapped, instance, args, kwargs)

        return wrapper

    async def _run_stream(
        self, spec: MethodSpec, wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """The library's stream, observed; the span opens with the first read, as the
        library sends nothing before it."""
        state = None
        if _current.get() is None:
            argument = _first_argument(spec, args, kwargs)
            state = call_guarded("client span start", self._start, spec, instance, argument)
        if state is None:
            async for item in wrapped(*args, **kwargs):
                yield item
            return
        bound = state
        async for item in observe_async_stream(
            bound.observation,
            wrapped(*args, **kwargs),
            self._on_item,
            functools.partial(self._on_error, bound),
            lambda: activated(bound),
        ):
            yield item

    # -- HTTP ----------------------------------------------------------------------------------
    def _describe_request(self, state: ClientCall, url: Any, body: Any) -> dict[str, str]:
        """Note the request's wire details on the span; the headers to add to it."""
        call = state.observation
        wire = translate.wire_method(body)
        task_id = translate.task_ids(body.get("params"))[0] if wire and isinstance(body, Mapping) else None
        full = safe_url(str(url)) if url is not None else None
        host, port = url_address(full)
        call.wire_learned(
            CallFacts(
                method=call.facts.method,
                binding=semconv.BINDING_JSONRPC if wire else None,
                original_method=wire if wire and wire != call.facts.method else None,
                task_id=task_id,
                url=full,
                server_address=host,
                server_port=port,
            )
        )
        return call.carrier()

    def _requests(self, wrapped: Any, session: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        state = _current.get()
        if state is None:
            return wrapped(*args, **kwargs)
        prepared = call_guarded("client http inject", self._inject_requests, state, args, kwargs)
        new_args, new_kwargs = prepared if prepared is not None else (args, kwargs)
        try:
            response = wrapped(*new_args, **new_kwargs)
        except Exception as exc:
            call_guarded("client http outcome", self._note_exception, state, exc)
            raise
        call_guarded("client http outcome", self._note_requests_response, state, response, kwargs)
        return response

    def _inject_requests(
        self, state: ClientCall, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        url = args[1] if len(args) > 1 else kwargs.get("url")
        carrier = self._describe_request(state, url, kwargs.get("json"))
        if len(args) > 4:  # Session.request(method, url, params, data, headers, ...)
            new_args = (*args[:4], merged_headers(args[4], carrier), *args[5:])
            return new_args, kwargs
        return args, {**kwargs, "headers": merged_headers(kwargs.get("headers"), carrier)}

    def _note_requests_response(self, state: ClientCall, response: Any, kwargs: dict[str, Any]) -> None:
        status = int(response.status_code)
        body = None
        if status >= 400 and not kwargs.get("stream"):
            try:
                body = response.json()
            except ValueError:
                body = None
        self._note_status(state, status, body)

    def _aiohttp(self, wrapped: Any, session: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        state = _current.get()
        if state is None:
            return wrapped(*args, **kwargs)
        new_kwargs = call_guarded("client http inject", self._inject_aiohttp, state, args, kwargs)
        return self._aiohttp_outcome(
            state, wrapped(*args, **(new_kwargs if new_kwargs is not None else kwargs))
        )

    def _inject_aiohttp(
        self, state: ClientCall, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        url = args[1] if len(args) > 1 else kwargs.get("str_or_url")
        carrier = self._describe_request(state, url, kwargs.get("json"))
        return {**kwargs, "headers": merged_headers(kwargs.get("headers"), carrier)}

    async def _aiohttp_outcome(self, state: ClientCall, request: Any) -> Any:
        try:
            response = await request
        except Exception as exc:
            call_guarded("client http outcome", self._note_exception, state, exc)
            raise
        call_guarded("client http outcome", self._note_status, state, int(response.status), None)
        return response

    @staticmethod
    def _note_status(state: ClientCall, status: int, body: Any) -> None:
        if status < 400:
            state.failure = None
            return
        state.failure = ErrorFacts(
            error_type=str(status),
            message=f"HTTP {status}",
            rpc_status_code=translate.rpc_error_code(body),
            http_status_code=status,
        )

    @staticmethod
    def _note_exception(state: ClientCall, exc: BaseException) -> None:
        state.failure = ErrorFacts(error_type=type(exc).__qualname__, message=str(exc))
