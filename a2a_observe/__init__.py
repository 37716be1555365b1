"""a2a-observe: OpenTelemetry-native observability for A2A agents.

``instrument()`` patches every supported A2A library (now or when it is imported);
``import a2a_observe.auto`` does that and configures OpenTelemetry from ``OTEL_*`` settings.
"""

from __future__ import annotations

from typing import Any

from a2a_observe.version import __version__

__all__ = ["__version__", "instrument", "is_instrumented", "uninstrument"]


def instrument(**kwargs: Any) -> None:
    """Instrument A2A clients and servers; ``tracer_provider=`` and ``settings=`` optional."""
    from a2a_observe.instrumentation import A2AInstrumentor  # noqa: PLC0415 - import cost, see docs/architecture.md

    # Each adapter checks its own library's version (one warning, the others still patched),
    # as opentelemetry-instrument does after its distribution check; instrumentation_dependencies()
    # would refuse every library for one that is out of range.
    kwargs.setdefault("skip_dep_check", True)
    A2AInstrumentor().instrument(**kwargs)


def uninstrument() -> None:
    """Undo :func:`instrument`: every patch is removed, later imports stay untouched."""
    from a2a_observe.instrumentation import A2AInstrumentor  # noqa: PLC0415 - import cost

    A2AInstrumentor().uninstrument()


def is_instrumented() -> bool:
    from a2a_observe.instrumentation import A2AInstrumentor  # noqa: PLC0415 - import cost

    return bool(A2AInstrumentor().is_instrumented_by_opentelemetry)
