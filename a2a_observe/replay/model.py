"""The typed picture of a conversation that the replay rebuilds from stored spans.

Everything here is plain data, so the exports, the audits, the diff of a re-drive and the
terminal debugger read one model and never the store. Every step keeps the ids of the spans
it came from (``span_id`` and ``trace_id``), so a reader can always go from what happened to
the span that says so, and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from a2a_observe.store.records import SpanRecord


@dataclass(frozen=True)
class Part:
    """One captured part of a message or artifact; ``content`` is text or JSON text."""

    kind: str
    content: str
    media_type: str | None = None


@dataclass(frozen=True)
class Message:
    message_id: str | None
    role: str | None
    time_ns: int
    parts_count: int | None
    parts_kinds: list[str]
    parts: list[Part] | None
    """``None`` when content was not captured; then only the structure is known."""
    truncated: bool
    task_id: str | None
    trace_id: str
    span_id: str
    sightings: list[str] = field(default_factory=list)
    """Every span that recorded this message (client, server, agent), first the earliest."""

    @property
    def text(self) -> str | None:
        """The text parts joined, or ``None`` when no content was captured."""
        return None if self.parts is None else "".join(p.content for p in self.parts if p.kind == "text")


@dataclass(frozen=True)
class Transition:
    time_ns: int
    from_state: str | None
    state: str
    final: bool
    source: str
    """Who reported it: ``agent`` (the agent's run), ``server`` or ``client`` (stream events
    of the call) or ``response`` (only the state a call returned is known)."""
    message: Message | None
    trace_id: str
    span_id: str
    seq: int


@dataclass(frozen=True)
class ArtifactChunk:
    time_ns: int
    append: bool
    last_chunk: bool
    parts_count: int | None
    parts: list[Part] | None
    index: int | None
    """The stream event index, when the chunk came from a stream's events."""
    trace_id: str
    span_id: str
    seq: int


@dataclass(frozen=True)
class Artifact:
    artifact_id: str | None
    name: str | None
    task_id: str | None
    chunks: list[ArtifactChunk]

    @property
    def chunk_count(self) -> int:
        return len(self.chunks)

    @property
    def last_chunk_seen(self) -> bool:
        return any(c.last_chunk for c in self.chunks)

    @property
    def text(self) -> str | None:
        """The text of every chunk in order, or ``None`` when no content was captured."""
        if any(c.parts is None for c in self.chunks):
            return None
        return "".join(p.content for c in self.chunks for p in (c.parts or ()) if p.kind == "text")


@dataclass(frozen=True)
class CallError:
    error_type: str | None
    message: str | None
    side: str
    """``server``, ``agent`` or ``client``: where the error was recorded first."""
    trace_id: str
    span_id: str


@dataclass(frozen=True)
class Stream:
    events: int | None
    end: str | None
    """``completed``, ``closed_early``, ``cancelled`` or ``error`` (see semconv)."""
    time_to_first_event: float | None
    states: list[str]
    """Every task state the stream delivered, in order."""
    kinds: list[str] = field(default_factory=list)
    """The kind of every event (``task``, ``message``, ``status-update``, ``artifact-update``)."""


@dataclass(frozen=True)
class Exchange:
    """One A2A call and everything the called agent did for it.

    A turn is an exchange started outside any agent (by the user's app); a delegation is an
    exchange an agent started while working on another one, nested under it.
    """

    path: str
    """``1``, ``2``... for turns; ``1.1``, ``1.2``, ``1.1.1``... for delegations."""
    method: str
    binding: str | None
    protocol_version: str | None
    caller: str | None
    """The agent that made the call, or ``None`` for the user's app."""
    agent: str | None
    agent_version: str | None
    context_id: str | None
    task_id: str | None
    task_created: bool
    """True when this exchange started the task (its first state is the task's first)."""
    request: Message | None
    messages: list[Message]
    """The request and every message the agent sent back, in time order, each once."""
    transitions: list[Transition]
    artifacts: list[Artifact]
    final_state: str | None
    """The task state the caller ended up with (the response's, else the agent's last)."""
    response_kind: str | None
    start_ns: int
    end_ns: int
    error: CallError | None
    stream: Stream | None
    client_span_id: str | None
    server_span_id: str | None
    agent_span_ids: list[str]
    trace_id: str
    delegations: list[Exchange] = field(default_factory=list)

    @property
    def latency_ns(self) -> int:
        return self.end_ns - self.start_ns

    @property
    def span_ids(self) -> list[str]:
        """The spans behind this exchange: the client's, the server's and the agent's runs."""
        ids = [self.client_span_id, self.server_span_id, *self.agent_span_ids]
        return [i for i in ids if i]

    def walk(self) -> list[Exchange]:
        """This exchange and every delegation under it, depth first, in time order."""
        out = [self]
        for child in self.delegations:
            out.extend(child.walk())
        return out


@dataclass(frozen=True)
class Task:
    """A task across every exchange that worked on it (a multi-turn task spans several)."""

    task_id: str
    context_id: str | None
    agent: str | None
    transitions: list[Transition]
    artifacts: list[Artifact]
    exchanges: list[str]
    """Paths of the exchanges that worked on it, in time order."""

    @property
    def final_state(self) -> str | None:
        return self.transitions[-1].state if self.transitions else None


@dataclass(frozen=True)
class Agent:
    name: str
    version: str | None
    services: list[str]


@dataclass(frozen=True)
class Step:
    """One moment of the conversation, for stepping through it in time order."""

    time_ns: int
    kind: str
    """``request``, ``transition``, ``message``, ``artifact``, ``error`` or ``response``."""
    path: str
    agent: str | None
    summary: str
    trace_id: str
    span_id: str


@dataclass(frozen=True)
class ConversationModel:
    conversation_id: str
    agents: list[Agent]
    turns: list[Exchange]
    tasks: list[Task]
    spans: dict[str, SpanRecord]
    """Every span of the conversation's traces, by span id."""
    trace_ids: list[str]
    start_ns: int
    end_ns: int
    content_captured: bool
    """True when any message or artifact content was recorded."""
    running: frozenset[str] = frozenset()
    """Spans that started and have not ended yet (their end is the time the model was built)."""
    starts_recorded: bool = False
    """True when span starts were logged, so an open span would have been seen."""

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns

    def exchanges(self) -> list[Exchange]:
        """Every turn and delegation, depth first."""
        return [e for turn in self.turns for e in turn.walk()]

    def exchange(self, path: str) -> Exchange:
        for candidate in self.exchanges():
            if candidate.path == path:
                return candidate
        raise KeyError(path)

    def task(self, task_id: str) -> Task:
        for candidate in self.tasks:
            if candidate.task_id == task_id:
                return candidate
        raise KeyError(task_id)

    def span(self, span_id: str) -> SpanRecord:
        return self.spans[span_id]

    def message_spans(self, message_id: str) -> list[SpanRecord]:
        """The spans that recorded a message, earliest first."""
        for exchange in self.exchanges():
            for message in exchange.messages:
                if message.message_id == message_id:
                    return [self.spans[s] for s in message.sightings if s in self.spans]
        return []

    def steps(self) -> list[Step]:
        """Every request, transition, message, artifact chunk and error, in time order."""
        from a2a_observe.replay.steps import steps_of  # noqa: PLC0415 - a view on the model

        return steps_of(self)

    @property
    def final_state(self) -> str | None:
        return self.turns[-1].final_state if self.turns else None
