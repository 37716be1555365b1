"""Which spans the writer stored lately, so that a retried request is found without a query.

A sender whose request timed out after the store committed it sends the same spans again, and
the writer must store them once (``writer._has_repeats`` asks DuckDB). Asking DuckDB for every
group of a receiver cost about a third of the committing thread's time, though nearly every
group repeats nothing. This keeps the hashes of the (trace id, span id) pairs of the spans the
writer inserted, in two generations of bounded size, so a group whose spans none of those
hashes match is known new without asking. A match (a retry, or now and then two pairs with the
same hash) still goes to DuckDB, which compares the spans themselves.

That answer is exact only for spans the hashes cover: every span stored that started at or
after :attr:`RecentSpans.covers_from`. A group with an earlier span (a retry of something
forgotten, or a store written before this writer opened it) is asked about in DuckDB as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow

GENERATION = 131_072
"""Hashes kept per generation; two generations are kept (18 MB when both are full). At 10,000
spans a second that covers the last 13 to 26 seconds: longer than an OTLP exporter waits before
it retries a request."""


class RecentSpans:
    def __init__(self, covers_from: int) -> None:
        self.covers_from = covers_from
        """Every stored span that started at or after this (ns) is in one of the generations."""
        self._current: set[int] = set()
        self._current_latest = covers_from - 1
        self._previous: set[int] = set()
        self._previous_latest = covers_from - 1

    @staticmethod
    def keys(spans: pyarrow.Table) -> list[int]:
        traces = spans.column("trace_id").to_pylist()
        span_ids = spans.column("span_id").to_pylist()
        return list(map(hash, zip(traces, span_ids, strict=True)))

    def may_repeat(self, keys: list[int], earliest: int) -> bool:
        """False only when none of these spans (started at ``earliest`` or later) is stored
        already and none comes twice among them."""
        if earliest < self.covers_from:
            return True
        if not self._current.isdisjoint(keys) or not self._previous.isdisjoint(keys):
            return True
        return len(set(keys)) < len(keys)

    def stored(self, keys: list[int], latest: int) -> None:
        """Remember spans just inserted, the latest of which started at ``latest``."""
        if len(self._current) + len(keys) > GENERATION:
            # The previous generation is forgotten: what it held is covered no more.
            self.covers_from = max(self.covers_from, self._previous_latest + 1)
            self._previous, self._previous_latest = self._current, self._current_latest
            self._current, self._current_latest = set(), self.covers_from - 1
        self._current.update(keys)
        self._current_latest = max(self._current_latest, latest)

    def stored_unseen(self, latest: int) -> None:
        """Spans were inserted without their hashes (a writer's own spans, never retried): the
        hashes cover only what started after them."""
        self.covers_from = max(self.covers_from, latest + 1)
