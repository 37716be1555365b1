"""Checks that find what went wrong in a conversation, each with a stable code.

Codes never change meaning and are never reused, so CI configurations and saved reports that
name one (``A2A004``) stay valid across releases. Every finding points at the exchange, task
and span where it happened, so a reader can jump straight to it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from a2a_observe import semconv
from a2a_observe.replay.model import ConversationModel, Exchange, Task


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    title: str


TRANSITION_AFTER_TERMINAL = Rule("A2A001", "transition-after-terminal", "a task changed state after it ended")
TASK_STUCK = Rule("A2A002", "task-stuck", "a task stayed in a non-terminal state")
INPUT_NEVER_ANSWERED = Rule("A2A003", "input-never-answered", "a task waited for input that never came")
STREAM_WITHOUT_FINAL_STATE = Rule(
    "A2A004", "stream-without-final-state", "a stream ended without a final task state"
)
ARTIFACT_CHUNK_ORDER = Rule(
    "A2A005", "artifact-chunk-order", "artifact chunks out of order or after the last chunk"
)
SERVER_ERROR = Rule("A2A006", "server-error", "an agent failed while serving a call")
BROKEN_TRACE = Rule("A2A007", "broken-trace", "a call whose server never reported")

RULES: tuple[Rule, ...] = (
    TRANSITION_AFTER_TERMINAL,
    TASK_STUCK,
    INPUT_NEVER_ANSWERED,
    STREAM_WITHOUT_FINAL_STATE,
    ARTIFACT_CHUNK_ORDER,
    SERVER_ERROR,
    BROKEN_TRACE,
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}

_FINAL = semconv.TERMINAL_TASK_STATES | semconv.INTERRUPTED_TASK_STATES
_CARD_METHODS = frozenset({semconv.GET_AGENT_CARD, semconv.GET_EXTENDED_AGENT_CARD})
_READER_STOPPED = frozenset({semconv.STREAM_END_CLOSED_EARLY, semconv.STREAM_END_CANCELLED})


@dataclass(frozen=True)
class AuditSettings:
    stuck_after: float = 300.0
    """Seconds a task may sit in ``submitted``/``working`` before it counts as stuck."""
    answer_within: float = 0.0
    """Seconds an ``input-required`` task may wait before it counts as never answered."""
    now_ns: int | None = None
    """The time the ages are measured at; the wall clock when unset."""
    ignore: frozenset[str] = frozenset()
    """Codes not to report."""

    def now(self) -> int:
        return self.now_ns if self.now_ns is not None else time.time_ns()


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    message: str
    conversation_id: str
    path: str | None
    """The exchange (``1``, ``1.2``...) where it happened, when it belongs to one."""
    task_id: str | None
    trace_id: str
    span_id: str
    time_ns: int

    @property
    def finding_id(self) -> str:
        """Stable across runs of the check on the same data: code plus what it points at."""
        where = f"{self.conversation_id}\n{self.path}\n{self.task_id}\n{self.span_id}"
        return f"{self.code}-{hashlib.blake2b(where.encode(), digest_size=4).hexdigest()}"


def _at_task(rule: Rule, model: ConversationModel, task: Task, message: str, index: int = -1) -> Finding:
    transition = task.transitions[index]
    return Finding(
        rule.code,
        rule.name,
        message,
        model.conversation_id,
        task.exchanges[-1] if task.exchanges else None,
        task.task_id,
        transition.trace_id,
        transition.span_id,
        transition.time_ns,
    )


def _at_exchange(
    rule: Rule, model: ConversationModel, exchange: Exchange, message: str, span_id: str
) -> Finding:
    return Finding(
        rule.code,
        rule.name,
        message,
        model.conversation_id,
        exchange.path,
        exchange.task_id,
        exchange.trace_id,
        span_id,
        exchange.end_ns,
    )


def _who(exchange: Exchange) -> str:
    return f"{exchange.method} to {exchange.agent or 'an unnamed agent'} (exchange {exchange.path})"


def transition_after_terminal(model: ConversationModel, settings: AuditSettings) -> Iterable[Finding]:
    for task in model.tasks:
        ended: str | None = None
        for index, transition in enumerate(task.transitions):
            if ended is not None:
                repeat = transition.state == ended and transition.source != "agent"
                if not repeat:
                    yield _at_task(
                        TRANSITION_AFTER_TERMINAL,
                        model,
                        task,
                        f"task {task.task_id} of {task.agent or '?'} moved from {ended} (terminal) "
                        f"to {transition.state}",
                        index,
                    )
                    break
            if transition.state in semconv.TERMINAL_TASK_STATES:
                ended = transition.state


def task_stuck(model: ConversationModel, settings: AuditSettings) -> Iterable[Finding]:
    now = settings.now()
    for task in model.tasks:
        state = task.final_state
        since = task.transitions[-1].time_ns if task.transitions else None
        if since is None:
            # No state change was seen (the agent's run, which records them, has not ended):
            # the last answer about the task says where it stands.
            answered = [e for e in model.exchanges() if e.task_id == task.task_id and e.final_state]
            if answered and any(s in model.running for e in answered for s in e.agent_span_ids):
                state, since = answered[-1].final_state, answered[-1].end_ns
        if since is None or state is None or state in _FINAL:
            continue
        age = (now - since) / 1e9
        if age < settings.stuck_after:
            continue
        message = (
            f"task {task.task_id} of {task.agent or '?'} has been {state} for {age:.0f} s "
            f"(limit {settings.stuck_after:g} s) and never reached a final state: "
            + _still_running_or_lost(model, task.task_id)
        )
        if task.transitions:
            yield _at_task(TASK_STUCK, model, task, message)
        else:
            exchange = answered[-1]
            span = next(s for s in exchange.agent_span_ids if s in model.running)
            yield _at_exchange(TASK_STUCK, model, exchange, message, span)


def _still_running_or_lost(model: ConversationModel, task_id: str) -> str:
    """Tells a hung agent (its run's span started and is open) from a lost task (none is)."""
    open_spans = [
        model.spans[s] for s in model.running if s in model.spans and model.spans[s].task_id == task_id
    ]
    open_spans += [
        model.spans[s]
        for e in model.exchanges()
        if e.task_id == task_id
        for s in e.agent_span_ids
        if s in model.running and model.spans[s] not in open_spans
    ]
    if open_spans:
        return f"still running ({open_spans[0].name} started and has not ended)"
    if model.starts_recorded:
        return "lost (no span of its run is still open)"
    return "still running or lost (no span of its run is known to be open: see SpanStartLogger)"


def input_never_answered(model: ConversationModel, settings: AuditSettings) -> Iterable[Finding]:
    now = settings.now()
    for task in model.tasks:
        state = task.final_state
        if state not in semconv.INTERRUPTED_TASK_STATES or not task.transitions:
            continue
        age = (now - task.transitions[-1].time_ns) / 1e9
        if age >= settings.answer_within:
            question = task.transitions[-1].message
            asked = f" (it asked: {question.text!r})" if question is not None and question.text else ""
            yield _at_task(
                INPUT_NEVER_ANSWERED,
                model,
                task,
                f"task {task.task_id} of {task.agent or '?'} is {state}{asked} "
                "and no later message answered it",
            )


def stream_without_final_state(model: ConversationModel, settings: AuditSettings) -> Iterable[Finding]:
    for exchange in model.exchanges():
        stream = exchange.stream
        if stream is None or stream.end in _READER_STOPPED:
            continue
        if any(state in _FINAL for state in stream.states) or semconv.EVENT_KIND_MESSAGE in stream.kinds:
            continue
        last = stream.states[-1] if stream.states else "no state at all"
        yield _at_exchange(
            STREAM_WITHOUT_FINAL_STATE,
            model,
            exchange,
            f"the stream of {_who(exchange)} ended ({stream.end or 'end not recorded'}) after "
            f"{stream.events if stream.events is not None else '?'} events with the task at {last}",
            exchange.client_span_id or exchange.server_span_id or "",
        )


def artifact_chunk_order(model: ConversationModel, settings: AuditSettings) -> Iterable[Finding]:
    for exchange in model.exchanges():
        for artifact in exchange.artifacts:
            label = f"artifact {artifact.name or artifact.artifact_id!r} in {_who(exchange)}"
            problem: tuple[str, str] | None = None
            closed_at: int | None = None
            previous_index: int | None = None
            for number, chunk in enumerate(artifact.chunks, 1):
                if closed_at is not None:
                    problem = (
                        f"{label}: chunk {number} came after chunk {closed_at}, the last chunk",
                        chunk.span_id,
                    )
                    break
                if number == 1 and chunk.append:
                    problem = (
                        f"{label}: chunk 1 appends to an artifact that was never started",
                        chunk.span_id,
                    )
                    break
                if chunk.index is not None and previous_index is not None and chunk.index <= previous_index:
                    problem = (
                        f"{label}: chunk {number} has stream index {chunk.index}, not after {previous_index}",
                        chunk.span_id,
                    )
                    break
                previous_index = chunk.index if chunk.index is not None else previous_index
                if chunk.last_chunk:
                    closed_at = number
            if problem is not None:
                yield _at_exchange(ARTIFACT_CHUNK_ORDER, model, exchange, problem[0], problem[1])


def server_error(model: ConversationModel, settings: AuditSettings) -> Iterable[Finding]:
    for exchange in model.exchanges():
        error = exchange.error
        if error is None or error.side == "client":
            continue
        yield _at_exchange(
            SERVER_ERROR,
            model,
            exchange,
            f"{exchange.agent or 'the agent'} failed serving {_who(exchange)}: "
            f"{error.error_type or 'error'}: {error.message or 'no message'}",
            error.span_id,
        )


def broken_trace(model: ConversationModel, settings: AuditSettings) -> Iterable[Finding]:
    for exchange in model.exchanges():
        if exchange.client_span_id is None or exchange.server_span_id is not None:
            continue
        if exchange.method in _CARD_METHODS:
            continue
        client = model.spans[exchange.client_span_id]
        address = client.attributes.get(semconv.URL_FULL) or ":".join(
            str(client.attributes[k])
            for k in (semconv.SERVER_ADDRESS, semconv.SERVER_PORT)
            if k in client.attributes
        )
        failed = (
            f"; the call failed: {client.error_type}: {client.status_message}"
            if client.status_code == "ERROR"
            else ""
        )
        yield _at_exchange(
            BROKEN_TRACE,
            model,
            exchange,
            f"{_who(exchange)} at {address or 'an unknown address'} has no SERVER span in this store: "
            f"the agent is not instrumented, exports elsewhere, or never got the call{failed}",
            exchange.client_span_id,
        )


CHECKS: dict[str, Callable[[ConversationModel, AuditSettings], Iterable[Finding]]] = {
    TRANSITION_AFTER_TERMINAL.code: transition_after_terminal,
    TASK_STUCK.code: task_stuck,
    INPUT_NEVER_ANSWERED.code: input_never_answered,
    STREAM_WITHOUT_FINAL_STATE.code: stream_without_final_state,
    ARTIFACT_CHUNK_ORDER.code: artifact_chunk_order,
    SERVER_ERROR.code: server_error,
    BROKEN_TRACE.code: broken_trace,
}


def audit(model: ConversationModel, settings: AuditSettings | None = None) -> list[Finding]:
    """Every finding of every rule not ignored, in time order."""
    settings = settings or AuditSettings()
    found = [
        finding
        for code, check in CHECKS.items()
        if code not in settings.ignore
        for finding in check(model, settings)
    ]
    found.sort(key=lambda f: (f.time_ns, f.code))
    return found
