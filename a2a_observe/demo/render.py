"""Finished spans drawn as a tree in the terminal: the demo's output and a quick look at any
trace without a backend."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from a2a_observe import semconv

_KIND = {SpanKind.CLIENT: "CLIENT", SpanKind.SERVER: "SERVER", SpanKind.INTERNAL: "AGENT"}


def _duration_ms(span: ReadableSpan) -> float:
    if span.start_time is None or span.end_time is None:
        return 0.0
    return (span.end_time - span.start_time) / 1e6


def describe(span: ReadableSpan) -> str:
    """One line: kind, name, agent, binding, duration, task state, stream and error facts."""
    attrs = span.attributes or {}
    parts = [f"{_KIND.get(span.kind, span.kind.name):6} {span.name}"]
    agent = attrs.get(semconv.GEN_AI_AGENT_NAME)
    if agent and span.kind == SpanKind.CLIENT:
        parts.append(f"→ {agent}")
    binding = attrs.get(semconv.A2A_PROTOCOL_BINDING)
    if binding and span.kind == SpanKind.CLIENT:
        version = attrs.get(semconv.A2A_PROTOCOL_VERSION)
        parts.append(f"[{binding} v{version}]" if version else f"[{binding}]")
    parts.append(f"{_duration_ms(span):.1f} ms")
    state = attrs.get(semconv.A2A_TASK_STATE)
    if state:
        parts.append(f"task {state}")
    events = attrs.get(semconv.A2A_STREAM_EVENTS_COUNT)
    if events is not None:
        parts.append(f"{events} stream events")
    if span.status.status_code == StatusCode.ERROR:
        error = attrs.get(semconv.ERROR_TYPE, "error")
        description = (span.status.description or "").splitlines()[0][:80] if span.status.description else ""
        parts.append(f"✗ {error}: {description}" if description else f"✗ {error}")
    return "  ".join(parts)


def render_trace(spans: Sequence[ReadableSpan]) -> list[str]:
    """The spans of one trace as tree lines, children in start order."""
    ids = {s.context.span_id for s in spans}
    children: dict[int | None, list[ReadableSpan]] = defaultdict(list)
    for span in spans:
        parent = span.parent.span_id if span.parent is not None and span.parent.span_id in ids else None
        children[parent].append(span)
    lines: list[str] = []

    def walk(parent: int | None, prefix: str) -> None:
        kids = sorted(children.get(parent, []), key=lambda s: s.start_time or 0)
        for index, child in enumerate(kids):
            last = index == len(kids) - 1
            lines.append(f"{prefix}{'└─ ' if last else '├─ '}{describe(child)}")
            walk(child.context.span_id, prefix + ("   " if last else "│  "))

    walk(None, "")
    return lines


def render_traces(spans: Iterable[ReadableSpan]) -> list[str]:
    """Every trace in ``spans``, oldest first, each headed by its trace and conversation ids."""
    traces: dict[int, list[ReadableSpan]] = defaultdict(list)
    for span in spans:
        traces[span.context.trace_id].append(span)
    lines: list[str] = []
    for trace_id, members in sorted(traces.items(), key=lambda item: min(s.start_time or 0 for s in item[1])):
        conversations = sorted(
            {str((s.attributes or {}).get(semconv.GEN_AI_CONVERSATION_ID)) for s in members} - {"None"}
        )
        header = f"trace {trace_id:032x}"
        if conversations:
            header += f"  conversation {', '.join(conversations)}"
        lines.append(header)
        lines.extend(render_trace(members))
        lines.append("")
    return lines
