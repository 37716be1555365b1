"""OpenTelemetry SDK set-up from the standard environment, as ``opentelemetry-instrument`` does.

We reuse the SDK's own configurator rather than re-implement ``OTEL_*`` parsing, so every
standard setting behaves exactly as users know it. Apps that set a tracer provider
themselves keep theirs.
"""

from __future__ import annotations

import logging
import os

from opentelemetry import trace

from a2a_observe import semconv
from a2a_observe.config import _flag

_log = logging.getLogger("a2a_observe")


def providers_configured() -> bool:
    """True once anyone has installed a real tracer provider."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def configure_from_env() -> bool:
    """Configure the SDK from ``OTEL_*`` unless already done; True if we configured it."""
    if not _flag(os.environ, semconv.ENV_CONFIGURE_PROVIDERS, True) or providers_configured():
        return False
    try:
        from opentelemetry.sdk._configuration import _OTelSDKConfigurator  # noqa: PLC0415

        _OTelSDKConfigurator().configure()  # type: ignore[no-untyped-call]
    except Exception:  # noqa: BLE001 - a bad exporter setting must not stop the app
        _log.warning("a2a-observe: could not configure OpenTelemetry from the environment", exc_info=True)
        return False
    return True
