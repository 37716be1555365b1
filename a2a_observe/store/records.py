"""What a conversation source returns: plain, typed records, the same from every backend.

A record holds what a store row holds, with legacy spellings already mapped (see
:mod:`a2a_observe.store.legacy`), so the replay, the audits, the exports and the debugger
never see how or where the data was stored. "Everything of a conversation" means every span
of every trace that touched the conversation, so work an agent delegated under another
context (and the failure that came back from it) is part of the story.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


@dataclass(frozen=True)
class ConversationSummary:
    """One row of the conversation list: what can be told without rebuilding it."""

    conversation_id: str
    start_ns: int
    end_ns: int
    duration_ns: int
    spans: int
    traces: int
    tasks: int
    agents: list[str]
    services: list[str]
    errors: int
    last_task_state: str | None


@dataclass(frozen=True)
class SpanRecord:
    trace_id: str
    span_id: str
    parent_span_id: str | None
    trace_state: str | None
    parent_is_remote: bool | None
    name: str
    kind: str
    start_ns: int
    end_ns: int
    duration_ns: int | None
    status_code: str
    status_message: str | None
    resource_id: str
    service_name: str | None
    scope_name: str | None
    scope_version: str | None
    attributes: dict[str, Any]
    dropped_attributes_count: int
    dropped_events_count: int
    dropped_links_count: int
    conversation_id: str | None
    task_id: str | None
    agent_name: str | None
    method: str | None
    task_state: str | None
    message_id: str | None
    error_type: str | None


@dataclass(frozen=True)
class EventRecord:
    trace_id: str
    span_id: str
    seq: int
    time_ns: int
    name: str
    attributes: dict[str, Any]
    dropped_attributes_count: int
    task_id: str | None
    task_state: str | None
    artifact_id: str | None
    message_id: str | None


@dataclass(frozen=True)
class LinkRecord:
    trace_id: str
    span_id: str
    seq: int
    linked_trace_id: str | None
    linked_span_id: str | None
    trace_state: str | None
    is_remote: bool | None
    attributes: dict[str, Any]
    dropped_attributes_count: int


@dataclass(frozen=True)
class LogRecord:
    time_ns: int | None
    observed_ns: int | None
    severity_number: int | None
    severity_text: str | None
    body: str | None
    attributes: dict[str, Any]
    trace_id: str | None
    span_id: str | None
    flags: int
    event_name: str | None
    resource_id: str
    service_name: str | None
    scope_name: str | None
    scope_version: str | None
    dropped_attributes_count: int
    conversation_id: str | None
    task_id: str | None


@dataclass(frozen=True)
class TimelineEntry:
    """One moment of a conversation: a span starting or ending, a span event, a log record."""

    time_ns: int
    what: str
    """``span_start``, ``span_end``, ``event`` or ``log``."""
    span: SpanRecord | None = None
    event: EventRecord | None = None
    log: LogRecord | None = None


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    trace_ids: list[str]
    spans: list[SpanRecord]
    events: list[EventRecord]
    links: list[LinkRecord]
    logs: list[LogRecord]

    def timeline(self) -> list[TimelineEntry]:
        """Everything in time order; at equal times starts come before events before ends."""
        order = {"span_start": 0, "event": 1, "log": 2, "span_end": 3}
        entries: list[TimelineEntry] = []
        for span in self.spans:
            entries.append(TimelineEntry(span.start_ns, "span_start", span=span))
            entries.append(TimelineEntry(span.end_ns, "span_end", span=span))
        entries.extend(TimelineEntry(e.time_ns, "event", event=e) for e in self.events)
        entries.extend(TimelineEntry(log.time_ns or 0, "log", log=log) for log in self.logs)
        entries.sort(key=lambda entry: (entry.time_ns, order[entry.what]))
        return entries


@dataclass(frozen=True)
class TaskTransition:
    task_id: str
    conversation_id: str | None
    agent_name: str | None
    time_ns: int
    from_state: str | None
    state: str
    final: bool
    message_id: str | None
    trace_id: str
    span_id: str
    seq: int


@dataclass(frozen=True)
class TaskSummary:
    task_id: str
    conversation_id: str | None
    agent_name: str | None
    start_ns: int
    end_ns: int
    state: str | None
    spans: int
    traces: int
    errors: int


@dataclass(frozen=True)
class Artifact:
    task_id: str | None
    conversation_id: str | None
    agent_name: str | None
    artifact_id: str | None
    name: str | None
    chunks: int
    first_ns: int
    last_ns: int
    last_chunk_seen: bool
    content: str | None


@dataclass(frozen=True)
class MessageRecord:
    message_id: str
    conversation_id: str | None
    task_id: str | None
    role: str | None
    time_ns: int
    parts: int | None
    size: int | None
    content: str | None
    sightings: int
    trace_id: str | None


@dataclass(frozen=True)
class TaskHistory:
    task: TaskSummary
    transitions: list[TaskTransition]
    artifacts: list[Artifact]
    messages: list[MessageRecord]
    spans: list[SpanRecord] = field(default_factory=list)


class Sort(Enum):
    """The orders a conversation list can be read in; each backend sorts in its own engine."""

    START = "start"
    """When the conversation began."""
    DURATION = "duration"
    """From its first span's start to its last span's end."""
    ERRORS = "errors"
    """How many of its spans failed."""
    TURNS = "turns"
    """How many traces it spans (a trace per user turn)."""

    @property
    def label(self) -> str:
        return self.value

    def next(self) -> Sort:
        """The order after this one, for a key that cycles through them."""
        members = list(Sort)
        return members[(members.index(self) + 1) % len(members)]


@dataclass(frozen=True)
class ConversationFilter:
    """Which conversations a list shows; every field is optional and they combine with AND."""

    agent: str | None = None
    """An agent that took part in the conversation (any of its spans names it)."""
    state: str | None = None
    """The conversation's last task state, as the conventions spell it (``TASK_STATE_FAILED``)."""
    errors_only: bool = False
    """Only conversations with at least one failed span."""
    since_ns: int | None = None
    """Only conversations still going on at or after this time (their last span ends then or later)."""
    until_ns: int | None = None
    """Only conversations begun at or before this time."""
    text: str = ""
    """Words that must each appear (case-insensitive) in one of the conversation's spans: in its
    conversation, task or trace id, its name, its agent, its error type or its status message."""


@dataclass(frozen=True)
class FirstCall:
    """The first A2A call of a conversation, to tell apart conversations among the same agents."""

    name: str
    """The call's span name (``SendMessage``, ...)."""
    agent: str | None


@dataclass(frozen=True)
class FilterChoices:
    """What a conversation filter can choose from, for completion in the debugger."""

    agents: list[str]
    states: list[str]


@dataclass(frozen=True)
class StoreStats:
    """How much a source holds; ``spans`` and ``logs`` also tell whether a refresh brought more."""

    spans: int
    logs: int
    conversations: int
    traces: int
