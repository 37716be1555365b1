"""Histogram records made once the caller has its answer, yet before any reader collects.

An SDK histogram record costs about as much as an empty span (the label set cleaned, copied
and hashed per reader, an exemplar offered, a lock), and a SendMessage makes seven. None of
them changes what the caller gets back, so where an event loop runs they are queued on the
request path and made a moment later (:data:`DELAY_SECONDS`), while the process waits on the
network: a served request's response is written by then, and a client has sent its next
request. On the loop's very next turn would be too soon: that turn comes at the first
``await`` after the call, which is still before the next request leaves a client or before
the response leaves a server behind a middleware, so the records would delay exactly what
they were taken off. Where no loop runs (a thread of a synchronous server or client) they
are made at once.

No reader ever misses one: every collection first makes what is queued (the observable
instruments' callback does it, and the SDK runs callbacks before it reads the histograms of
the same collection), and so does ``uninstrument()``. Each record keeps the context it was
queued in, so its exemplar still points at the span of the call it measured; only the
exemplar's timestamp is the time it was made.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Mapping
from typing import Any, Protocol

from opentelemetry import context as otel_context

_log = logging.getLogger("a2a_observe")

DELAY_SECONDS = 0.002
"""How long after the first queued record the queue is made: long enough for a client's next
request or a server's response to be on the wire (a fast local call takes a few
milliseconds), short enough that a busy loop makes them a few calls at a time rather than
leaving them all to the next collection. ``benchmarks/overhead.py`` with both ways
interleaved in one run, 14 rounds: SendMessage p50 1.17x bare, against 1.31x when they were
made on the very next turn (5 ms: 1.20x); lower in four runs out of five."""

MAX_PENDING = 10_000
"""Records queued at most: past it the one who queues makes them all at once, so a loop that
never turns, or a process that never collects, cannot grow memory without bound."""


class Histogram(Protocol):
    def record(
        self,
        amount: float,
        attributes: Mapping[str, Any] | None = None,
        context: otel_context.Context | None = None,
    ) -> None: ...


_Record = tuple[Histogram, float, "Mapping[str, Any] | None", otel_context.Context]
_pending: deque[_Record] = deque()
_scheduled: asyncio.AbstractEventLoop | None = None
"""The loop that will make what is queued (one timer for all that is queued, not one per record)."""
_failed = False


def record_later(
    histogram: Histogram,
    amount: float,
    attributes: Mapping[str, Any] | None,
    context: otel_context.Context | None = None,
) -> None:
    """Queue one record for the running loop to make shortly, or make it now without a loop."""
    global _scheduled
    _pending.append(
        (histogram, amount, attributes, context if context is not None else otel_context.get_current())
    )
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        drain()
        return
    if len(_pending) > MAX_PENDING:
        drain()
    elif _scheduled is not loop:
        _scheduled = loop
        loop.call_later(DELAY_SECONDS, _drain_on_loop)


def _drain_on_loop() -> None:
    global _scheduled
    _scheduled = None
    drain()


def drain() -> None:
    """Make every queued record. Safe from any thread at any time: each record is taken off
    the queue by exactly one caller. Never raises: a failing record is logged once."""
    global _failed
    while True:
        try:
            histogram, amount, attributes, context = _pending.popleft()
        except IndexError:
            return
        try:
            histogram.record(amount, attributes, context)
        except Exception:  # noqa: BLE001 - never into the app's loop or the SDK's collection
            if not _failed:
                _failed = True
                _log.warning("a2a-observe: a histogram record failed", exc_info=True)


def pending() -> int:
    """How many records wait to be made."""
    return len(_pending)


class RecordedLater:
    """A histogram whose ``record`` goes through :func:`record_later`."""

    __slots__ = ("histogram",)

    def __init__(self, histogram: Histogram) -> None:
        self.histogram = histogram

    def record(
        self,
        amount: float,
        attributes: Mapping[str, Any] | None = None,
        context: otel_context.Context | None = None,
    ) -> None:
        record_later(self.histogram, amount, attributes, context)


def _forget_in_child() -> None:
    """A forked child starts with its parent's queue, which the parent makes itself."""
    global _scheduled
    _pending.clear()
    _scheduled = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
