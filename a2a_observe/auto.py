"""``import a2a_observe.auto`` as an app's first line: telemetry on, no other code change.

It configures OpenTelemetry from the standard ``OTEL_*`` environment (service name, OTLP
endpoint, exporters) unless the app or ``opentelemetry-instrument`` already did, then
instruments every supported A2A library, imported before or after this line. It imports
neither duckdb nor textual. ``A2A_OBSERVE_DISABLED=true`` turns all of it off, and
``A2A_OBSERVE_STORE=path.duckdb`` also writes spans and logs to that store (duckdb is
imported only then). With ``OTEL_LOGS_EXPORTER`` set, stdlib log records (and structlog's,
once routed through stdlib) reach that exporter with their trace context and A2A ids
(``docs/logs-and-health.md``).
"""

from __future__ import annotations

from a2a_observe.config import is_disabled
from a2a_observe.signals.providers import configure_from_env

if not is_disabled():
    configure_from_env()
    from a2a_observe import instrument

    instrument()

    from a2a_observe.logs.export import bridge_logs_from_env

    bridge_logs_from_env()

    from a2a_observe.safety import call_guarded
    from a2a_observe.signals.exporter_health import bound_exit

    call_guarded("exporter tracking", bound_exit)

    import os

    from a2a_observe import semconv

    if os.environ.get(semconv.ENV_STORE, "").strip():
        from a2a_observe.store.setup import add_store_exporters

        add_store_exporters(os.environ[semconv.ENV_STORE].strip())
