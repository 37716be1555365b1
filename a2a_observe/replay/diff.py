"""Comparing a re-driven run with its recording, turn by turn.

Ids and timestamps always differ between runs, so they never count. What counts is what a user
of the agent would notice: the final state, the artifacts and their text, the agent's messages,
errors, and the tree of delegations. Latency is shown, and counts only when a limit is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from a2a_observe.replay.model import ConversationModel, Exchange
from a2a_observe.replay.redrive import redriven

TEXT_EXACT = "exact"
TEXT_NORMALISED = "normalised"


@dataclass(frozen=True)
class DiffOptions:
    text: str = TEXT_EXACT
    """``exact``, or ``normalised``: case and runs of whitespace do not count."""
    latency_factor: float | None = None
    """When set, a turn slower than this many times its recording is a difference."""
    chunks: bool = False
    """When true, the number of chunks of each artifact must match too."""


@dataclass(frozen=True)
class FieldDiff:
    field: str
    recorded: Any
    replayed: Any


@dataclass(frozen=True)
class TurnDiff:
    turn: str
    recorded_latency_ns: int | None
    replayed_latency_ns: int | None
    differences: list[FieldDiff] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return not self.differences


@dataclass(frozen=True)
class RunDiff:
    recorded_id: str
    replayed_id: str
    turns: list[TurnDiff]

    @property
    def matches(self) -> bool:
        return all(t.matches for t in self.turns)


def _text(value: str | None, options: DiffOptions) -> str | None:
    if value is None or options.text == TEXT_EXACT:
        return value
    return " ".join(value.split()).casefold()


def _tree(exchange: Exchange) -> list[Any]:
    return [[d.agent, d.method, d.final_state, _tree(d)] for d in exchange.delegations]


def _agent_messages(exchange: Exchange, options: DiffOptions) -> list[str | None]:
    return [_text(m.text, options) for m in exchange.messages if m.role != "user"]


def _compare(path: str, old: Exchange | None, new: Exchange | None, options: DiffOptions) -> TurnDiff:
    if old is None or new is None:
        missing = "missing in the re-driven run" if new is None else "not in the recording"
        return TurnDiff(
            path,
            old.latency_ns if old else None,
            new.latency_ns if new else None,
            [FieldDiff("turn", old.method if old else None, new.method if new else missing)],
        )
    found: list[FieldDiff] = []

    def same(name: str, a: Any, b: Any) -> None:
        if a != b:
            found.append(FieldDiff(name, a, b))

    same("final_state", old.final_state, new.final_state)
    same("error", old.error.error_type if old.error else None, new.error.error_type if new.error else None)
    same("artifacts", [a.name for a in old.artifacts], [a.name for a in new.artifacts])
    for before, after in zip(old.artifacts, new.artifacts, strict=False):
        label = f"artifacts[{before.name or before.artifact_id}]"
        same(f"{label}.text", _text(before.text, options), _text(after.text, options))
        if options.chunks:
            same(f"{label}.chunks", before.chunk_count, after.chunk_count)
    same("messages", _agent_messages(old, options), _agent_messages(new, options))
    same("delegations", _tree(old), _tree(new))
    if options.latency_factor is not None and new.latency_ns > old.latency_ns * options.latency_factor:
        found.append(FieldDiff("latency_ns", old.latency_ns, new.latency_ns))
    return TurnDiff(path, old.latency_ns, new.latency_ns, found)


def compare(
    recorded: ConversationModel, replayed: ConversationModel, options: DiffOptions | None = None
) -> RunDiff:
    """Turn by turn, in order; turn numbers are the recording's."""
    options = options or DiffOptions()
    old_turns, new_turns = redriven(recorded), redriven(replayed)
    diffs = []
    for index in range(max(len(old_turns), len(new_turns))):
        old = old_turns[index] if index < len(old_turns) else None
        new = new_turns[index] if index < len(new_turns) else None
        path = old.path if old is not None else str(index + 1)
        diffs.append(_compare(path, old, new, options))
    return RunDiff(recorded.conversation_id, replayed.conversation_id, diffs)


def _ms(ns: int | None) -> str:
    return "?" if ns is None else f"{ns / 1e6:.1f} ms"


SHOWN_TEXT = 120
"""Characters of a text shown in a diff line before it is cut."""


def _tree_lines(tree: list[Any], depth: int) -> list[str]:
    lines = []
    for agent, method, state, children in tree:
        lines.append(f"{'  ' * depth}{agent or '?'}: {method} → {state or 'no task'}")
        lines.extend(_tree_lines(children, depth + 1))
    return lines


def show(field_name: str, value: Any) -> list[str]:
    """A recorded or re-driven value as lines a person reads (no Python reprs)."""
    if value is None:
        return ["(none)"]
    if field_name == "delegations":
        return _tree_lines(value, 0) or ["(no delegations)"]
    if field_name == "latency_ns":
        return [_ms(value)]
    if isinstance(value, list):
        if not value:
            return ["(none)"]
        return [line for item in value for line in show(field_name, item)]
    text = " ".join(str(value).split())
    if len(text) > SHOWN_TEXT:
        text = text[: SHOWN_TEXT - 1] + "…"
    return [f'"{text}"' if isinstance(value, str) else text]


def describe(diff: RunDiff) -> str:
    """The diff as text: one line per turn; for each differing field, what was recorded and
    what the re-drive got, each on lines of their own."""
    lines = [f"recorded {diff.recorded_id} → re-driven {diff.replayed_id}"]
    for turn in diff.turns:
        latency = f"latency {_ms(turn.recorded_latency_ns)} → {_ms(turn.replayed_latency_ns)}"
        lines.append(f"turn {turn.turn}: {'match' if turn.matches else 'DIFFERS'} ({latency})")
        for difference in turn.differences:
            lines.append(f"  {difference.field.replace('_', ' ')}:")
            for label, value in (("recorded", difference.recorded), ("re-driven", difference.replayed)):
                shown = show(difference.field, value)
                lines.append(f"    {label + ':':<11} {shown[0]}")
                lines.extend(f"    {'':<11} {line}" for line in shown[1:])
    differing = sum(1 for t in diff.turns if not t.matches)
    verdict = "runs match" if diff.matches else f"runs differ in {differing} of {len(diff.turns)} turns"
    lines.append(verdict)
    return "\n".join(lines) + "\n"
