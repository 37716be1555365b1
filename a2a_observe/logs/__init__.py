"""Log lines that carry their trace, task, conversation and agent.

- :func:`add_trace_context`: a structlog processor;
- :class:`TraceContextFilter`: the same for stdlib ``logging`` records;
- :func:`configure_logging`: one call for JSON lines (production) or a readable console
  (development), structlog and stdlib through the same handlers, and OTLP export when an
  OpenTelemetry logger provider is configured.

``docs/logs-and-health.md`` describes the fields and the settings.
"""

from __future__ import annotations

from a2a_observe.logs.context import FIELDS, TraceContextFilter, add_trace_context, log_context
from a2a_observe.logs.export import attach_otel_handler
from a2a_observe.logs.setup import configure_logging

__all__ = [
    "FIELDS",
    "TraceContextFilter",
    "add_trace_context",
    "attach_otel_handler",
    "configure_logging",
    "log_context",
]
