"""Every span of the conversation on one time axis across agents: the agent first on each row
(as Jaeger and Tempo put the service first), collapsible, the critical path in yellow, failed
spans in red, a time axis with ticks and each span's self time."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable

from a2a_observe.replay.escaping import one_line
from a2a_observe.replay.waterfall_layout import WaterfallRow, axis_ticks, bar, layout, self_times
from a2a_observe.store.records import SpanRecord
from a2a_observe.tui import format as fmt

NAME_WIDTH = (26, 40)
"""The span column's width on narrow and wide panes."""
DURATION_WIDTH = 8
SELF_FROM = 90
"""Panes at least this wide show each span's self time beside its duration."""
CRITICAL = "#ffd700"
"""The critical path's colour: plain yellow, as the docs say (ANSI yellow is orange in many themes)."""
FAILED = "#ff5f5f"
OTHER = "#5f87d7"
RUNNING = "#5fd7ff"
AGENT_COLOURS = ("#87d7ff", "#d7afff", "#afd787", "#ffaf87", "#87d7d7", "#d7d787", "#ff87af", "#afafff")
"""Each agent keeps one colour on every row, so its spans are found at a glance."""


def agent_colour(agent: str, agents: list[str]) -> str:
    index = agents.index(agent) if agent in agents else len(agents)
    return AGENT_COLOURS[index % len(AGENT_COLOURS)]


def legend() -> Text:
    return Text.assemble(
        ("█", CRITICAL),
        " critical path  ",
        ("█", FAILED),
        " failed  ",
        ("▶", RUNNING),
        " running  ",
        ("█", OTHER),
        " other",
    )


def row_agent(span: SpanRecord) -> str:
    """Who the row is about: the agent that served or ran it; for a call out, the agent called."""
    return span.agent_name or span.service_name or "?"


def _label(row: WaterfallRow, width: int, agents: list[str]) -> Text:
    marker = ("▸ " if row.collapsed else "▾ ") if row.has_children else "  "
    agent = row_agent(row.span)
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" " * row.depth + marker, style="dim")
    if row.span.kind == "CLIENT":
        text.append("→", style="dim")
    text.append(one_line(agent), style=f"bold {agent_colour(agent, agents)}")
    text.append(" ")
    text.append(
        one_line(row.span.name), style="bold red" if row.error else ("bold" if row.critical else "dim")
    )
    text.truncate(width, overflow="ellipsis")
    return text


def _bar(row: WaterfallRow, axis: tuple[int, int], width: int, running: bool = False) -> Text:
    left, length = bar(row.span.start_ns, row.span.end_ns, axis[0], axis[1], width)
    style = FAILED if row.error else (CRITICAL if row.critical else OTHER)
    text = Text(" " * left, no_wrap=True)
    if running:
        # Still open: a hatched bar up to now, then an arrow, as the span has no end yet.
        text.append("▒" * max(length - 1, 0) + "▶", style=f"bold {RUNNING}")
        return text
    text.append("█" * length if length > 1 else "▌", style=style)
    if row.error:
        text.append(" ✗", style=f"bold {FAILED}")
    return text


class Waterfall(DataTable[Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_span", "Fold", id="waterfall.toggle", tooltip="Collapse/expand", show=False),
        Binding(
            "minus", "collapse_all", "Collapse all", id="waterfall.collapse_all", key_display="-", show=False
        ),
        Binding(
            "plus,equals_sign",
            "expand_all",
            "Expand all",
            id="waterfall.expand_all",
            key_display="+",
            show=False,
        ),
    ]

    class SpanHighlighted(Message):
        def __init__(self, span: SpanRecord) -> None:
            super().__init__()
            self.span = span

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, show_header=True)
        self._spans: list[SpanRecord] = []
        self._rows: list[WaterfallRow] = []
        self._collapsed: set[str] = set()
        self._axis = (0, 1)
        self._agents: list[str] = []
        self.running: frozenset[str] = frozenset()
        """Spans that started and have not ended: drawn up to now, timed as running."""
        self.self_ns: dict[str, int] = {}
        """Each span's self time: its duration less the time its children covered."""
        self._rendered_width = 0

    def show(self, spans: list[SpanRecord], running: frozenset[str] = frozenset()) -> None:
        self._spans = spans
        self.running = running
        if spans:
            self._axis = (min(s.start_ns for s in spans), max(s.end_ns for s in spans))
        first_seen: dict[str, int] = {}
        for span in sorted(spans, key=lambda s: s.start_ns):
            first_seen.setdefault(row_agent(span), span.start_ns)
        self._agents = list(first_seen)
        self.self_ns = self_times(spans)
        self.border_subtitle = legend().markup
        self._render_rows()

    @property
    def rows_shown(self) -> list[WaterfallRow]:
        return list(self._rows)

    def _widths(self) -> tuple[int, int, bool]:
        total = max(self.size.width - 3, 30)
        with_self = total >= SELF_FROM
        name = NAME_WIDTH[1] if total >= 100 else NAME_WIDTH[0]
        times = DURATION_WIDTH * (2 if with_self else 1)
        columns = 4 if with_self else 3
        return name, max(total - name - times - 2 * columns, 8), with_self

    def _render_rows(self, keep: str | None = None) -> None:
        keep = keep or self.current_span_id()
        name_width, bar_width, with_self = self._widths()
        self._rendered_width = self.size.width
        self._rows = layout(self._spans, self._collapsed)
        self.clear(columns=True)
        self.add_column("Agent  span", width=name_width, key="span")
        ticks = axis_ticks(self._axis[1] - self._axis[0], bar_width)
        self.add_column(Text(ticks), width=bar_width, key="bar")
        self.add_column(Text("Took", justify="right"), width=DURATION_WIDTH, key="time")
        if with_self:
            self.add_column(Text("Self", justify="right"), width=DURATION_WIDTH, key="self")
        for row in self._rows:
            running = row.span.span_id in self.running
            took = row.span.end_ns - row.span.start_ns if running else row.span.duration_ns
            cells = [
                _label(row, name_width, self._agents),
                _bar(row, self._axis, bar_width, running),
                Text(
                    ("▶" if running else "") + fmt.duration(took),
                    justify="right",
                    style=f"bold {RUNNING}" if running else "",
                ),
            ]
            if with_self:
                cells.append(Text(fmt.duration(self.self_ns.get(row.span.span_id)), justify="right"))
            self.add_row(*cells, key=row.span.span_id)
        if keep is not None:
            self.select_span(keep, expand=False)

    def on_resize(self, event: Resize) -> None:
        if self._spans and event.size.width != self._rendered_width:
            self._render_rows()

    def current_span_id(self) -> str | None:
        if 0 <= self.cursor_row < len(self._rows):
            return self._rows[self.cursor_row].span.span_id
        return None

    def select_span(self, span_id: str, *, expand: bool = True) -> bool:
        """Move the cursor to a span, opening collapsed spans above it when asked."""
        if expand:
            by_id = {s.span_id: s for s in self._spans}
            parent = by_id[span_id].parent_span_id if span_id in by_id else None
            opened = False
            while parent and parent in by_id:
                if parent in self._collapsed:
                    self._collapsed.discard(parent)
                    opened = True
                parent = by_id[parent].parent_span_id
            if opened:
                self._render_rows(keep=span_id)
        for index, row in enumerate(self._rows):
            if row.span.span_id == span_id:
                self.move_cursor(row=index)
                return True
        return False

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self._rows):
            self.post_message(self.SpanHighlighted(self._rows[event.cursor_row].span))

    def action_toggle_span(self) -> None:
        span_id = self.current_span_id()
        if span_id is None or not self._rows[self.cursor_row].has_children:
            return
        self._collapsed.symmetric_difference_update({span_id})
        self._render_rows(keep=span_id)

    def action_collapse_all(self) -> None:
        parents = {s.parent_span_id for s in self._spans if s.parent_span_id}
        self._collapsed = {s.span_id for s in self._spans if s.span_id in parents}
        self._render_rows()

    def action_expand_all(self) -> None:
        self._collapsed = set()
        self._render_rows()
