"""What a2a-sdk results, stream items and exceptions mean for a call, as the callbacks the
shared runners in :mod:`a2a_observe.instrumentation.common` take."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from a2a_observe.instrumentation.a2a_sdk import translate
from a2a_observe.instrumentation.a2a_sdk.line import Translator
from a2a_observe.instrumentation.common import run_async
from a2a_observe.observation.observer import CallObservation


class Outcomes:
    """Callbacks bound to one SDK line's translation."""

    def __init__(self, translator: Translator = translate) -> None:
        self.translator = translator

    def run(self, call: CallObservation, call_library: Callable[[], Awaitable[Any]]) -> Awaitable[Any]:
        """The library's unary call, observed from start to result."""
        return run_async(call, call_library, self.result, self.error)

    def result(self, call: CallObservation, result: Any) -> None:
        call.result(self.translator.event_facts(result))

    def item(self, call: CallObservation, item: Any) -> None:
        event = self.translator.event_facts(item)
        if event is not None:
            call.stream_event(event)

    def error(self, call: CallObservation, exc: BaseException) -> None:
        """The type and wire code of ``exc``; cancellation is how callers stop, not an error."""
        if isinstance(exc, asyncio.CancelledError | GeneratorExit):
            return
        call.exception(exc, self.translator.error_facts(exc, call.facts.binding, server=call.is_server))

    def card(self, call: CallObservation, card: Any) -> None:
        call.card_returned(self.translator.agent_facts(card))
