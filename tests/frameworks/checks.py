"""What every framework test checks on the spans of one call."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry.sdk.trace import ReadableSpan

from a2a_observe import semconv
from tests.support.metrics import total

MESSAGE_METHODS = (semconv.SEND_MESSAGE, semconv.SEND_STREAMING_MESSAGE)


def by_name(spans: Iterable[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


def message_spans(spans: Iterable[ReadableSpan]) -> list[ReadableSpan]:
    """Our CLIENT and SERVER spans of the message calls, unary or streaming."""
    return [s for s in spans if s.name in MESSAGE_METHODS and _ours(s)]


def assert_one_trace(spans: list[ReadableSpan]) -> None:
    traces = {s.context.trace_id for s in spans}
    assert len(traces) == 1, sorted((s.name, f"{s.context.trace_id:032x}") for s in spans)


def _is_agent_span(span: ReadableSpan) -> bool:
    attributes = span.attributes or {}
    return attributes.get(semconv.GEN_AI_OPERATION_NAME) == semconv.OPERATION_INVOKE_AGENT


def _ours(span: ReadableSpan) -> bool:
    scope = span.instrumentation_scope
    return scope is not None and scope.name == semconv.INSTRUMENTATION_SCOPE


def observe_agent_spans(spans: Iterable[ReadableSpan]) -> list[ReadableSpan]:
    """``invoke_agent`` spans made by a2a-observe."""
    return [s for s in spans if _is_agent_span(s) and _ours(s)]


def framework_agent_spans(spans: Iterable[ReadableSpan]) -> list[ReadableSpan]:
    """``invoke_agent`` spans made by anyone else: the framework's own."""
    return [s for s in spans if _is_agent_span(s) and not _ours(s)]


def task_transitions(agent: str) -> float:
    """How many task state changes the agent's tasks have gone through, by the metrics: what
    the agent did is recorded whoever reports its agent span."""
    return total(semconv.METRIC_TASK_TRANSITIONS, **{semconv.GEN_AI_AGENT_NAME: agent})
