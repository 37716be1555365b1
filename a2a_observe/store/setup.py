"""``A2A_OBSERVE_STORE=path.duckdb``: the in-process exporters on the configured providers.

They are added to whatever tracer and logger providers the app (or ``a2a_observe.auto``) set
up, behind the SDK's batch processors, so spans still go wherever else they were going.
A provider that is not the SDK's cannot take processors; then nothing is added and a warning
says why, and the app runs on.
"""

from __future__ import annotations

import logging

from opentelemetry import trace

from a2a_observe.safety import call_guarded

_log = logging.getLogger("a2a_observe.store")


def _add(path: str) -> bool:
    from opentelemetry._logs import get_logger_provider  # noqa: PLC0415 - only when the setting is on
    from opentelemetry.sdk._logs import LoggerProvider  # noqa: PLC0415
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415

    from a2a_observe.store.exporters import DuckDBLogExporter, DuckDBSpanExporter  # noqa: PLC0415

    tracer_provider = trace.get_tracer_provider()
    if not isinstance(tracer_provider, TracerProvider):
        _log.warning(
            "a2a-observe: the store %s is not used: the tracer provider is %s, not the SDK's",
            path,
            type(tracer_provider).__name__,
        )
        return False
    tracer_provider.add_span_processor(BatchSpanProcessor(DuckDBSpanExporter(path)))
    logger_provider = get_logger_provider()
    if isinstance(logger_provider, LoggerProvider):
        from a2a_observe.signals.span_starts import log_span_starts  # noqa: PLC0415

        logger_provider.add_log_record_processor(BatchLogRecordProcessor(DuckDBLogExporter(path)))
        log_span_starts(tracer_provider, logger_provider)
    return True


def add_store_exporters(path: str) -> bool:
    """True once spans (and logs, when a logger provider is set up) go to ``path`` too."""
    return bool(call_guarded("store exporters", _add, path))
