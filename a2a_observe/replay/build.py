"""Rebuilding a conversation's model from the rows of its traces.

The span tree says who called whom: a SERVER span's parent is the CLIENT span of its caller,
an agent span (``invoke_agent``, when the agent has one) sits under the SERVER span of the
call it serves, and a call an agent makes while working sits under that agent's span. Each
pair of CLIENT and SERVER spans is one exchange; an exchange whose caller is inside another
exchange is a delegation of it. What the agent did is read from the most direct witness
available: the agent's own record (its span's events or, without an agent span, the same
events on the SERVER span), else the server's stream events, else the client's, else the
state a call returned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from a2a_observe import semconv
from a2a_observe.replay.content import parts_of, truncated
from a2a_observe.replay.model import (
    Agent,
    Artifact,
    ArtifactChunk,
    CallError,
    ConversationModel,
    Exchange,
    Message,
    Stream,
    Task,
    Transition,
)
from a2a_observe.replay.running import starts_recorded, with_running
from a2a_observe.store.late import conversation_with_late_events
from a2a_observe.store.records import Conversation, EventRecord, SpanRecord

_CALL_KINDS = frozenset({"CLIENT", "SERVER"})
_AGENT_EVENTS = frozenset({semconv.EVENT_TASK_STATUS, semconv.EVENT_ARTIFACT})
_RUN_OPERATIONS = frozenset({semconv.OPERATION_INVOKE_AGENT, semconv.OPERATION_CANCEL_AGENT})
_FINAL_STATES = semconv.TERMINAL_TASK_STATES | semconv.INTERRUPTED_TASK_STATES
_CHANGING_METHODS = frozenset({semconv.SEND_MESSAGE, semconv.SEND_STREAMING_MESSAGE, semconv.CANCEL_TASK})
"""Calls whose returned state is news; a GetTask answer only repeats a known state."""


def _method(span: SpanRecord) -> str | None:
    if span.kind not in _CALL_KINDS:
        return None
    method = span.method or span.attributes.get(semconv.A2A_METHOD_NAME)
    if isinstance(method, str) and method:
        return method
    return span.name if span.name in semconv.A2A_METHODS else None


def _is_run(span: SpanRecord) -> bool:
    return span.kind == "INTERNAL" and span.attributes.get(semconv.GEN_AI_OPERATION_NAME) in _RUN_OPERATIONS


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class _RawTransition:
    time_ns: int
    state: str
    final: bool
    source: str
    message: Message | None
    trace_id: str
    span_id: str
    seq: int
    task_id: str | None


@dataclass
class _Draft:
    """An exchange while it is being assembled."""

    client: SpanRecord | None
    server: SpanRecord | None
    runs: list[SpanRecord] = field(default_factory=list)
    parent: _Draft | None = None
    children: list[_Draft] = field(default_factory=list)
    transitions: list[_RawTransition] = field(default_factory=list)

    @property
    def first(self) -> SpanRecord:
        span = self.client or self.server
        assert span is not None
        return span

    @property
    def start_ns(self) -> int:
        return self.first.start_ns

    def pick(self, name: str) -> Any:
        """An attribute as the call reported it: the server's word first, then the client's."""
        for span in (self.server, self.client, *self.runs):
            if span is not None:
                value = span.attributes.get(name)
                if value is not None and value != "":
                    return value
        return None


class _Builder:
    def __init__(self, record: Conversation) -> None:
        self.record = record
        self.spans: dict[str, SpanRecord] = {s.span_id: s for s in record.spans}
        self.events: dict[str, list[EventRecord]] = defaultdict(list)
        for event in record.events:
            self.events[event.span_id].append(event)
        for events in self.events.values():
            events.sort(key=lambda e: (e.seq, e.time_ns))

    # -- the exchange tree ----------------------------------------------------------------------
    def drafts(self) -> list[_Draft]:
        by_client: dict[str, _Draft] = {}
        drafts: list[_Draft] = []
        for span in self.record.spans:
            if span.kind == "CLIENT" and _method(span):
                draft = _Draft(client=span, server=None)
                by_client[span.span_id] = draft
                drafts.append(draft)
        by_span: dict[str, _Draft] = {}
        for span in self.record.spans:
            if span.kind == "SERVER" and _method(span):
                parent = by_client.get(span.parent_span_id or "")
                if (
                    parent is not None
                    and parent.server is None
                    and parent.client is not None
                    and parent.client.trace_id == span.trace_id
                ):
                    parent.server = span
                    by_span[span.span_id] = parent
                    continue
                draft = _Draft(client=None, server=span)
                drafts.append(draft)
                by_span[span.span_id] = draft
        for span in self.record.spans:
            if _is_run(span):
                owner = self._owner(span, by_span)
                if owner is not None:
                    owner.runs.append(span)
                    by_span[span.span_id] = owner
        for draft in drafts:
            draft.parent = self._owner(draft.first, by_span)
            if draft.parent is draft:
                draft.parent = None
            if draft.parent is not None:
                draft.parent.children.append(draft)
        for draft in drafts:
            draft.children.sort(key=lambda d: (d.start_ns, d.first.span_id))
            draft.runs.sort(key=lambda s: (s.start_ns, s.span_id))
        return drafts

    def _owner(self, span: SpanRecord, by_span: dict[str, _Draft]) -> _Draft | None:
        """The exchange whose agent was working when ``span`` started: its nearest ancestor
        that is a SERVER span or an agent run."""
        seen: set[str] = set()
        current = self.spans.get(span.parent_span_id or "")
        while current is not None and current.span_id not in seen:
            seen.add(current.span_id)
            owner = by_span.get(current.span_id)
            if owner is not None and (current.kind == "SERVER" or _is_run(current)):
                return owner
            current = self.spans.get(current.parent_span_id or "")
        return None

    # -- what one exchange saw ------------------------------------------------------------------
    def messages(self, draft: _Draft) -> tuple[Message | None, list[Message]]:
        sightings: dict[str, list[tuple[int, SpanRecord, dict[str, Any]]]] = defaultdict(list)
        for span in (draft.client, draft.server, *draft.runs):
            if span is None:
                continue
            if span.message_id and span.kind in _CALL_KINDS:
                sightings[span.message_id].append((span.start_ns, span, span.attributes))
            for event in self.events.get(span.span_id, ()):
                if event.message_id and event.name in (
                    semconv.EVENT_MESSAGE,
                    semconv.EVENT_TASK_STATUS,
                    semconv.EVENT_STREAM,
                ):
                    sightings[event.message_id].append((event.time_ns, span, event.attributes))
        messages = [self._message(message_id, seen, draft) for message_id, seen in sightings.items()]
        messages.sort(key=lambda m: (m.time_ns, m.message_id or ""))
        request_id = draft.client.message_id if draft.client is not None else None
        request_id = request_id or (draft.server.message_id if draft.server is not None else None)
        request = next((m for m in messages if m.message_id == request_id), None)
        return request, messages

    def _message(
        self, message_id: str, seen: list[tuple[int, SpanRecord, dict[str, Any]]], draft: _Draft
    ) -> Message:
        seen.sort(key=lambda item: item[0])
        role = parts = None
        kinds: list[str] = []
        content = None
        cut = False
        for _, _, attrs in seen:
            role = role or _str(attrs.get(semconv.A2A_MESSAGE_ROLE))
            parts = parts if parts is not None else _int(attrs.get(semconv.A2A_MESSAGE_PARTS_COUNT))
            if not kinds and isinstance(attrs.get(semconv.A2A_MESSAGE_PARTS_KINDS), list):
                kinds = [str(k) for k in attrs[semconv.A2A_MESSAGE_PARTS_KINDS]]
            if content is None:
                content = parts_of(attrs)
                cut = truncated(attrs)
        first_time, first_span, _ = seen[0]
        task_id = None
        for _, _, attrs in seen:
            task_id = task_id or _str(attrs.get(semconv.A2A_TASK_ID))
        spans: list[str] = []
        for _, span, _ in seen:
            if span.span_id not in spans:
                spans.append(span.span_id)
        return Message(
            message_id=message_id,
            role=role,
            time_ns=first_time,
            parts_count=parts,
            parts_kinds=kinds,
            parts=content,
            truncated=cut,
            task_id=task_id or _str(draft.pick(semconv.A2A_TASK_ID)),
            trace_id=first_span.trace_id,
            span_id=first_span.span_id,
            sightings=spans,
        )

    def _witness(self, draft: _Draft) -> tuple[str, list[SpanRecord]]:
        """The most direct record of what the agent did in this exchange."""
        server_events = draft.server is not None and any(
            e.name in _AGENT_EVENTS for e in self.events.get(draft.server.span_id, ())
        )
        if draft.runs:
            # A run reported by someone else (a framework's agent span, a run still going
            # after its SERVER span ended) leaves what the agent did on the SERVER span.
            return "agent", [*draft.runs, draft.server] if server_events and draft.server else draft.runs
        if server_events and draft.server is not None:
            return "agent", [draft.server]  # what the agent did, as events of the SERVER span
        if draft.server is not None and any(
            e.name == semconv.EVENT_STREAM for e in self.events.get(draft.server.span_id, ())
        ):
            return "server", [draft.server]
        if draft.client is not None and any(
            e.name == semconv.EVENT_STREAM for e in self.events.get(draft.client.span_id, ())
        ):
            return "client", [draft.client]
        return "response", []

    def transitions(self, draft: _Draft, messages: dict[str, Message]) -> list[_RawTransition]:
        source, witnesses = self._witness(draft)
        out: list[_RawTransition] = []
        wanted = semconv.EVENT_TASK_STATUS if source == "agent" else semconv.EVENT_STREAM
        for span in witnesses:
            task_id = span.task_id
            for event in self.events.get(span.span_id, ()):
                task_id = event.task_id or task_id
                if event.name != wanted or not event.task_state:
                    continue
                final = (
                    bool(event.attributes.get(semconv.A2A_TASK_FINAL)) or event.task_state in _FINAL_STATES
                )
                out.append(
                    _RawTransition(
                        time_ns=event.time_ns,
                        state=event.task_state,
                        final=final,
                        source=source,
                        message=messages.get(event.message_id or ""),
                        trace_id=span.trace_id,
                        span_id=span.span_id,
                        seq=event.seq,
                        task_id=task_id or _str(draft.pick(semconv.A2A_TASK_ID)),
                    )
                )
        answered = draft.server or draft.client
        if source == "response" and answered is not None and _method(answered) in _CHANGING_METHODS:
            span = answered
            state = span.task_state or (draft.client.task_state if draft.client else None)
            if state:
                out.append(
                    _RawTransition(
                        time_ns=span.end_ns,
                        state=state,
                        final=state in _FINAL_STATES,
                        source=source,
                        message=None,
                        trace_id=span.trace_id,
                        span_id=span.span_id,
                        seq=-1,
                        task_id=span.task_id,
                    )
                )
        out.sort(key=lambda t: (t.time_ns, t.seq))
        return out

    def artifacts(self, draft: _Draft) -> list[Artifact]:
        source, witnesses = self._witness(draft)
        wanted = semconv.EVENT_ARTIFACT if source == "agent" else semconv.EVENT_STREAM
        grouped: dict[tuple[str | None, str | None], list[ArtifactChunk]] = {}
        names: dict[tuple[str | None, str | None], str | None] = {}
        for span in witnesses:
            for event in self.events.get(span.span_id, ()):
                if event.name != wanted or event.artifact_id is None:
                    continue
                attrs = event.attributes
                key = (span.task_id or _str(draft.pick(semconv.A2A_TASK_ID)), event.artifact_id)
                names.setdefault(key, _str(attrs.get(semconv.A2A_ARTIFACT_NAME)))
                grouped.setdefault(key, []).append(
                    ArtifactChunk(
                        time_ns=event.time_ns,
                        append=bool(attrs.get(semconv.A2A_ARTIFACT_APPEND)),
                        last_chunk=bool(attrs.get(semconv.A2A_ARTIFACT_LAST_CHUNK)),
                        parts_count=_int(attrs.get(semconv.A2A_ARTIFACT_PARTS_COUNT)),
                        parts=parts_of(attrs),
                        index=_int(attrs.get(semconv.A2A_STREAM_EVENT_INDEX)),
                        trace_id=span.trace_id,
                        span_id=span.span_id,
                        seq=event.seq,
                    )
                )
        return [
            Artifact(artifact_id=key[1], name=names[key], task_id=key[0], chunks=chunks)
            for key, chunks in grouped.items()
        ]

    def error(self, draft: _Draft) -> CallError | None:
        agent_error = self._agent_exception(draft)
        if agent_error is not None:
            return agent_error
        for side, spans in (("agent", draft.runs), ("server", [draft.server]), ("client", [draft.client])):
            for span in spans:
                if span is not None and span.status_code == "ERROR":
                    return CallError(
                        error_type=span.error_type,
                        message=span.status_message,
                        side=side,
                        trace_id=span.trace_id,
                        span_id=span.span_id,
                    )
        return None

    def _agent_exception(self, draft: _Draft) -> CallError | None:
        """Without an agent span, what the agent raised is an ``exception`` event of the SERVER
        span that carries its work: the agent's error, as its own span would have said."""
        server = draft.server
        if draft.runs or server is None:
            return None
        events = self.events.get(server.span_id, ())
        if not any(e.name in _AGENT_EVENTS for e in events):
            return None
        raised = next((e for e in events if e.name == semconv.EVENT_EXCEPTION), None)
        if raised is None:
            return None
        return CallError(
            error_type=_str(raised.attributes.get(semconv.EXCEPTION_TYPE)) or server.error_type,
            message=_str(raised.attributes.get(semconv.EXCEPTION_MESSAGE)) or server.status_message,
            side="agent",
            trace_id=server.trace_id,
            span_id=server.span_id,
        )

    def stream(self, draft: _Draft, method: str) -> Stream | None:
        if method not in semconv.STREAMING_METHODS:
            return None
        span = draft.client or draft.server
        assert span is not None
        ttfe = span.attributes.get(semconv.A2A_STREAM_TIME_TO_FIRST_EVENT)
        events = [e for e in self.events.get(span.span_id, ()) if e.name == semconv.EVENT_STREAM]
        states = [e.task_state for e in events if e.task_state]
        kinds = [str(e.attributes.get(semconv.A2A_STREAM_EVENT_KIND, "")) for e in events]
        return Stream(
            events=_int(span.attributes.get(semconv.A2A_STREAM_EVENTS_COUNT)),
            end=_str(span.attributes.get(semconv.A2A_STREAM_END)),
            time_to_first_event=float(ttfe) if isinstance(ttfe, int | float) else None,
            states=states,
            kinds=kinds,
        )


def _transition(raw: _RawTransition, before: str | None) -> Transition:
    return Transition(
        time_ns=raw.time_ns,
        from_state=before,
        state=raw.state,
        final=raw.final,
        source=raw.source,
        message=raw.message,
        trace_id=raw.trace_id,
        span_id=raw.span_id,
        seq=raw.seq,
    )


def _in_conversation(draft: _Draft, conversation_id: str) -> bool:
    context = _str(draft.pick(semconv.GEN_AI_CONVERSATION_ID))
    return context is None or context == conversation_id


def build(record: Conversation) -> ConversationModel:
    """The model of ``record`` (every span, event and log of a conversation's traces); spans
    that started and have not ended (see ``running``) take part as running."""
    record, running = with_running(conversation_with_late_events(record))
    builder = _Builder(record)
    drafts = builder.drafts()
    roots = sorted(
        (d for d in drafts if d.parent is None and _in_conversation(d, record.conversation_id)),
        key=lambda d: (d.start_ns, d.first.span_id),
    )
    ordered: list[tuple[str, _Draft]] = []

    def number(draft: _Draft, path: str) -> None:
        ordered.append((path, draft))
        for index, child in enumerate(draft.children, 1):
            number(child, f"{path}.{index}")

    for index, root in enumerate(roots, 1):
        number(root, str(index))

    prepared: dict[int, tuple[Message | None, list[Message]]] = {}
    by_task: dict[str | None, list[_RawTransition]] = defaultdict(list)
    for _, draft in ordered:
        request, messages = builder.messages(draft)
        prepared[id(draft)] = (request, messages)
        draft.transitions = builder.transitions(draft, {m.message_id or "": m for m in messages})
        for raw in draft.transitions:
            by_task[raw.task_id].append(raw)
    before: dict[int, str | None] = {}
    first_of_task: dict[str | None, _RawTransition] = {}
    for task_id, raws in by_task.items():
        raws.sort(key=lambda t: (t.time_ns, t.seq))
        first_of_task[task_id] = raws[0]
        previous = None
        for raw in raws:
            before[id(raw)] = previous
            previous = raw.state

    built: dict[int, Exchange] = {}
    for path, draft in reversed(ordered):
        request, messages = prepared[id(draft)]
        method = _method(draft.first) or draft.first.name
        task_id = _str(draft.pick(semconv.A2A_TASK_ID))
        transitions = [_transition(raw, before[id(raw)]) for raw in draft.transitions]
        # What the caller saw last, unless this exchange's own transitions reached an end
        # the caller never saw (a stream cut by an error before the framework failed the
        # task, a task returned at once while the agent worked on to completion).
        seen = (draft.client.task_state if draft.client else None) or (
            draft.server.task_state if draft.server else None
        )
        last = transitions[-1].state if transitions else None
        final_state = last if last in _FINAL_STATES or seen is None else seen
        caller = draft.parent
        built[id(draft)] = Exchange(
            path=path,
            method=method,
            binding=_str(draft.pick(semconv.A2A_PROTOCOL_BINDING)),
            protocol_version=_str(draft.pick(semconv.A2A_PROTOCOL_VERSION)),
            caller=_agent_of(caller) if caller is not None else None,
            agent=_agent_of(draft),
            agent_version=_str(draft.pick(semconv.GEN_AI_AGENT_VERSION)),
            context_id=_str(draft.pick(semconv.GEN_AI_CONVERSATION_ID)),
            task_id=task_id,
            task_created=bool(draft.transitions) and first_of_task.get(task_id) is draft.transitions[0],
            request=request,
            messages=messages,
            transitions=transitions,
            artifacts=builder.artifacts(draft),
            final_state=final_state,
            response_kind=_str(draft.pick(semconv.A2A_RESPONSE_KIND)),
            start_ns=draft.first.start_ns,
            end_ns=draft.first.end_ns,
            error=builder.error(draft),
            stream=builder.stream(draft, method),
            client_span_id=draft.client.span_id if draft.client else None,
            server_span_id=draft.server.span_id if draft.server else None,
            agent_span_ids=[r.span_id for r in draft.runs],
            trace_id=draft.first.trace_id,
            delegations=[built[id(child)] for child in draft.children],
        )
    turns = [built[id(root)] for root in roots]
    exchanges = [built[id(d)] for _, d in ordered]
    return ConversationModel(
        conversation_id=record.conversation_id,
        agents=_agents(record.spans),
        turns=turns,
        tasks=_tasks(exchanges),
        spans=builder.spans,
        trace_ids=list(record.trace_ids),
        start_ns=min((s.start_ns for s in record.spans), default=0),
        end_ns=max((s.end_ns for s in record.spans), default=0),
        content_captured=any(m.parts is not None for e in exchanges for m in e.messages)
        or any(a.text is not None for e in exchanges for a in e.artifacts),
        running=running,
        starts_recorded=starts_recorded(record),
    )


def _agent_of(draft: _Draft) -> str | None:
    for span in (*draft.runs, draft.server, draft.client):
        if span is not None and span.agent_name:
            return span.agent_name
    return None


def _tasks(exchanges: Sequence[Exchange]) -> list[Task]:
    order: list[str] = []
    found: dict[str, list[Exchange]] = defaultdict(list)
    for exchange in sorted(exchanges, key=lambda e: e.start_ns):
        if exchange.task_id is None:
            continue
        if exchange.task_id not in found:
            order.append(exchange.task_id)
        found[exchange.task_id].append(exchange)
    tasks = []
    for task_id in order:
        worked = found[task_id]
        transitions = sorted((t for e in worked for t in e.transitions), key=lambda t: (t.time_ns, t.seq))
        tasks.append(
            Task(
                task_id=task_id,
                context_id=next((e.context_id for e in worked if e.context_id), None),
                agent=next((e.agent for e in worked if e.agent), None),
                transitions=transitions,
                artifacts=[a for e in worked for a in e.artifacts],
                exchanges=[e.path for e in worked],
            )
        )
    return tasks


def _agents(spans: Iterable[SpanRecord]) -> list[Agent]:
    versions: dict[str, str | None] = {}
    services: dict[str, set[str]] = defaultdict(set)
    for span in spans:
        if not span.agent_name:
            continue
        version = span.attributes.get(semconv.GEN_AI_AGENT_VERSION)
        if versions.get(span.agent_name) is None:
            versions[span.agent_name] = version if isinstance(version, str) else None
        if span.kind != "CLIENT" and span.service_name:
            services[span.agent_name].add(span.service_name)
    return [Agent(name, versions[name], sorted(services[name])) for name in sorted(versions)]
