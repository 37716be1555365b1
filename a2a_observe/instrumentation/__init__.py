"""Activation: one instrumentor that patches every supported A2A library.

``A2AInstrumentor`` is an OpenTelemetry ``BaseInstrumentor`` (or, where
opentelemetry-instrumentation is not installed, a stand-in with the same contract, see
``base.py``), registered under the ``opentelemetry_instrumentor`` entry point, so
``opentelemetry-instrument`` finds it; the package-level ``instrument()`` / ``uninstrument()``
use the same object.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from opentelemetry import metrics, trace

from a2a_observe import semconv
from a2a_observe.config import Settings, is_disabled
from a2a_observe.instrumentation.base import InstrumentorBase
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.metrics import A2AMetrics
from a2a_observe.observation import Observer
from a2a_observe.version import __version__

_log = logging.getLogger("a2a_observe")


class A2AInstrumentor(InstrumentorBase):  # type: ignore[misc]
    """Instruments a2a-sdk (and every other supported A2A library that is installed)."""

    _patches: Patches | None = None
    observer: Observer | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        # Empty: each library is patched only if and when the app imports it, so neither is
        # required, and opentelemetry-instrument must not skip us when one is missing.
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        if is_disabled():
            _log.info("a2a-observe: disabled by the environment; not instrumenting")
            return
        settings = kwargs.get("settings") or Settings.from_env()
        tracer = trace.get_tracer(
            semconv.INSTRUMENTATION_SCOPE,
            __version__,
            tracer_provider=kwargs.get("tracer_provider"),
        )
        meter = metrics.get_meter(
            semconv.INSTRUMENTATION_SCOPE,
            __version__,
            meter_provider=kwargs.get("meter_provider"),
        )
        observer = Observer(tracer, settings, A2AMetrics(meter))
        patches = Patches()
        patches.active = True
        from a2a_observe.instrumentation import a2a_sdk, fasta2a, python_a2a  # noqa: PLC0415

        a2a_sdk.install(observer, patches)
        python_a2a.install(observer, patches)
        fasta2a.install(observer, patches)
        from a2a_observe.logs.threads import propagate_context_to_threads  # noqa: PLC0415

        propagate_context_to_threads()  # logs in threads the agent starts name its task
        type(self)._patches = patches
        type(self).observer = observer

    def _uninstrument(self, **kwargs: Any) -> None:
        patches = type(self)._patches
        if patches is not None:
            patches.undo()
            from a2a_observe.logs.threads import stop_propagating_context_to_threads  # noqa: PLC0415

            stop_propagating_context_to_threads()
        type(self)._patches = None
        type(self).observer = None
