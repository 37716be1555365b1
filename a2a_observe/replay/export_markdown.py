"""The conversation as a Markdown transcript: who said what to whom, and what became of it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from a2a_observe.replay.audits import Finding
from a2a_observe.replay.model import ConversationModel, Exchange, Message
from a2a_observe.replay.usage import describe_figures, usage


def _when(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.1f} ms"


def _said(message: Message) -> str:
    if message.text is not None:
        return message.text
    kinds = ", ".join(message.parts_kinds) or "unknown"
    count = message.parts_count if message.parts_count is not None else "?"
    return f"*({count} parts: {kinds}; content not captured)*"


def _quote(text: str) -> list[str]:
    return [f"> {line}" if line else ">" for line in text.splitlines() or [""]]


def _where(exchange: Exchange, start_ns: int) -> str:
    """When the exchange started and the spans to look it up by, for a bug report."""
    spans = ", ".join(
        f"{side} `{span}`"
        for side, span in (("client", exchange.client_span_id), ("server", exchange.server_span_id))
        if span
    )
    return (
        f"Started +{_ms(exchange.start_ns - start_ns)} into the conversation, "
        f"took {_ms(exchange.latency_ns)}; trace `{exchange.trace_id}`" + (f", {spans}" if spans else "")
    )


def _exchange(exchange: Exchange, lines: list[str], depth: int, start_ns: int = 0) -> None:
    heading = "#" * min(2 + depth, 6)
    caller = exchange.caller or "user"
    title = "Turn" if depth == 0 else "Delegation"
    how = ", ".join(x for x in (exchange.method, exchange.binding) if x)
    took = _ms(exchange.latency_ns)
    lines.append(f"{heading} {title} {exchange.path}: {caller} → {exchange.agent or '?'} ({how}, {took})")
    lines.append("")
    lines.append(_where(exchange, start_ns or exchange.start_ns))
    lines.append("")
    for message in exchange.messages:
        if message.role == "user":
            speaker = exchange.caller or "user"
        else:
            speaker = exchange.agent or message.role or "?"
        lines.append(f"**{speaker}** ({message.role or '?'}, {message.message_id or 'no id'}):")
        lines.append("")
        lines.extend(_quote(_said(message)))
        lines.append("")
    if exchange.transitions:
        path = " → ".join(t.state for t in exchange.transitions)
        start = exchange.transitions[0].from_state
        created = "created" if exchange.task_created else "continued"
        lines.append(f"Task `{exchange.task_id}` ({created}): {start + ' → ' if start else ''}{path}")
        lines.append("")
    for artifact in exchange.artifacts:
        chunks = f"{artifact.chunk_count} chunk{'s' if artifact.chunk_count != 1 else ''}"
        lines.append(f"Artifact **{artifact.name or artifact.artifact_id}** ({chunks}):")
        lines.append("")
        if artifact.text is None:
            lines.append("*(content not captured)*")
        else:
            lines.extend(["```text", artifact.text, "```"])
        lines.append("")
    if exchange.error is not None:
        error = exchange.error
        lines.append(
            f"**Error** ({error.side}): `{error.error_type or 'error'}`: {error.message or ''}".rstrip()
        )
        lines.append("")
    if exchange.stream is not None:
        stream = exchange.stream
        lines.append(
            f"Stream: {stream.events if stream.events is not None else '?'} events, ended {stream.end or '?'}"
        )
        lines.append("")
    lines.append(f"Outcome: **{exchange.final_state or exchange.response_kind or 'no task'}**")
    lines.append("")
    for child in exchange.delegations:
        _exchange(child, lines, depth + 1, start_ns)


def to_markdown(model: ConversationModel, findings: Sequence[Finding] = ()) -> str:
    agents = ", ".join(f"{a.name} {a.version}" if a.version else a.name for a in model.agents)
    lines = [
        f"# Conversation {model.conversation_id}",
        "",
        f"- Started: {_when(model.start_ns)}; took {_ms(model.duration_ns)}",
        f"- Traces: {', '.join(f'`{t}`' for t in model.trace_ids) or 'none'}",
        f"- Agents: {agents or 'none recorded'}",
        f"- Turns: {len(model.turns)}; tasks: {len(model.tasks)}; final state: {model.final_state or 'none'}",
        f"- Content: {'captured' if model.content_captured else 'not captured (structure only)'}",
        "",
    ]
    rollup = usage(model)
    if not rollup.empty:
        lines[-1:-1] = [f"- Tokens: {describe_figures(rollup.total)}"]
        lines.extend(["## Tokens", "", "| Where | Usage |", "|---|---|"])
        lines.extend(f"| turn {path} | {describe_figures(f)} |" for path, f in rollup.by_turn.items())
        lines.extend(f"| agent {agent} | {describe_figures(f)} |" for agent, f in rollup.by_agent.items())
        lines.append("")
    for turn in model.turns:
        _exchange(turn, lines, 0, model.start_ns)
    lines.append("## Findings")
    lines.append("")
    if not findings:
        lines.append("None.")
    for finding in findings:
        where = f" (exchange {finding.path})" if finding.path else ""
        lines.append(f"- **{finding.code}** {finding.name}{where}: {finding.message}")
    lines.append("")
    return "\n".join(lines)
