"""The conversation as one sequence of moments, for stepping through it like a debugger."""

from __future__ import annotations

from a2a_observe import semconv
from a2a_observe.replay.model import ConversationModel, Exchange, Step


def short(text: str | None, limit: int = 80) -> str:
    """One line of at most ``limit`` characters, for summaries."""
    if text is None:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _of_exchange(exchange: Exchange) -> list[Step]:
    who = exchange.agent
    caller = exchange.caller or "user"
    first_span = exchange.client_span_id or exchange.server_span_id or ""
    out: list[Step] = []

    def add(time_ns: int, kind: str, summary: str, trace_id: str, span_id: str) -> None:
        out.append(Step(time_ns, kind, exchange.path, who, summary.rstrip(), trace_id, span_id))

    asked = short(exchange.request.text if exchange.request else None)
    add(
        exchange.start_ns,
        "request",
        f"{caller} → {who or '?'}: {exchange.method} {asked}",
        exchange.trace_id,
        first_span,
    )
    request_id = exchange.request.message_id if exchange.request else None
    for message in exchange.messages:
        if message.message_id != request_id:
            said = short(message.text) or f"({message.parts_count or 0} parts)"
            add(
                message.time_ns,
                "message",
                f"{message.role or '?'}: {said}",
                message.trace_id,
                message.span_id,
            )
    for transition in exchange.transitions:
        was = semconv.state_label(transition.from_state) if transition.from_state else "∅"
        moved = f"{was} → {semconv.state_label(transition.state)}"
        add(transition.time_ns, "transition", moved, transition.trace_id, transition.span_id)
    for artifact in exchange.artifacts:
        label = artifact.name or artifact.artifact_id
        for number, chunk in enumerate(artifact.chunks, 1):
            text = short("".join(p.content for p in chunk.parts or ()) or None)
            summary = f"{label} chunk {number}/{artifact.chunk_count} {text}"
            add(chunk.time_ns, "artifact", summary, chunk.trace_id, chunk.span_id)
    if exchange.error is not None:
        error = exchange.error
        summary = f"{error.error_type or 'error'}: {short(error.message)}"
        add(exchange.end_ns, "error", summary, error.trace_id, error.span_id)
    final = semconv.state_label(exchange.final_state) if exchange.final_state else None
    outcome = final or exchange.response_kind or "no task"
    add(exchange.end_ns, "response", f"{who or '?'} → {caller}: {outcome}", exchange.trace_id, first_span)
    return out


def steps_of(model: ConversationModel) -> list[Step]:
    """Requests, state changes, messages, artifact chunks, errors and responses in time order.

    The sort is stable, so at equal times the order within an exchange is kept (a request
    before what it caused).
    """
    steps = [step for exchange in model.exchanges() for step in _of_exchange(exchange)]
    steps.sort(key=lambda step: step.time_ns)
    return steps
