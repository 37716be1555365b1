"""Carry the OpenTelemetry context into threads an agent starts, so their logs name the task.

asyncio tasks copy the context by themselves and ``asyncio.to_thread`` copies it too; plain
``threading.Thread``, ``threading.Timer`` and ``ThreadPoolExecutor.submit`` (which
``loop.run_in_executor`` uses) do not. OpenTelemetry's own threading instrumentation fixes
exactly that, so we turn it on rather than patch threading a second way.
"""

from __future__ import annotations

import sys

from a2a_observe.safety import call_guarded

_enabled_by_us = False


def _instrumentor() -> object:
    from opentelemetry.instrumentation.threading import ThreadingInstrumentor  # noqa: PLC0415

    return ThreadingInstrumentor()


def _enable() -> None:
    global _enabled_by_us
    if "opentelemetry.instrumentation.auto_instrumentation" in sys.modules:
        # opentelemetry-instrument loads the threading instrumentation from its own entry
        # point (after ours, or not at all if the user disabled it): leave it to that.
        return
    instrumentor = _instrumentor()
    if getattr(instrumentor, "is_instrumented_by_opentelemetry", False):
        return  # the app did it already: leave it theirs
    instrumentor.instrument()  # type: ignore[attr-defined]
    _enabled_by_us = True


def _disable() -> None:
    global _enabled_by_us
    if _enabled_by_us:
        _instrumentor().uninstrument()  # type: ignore[attr-defined]
        _enabled_by_us = False


def propagate_context_to_threads() -> None:
    """Turn the threading instrumentation on unless someone already did."""
    call_guarded("thread context propagation", _enable)


def stop_propagating_context_to_threads() -> None:
    """Undo :func:`propagate_context_to_threads`, only if it was us who turned it on."""
    call_guarded("thread context propagation", _disable)
