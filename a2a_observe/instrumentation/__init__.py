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
from importlib import metadata
from typing import Any

from a2a_observe.config import Settings, is_disabled
from a2a_observe.instrumentation import a2a_sdk, fasta2a, python_a2a
from a2a_observe.instrumentation.base import InstrumentorBase
from a2a_observe.instrumentation.patching import Patches
from a2a_observe.instrumentation.threads import (
    propagate_context_to_threads,
    stop_propagating_context_to_threads,
)
from a2a_observe.observation.observer import (
    Observer,
    announce_span_starts,
    record_queued_measurements,
    stop_announcing_span_starts,
)

_log = logging.getLogger("a2a_observe")

LIBRARIES: dict[str, str] = {
    "a2a-sdk": "a2a-sdk >= 0.3.4, != 2.*",
    "python-a2a": "python-a2a >= 0.5, < 0.6",
    "fasta2a": "fasta2a >= 2.1, < 3",
}
"""Each library a2a-observe instruments, by distribution name, and the versions it supports
(the same ranges as the extras in ``pyproject.toml``)."""


def _installed(distribution: str) -> bool:
    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


class A2AInstrumentor(InstrumentorBase):  # type: ignore[misc]
    """Instruments a2a-sdk (and every other supported A2A library that is installed)."""

    _patches: Patches | None = None
    observer: Observer | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        """The requirements of the instrumented libraries that are installed.

        Any one of them is enough (each is patched only when the app imports it), so a library
        that is absent is not required; one installed at an unsupported version is a conflict
        for tools that check (and for ``A2AInstrumentor().instrument()``, which then patches
        nothing). ``a2a_observe.instrument()`` and ``opentelemetry-instrument`` skip that check:
        each adapter checks its own library, warns once and leaves the others instrumented.
        With none installed, all are listed: there is nothing to instrument."""
        present = [requirement for name, requirement in LIBRARIES.items() if _installed(name)]
        return present or list(LIBRARIES.values())

    def _instrument(self, **kwargs: Any) -> None:
        if is_disabled():
            _log.info("a2a-observe: disabled by the environment; not instrumenting")
            return
        settings = kwargs.get("settings") or Settings.from_env()
        observer = Observer.create(
            settings,
            kwargs.get("tracer_provider"),
            kwargs.get("meter_provider"),
            kwargs.get("logger_provider"),
        )
        patches = Patches()
        patches.active = True
        a2a_sdk.install(observer, patches)
        python_a2a.install(observer, patches)
        fasta2a.install(observer, patches)
        propagate_context_to_threads()  # logs in threads the agent starts name its task
        if kwargs.get("logger_provider") is None:
            # Live views show running work wherever the app's logs go (collector, OTLP, store);
            # an app that hands its own logger provider in wires its pipeline itself.
            announce_span_starts(kwargs.get("tracer_provider"))
        type(self)._patches = patches
        type(self).observer = observer

    def _uninstrument(self, **kwargs: Any) -> None:
        patches = type(self)._patches
        if patches is not None:
            patches.undo()
            stop_propagating_context_to_threads()
        stop_announcing_span_starts()
        record_queued_measurements()
        type(self)._patches = None
        type(self).observer = None
