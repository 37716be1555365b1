"""The conversation as a Mermaid sequence diagram across the agents that took part."""

from __future__ import annotations

from collections.abc import Sequence

from a2a_observe.replay import escaping
from a2a_observe.replay.audits import Finding
from a2a_observe.replay.model import ConversationModel, Exchange
from a2a_observe.replay.steps import short

USER = "user"


_safe = escaping.mermaid


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.1f} ms"


class _Diagram:
    def __init__(self, start_ns: int = 0) -> None:
        self.ids: dict[str, str] = {}
        self.lines: list[str] = []
        self.start_ns = start_ns

    def who(self, name: str) -> str:
        if name not in self.ids:
            self.ids[name] = f"p{len(self.ids)}"
        return self.ids[name]

    def exchange(self, exchange: Exchange) -> None:
        caller = self.who(exchange.caller or USER)
        agent = self.who(exchange.agent or "unknown agent")
        asked = short(exchange.request.text if exchange.request else None, 60)
        at = f"@+{_ms(exchange.start_ns - self.start_ns)}"
        self.lines.append(
            f"    {caller}->>+{agent}: {_safe(f'{exchange.method} {asked} {at}'.replace('  ', ' '))}"
        )
        if exchange.transitions:
            moves = " → ".join(t.state for t in exchange.transitions)
            self.lines.append(f"    Note over {agent}: {_safe(moves)}")
        request_id = exchange.request.message_id if exchange.request else None
        for message in exchange.messages:
            if message.message_id != request_id and message.role != USER:
                said = short(message.text, 60) or f"message ({message.parts_count or 0} parts)"
                self.lines.append(f"    Note over {agent}: {_safe(said)}")
        for child in exchange.delegations:
            self.exchange(child)
        outcome = (
            f"{exchange.final_state or exchange.response_kind or 'no task'} in {_ms(exchange.latency_ns)}"
        )
        produced = [
            f"{a.name or a.artifact_id} ({a.chunk_count} chunk{'s' if a.chunk_count != 1 else ''})"
            for a in exchange.artifacts
        ]
        if (
            exchange.server_span_id is None
            and exchange.client_span_id is not None
            and not exchange.agent_span_ids
        ):
            outcome += " (the server never reported)"
        if exchange.error is not None:
            failure = f"{outcome}: {exchange.error.error_type or 'error'} {short(exchange.error.message, 50)}"
            self.lines.append(f"    {agent}--x-{caller}: {_safe(failure)}")
        else:
            self.lines.append(f"    {agent}-->>-{caller}: {_safe(', '.join([outcome, *produced]))}")


def to_mermaid(model: ConversationModel, findings: Sequence[Finding] = ()) -> str:
    diagram = _Diagram(model.start_ns)
    diagram.who(USER)
    for turn in model.turns:
        diagram.exchange(turn)
    for finding in findings:
        diagram.lines.append(
            f"    Note over {diagram.ids[USER]}: {_safe(f'{finding.code} {finding.message}')}"
        )
    header = ["sequenceDiagram", f"    %% conversation {_safe(model.conversation_id)}"]
    header.extend(f"    participant {pid} as {_safe(name)}" for name, pid in diagram.ids.items())
    return "\n".join([*header, *diagram.lines]) + "\n"
