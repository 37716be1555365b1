"""A stand-in for the ``opentelemetry.trace`` module that opens no span.

A library that reports spans of its own nobody asked for (a2a-sdk's ``trace_class`` spans)
is silenced by swapping the ``trace`` module it looks up for this shim: its tracer opens no
span and leaves the current context untouched (a no-op tracer would make an invalid span
current and cut our trace in two). The adapter decides where to swap; only this module
knows what a span is.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, Span


class _Silence:
    """A reusable ``with`` block that yields a span nobody records and makes it current
    nowhere; a2a-sdk runs it ~100 times per request, so it must cost next to nothing."""

    __slots__ = ()

    def __enter__(self) -> Span:
        return INVALID_SPAN

    def __exit__(self, *exc: object) -> None:
        return None


_SILENCE = _Silence()


class _SilentTracer:
    """Opens no span and changes no context; what the library sets on the span goes nowhere."""

    def start_span(self, *args: Any, **kwargs: Any) -> Span:
        return INVALID_SPAN

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> _Silence:
        return _SILENCE


class _TraceModuleShim:
    """Stands in for the ``opentelemetry.trace`` module inside one library module."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self._tracer = _SilentTracer()

    def get_tracer(self, *args: Any, **kwargs: Any) -> _SilentTracer:
        return self._tracer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def is_trace_api(value: object) -> bool:
    """Whether ``value`` is the real ``opentelemetry.trace`` module (a library whose
    telemetry is off holds a no-op of its own instead)."""
    return value is trace


def silent_trace_api(real: Any) -> Any:
    """A stand-in for ``real`` (``opentelemetry.trace``) whose tracers open no span."""
    return _TraceModuleShim(real)
