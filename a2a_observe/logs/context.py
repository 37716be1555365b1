"""The fields that tie a log line to its trace and its A2A task, for structlog and stdlib.

Both the structlog processor and the logging filter read the OpenTelemetry context of the
code that logs, so a line written anywhere inside an agent's ``execute`` (or a thread or
task it starts) names that task without the agent author passing anything along.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import format_span_id, format_trace_id

from a2a_observe import semconv
from a2a_observe.observation.observer import current_ids
from a2a_observe.safety import report_internal_error

FIELDS: tuple[str, ...] = (
    semconv.LOG_TRACE_ID,
    semconv.LOG_SPAN_ID,
    semconv.A2A_TASK_ID,
    semconv.GEN_AI_CONVERSATION_ID,
    semconv.GEN_AI_AGENT_NAME,
)
"""Every field a log line may get, in the order they are added."""


_last: tuple[Context, dict[str, str]] | None = None
"""The last context asked about and its fields. One log line asks up to four times (the
structlog processor, each handler's filter, the formatter's pre-chain), always in the same
context; contexts never change, and holding the last one keeps its identity from being reused."""


def log_context() -> dict[str, str]:
    """The current trace and span ids (W3C hex) and the A2A ids that are known."""
    global _last
    ctx = otel_context.get_current()
    last = _last
    if last is not None and last[0] is ctx:
        return dict(last[1])
    fields: dict[str, str] = {}
    span_context = trace.get_current_span(ctx).get_span_context()
    if span_context.is_valid:
        fields[semconv.LOG_TRACE_ID] = format_trace_id(span_context.trace_id)
        fields[semconv.LOG_SPAN_ID] = format_span_id(span_context.span_id)
    fields.update(current_ids(ctx))
    _last = (ctx, fields)
    return dict(fields)


def add_trace_context(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor; values the caller bound or passed explicitly win."""
    try:
        for key, value in log_context().items():
            event_dict.setdefault(key, value)
    except Exception as exc:  # noqa: BLE001 - a log line must never fail because of us
        report_internal_error("structlog trace context", exc)
    return event_dict


class TraceContextFilter(logging.Filter):
    """Puts the fields on each record as attributes; never drops a record.

    As attributes, the OpenTelemetry logging handler exports them as log attributes and
    structlog's ``ExtraAdder`` renders them. Attributes already on the record are kept: a
    record created in one thread and handled in another (``QueueHandler``) keeps the ids of
    the code that logged it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            attributes = record.__dict__
            for key, value in log_context().items():
                if key not in attributes:
                    attributes[key] = value
        except Exception as exc:  # noqa: BLE001 - a log line must never fail because of us
            report_internal_error("logging trace context", exc)
        return True
