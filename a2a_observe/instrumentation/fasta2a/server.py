"""SERVER spans for the A2A endpoint of fasta2a apps (pydantic-ai's ``to_a2a`` serves one).

Every JSON-RPC request, in fasta2a's own dialect or in A2A 1.0's, crosses
``FastA2A._agent_run_endpoint``, looked up on the class at request time, so apps built before
``instrument()`` are observed too. The span is current while the endpoint works: the broker
hands the current span to the worker, so the worker's own spans (and an agent's, under
pydantic-ai) join the caller's trace below ours. A streamed answer keeps the span open until
its last event is sent or the client goes away.
"""

from __future__ import annotations

import asyncio
import json
from types import ModuleType
from typing import Any

from a2a_observe import semconv
from a2a_observe.instrumentation.common import observe_async_stream
from a2a_observe.instrumentation.fasta2a import translate
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.instrumentation.transport import A2A_VERSION_HEADER, header_carrier, host_and_port
from a2a_observe.observation.facts import AgentFacts, CallFacts, ErrorFacts
from a2a_observe.observation.observer import CallObservation, Observer
from a2a_observe.safety import call_guarded


def _agent(app: Any) -> AgentFacts:
    return AgentFacts(
        name=getattr(app, "name", None),
        version=getattr(app, "version", None),
        description=getattr(app, "description", None),
        url=getattr(app, "url", None),
    )


def exception_error(exc: BaseException) -> ErrorFacts:
    return ErrorFacts(error_type=type(exc).__qualname__, message=str(exc))


class ServerHooks:
    def __init__(self, observer: Observer) -> None:
        self.observer = observer

    def install(self, patches: Patches) -> None:
        patches.when_imported("fasta2a.applications", lambda module: self._patch(patches, module))

    def _patch(self, patches: Patches, module: ModuleType) -> None:
        patches.wrap(module.FastA2A, "_agent_run_endpoint", self._endpoint)

    async def _endpoint(self, wrapped: Any, app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        request: Any = args[0] if args else kwargs.get("request")
        try:
            body = await request.body()  # Starlette keeps it: the endpoint reads the same bytes
        except Exception:  # noqa: BLE001 - the endpoint meets the same failure and reports it
            return await wrapped(*args, **kwargs)
        call = call_guarded("fasta2a server span start", self._start, app, request, body)
        if call is None:
            return await wrapped(*args, **kwargs)
        try:
            with call.activated():
                response = await wrapped(*args, **kwargs)
        except BaseException as exc:
            if not isinstance(exc, asyncio.CancelledError | GeneratorExit):
                call_guarded("fasta2a server span error", call.exception, exc, exception_error(exc))
            call_guarded("fasta2a server span end", call.end)
            raise
        if not call_guarded("fasta2a server span result", self._finish, call, response):
            call_guarded("fasta2a server span end", call.end)
        return response

    def _start(self, app: Any, request: Any, body: bytes) -> CallObservation | None:
        try:
            decoded = json.loads(body)
        except ValueError:
            return None
        facts = translate.request_facts(decoded)
        if facts is None:
            return None
        carrier = header_carrier(request.headers.items())
        server_address, server_port = host_and_port(carrier.get("host"))
        peer = getattr(request, "client", None)  # Starlette's (host, port) of the socket
        call_facts = CallFacts(
            server_address=server_address,
            server_port=server_port,
            client_address=getattr(peer, "host", None) or None,
            client_port=getattr(peer, "port", None),
            method=facts.method,
            binding=semconv.BINDING_JSONRPC,
            protocol_version=carrier.get(A2A_VERSION_HEADER) or facts.protocol_version,
            original_method=facts.original_method,
            agent=_agent(app),
            task_id=facts.task_id,
            context_id=facts.context_id,
            message=facts.message,
        )
        return self.observer.start_server_call(call_facts, carrier)

    def _finish(self, call: CallObservation, response: Any) -> bool:
        """Record a whole answer and end the span, or hand a streamed one the span."""
        if hasattr(response, "body_iterator"):
            response.body_iterator = observe_async_stream(
                call, response.body_iterator, self._on_chunk, self._on_stream_error
            )
            return True
        status = int(getattr(response, "status_code", 200))
        try:
            body = json.loads(bytes(response.body))
        except ValueError:
            body = None
        result = body.get("result") if isinstance(body, dict) else None
        call.result(translate.event_facts(result))
        error = translate.rpc_error(body)
        if error is not None:
            call.error(error)
        elif status >= 400:
            call.error(ErrorFacts(error_type=str(status), message=f"HTTP {status}", http_status_code=status))
        call.end()
        return True

    def _on_chunk(self, call: CallObservation, chunk: Any) -> None:
        for response in translate.sse_results(chunk):
            error = translate.rpc_error(response)
            if error is not None:
                call.error(error)
                continue
            event = translate.event_facts(response.get("result"))
            if event is not None:
                call.stream_event(event)

    @staticmethod
    def _on_stream_error(call: CallObservation, exc: BaseException) -> None:
        call.exception(exc, exception_error(exc))
