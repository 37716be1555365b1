"""The conversation as a Markdown transcript: who said what to whom, and what became of it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from a2a_observe.replay.audits import Finding
from a2a_observe.replay.escaping import markdown, markdown_code, markdown_code_span, markdown_inline
from a2a_observe.replay.model import ConversationModel, Exchange, Message
from a2a_observe.replay.usage import describe_figures, usage


def _when(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.1f} ms"


def _said(message: Message) -> str:
    if message.text is not None:
        return markdown(message.text)
    kinds = markdown_inline(", ".join(message.parts_kinds) or "unknown")
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
    caller = markdown_inline(exchange.caller or "user")
    title = "Turn" if depth == 0 else "Delegation"
    how = markdown_inline(", ".join(x for x in (exchange.method, exchange.binding) if x))
    took = _ms(exchange.latency_ns)
    agent = markdown_inline(exchange.agent or "?")
    lines.append(f"{heading} {title} {markdown_inline(exchange.path)}: {caller} → {agent} ({how}, {took})")
    lines.append("")
    lines.append(_where(exchange, start_ns or exchange.start_ns))
    lines.append("")
    for message in exchange.messages:
        if message.role == "user":
            speaker = exchange.caller or "user"
        else:
            speaker = exchange.agent or message.role or "?"
        role, message_id = (
            markdown_inline(message.role or "?"),
            markdown_inline(message.message_id or "no id"),
        )
        lines.append(f"**{markdown_inline(speaker)}** ({role}, {message_id}):")
        lines.append("")
        lines.extend(_quote(_said(message)))
        lines.append("")
    if exchange.transitions:
        path = markdown_inline(" → ".join(t.state for t in exchange.transitions))
        start = exchange.transitions[0].from_state
        start_text = markdown_inline(start) + " → " if start else ""
        created = "created" if exchange.task_created else "continued"
        lines.append(f"Task {markdown_code_span(exchange.task_id or '')} ({created}): {start_text}{path}")
        lines.append("")
    for artifact in exchange.artifacts:
        chunks = f"{artifact.chunk_count} chunk{'s' if artifact.chunk_count != 1 else ''}"
        name = markdown_inline(artifact.name or artifact.artifact_id or "?")
        lines.append(f"Artifact **{name}** ({chunks}):")
        lines.append("")
        if artifact.text is None:
            lines.append("*(content not captured)*")
        else:
            lines.extend(markdown_code(artifact.text))
        lines.append("")
    if exchange.error is not None:
        error = exchange.error
        kind = markdown_code_span(error.error_type or "error")
        said = markdown_inline(error.message or "")
        lines.append(f"**Error** ({markdown_inline(error.side)}): {kind}: {said}".rstrip())
        lines.append("")
    if exchange.stream is not None:
        stream = exchange.stream
        events = stream.events if stream.events is not None else "?"
        lines.append(f"Stream: {events} events, ended {markdown_inline(stream.end or '?')}")
        lines.append("")
    lines.append(
        f"Outcome: **{markdown_inline(exchange.final_state or exchange.response_kind or 'no task')}**"
    )
    lines.append("")
    for child in exchange.delegations:
        _exchange(child, lines, depth + 1, start_ns)


def to_markdown(model: ConversationModel, findings: Sequence[Finding] = ()) -> str:
    agents = markdown_inline(
        ", ".join(f"{a.name} {a.version}" if a.version else a.name for a in model.agents)
    )
    final_state = markdown_inline(model.final_state or "none")
    lines = [
        f"# Conversation {markdown_inline(model.conversation_id)}",
        "",
        f"- Started: {_when(model.start_ns)}; took {_ms(model.duration_ns)}",
        f"- Traces: {', '.join(f'`{t}`' for t in model.trace_ids) or 'none'}",
        f"- Agents: {agents or 'none recorded'}",
        f"- Turns: {len(model.turns)}; tasks: {len(model.tasks)}; final state: {final_state}",
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
        where = f" (exchange {markdown_inline(finding.path)})" if finding.path else ""
        lines.append(f"- **{finding.code}** {finding.name}{where}: {markdown_inline(finding.message)}")
    lines.append("")
    return "\n".join(lines)
