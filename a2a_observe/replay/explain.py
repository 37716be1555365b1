"""Why a conversation failed, in plain words: the chain of calls from the user's turn down to
the span where the failure began, with the agent, the error and the time of every hop.

The chain follows failure downwards: from a failed turn to the delegation that failed under
it, and so on, until an exchange none of whose delegations failed; there the leaf is the
innermost span that recorded an error. A conversation where nothing failed is explained by
its slowest turn, hop by hop, so the same command answers "why was it slow".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from a2a_observe import semconv
from a2a_observe.replay.model import ConversationModel, Exchange
from a2a_observe.replay.steps import short
from a2a_observe.store.records import ConversationFilter, SpanRecord
from a2a_observe.store.source import ConversationSource

FAILED_STATES = frozenset({semconv.TASK_STATE_FAILED, semconv.TASK_STATE_REJECTED})


@dataclass(frozen=True)
class Hop:
    path: str
    caller: str
    agent: str
    method: str
    state: str | None
    error: str | None
    """``error.type: message`` as the exchange recorded it, if it failed with an error."""
    took_ns: int
    start_offset_ns: int
    asked: str | None
    trace_id: str


@dataclass(frozen=True)
class Leaf:
    """The innermost span that recorded the failure."""

    name: str
    agent: str | None
    kind: str
    status: str | None
    duration_ns: int
    trace_id: str
    span_id: str


@dataclass(frozen=True)
class Explanation:
    conversation_id: str
    failed: bool
    summary: str
    hops: list[Hop] = field(default_factory=list)
    leaf: Leaf | None = None


def _failed(exchange: Exchange) -> bool:
    return exchange.error is not None or exchange.final_state in FAILED_STATES


def _error(exchange: Exchange) -> str | None:
    if exchange.error is None:
        return None
    return f"{exchange.error.error_type or 'error'}: {exchange.error.message or ''}".rstrip(": ")


def _hop(exchange: Exchange, start_ns: int) -> Hop:
    return Hop(
        path=exchange.path,
        caller=exchange.caller or "user",
        agent=exchange.agent or "?",
        method=exchange.method,
        state=exchange.final_state or exchange.response_kind,
        error=_error(exchange),
        took_ns=exchange.latency_ns,
        start_offset_ns=exchange.start_ns - start_ns,
        asked=exchange.request.text if exchange.request is not None else None,
        trace_id=exchange.trace_id,
    )


def _descendants(model: ConversationModel, roots: list[str]) -> list[SpanRecord]:
    children: dict[str, list[SpanRecord]] = {}
    for span in model.spans.values():
        if span.parent_span_id:
            children.setdefault(span.parent_span_id, []).append(span)
    out: list[SpanRecord] = []
    stack = [model.spans[r] for r in roots if r in model.spans]
    while stack:
        span = stack.pop()
        out.append(span)
        stack.extend(children.get(span.span_id, ()))
    return out


def _leaf(model: ConversationModel, exchange: Exchange) -> Leaf | None:
    """The failed span deepest under the exchange (latest started among equals)."""
    spans = _descendants(model, exchange.span_ids)
    depth: dict[str, int] = {}

    def level(span: SpanRecord) -> int:
        if span.span_id not in depth:
            parent = model.spans.get(span.parent_span_id or "")
            depth[span.span_id] = 0 if parent is None else level(parent) + 1
        return depth[span.span_id]

    failed = [s for s in spans if s.status_code == "ERROR"]
    if not failed:
        return None
    span = max(failed, key=lambda s: (level(s), s.start_ns))
    return Leaf(
        span.name,
        span.agent_name or span.service_name,
        span.kind,
        span.status_message,
        span.duration_ns or span.end_ns - span.start_ns,
        span.trace_id,
        span.span_id,
    )


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.1f} ms"


def explain(model: ConversationModel) -> Explanation:
    """The failure chain of the first failed turn, else the slowest turn's slowest path."""
    failed_turns = [t for t in model.turns if _failed(t)]
    if not model.turns:
        return Explanation(model.conversation_id, False, "No turns were recorded in this conversation.")
    failed = bool(failed_turns)
    turn = failed_turns[0] if failed else max(model.turns, key=lambda t: t.latency_ns)
    chain = [turn]
    while True:
        below = chain[-1].delegations
        if failed:
            below = [d for d in below if _failed(d)]
        if not below:
            break
        chain.append(below[0] if failed else max(below, key=lambda d: d.latency_ns))
    hops = [_hop(e, model.start_ns) for e in chain]
    leaf = _leaf(model, chain[-1]) if failed else None
    last = hops[-1]
    if failed:
        where = f"{last.agent}" + (f" ({last.error})" if last.error else f" ended {last.state}")
        summary = (
            f"Turn {turn.path} of {len(model.turns)} failed after {_ms(turn.latency_ns)}: "
            f"the failure began at {where}, {len(hops) - 1} hop{'s' if len(hops) != 2 else ''} "
            "below the user's request."
        )
    else:
        summary = (
            f"Nothing failed. The slowest turn, {turn.path} of {len(model.turns)}, took "
            f"{_ms(turn.latency_ns)}; most of it went to {last.agent} ({_ms(last.took_ns)})."
        )
    return Explanation(model.conversation_id, failed, summary, hops, leaf)


def _outcome(hop: Hop) -> str:
    if hop.error and hop.state not in FAILED_STATES:
        return f"error, task left {hop.state}" if hop.state else "error"
    return hop.state or "no answer"


def describe(explanation: Explanation) -> str:
    """The explanation as lines a person reads, one hop a line, indented as calls nest."""
    lines = [f"conversation {explanation.conversation_id}", explanation.summary, ""]
    for depth, hop in enumerate(explanation.hops):
        pad = "  " * depth
        asked = f' "{short(hop.asked, 60)}"' if hop.asked else ""
        lines.append(
            f"{pad}{hop.path}  {hop.caller} → {hop.agent}  {hop.method}{asked}  "
            f"at +{_ms(hop.start_offset_ns)}, took {_ms(hop.took_ns)}: {_outcome(hop)}"
        )
        if hop.error:
            lines.append(f"{pad}    error: {hop.error}")
    leaf = explanation.leaf
    if leaf is not None:
        pad = "  " * len(explanation.hops)
        lines.append(
            f"{pad}where it began: span {leaf.name} ({leaf.kind}) of {leaf.agent or '?'}, "
            f"{_ms(leaf.duration_ns)}: {leaf.status or 'ERROR'}"
        )
        lines.append(f"{pad}    trace {leaf.trace_id} span {leaf.span_id}")
    return "\n".join(lines) + "\n"


def newest_failed(source: ConversationSource) -> str | None:
    """The conversation that most recently had a failed span or ended failed or rejected."""
    found = source.list_conversations(ConversationFilter(errors_only=True), limit=1)
    for state in sorted(FAILED_STATES):
        found += source.list_conversations(ConversationFilter(state=state), limit=1)
    newest = max(found, key=lambda s: s.start_ns, default=None)
    return newest.conversation_id if newest is not None else None
