"""The span waterfall as rows: a depth-first tree on one time axis, with the critical path.

Kept apart from the widget so the tree, the collapsing and the critical path are plain data
that tests can check against the spans the agents really produced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from a2a_observe.store.records import SpanRecord


@dataclass(frozen=True)
class WaterfallRow:
    span: SpanRecord
    depth: int
    has_children: bool
    collapsed: bool
    critical: bool

    @property
    def error(self) -> bool:
        return self.span.status_code == "ERROR"


def _children(spans: Sequence[SpanRecord]) -> tuple[list[SpanRecord], dict[str, list[SpanRecord]]]:
    ids = {s.span_id for s in spans}
    roots: list[SpanRecord] = []
    children: dict[str, list[SpanRecord]] = {}
    for span in sorted(spans, key=lambda s: (s.start_ns, -s.end_ns, s.span_id)):
        parent = span.parent_span_id
        if parent and parent in ids:
            children.setdefault(parent, []).append(span)
        else:
            roots.append(span)
    return roots, children


def critical_path(spans: Sequence[SpanRecord]) -> set[str]:
    """Span ids on the critical path of each root: walking back from a span's end, the child
    that finished last before that moment, then the one that finished before it started..."""
    roots, children = _children(spans)
    found: set[str] = set()

    def walk(span: SpanRecord) -> None:
        found.add(span.span_id)
        moment = span.end_ns
        remaining = list(children.get(span.span_id, ()))
        while True:
            candidates = [c for c in remaining if c.start_ns < moment]
            if not candidates:
                return
            last = max(candidates, key=lambda c: (min(c.end_ns, moment), c.start_ns))
            remaining.remove(last)
            walk(last)
            moment = last.start_ns

    for root in roots:
        walk(root)
    return found


def layout(spans: Sequence[SpanRecord], collapsed: Iterable[str] = ()) -> list[WaterfallRow]:
    """Visible rows, depth first; the subtree of a collapsed span is hidden."""
    roots, children = _children(spans)
    folded = set(collapsed)
    critical = critical_path(spans)
    rows: list[WaterfallRow] = []

    def add(span: SpanRecord, depth: int) -> None:
        kids = children.get(span.span_id, [])
        closed = span.span_id in folded
        rows.append(WaterfallRow(span, depth, bool(kids), closed, span.span_id in critical))
        if not closed:
            for kid in kids:
                add(kid, depth + 1)

    for root in roots:
        add(root, 0)
    return rows


def bar(start_ns: int, end_ns: int, axis_start: int, axis_end: int, width: int) -> tuple[int, int]:
    """Cells before the bar and the bar's length (at least one) on an axis ``width`` wide."""
    span = max(axis_end - axis_start, 1)
    left = int((start_ns - axis_start) * width / span)
    left = min(max(left, 0), max(width - 1, 0))
    length = max(1, round((end_ns - start_ns) * width / span))
    return left, min(length, max(width - left, 1))


def self_times(spans: Sequence[SpanRecord]) -> dict[str, int]:
    """Each span's self time: its duration less the time covered by any of its children,
    overlapping children counted once (where the span itself, not its callees, spent time)."""
    _, children = _children(spans)
    out: dict[str, int] = {}
    for span in spans:
        covered = 0
        reach = span.start_ns
        for child in sorted(children.get(span.span_id, ()), key=lambda c: c.start_ns):
            start, end = max(child.start_ns, reach), min(child.end_ns, span.end_ns)
            if end > start:
                covered += end - start
                reach = end
        out[span.span_id] = max(span.end_ns - span.start_ns - covered, 0)
    return out


def _tick_label(ns: float) -> str:
    if ns == 0:
        return "0"
    if ns < 1_000_000:
        return f"{ns / 1000:.0f}µs"
    if ns < 1_000_000_000:
        return f"{ns / 1_000_000:.0f}ms" if ns >= 10_000_000 else f"{ns / 1_000_000:.1f}ms"
    return f"{ns / 1e9:.1f}s"


def axis_ticks(total_ns: int, width: int) -> str:
    """A header ``width`` cells wide with the time at its start, quarters and end, each label
    placed where its moment falls on the bars below (the last one ends at the edge)."""
    cells = [" "] * width
    count = 4 if width >= 40 else (2 if width >= 16 else 1)
    for index in range(count + 1):
        label = _tick_label(total_ns * index / count)
        at = round(width * index / count)
        start = min(max(at - (len(label) if index == count else 0), 0), max(width - len(label), 0))
        if index and "".join(cells[max(start - 1, 0) : start + len(label)]).strip():
            continue
        cells[start : start + len(label)] = list(label)
    return "".join(cells[:width])
