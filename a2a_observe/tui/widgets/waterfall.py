"""Every span of the conversation on one time axis across agents: collapsible, the critical
path in yellow, failed spans in red."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable

from a2a_observe.escaping import one_line
from a2a_observe.store.queries import SpanRecord
from a2a_observe.tui import format as fmt
from a2a_observe.tui.waterfall_layout import WaterfallRow, bar, layout

NAME_WIDTH = (22, 34)
"""The span column's width on narrow and wide panes."""
DURATION_WIDTH = 8


def _label(row: WaterfallRow, width: int) -> Text:
    marker = ("▸ " if row.collapsed else "▾ ") if row.has_children else "  "
    agent = row.span.agent_name or row.span.service_name or ""
    name = row.span.name
    if agent and agent not in name:
        name = f"{name} · {agent}"
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" " * row.depth + marker, style="dim")
    text.append(row.span.kind[:1], style="dim")
    text.append(" ")
    text.append(one_line(name), style="bold red" if row.error else ("bold" if row.critical else ""))
    text.truncate(width, overflow="ellipsis")
    return text


def _bar(row: WaterfallRow, axis: tuple[int, int], width: int) -> Text:
    left, length = bar(row.span.start_ns, row.span.end_ns, axis[0], axis[1], width)
    style = "red" if row.error else ("yellow" if row.critical else "blue")
    text = Text(" " * left, no_wrap=True)
    text.append("█" * length if length > 1 else "▌", style=style)
    if row.error:
        text.append(" ✗", style="bold red")
    return text


class Waterfall(DataTable[Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_span", "Collapse/expand", id="waterfall.toggle"),
        Binding("minus", "collapse_all", "Collapse all", id="waterfall.collapse_all", key_display="-"),
        Binding("plus,equals_sign", "expand_all", "Expand all", id="waterfall.expand_all", key_display="+"),
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

    def show(self, spans: list[SpanRecord]) -> None:
        self._spans = spans
        if spans:
            self._axis = (min(s.start_ns for s in spans), max(s.end_ns for s in spans))
        self._render_rows()

    @property
    def rows_shown(self) -> list[WaterfallRow]:
        return list(self._rows)

    def _widths(self) -> tuple[int, int]:
        total = max(self.size.width - 2, 30)
        name = NAME_WIDTH[1] if total >= 90 else NAME_WIDTH[0]
        return name, max(total - name - DURATION_WIDTH - 4, 8)

    def _render_rows(self, keep: str | None = None) -> None:
        keep = keep or self.current_span_id()
        name_width, bar_width = self._widths()
        self._rows = layout(self._spans, self._collapsed)
        self.clear(columns=True)
        self.add_column("Span", width=name_width, key="span")
        self.add_column(f"0 … {fmt.duration(self._axis[1] - self._axis[0])}", width=bar_width, key="bar")
        self.add_column("Time", width=DURATION_WIDTH, key="time")
        for row in self._rows:
            self.add_row(
                _label(row, name_width),
                _bar(row, self._axis, bar_width),
                Text(fmt.duration(row.span.duration_ns), justify="right"),
                key=row.span.span_id,
            )
        if keep is not None:
            self.select_span(keep, expand=False)

    def on_resize(self, _: Resize) -> None:
        if self._spans:
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
