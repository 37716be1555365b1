"""What a2a-sdk results, stream items and exceptions mean for a call, as the callbacks the
shared runners in :mod:`a2a_observe.instrumentation.common` take."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry.trace import SpanKind

from a2a_observe import semconv
from a2a_observe.instrumentation.a2a_sdk import translate
from a2a_observe.instrumentation.a2a_sdk.line import Translator
from a2a_observe.instrumentation.common import run_async
from a2a_observe.observation.observer import CallObservation


class Outcomes:
    """Callbacks bound to one ``instrument()``'s content-capture setting and one SDK line."""

    def __init__(self, capture: bool, translator: Translator = translate) -> None:
        self.capture = capture
        self.translator = translator

    def run(self, call: CallObservation, call_library: Callable[[], Awaitable[Any]]) -> Awaitable[Any]:
        """The library's unary call, observed from start to result."""
        return run_async(call, call_library, self.result, self.error)

    def result(self, call: CallObservation, result: Any) -> None:
        call.result(self.translator.event_facts(result, self.capture))

    def item(self, call: CallObservation, item: Any) -> None:
        event = self.translator.event_facts(item, self.capture)
        if event is not None:
            call.stream_event(event)

    def error(self, call: CallObservation, exc: BaseException) -> None:
        """The type and wire code of ``exc``; cancellation is how callers stop, not an error."""
        if isinstance(exc, asyncio.CancelledError | GeneratorExit):
            return
        server = call.kind == SpanKind.SERVER
        call.exception(exc, self.translator.error_facts(exc, call.facts.binding, server=server))

    def card(self, call: CallObservation, card: Any) -> None:
        agent = self.translator.agent_facts(card)
        call.observer.set_agent(call.span, agent)
        call.observer.set(call.span, semconv.A2A_AGENT_URL, agent.url)
