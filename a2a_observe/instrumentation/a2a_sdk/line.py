"""What differs between the a2a-sdk lines, as the shared hooks see it.

The 1.x line speaks protobuf objects, the 0.3 line pydantic ones, and their handler and
transport methods have other names; the hooks around them (server, client, executor,
outcomes) are the same. Each line hands the hooks a :class:`Translator` (one module per line
that turns its objects into neutral facts) and the names of the methods to wrap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from a2a_observe.observation.facts import AgentFacts, ErrorFacts, EventFacts, MessageFacts


class Translator(Protocol):
    """The functions a line's translation module provides (the module itself is one)."""

    def message_facts(self, message: Any, *, sized: bool = True) -> MessageFacts: ...

    def event_facts(self, obj: Any, *, sized: bool = True) -> EventFacts | None: ...

    def request_ids(self, request: Any) -> tuple[str | None, str | None, MessageFacts | None, str | None]: ...

    def agent_facts(self, card: Any) -> AgentFacts: ...

    def error_facts(self, exc: BaseException, binding: str | None, *, server: bool = False) -> ErrorFacts: ...


@dataclass(frozen=True)
class ServerLine:
    """How one line's ``RequestHandler`` is observed."""

    translator: Translator
    handler_methods: Mapping[str, str]
    """Handler method name -> the v1.0 A2A method it serves."""
    agent_card: Callable[[Any], Any]
    """The card of the agent a request handler serves when the handler holds none itself."""
    protocol_version: str | None = None
    """The version every request speaks, for a line that serves only one; None: read the
    request's ``A2A-Version`` header."""
    jsonrpc_method: Callable[[Any], str | None] = lambda call_context: None
    """The JSON-RPC method being served with this ``ServerCallContext``, for SDK releases
    whose context does not say (``state["method"]``); None if it is no JSON-RPC request."""


def no_card(handler: Any) -> None:
    """A 1.x request handler holds its card itself; there is nowhere else to look."""
    return None
