"""The base class of our instrumentor: OpenTelemetry's when it is installed, else a stand-in.

``opentelemetry-instrument`` finds instrumentors through the ``opentelemetry_instrumentor``
entry point and expects a ``BaseInstrumentor``; the command ships in
opentelemetry-instrumentation, so wherever it runs the real base class is there. Everywhere
else (``import a2a_observe.auto`` or ``instrument()`` in a plain install) the stand-in keeps
the same contract: one instance per class, ``instrument()`` and ``uninstrument()`` that act
once each. opentelemetry-instrumentation is not a dependency because each of its releases
pins one semantic-conventions release, which sends pip backtracking beside the SDK's own pin.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

_log = logging.getLogger("a2a_observe")


class StandaloneInstrumentor:
    """What ``BaseInstrumentor`` promises its callers, without its dependency checks."""

    _instance: ClassVar[Any] = None
    _is_instrumented_by_opentelemetry = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls._instance is None:
            cls._instance = object.__new__(cls)
        return cls._instance

    @property
    def is_instrumented_by_opentelemetry(self) -> bool:
        return self._is_instrumented_by_opentelemetry

    def _instrument(self, **kwargs: Any) -> None:
        raise NotImplementedError

    def _uninstrument(self, **kwargs: Any) -> None:
        raise NotImplementedError

    def instrument(self, **kwargs: Any) -> None:
        if self._is_instrumented_by_opentelemetry:
            _log.warning("Attempting to instrument while already instrumented")
            return
        kwargs.pop("skip_dep_check", None)
        kwargs.pop("raise_exception_on_conflict", None)
        self._instrument(**kwargs)
        self._is_instrumented_by_opentelemetry = True

    def uninstrument(self, **kwargs: Any) -> None:
        if not self._is_instrumented_by_opentelemetry:
            _log.warning("Attempting to uninstrument while already uninstrumented")
            return
        self._uninstrument(**kwargs)
        self._is_instrumented_by_opentelemetry = False


def _base_class() -> Any:
    try:
        from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]  # noqa: PLC0415 - optional
            BaseInstrumentor,
        )
    except ImportError:  # a plain install: opentelemetry-instrumentation is optional
        return StandaloneInstrumentor
    return BaseInstrumentor


InstrumentorBase: Any = _base_class()
