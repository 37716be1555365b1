"""What happens to a2a-sdk's own spans while we instrument.

The SDK's ``trace_class`` spans never cross agents, carry no attributes and name private
methods (40-55 of them per SendMessage), so by default we silence them: the SDK looks up
``a2a.utils.telemetry.trace`` on every call, and we swap it for a shim whose tracer opens
no span and leaves the current context untouched (a no-op tracer would make an invalid span
current and cut our trace in two). ``A2A_OBSERVE_SDK_SPANS=keep`` leaves them alone.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, Span

from a2a_observe.instrumentation.patching import Patches


class _Silence:
    """A reusable ``with`` block that yields a span nobody records and makes it current
    nowhere; the SDK runs it ~100 times per request, so it must cost next to nothing."""

    __slots__ = ()

    def __enter__(self) -> Span:
        return INVALID_SPAN

    def __exit__(self, *exc: object) -> None:
        return None


_SILENCE = _Silence()


class _SilentTracer:
    """Opens no span and changes no context; what the SDK sets on the span goes nowhere."""

    def start_span(self, *args: Any, **kwargs: Any) -> Span:
        return INVALID_SPAN

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> _Silence:
        return _SILENCE


class _TraceModuleShim:
    """Stands in for the ``opentelemetry.trace`` module inside ``a2a.utils.telemetry``."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self._tracer = _SilentTracer()

    def get_tracer(self, *args: Any, **kwargs: Any) -> _SilentTracer:
        return self._tracer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def silence(patches: Patches) -> None:
    def patch(module: ModuleType) -> None:
        real = getattr(module, "trace", None)
        if real is trace:  # the SDK's telemetry is on; when off it holds a no-op already
            patches.replace(module, "trace", _TraceModuleShim(real))

    patches.when_imported("a2a.utils.telemetry", patch)
