"""Threads the app starts run in the context of the code that started them, and the
instrumentor keeps its contract where opentelemetry-instrumentation is not installed."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from opentelemetry import trace

from a2a_observe.instrumentation.base import StandaloneInstrumentor
from a2a_observe.instrumentation.threads import (
    propagate_context_to_threads,
    stop_propagating_context_to_threads,
)


def span_ids_seen_in_threads() -> tuple[int, dict[str, int]]:
    """Start a thread, a timer and a pool job inside a span; each reports the span it sees."""
    seen: dict[str, int] = {}

    def record(where: str) -> str:
        seen[where] = trace.get_current_span().get_span_context().span_id
        return where

    with trace.get_tracer("test").start_as_current_span("starter") as starter:
        thread = threading.Thread(target=record, args=("thread",))
        timer = threading.Timer(0.0, record, args=("timer",))
        thread.start()
        timer.start()
        with ThreadPoolExecutor(max_workers=1) as pool:
            assert pool.submit(record, "pool").result() == "pool"
        thread.join()
        timer.join()
    return starter.get_span_context().span_id, seen


def test_thread_timer_and_pool_see_the_span_that_started_them() -> None:
    starter, seen = span_ids_seen_in_threads()
    assert seen == {"thread": starter, "timer": starter, "pool": starter}


def test_after_stopping_threads_start_with_an_empty_context() -> None:
    stop_propagating_context_to_threads()
    try:
        _, seen = span_ids_seen_in_threads()
    finally:
        propagate_context_to_threads()
    assert seen == {"thread": 0, "timer": 0, "pool": 0}


class Recording(StandaloneInstrumentor):
    calls: list[tuple[str, dict[str, Any]]]

    def _instrument(self, **kwargs: Any) -> None:
        self.calls.append(("instrument", kwargs))

    def _uninstrument(self, **kwargs: Any) -> None:
        self.calls.append(("uninstrument", kwargs))


def test_the_stand_in_instrumentor_is_one_object_that_acts_once(caplog: pytest.LogCaptureFixture) -> None:
    Recording.calls = []
    assert Recording() is Recording()
    Recording().instrument(tracer_provider="tp", skip_dep_check=True)
    Recording().instrument()
    assert Recording().is_instrumented_by_opentelemetry
    Recording().uninstrument()
    Recording().uninstrument()
    assert not Recording().is_instrumented_by_opentelemetry
    assert Recording.calls == [("instrument", {"tracer_provider": "tp"}), ("uninstrument", {})]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "Attempting to instrument while already instrumented",
        "Attempting to uninstrument while already uninstrumented",
    ]
