"""Tokens (and cost) of a conversation: the ``gen_ai.usage.*`` numbers that agents' frameworks
record on their model-call and agent spans, rolled up per turn, per agent and in total.

Frameworks often report the same tokens twice: on each model call and again, summed, on the
agent span above them. So a span's numbers count only when no span below it reports the same
figure; the deepest report of each figure wins and nothing is counted twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from a2a_observe import semconv
from a2a_observe.replay.model import ConversationModel
from a2a_observe.store.records import SpanRecord


@dataclass(frozen=True)
class UsageRollup:
    total: dict[str, float] = field(default_factory=dict)
    """Figure name (``input_tokens``, ``output_tokens``...) to its sum over the conversation."""
    by_turn: dict[str, dict[str, float]] = field(default_factory=dict)
    by_agent: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.total


def _figures(span: SpanRecord) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in span.attributes.items():
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if key.startswith(semconv.GEN_AI_USAGE_PREFIX) and number:
            out[key.removeprefix(semconv.GEN_AI_USAGE_PREFIX)] = float(value)
    return out


def usage(model: ConversationModel) -> UsageRollup:
    spans = list(model.spans.values())
    figures = {s.span_id: _figures(s) for s in spans}
    reported_below: dict[str, set[str]] = defaultdict(set)
    for span in spans:
        names = set(figures[span.span_id])
        parent = span.parent_span_id
        while names and parent and parent in model.spans:
            reported_below[parent] |= names
            parent = model.spans[parent].parent_span_id
    turn_of_trace = {turn.trace_id: turn.path for turn in model.turns}
    total: dict[str, float] = defaultdict(float)
    by_turn: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    by_agent: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for span in spans:
        for name, value in figures[span.span_id].items():
            if name in reported_below[span.span_id]:
                continue
            total[name] += value
            turn = turn_of_trace.get(span.trace_id)
            if turn is not None:
                by_turn[turn][name] += value
            by_agent[span.agent_name or span.service_name or "?"][name] += value
    return UsageRollup(
        dict(total),
        {k: dict(v) for k, v in sorted(by_turn.items())},
        {k: dict(v) for k, v in sorted(by_agent.items())},
    )


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.4f}"


def describe_figures(figures: dict[str, float]) -> str:
    """``input_tokens 1,200 · output_tokens 310``, input and output first."""
    order = sorted(figures, key=lambda k: (k not in ("input_tokens", "output_tokens"), k))
    return " · ".join(f"{name} {_number(figures[name])}" for name in order)


def compact(figures: dict[str, float]) -> str:
    """``150 in/30 out tokens``, then any other figure (``cost 0.25``): for a status line."""
    parts = []
    if "input_tokens" in figures or "output_tokens" in figures:
        tokens_in = _number(figures.get("input_tokens", 0.0))
        parts.append(f"{tokens_in} in/{_number(figures.get('output_tokens', 0.0))} out tokens")
    parts += [
        f"{k} {_number(v)}" for k, v in sorted(figures.items()) if k not in ("input_tokens", "output_tokens")
    ]
    return " · ".join(parts)
