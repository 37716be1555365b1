"""Carry the OpenTelemetry context into threads an agent starts, so their logs name the task.

asyncio tasks copy the context by themselves and ``asyncio.to_thread`` copies it too; plain
``threading.Thread``, ``threading.Timer`` and ``ThreadPoolExecutor.submit`` (which
``loop.run_in_executor`` uses) do not. ``Thread.start`` remembers the starter's context and
``Thread.run`` (``Timer.run``, which overrides it) runs inside it; ``submit`` hands the
function the submitter's context. That is what OpenTelemetry's threading instrumentation does;
it is not a dependency of ours (each release pins its own opentelemetry-instrumentation, which
makes pip backtrack), but where it is on, or ``opentelemetry-instrument`` is about to turn it
on, threads are left to it so that nothing is patched twice.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from typing import Any

from opentelemetry import context

from a2a_observe.instrumentation.patching import Patches
from a2a_observe.safety import call_guarded

_CONTEXT_ATTRIBUTE = "_a2a_observe_otel_context"
_OTEL_THREADING = "opentelemetry.instrumentation.threading"

_patches: Patches | None = None


def _otel_threading_in_charge() -> bool:
    """True when OpenTelemetry's own threading instrumentation is on or about to be."""
    module = sys.modules.get(_OTEL_THREADING)
    if module is not None and module.ThreadingInstrumentor().is_instrumented_by_opentelemetry:
        return True
    if "opentelemetry.instrumentation.auto_instrumentation" not in sys.modules:
        return False
    # opentelemetry-instrument loads every installed instrumentor from its entry point (ours
    # may come first) unless the user disabled it by name.
    disabled = {
        name.strip() for name in os.environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "").split(",")
    }
    if "threading" in disabled:
        return False
    return any(
        point.name == "threading" for point in metadata.entry_points(group="opentelemetry_instrumentor")
    )


def _remember_context(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    call_guarded("thread context propagation", setattr, instance, _CONTEXT_ATTRIBUTE, context.get_current())
    return wrapped(*args, **kwargs)


def _run_in_context(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    remembered = getattr(instance, _CONTEXT_ATTRIBUTE, None)
    token = call_guarded("thread context propagation", context.attach, remembered) if remembered else None
    try:
        return wrapped(*args, **kwargs)
    finally:
        if token is not None:
            call_guarded("thread context propagation", context.detach, token)


def _in_context(ctx: context.Context, fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        token = call_guarded("thread context propagation", context.attach, ctx)
        try:
            return fn(*args, **kwargs)
        finally:
            if token is not None:
                call_guarded("thread context propagation", context.detach, token)

    return run


def _submit_in_context(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if args and callable(args[0]):
        args = (_in_context(context.get_current(), args[0]), *args[1:])
    return wrapped(*args, **kwargs)


def _enable() -> None:
    global _patches
    if _patches is not None or _otel_threading_in_charge():
        return
    patches = Patches()
    patches.active = True
    patches.wrap(threading.Thread, "start", _remember_context)
    patches.wrap(threading.Thread, "run", _run_in_context)
    patches.wrap(threading.Timer, "run", _run_in_context)
    patches.wrap(ThreadPoolExecutor, "submit", _submit_in_context)
    _patches = patches


def _disable() -> None:
    global _patches
    if _patches is not None:
        _patches.undo()
        _patches = None


def propagate_context_to_threads() -> None:
    """Carry the context into new threads unless OpenTelemetry's threading instrumentation does."""
    call_guarded("thread context propagation", _enable)


def stop_propagating_context_to_threads() -> None:
    """Undo :func:`propagate_context_to_threads`."""
    call_guarded("thread context propagation", _disable)
