"""OpenTelemetry SDK set-up from the standard environment, as ``opentelemetry-instrument`` does.

We reuse the SDK's own configurator rather than re-implement ``OTEL_*`` parsing, so every
standard setting behaves exactly as users know it. Apps that set a tracer provider
themselves keep theirs.

Like opentelemetry-distro, we first fill in defaults the bare SDK lacks: a signal whose
``OTEL_{TRACES,METRICS,LOGS}_EXPORTER`` is unset is exported with ``otlp`` once an OTLP
endpoint is configured for it (``OTEL_EXPORTER_OTLP_ENDPOINT`` or the signal's own
endpoint), so setting the endpoint alone is enough. Unlike the distro, which turns on
``otlp`` towards localhost even with no endpoint (and warns on every failed export when no
collector listens there), nothing is exported without an endpoint. The protocol defaults to
``http/protobuf``, the OpenTelemetry specification's default (the Python SDK and the distro
still pick ``grpc``): the endpoint users set for ``a2a-observe collect`` or a Collector's
port 4318 then just works, and ``OTEL_EXPORTER_OTLP_PROTOCOL=grpc`` selects gRPC.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, MutableMapping

from opentelemetry import trace
from opentelemetry.environment_variables import (
    OTEL_LOGS_EXPORTER,
    OTEL_METRICS_EXPORTER,
    OTEL_TRACES_EXPORTER,
)
from opentelemetry.sdk.environment_variables import (
    OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
    OTEL_EXPORTER_OTLP_PROTOCOL,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
)

from a2a_observe import semconv
from a2a_observe.config import _flag

_log = logging.getLogger("a2a_observe")

_EXPORTER_AND_ENDPOINT = (
    (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
    (OTEL_METRICS_EXPORTER, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT),
    (OTEL_LOGS_EXPORTER, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT),
)
OTLP = "otlp"
SPEC_DEFAULT_PROTOCOL = "http/protobuf"


def _set(env: Mapping[str, str], name: str) -> bool:
    return bool(env.get(name, "").strip())


def otlp_defaults(env: Mapping[str, str]) -> dict[str, str]:
    """The settings to add to ``env`` so that a configured OTLP endpoint is used."""
    defaults = {
        exporter: OTLP
        for exporter, endpoint in _EXPORTER_AND_ENDPOINT
        if not _set(env, exporter) and (_set(env, OTEL_EXPORTER_OTLP_ENDPOINT) or _set(env, endpoint))
    }
    uses_otlp = any(
        OTLP in {name.strip() for name in {**env, **defaults}.get(exporter, "").split(",")}
        for exporter, _ in _EXPORTER_AND_ENDPOINT
    )
    if uses_otlp and not _set(env, OTEL_EXPORTER_OTLP_PROTOCOL):
        defaults[OTEL_EXPORTER_OTLP_PROTOCOL] = SPEC_DEFAULT_PROTOCOL
    return defaults


def apply_otlp_defaults(env: MutableMapping[str, str]) -> None:
    """Write :func:`otlp_defaults` into ``env``, as the distro writes its own into os.environ."""
    env.update(otlp_defaults(env))


def providers_configured() -> bool:
    """True once anyone has installed a real tracer provider."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def configure_from_env() -> bool:
    """Configure the SDK from ``OTEL_*`` unless already done; True if we configured it."""
    if not _flag(os.environ, semconv.ENV_CONFIGURE_PROVIDERS, True) or providers_configured():
        return False
    try:
        from opentelemetry.sdk._configuration import _OTelSDKConfigurator  # noqa: PLC0415 - import cost

        apply_otlp_defaults(os.environ)
        _OTelSDKConfigurator().configure()  # type: ignore[no-untyped-call]
    except Exception:  # noqa: BLE001 - a bad exporter setting must not stop the app
        _log.warning("a2a-observe: could not configure OpenTelemetry from the environment", exc_info=True)
        return False
    return True
