"""Counters kept as plain running sums and published through observable instruments.

A synchronous SDK counter costs about as much as an empty span per ``add()`` (attribute copy
and hash, exemplar filter, one aggregation per reader), and a served request makes a dozen of
them. A sum per label set under a lock costs a dict lookup; the SDK reads the sums when a
reader collects, through the callback of an ``ObservableCounter`` or
``ObservableUpDownCounter`` with the same name, unit and description. What a reader sees is
the same cumulative value per label set (an up-down counter back at 0 still reports 0); only
the exemplars a synchronous counter would have sampled are gone (Prometheus exemplars are on
the latency histograms, which stay synchronous).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.metrics._internal import _ProxyMeter

from a2a_observe.signals import deferred

_log = logging.getLogger("a2a_observe")

MAX_LABEL_SETS = 2000
"""Distinct label sets one sum keeps (the SDK's default cardinality limit); the rest add up
in one overflow set, marked as the SDK marks its own."""

_OVERFLOW = {"otel.metric.overflow": True}
_OVERFLOW_KEY = frozenset(_OVERFLOW.items())

_NO_TRACE = otel_context.set_value("a2a_observe.totals", True, otel_context.Context())
"""The context observations are made in: no span, so a collection that runs inside a traced
request (a ``/metrics`` scrape) samples no exemplar of that request."""

_proxied: dict[tuple[str, str | None, str], Totals] = {}
"""The sums of instruments made before any meter provider was set, by scope and name: each
such meter is a new proxy, yet once a provider is set they all forward to one instrument."""
_proxied_lock = threading.Lock()


class Totals:
    """Running sums per label set, for one observable instrument."""

    __slots__ = ("_failed", "_lock", "_sums", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._sums: dict[frozenset[tuple[str, Any]], list[Any]] = {}
        self._failed = False

    def add(self, amount: int, labels: Mapping[str, Any]) -> None:
        """Add ``amount`` to the sum of ``labels`` (which may be shared: it is copied once)."""
        try:
            key = frozenset(labels.items())
        except TypeError:  # a sequence value: hashed as a tuple, reported as given
            key = frozenset((k, tuple(v) if isinstance(v, list) else v) for k, v in labels.items())
        with self._lock:
            entry = self._sums.get(key)
            if entry is None:
                if len(self._sums) >= MAX_LABEL_SETS:
                    key, labels = _OVERFLOW_KEY, _OVERFLOW
                    entry = self._sums.get(key)
                if entry is None:
                    entry = self._sums[key] = [dict(labels), 0]
            entry[1] += amount

    def value(self, labels: Mapping[str, Any]) -> Any:
        """The sum of ``labels`` so far (0 if never added to)."""
        with self._lock:
            entry = self._sums.get(frozenset(labels.items()))
            return entry[1] if entry is not None else 0

    def observe(self, options: CallbackOptions) -> Iterable[Observation]:
        """The instrument's callback: every label set's sum. Never raises into the SDK's
        collection; a failure is logged once and that collection misses this metric.

        The histogram records still queued are made first (:mod:`a2a_observe.signals.deferred`):
        the SDK runs every callback before it reads the histograms of the same collection."""
        deferred.drain()
        try:
            with self._lock:
                entries = [(labels, value) for labels, value in self._sums.values()]
            return [Observation(value, labels, _NO_TRACE) for labels, value in entries]
        except Exception:  # noqa: BLE001 - never into the SDK's collection; said once
            if not self._failed:
                self._failed = True
                _log.warning("a2a-observe: cannot report metric %s", self.name, exc_info=True)
            return []


def observable_counter(meter: Meter, name: str, unit: str, description: str) -> Totals:
    """The sums of a monotonic counter named ``name`` on ``meter``."""
    totals = Totals(name)
    instrument = meter.create_observable_counter(name, [totals.observe], unit=unit, description=description)
    return _share(meter, instrument, totals)


def observable_up_down_counter(meter: Meter, name: str, unit: str, description: str) -> Totals:
    """The sums of an up-down counter named ``name`` on ``meter``."""
    totals = Totals(name)
    instrument = meter.create_observable_up_down_counter(
        name, [totals.observe], unit=unit, description=description
    )
    return _share(meter, instrument, totals)


def _share(meter: Meter, instrument: Any, totals: Totals) -> Totals:
    """The sums the instrument really reads. A meter hands back the instrument it already has
    when asked again for the same name (``instrument()`` after ``uninstrument()``) and keeps
    the first callback only: the sums are then the first ones, as a synchronous counter's
    values would be."""
    if isinstance(meter, _ProxyMeter):
        with _proxied_lock:
            return _proxied.setdefault((meter.name, meter.version, totals.name), totals)
    for callback in getattr(instrument, "_callbacks", None) or ():
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, Totals):
            return owner
    return totals
