"""The library-neutral facts that adapters hand to the observation.

An adapter's only job is to translate its library's objects into these; everything that
knows span names, attributes or metrics reads them. A new A2A library therefore needs one
translation module and no new signal code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PartFacts:
    """One message or artifact part.

    Adapters always hand over the content; whether any of it is recorded is decided once, by
    the observation (:mod:`~a2a_observe.observation.capture`), so no adapter needs to know.
    """

    kind: str
    size: int = 0
    media_type: str | None = None
    content: Any = None
    """The part's payload as the library holds it (a reference, never a copy)."""
    load_content: Callable[[], Any] | None = None
    """Produces the payload where that costs something (a protobuf ``Struct`` as a dict); it
    is called only when the content is recorded."""

    def payload(self) -> Any:
        """The content, produced now if it is produced on demand."""
        return self.load_content() if self.load_content is not None else self.content


@dataclass(frozen=True)
class MessageFacts:
    message_id: str | None = None
    role: str | None = None
    task_id: str | None = None
    context_id: str | None = None
    reference_task_ids: tuple[str, ...] = ()
    parts: tuple[PartFacts, ...] = ()
    size: int | None = None


@dataclass(frozen=True)
class ArtifactFacts:
    artifact_id: str | None = None
    name: str | None = None
    parts: tuple[PartFacts, ...] = ()
    append: bool = False
    last_chunk: bool = False


@dataclass(frozen=True)
class EventFacts:
    """A task, message, status update or artifact update, returned or streamed."""

    kind: str
    task_id: str | None = None
    context_id: str | None = None
    state: str | None = None
    message: MessageFacts | None = None
    artifact: ArtifactFacts | None = None
    artifacts_count: int = 0
    size: int | None = None
    """Bytes of the serialised object, for the response-size metric."""


@dataclass(frozen=True)
class AgentFacts:
    name: str | None = None
    version: str | None = None
    description: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class CallFacts:
    """One A2A call as seen by a client or a server."""

    method: str
    binding: str | None = None
    protocol_version: str | None = None
    original_method: str | None = None
    agent: AgentFacts = field(default_factory=AgentFacts)
    tenant: str | None = None
    task_id: str | None = None
    context_id: str | None = None
    message: MessageFacts | None = None
    server_address: str | None = None
    server_port: int | None = None
    client_address: str | None = None
    """The peer of a SERVER span (``client.address``)."""
    client_port: int | None = None
    url: str | None = None


@dataclass(frozen=True)
class ErrorFacts:
    """An error as the protocol reports it: a name for it and the code on the wire.

    The observation makes ``error.type`` of these: the wire code when there is one, else the
    exception's canonical name, else ``error_type``."""

    error_type: str
    message: str = ""
    rpc_status_code: str | None = None
    http_status_code: int | None = None
