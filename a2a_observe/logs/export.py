"""Send stdlib (and so structlog) records to the OpenTelemetry logs SDK, beside the spans.

The handler comes from OpenTelemetry: ``opentelemetry-instrumentation-logging``'s when that
package is installed, else the logs SDK's own. It takes the trace context from the record's
OpenTelemetry context; our :class:`TraceContextFilter` adds the A2A ids as attributes.

An OpenTelemetry handler already on the root logger (put there by the SDK configurator,
``opentelemetry-instrument`` or the app) is reused, never doubled. A handler we add is kept
through ``logging.basicConfig``/``dictConfig``/``fileConfig``, as the SDK does for its own:
otherwise our handler would make the app's ``basicConfig()`` a silent no-op, or the app's
``dictConfig`` would drop the export.
"""

from __future__ import annotations

import importlib
import logging
import logging.config
import os
import warnings
from collections.abc import Callable
from typing import Any

from opentelemetry._logs import get_logger_provider

from a2a_observe.logs.context import TraceContextFilter
from a2a_observe.safety import call_guarded

ENV_LOGS_EXPORTER = "OTEL_LOGS_EXPORTER"
ENV_SDK_LOGGING_HANDLER = "OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED"
"""The SDK configurator's switch for its own handler on the root logger."""
ENV_LOGGING_INSTRUMENTATION = "OTEL_PYTHON_LOG_AUTO_INSTRUMENTATION"
"""``opentelemetry-instrumentation-logging``'s switch for its handler."""

_protected: list[logging.Handler] = []
_config_functions_wrapped = False


def is_otel_handler(handler: logging.Handler) -> bool:
    """An OpenTelemetry logging handler, whichever package it came from."""
    cls = type(handler)
    return cls.__name__ == "LoggingHandler" and cls.__module__.startswith("opentelemetry.")


def otel_handlers(logger: logging.Logger | None = None) -> list[logging.Handler]:
    return [h for h in (logger or logging.getLogger()).handlers if is_otel_handler(h)]


def add_ids_filter(handler: logging.Handler) -> None:
    """Give ``handler`` the A2A ids filter once."""
    if not any(isinstance(f, TraceContextFilter) for f in handler.filters):
        handler.addFilter(TraceContextFilter())


def sdk_logger_provider() -> Any | None:
    """The global logger provider if it is the SDK's (a no-op one has nowhere to send)."""
    from opentelemetry.sdk._logs import LoggerProvider  # noqa: PLC0415 - the SDK, see docs/architecture.md

    provider = get_logger_provider()
    return provider if isinstance(provider, LoggerProvider) else None


def _new_handler(provider: Any, level: int) -> logging.Handler:
    try:
        module = importlib.import_module("opentelemetry.instrumentation.logging.handler")
        handler_class: Any = module.LoggingHandler
    except (ImportError, AttributeError):
        from opentelemetry.sdk._logs import LoggingHandler  # noqa: PLC0415 - the SDK

        handler_class = LoggingHandler
    with warnings.catch_warnings():
        # The SDK's handler warns that it moves to opentelemetry-instrumentation-logging;
        # we already prefer that one when it is there.
        warnings.simplefilter("ignore", DeprecationWarning)
        handler: logging.Handler = handler_class(level=level, logger_provider=provider)
    return handler


def _keep_through_config(config_fn: Callable[..., Any]) -> Callable[..., Any]:
    def configure(*args: Any, **kwargs: Any) -> Any:
        root = logging.getLogger()
        ours = [h for h in _protected if h in root.handlers]
        for handler in ours:
            root.removeHandler(handler)
        try:
            return config_fn(*args, **kwargs)
        finally:
            for handler in ours:
                if handler not in root.handlers:
                    root.addHandler(handler)

    configure.__wrapped__ = config_fn  # type: ignore[attr-defined]
    return configure


def _protect(handler: logging.Handler) -> None:
    global _config_functions_wrapped
    _protected.append(handler)
    if not _config_functions_wrapped:
        _config_functions_wrapped = True
        logging.basicConfig = _keep_through_config(logging.basicConfig)
        logging.config.dictConfig = _keep_through_config(logging.config.dictConfig)
        logging.config.fileConfig = _keep_through_config(logging.config.fileConfig)


def _attach(provider: Any | None, level: int) -> logging.Handler | None:
    existing = otel_handlers()
    for handler in existing:
        add_ids_filter(handler)
    if existing:
        return existing[0]
    provider = provider if provider is not None else sdk_logger_provider()
    if provider is None:
        return None
    handler = _new_handler(provider, level)
    add_ids_filter(handler)
    logging.getLogger().addHandler(handler)
    _protect(handler)
    return handler


def attach_otel_handler(
    logger_provider: Any | None = None, level: int = logging.NOTSET
) -> logging.Handler | None:
    """The root logger's OpenTelemetry handler, added if there is none yet.

    None when no SDK logger provider is configured (then nothing could be exported) or if
    attaching failed (logged once; the app's logging is untouched).
    """
    return call_guarded("otel log handler", _attach, logger_provider, level)


def switched_off() -> bool:
    """Either OpenTelemetry switch for a root logging handler is explicitly ``false``."""
    return any(
        os.environ.get(name, "").strip().lower() == "false"
        for name in (ENV_SDK_LOGGING_HANDLER, ENV_LOGGING_INSTRUMENTATION)
    )


def _bridge_from_env() -> None:
    for handler in otel_handlers():
        add_ids_filter(handler)
    exporters = os.environ.get(ENV_LOGS_EXPORTER, "").strip().lower()
    if exporters in ("", "none"):
        return
    if switched_off():
        return
    _attach(None, logging.NOTSET)


def bridge_logs_from_env() -> None:
    """What ``a2a_observe.auto`` does for logs, after the providers are configured.

    With ``OTEL_LOGS_EXPORTER`` naming an exporter, stdlib records go to it: this is what
    ``opentelemetry-instrument`` does when ``opentelemetry-instrumentation-logging`` is
    installed, and what the bare SDK does only with
    ``OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED=true``, which is easy to miss. Either
    switch set to ``false`` keeps records off the exporter. Any OpenTelemetry handler on the
    root logger gets the A2A ids filter.
    """
    call_guarded("otel log bridge", _bridge_from_env)
