"""One call that sets up structlog and stdlib logging to write the same lines, with ids.

structlog is routed through stdlib logging (its events become ordinary ``LogRecord``s whose
fields are record attributes), so both kinds of log line go through the same handlers: one
stream handler that renders JSON lines or structlog's console format, and the OpenTelemetry
handler when a logger provider is configured. Records built this way export cleanly from any
OpenTelemetry handler: the event is the body and every other field an attribute.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

from a2a_observe import semconv
from a2a_observe.logs.context import TraceContextFilter, add_trace_context
from a2a_observe.logs.export import attach_otel_handler, switched_off

FORMAT_JSON = "json"
FORMAT_CONSOLE = "console"

_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
"""Names ``Logger.makeRecord`` refuses in ``extra``; an event field by such a name is renamed."""


def wants_json(stream: TextIO, environ: MutableMapping[str, str] | None = None) -> bool:
    """``A2A_OBSERVE_LOG_FORMAT`` decides; unset, a terminal gets the console format."""
    value = (environ if environ is not None else os.environ).get(semconv.ENV_LOG_FORMAT, "")
    value = value.strip().lower()
    if value in (FORMAT_JSON, FORMAT_CONSOLE):
        return value == FORMAT_JSON
    try:
        return not stream.isatty()
    except Exception:  # noqa: BLE001 - a closed or odd stream is no terminal
        return True


def to_log_kwargs(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    """Last structlog processor: the event as ``msg``, the other fields as ``extra``.

    Like ``structlog.stdlib.render_to_log_kwargs``, but a field named like a ``LogRecord``
    attribute (``name``, ``message``, ...) gets a trailing ``_`` instead of making stdlib
    raise inside the app's log call.
    """
    kwargs: dict[str, Any] = {"msg": event_dict.pop("event", "")}
    for key in ("exc_info", "stack_info", "stacklevel"):
        if key in event_dict:
            kwargs[key] = event_dict.pop(key)
    kwargs["extra"] = {(f"{k}_" if k in _RECORD_ATTRIBUTES else k): v for k, v in event_dict.items()}
    return kwargs


_installed: list[logging.Handler] = []


def configure_logging(
    *,
    json: bool | None = None,
    level: int | str = logging.INFO,
    stream: TextIO | None = None,
    otel: bool | None = None,
) -> None:
    """Configure structlog and the root logger for the whole process; call it once at start.

    ``json`` None follows ``A2A_OBSERVE_LOG_FORMAT`` (``json`` or ``console``), else JSON
    unless ``stream`` (stderr by default) is a terminal. ``otel`` None adds the OpenTelemetry
    handler when an SDK logger provider is configured, unless
    ``OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED`` or ``OTEL_PYTHON_LOG_AUTO_INSTRUMENTATION``
    is ``false``; True adds it regardless of those, False never. Handlers others
    put on the root logger stay; ours from an earlier call are replaced.
    """
    import structlog  # noqa: PLC0415 - structlog is loaded only by apps that ask for it

    out = stream if stream is not None else sys.stderr
    as_json = wants_json(out) if json is None else json
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    renderer: Any = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=_colors(out))
    )
    final: list[Any] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if as_json:
        final.append(structlog.processors.dict_tracebacks)
    final.append(renderer)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            add_trace_context,
            timestamper,
        ],
        processors=final,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(TraceContextFilter())

    root = logging.getLogger()
    for old in _installed:
        root.removeHandler(old)
    _installed[:] = [handler]
    root.addHandler(handler)
    root.setLevel(level)
    if otel or (otel is None and not switched_off()):
        attach_otel_handler()

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.PositionalArgumentsFormatter(),
            add_trace_context,
            structlog.processors.StackInfoRenderer(),
            to_log_kwargs,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _colors(stream: TextIO) -> bool:
    try:
        return stream.isatty() and "NO_COLOR" not in os.environ
    except Exception:  # noqa: BLE001
        return False
