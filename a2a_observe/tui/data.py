"""Everything the conversation view shows, read in one go off the UI thread.

The replay model tells the story (turns, states, messages, artifacts); the store's raw record
keeps what the model summarises away (every span event as it was recorded, and the log
lines), which the detail pane shows as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from a2a_observe import semconv
from a2a_observe.replay import ConversationModel, Part, Step, build
from a2a_observe.replay.audits import AuditSettings, Finding, audit
from a2a_observe.replay.content import parts_of
from a2a_observe.replay.load import resolve
from a2a_observe.replay.usage import UsageRollup, usage
from a2a_observe.store.records import Conversation, EventRecord, LogRecord, SpanRecord
from a2a_observe.store.source import ConversationSource


@dataclass(frozen=True)
class ConversationData:
    record: Conversation
    model: ConversationModel
    steps: list[Step]
    findings: list[Finding] = field(default_factory=list)

    @property
    def conversation_id(self) -> str:
        return self.model.conversation_id

    @cached_property
    def usage(self) -> UsageRollup:
        """Tokens (and cost) the agents' frameworks reported, per turn, per agent and in total."""
        return usage(self.model)

    @cached_property
    def self_ns(self) -> dict[str, int]:
        """Each span's self time (its duration less what its children covered)."""
        from a2a_observe.replay.waterfall_layout import self_times  # noqa: PLC0415 - plain data

        return self_times(list(self.model.spans.values()))

    def span(self, span_id: str) -> SpanRecord | None:
        return self.model.spans.get(span_id)

    def events_of(self, span_id: str) -> list[EventRecord]:
        return [e for e in self.record.events if e.span_id == span_id]

    def logs_of(self, span_id: str) -> list[LogRecord]:
        return [log for log in self.record.logs if log.span_id == span_id]

    def event_at(self, step: Step) -> EventRecord | None:
        """The span event a step was read from (none for requests and responses)."""
        candidates = [e for e in self.events_of(step.span_id) if e.time_ns == step.time_ns]
        return candidates[0] if candidates else None

    def content_of(self, step: Step) -> list[Part] | None:
        """What was said or produced at this step, when content capture was on."""
        if step.kind == "request":
            request = self.model.exchange(step.path).request
            return request.parts if request is not None else None
        event = self.event_at(step)
        return parts_of(event.attributes) if event is not None else None

    def step_of_finding(self, finding: Finding) -> int | None:
        """The step a finding points at: same span and time, else the nearest in its span."""
        same_span = [i for i, s in enumerate(self.steps) if s.span_id == finding.span_id]
        exact = [i for i in same_span if self.steps[i].time_ns == finding.time_ns]
        if exact:
            return exact[0]
        pool = same_span or [i for i, s in enumerate(self.steps) if s.path == finding.path] or None
        if pool is None:
            return None
        return min(pool, key=lambda i: abs(self.steps[i].time_ns - finding.time_ns))

    def finding_steps(self) -> dict[int, list[Finding]]:
        out: dict[int, list[Finding]] = {}
        for finding in self.findings:
            index = self.step_of_finding(finding)
            if index is not None:
                out.setdefault(index, []).append(finding)
        return out

    def error_steps(self) -> list[int]:
        """Steps where something failed: an error, or a move into a failed state."""
        failed = (semconv.TASK_STATE_FAILED, semconv.TASK_STATE_REJECTED)
        return [
            index
            for index, step in enumerate(self.steps)
            if step.kind == "error" or (step.kind == "transition" and step.summary.endswith(failed))
        ]

    def step_for_span(self, span_id: str) -> int | None:
        """The first step read from a span; else the first step of the exchange it belongs to."""
        for index, step in enumerate(self.steps):
            if step.span_id == span_id:
                return index
        for exchange in self.model.exchanges():
            if span_id in exchange.span_ids:
                for index, step in enumerate(self.steps):
                    if step.path == exchange.path:
                        return index
        return None


def load_conversation(
    source: ConversationSource, conversation_id: str, settings: AuditSettings | None = None
) -> ConversationData:
    record = source.conversation(resolve(source, conversation_id))
    model = build(record)
    return ConversationData(record=record, model=model, steps=model.steps(), findings=audit(model, settings))
