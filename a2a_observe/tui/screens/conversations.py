"""The conversation list: newest first, filtered with ``/``, sorted, paged as you scroll."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import get_current_worker

from a2a_observe.replay.audits import AuditSettings
from a2a_observe.replay.escaping import one_line
from a2a_observe.store.records import ConversationSummary
from a2a_observe.tui import format as fmt
from a2a_observe.tui.data import load_conversation
from a2a_observe.tui.listing import (
    PAGE_SIZE,
    Filter,
    Sort,
    parse_filter,
    state_label,
)
from a2a_observe.tui.messages import StoreChanged

if TYPE_CHECKING:
    from a2a_observe.tui.app import ReplayApp

NARROW = 120
"""Below this many columns times lose their date, as git's short ids do."""
WITH_AGENTS = 100
"""From this many columns the agents get a column of their own."""
LOAD_MORE_WITHIN = 10
"""Rows from the end of the list at which the next page is fetched."""
TYPING_PAUSE = 0.25
"""Seconds after the last key typed into the filter before the list narrows."""
FIXED = {"started": 8, "conversation": 8, "turns": 5, "duration": 8, "state": 16, "findings": 2}
LABELS = {
    "started": "Started",
    "conversation": "Id",
    "first": "First message",
    "agents": "Agents",
    "turns": "Turns",
    "duration": "Duration",
    "state": "State",
    "findings": "⚑",
}
ORDER = ("started", "conversation", "first", "agents", "turns", "duration", "state", "findings")
CHROME = 3
"""Cells a table row needs besides its columns: the vertical scrollbar and a spare one."""


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def column_widths(total: int) -> dict[str, int]:
    """Every column's width so the row fits ``total`` cells: no horizontal scrolling, ever."""
    widths = dict(FIXED)
    if total >= NARROW:
        widths["started"] = 19
    keys = [k for k in ORDER if k != "agents" or total >= WITH_AGENTS]
    padding = 2 * len(keys)
    free = max(total - sum(widths.values()) - padding - CHROME, 10)
    if "agents" in keys:
        widths["agents"] = max(free // 2, 6)
        widths["first"] = max(free - widths["agents"], 6)
    else:
        widths["first"] = free
    return {k: widths[k] for k in keys}


def _cells(
    summary: ConversationSummary, widths: dict[str, int], first: str | None, turns: int | None
) -> dict[str, Text]:
    state = state_label(summary.last_task_state) if summary.last_task_state else "-"
    errors = f" ✗{summary.errors}" if summary.errors else ""
    started = fmt.clock(summary.start_ns)
    cells = {
        "started": Text(started if widths["started"] >= len(started) else started[11:]),
        "conversation": Text(one_line(summary.conversation_id[: widths["conversation"]])),
        "first": Text(one_line(first) if first else "…", style="" if first else "dim"),
        "agents": Text(one_line(", ".join(summary.agents) or "-")),
        "turns": Text(str(turns if turns is not None else summary.traces), justify="right"),
        "duration": Text(fmt.duration(summary.duration_ns), justify="right"),
        "state": Text(one_line(state), style=fmt.state_style(summary.last_task_state))
        + Text(errors, style="bold red"),
        "findings": Text("…", style="dim", justify="right"),
    }
    for key, cell in cells.items():
        if key in widths:
            cell.no_wrap = True
            cell.overflow = "ellipsis"
            cell.truncate(widths[key], overflow="ellipsis")
    return {k: cells[k] for k in widths}


def _findings_cell(count: int) -> Text:
    if count == 0:
        return Text("0", style="dim", justify="right")
    return Text(str(count), style="bold yellow", justify="right")


class ConversationsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "move(1)", "Down", id="list.down", show=False),
        Binding("k", "move(-1)", "Up", id="list.up", show=False),
        Binding("slash", "filter", "Filter", id="list.filter", key_display="/"),
        Binding(
            "exclamation_mark", "errors", "Errors", id="list.errors", key_display="!", tooltip="Errors only"
        ),
        Binding("e", "jump_error(1)", "Next with errors", id="list.next_error", show=False),
        Binding("E", "jump_error(-1)", "Previous with errors", id="list.previous_error", show=False),
        Binding("f", "jump_finding(1)", "Next with findings", id="list.next_finding", show=False),
        Binding("F", "jump_finding(-1)", "Previous with findings", id="list.previous_finding", show=False),
        Binding("o", "sort", "Sort", id="list.sort"),
        Binding("O", "reverse", "Reverse order", id="list.reverse", show=False),
        Binding(
            "escape,ctrl+l",
            "clear_filter",
            "Clear filter",
            id="list.clear_filter",
            show=False,
            key_display="esc, ^l",
        ),
        Binding("R", "reload", "Reload", id="list.reload", show=False),
        Binding("q", "app.quit", "Quit", id="list.quit"),
    ]

    flt: reactive[Filter] = reactive(Filter, init=False)
    sort: reactive[Sort] = reactive(Sort.START, init=False)
    descending: reactive[bool] = reactive(True, init=False)

    def __init__(self) -> None:
        super().__init__()
        self._summaries: list[ConversationSummary] = []
        self._exhausted = False
        self._loading = False
        self._agents: list[str] = []
        self._states: list[str] = []
        self.audits: dict[str, int] = {}
        """Findings per conversation id, filled in after the list is shown."""
        self._turns: dict[str, int] = {}
        self._firsts: dict[str, str] = {}
        self._running_since: dict[str, int] = {}
        """Conversations with work that started and has not ended: since when (ns)."""
        self._widths: dict[str, int] = {}
        self._problem: str | None = None
        self._filter_error: str | None = None
        self._typing: Timer | None = None

    @property
    def replay_app(self) -> ReplayApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="agent:NAME state:STATE error since:1h until:2025-01-31 text", id="filter")
        yield Static("Opening the store…", id="list-status")
        yield DataTable(id="conversations", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        if self._problem is not None:
            self.show_problem(self._problem)

    def on_resize(self, event: Resize) -> None:
        widths = column_widths(event.size.width)
        if widths != self._widths:
            self._widths = widths
            self._fill_table(keep=self._selected_id())

    def _fill_table(self, keep: str | None = None) -> None:
        """All rows again, in the current columns (after a resize changed them)."""
        table: DataTable[Text] = self.query_one(DataTable)
        table.clear(columns=True)
        for key, width in self._widths.items():
            table.add_column(LABELS[key], width=width, key=key)
        for summary in self._summaries:
            self._add_row(table, summary)
        self._keep(keep)

    def _add_row(self, table: DataTable[Text], summary: ConversationSummary) -> None:
        key = summary.conversation_id
        cells = _cells(summary, self._widths, self._firsts.get(key), self._turns.get(key))
        if key in self.audits:
            cells["findings"] = _findings_cell(self.audits[key])
        if key in self._running_since:
            cells["state"] = self._running_cell(self._running_since[key])
        table.add_row(*cells.values(), key=key)

    def _running_cell(self, since_ns: int) -> Text:
        cell = Text(
            f"▶ running {fmt.duration(time.time_ns() - since_ns)}",
            style="bold cyan",
            no_wrap=True,
            overflow="ellipsis",
        )
        cell.truncate(self._widths["state"], overflow="ellipsis")
        return cell

    def _keep(self, keep: str | None) -> None:
        if keep is None:
            return
        for index, summary in enumerate(self._summaries):
            if summary.conversation_id == keep:
                self.query_one(DataTable).move_cursor(row=index)
                return

    def shown_ids(self) -> list[str]:
        return [s.conversation_id for s in self._summaries]

    def reload(self) -> None:
        self._summaries = []
        self._exhausted = False
        self._load_page(self.flt, self.sort, self.descending, 0, keep=self._selected_id())
        self._load_choices()

    def show_problem(self, message: str) -> None:
        self._problem = message
        if self.is_mounted:
            self.query_one("#list-status", Static).update(Text(one_line(message), style="bold red"))

    def _selected_id(self) -> str | None:
        table = self.query_one(DataTable)
        if 0 <= table.cursor_row < len(self._summaries):
            return self._summaries[table.cursor_row].conversation_id
        return None

    @work(thread=True, exclusive=True, group="page", exit_on_error=False)
    def _load_page(self, flt: Filter, sort: Sort, descending: bool, offset: int, keep: str | None) -> None:
        source = self.replay_app.source
        if source is None:
            return
        self._loading = True
        try:
            page = source.list_conversations(
                flt, sort=sort, descending=descending, limit=PAGE_SIZE, offset=offset
            )
            calls = source.first_calls([s.conversation_id for s in page])
            # The first message's text, when it was captured, comes later from the rebuilt one.
            firsts = {key: f"{c.name} → {c.agent}" if c.agent else c.name for key, c in calls.items()}
        except Exception as exc:  # noqa: BLE001 - a failed read is shown, never raised into the UI
            self.app.call_from_thread(self.show_problem, f"Reading the store failed: {exc}")
            return
        finally:
            self._loading = False
        self.app.call_from_thread(self._show_page, page, firsts, offset, keep)

    def _show_page(
        self, page: list[ConversationSummary], firsts: dict[str, str], offset: int, keep: str | None
    ) -> None:
        table: DataTable[Text] = self.query_one(DataTable)
        if not self._widths:
            self._widths = column_widths(self.size.width)
            self._fill_table()
        if offset == 0:
            self.workers.cancel_group(self, "audit")
            table.clear()
            self._summaries = []
        self._exhausted = len(page) < PAGE_SIZE
        for key, first in firsts.items():
            self._firsts.setdefault(key, first)
        for summary in page:
            self._add_row(table, summary)
        self._summaries.extend(page)
        self._audit_rows([s.conversation_id for s in page])
        if offset == 0:
            self._keep(keep)
        self._update_status()

    def _update_status(self) -> None:
        shown = len(self._summaries)
        more = "" if self._exhausted else "+"
        arrow = "↓" if self.descending else "↑"
        source = self.replay_app.source
        live = " · live" if source and source.live else ""
        status = Text(
            f"{shown}{more} conversation{'' if shown == 1 and not more else 's'} · "
            f"filter: {one_line(self.flt.describe())} · sort: {self.sort.label} {arrow}{live}"
        )
        if self._filter_error is not None:
            status = Text(one_line(self._filter_error), style="bold red")
        elif not shown and self.flt.active:
            status.append("  (nothing matches; esc clears the filter)", style="yellow")
        elif not shown and source is not None and source.live:
            status.append(
                f"\nNothing yet: agents send OTLP/HTTP to {source.otlp_endpoint} "
                f"(OTEL_EXPORTER_OTLP_ENDPOINT={source.otlp_endpoint.removesuffix('/v1/traces')})",
                style="yellow",
            )
        elif not shown and source is not None:
            status.append("  (this store holds no conversations)", style="yellow")
        self.query_one("#list-status", Static).update(status)

    @work(thread=True, group="audit", exit_on_error=False)
    def _audit_rows(self, ids: list[str]) -> None:
        """Rebuild and audit the listed conversations, top first, after the list is shown."""
        source = self.replay_app.source
        worker = get_current_worker()
        if source is None:
            return
        settings = AuditSettings()
        for conversation_id in ids:
            if worker.is_cancelled:
                return
            try:
                data = load_conversation(source, conversation_id, settings)
            except Exception:  # noqa: BLE001 - a conversation that cannot be rebuilt keeps "…"
                continue
            turns = data.model.turns
            request = turns[0].request if turns else None
            first = request.text if request is not None and request.text else None
            running = [data.model.spans[s] for s in data.model.running]
            oldest = min((s.start_ns for s in running), default=None)
            self.app.call_from_thread(
                self._audited, conversation_id, len(turns), len(data.findings), first, oldest
            )

    def _audited(
        self, conversation_id: str, turns: int, findings: int, first: str | None, running_since: int | None
    ) -> None:
        self.audits[conversation_id] = findings
        self._turns[conversation_id] = turns
        if running_since is None:
            self._running_since.pop(conversation_id, None)
        else:
            self._running_since[conversation_id] = running_since
        if first is not None:
            self._firsts[conversation_id] = " ".join(first.split())
        table: DataTable[Text] = self.query_one(DataTable)
        if conversation_id in table.rows and self._widths:
            table.update_cell(conversation_id, "turns", Text(str(turns), justify="right"))
            table.update_cell(conversation_id, "findings", _findings_cell(findings))
            if running_since is not None:
                table.update_cell(conversation_id, "state", self._running_cell(running_since))
            if first is not None:
                cell = Text(self._firsts[conversation_id], no_wrap=True, overflow="ellipsis")
                cell.truncate(self._widths["first"], overflow="ellipsis")
                table.update_cell(conversation_id, "first", cell)

    @work(thread=True, exclusive=True, group="choices", exit_on_error=False)
    def _load_choices(self) -> None:
        source = self.replay_app.source
        if source is not None:
            choices = source.filter_choices()
            self._agents, self._states = choices.agents, choices.states

    def _refilter(self) -> None:
        self.reload()

    def watch_flt(self) -> None:
        self._refilter()

    def watch_sort(self) -> None:
        self._refilter()

    def watch_descending(self) -> None:
        self._refilter()

    @on(DataTable.RowHighlighted)
    def _maybe_more(self, event: DataTable.RowHighlighted) -> None:
        near_end = event.cursor_row >= len(self._summaries) - LOAD_MORE_WITHIN
        if near_end and not self._exhausted and not self._loading and self._summaries:
            self._load_page(self.flt, self.sort, self.descending, len(self._summaries), None)

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.open_conversation(event.row_key.value)

    def open_conversation(self, conversation_id: str) -> None:
        from a2a_observe.tui.screens.conversation import ConversationScreen  # noqa: PLC0415 - cycle

        self.app.push_screen(ConversationScreen(conversation_id))

    def on_store_changed(self, _: StoreChanged) -> None:
        self.reload()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("-shown")
        box.focus()

    def _parse(self, query: str) -> bool:
        """Apply a typed filter; a mistake is shown in the status line and keeps the list."""
        try:
            flt = parse_filter(query, time.time_ns())
        except ValueError as exc:
            self._filter_error = f"filter: {exc}"
            self._update_status()
            return False
        self._filter_error = None
        if flt != self.flt:
            self.flt = flt
        else:
            self._update_status()
        return True

    @on(Input.Changed, "#filter")
    def _typed(self, event: Input.Changed) -> None:
        """Narrow the list as the user types, once typing pauses."""
        if self._typing is not None:
            self._typing.stop()
        value = event.value
        self._typing = self.set_timer(TYPING_PAUSE, lambda: self._parse(value))

    @on(Input.Submitted, "#filter")
    def _apply_filter(self, event: Input.Submitted) -> None:
        if self._typing is not None:
            self._typing.stop()
        if self._parse(event.value):
            event.input.remove_class("-shown")
            self.query_one(DataTable).focus()

    def action_move(self, delta: int) -> None:
        table = self.query_one(DataTable)
        if delta > 0:
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    def _jump(self, wanted: list[int], delta: int, what: str) -> None:
        table = self.query_one(DataTable)
        current = table.cursor_row
        ahead = [i for i in wanted if i > current] if delta > 0 else [i for i in wanted if i < current][::-1]
        if not wanted:
            self.notify(f"No conversation {what} in the list")
            return
        table.move_cursor(row=(ahead or (wanted if delta > 0 else wanted[::-1]))[0])

    def action_jump_error(self, delta: int) -> None:
        self._jump([i for i, s in enumerate(self._summaries) if s.errors], delta, "with errors")

    def action_jump_finding(self, delta: int) -> None:
        flagged = [i for i, s in enumerate(self._summaries) if self.audits.get(s.conversation_id)]
        self._jump(flagged, delta, "with audit findings")

    def action_sort(self) -> None:
        self.sort = self.sort.next()

    def action_reverse(self) -> None:
        self.descending = not self.descending

    def action_errors(self) -> None:
        self.flt = self.flt.with_errors(not self.flt.errors_only)

    def action_clear_filter(self) -> None:
        """Escape: the filter box closes and the whole list is back."""
        if self._typing is not None:
            self._typing.stop()
        box = self.query_one("#filter", Input)
        with box.prevent(Input.Changed):
            box.value = ""
        box.remove_class("-shown")
        self._filter_error = None
        self.query_one(DataTable).focus()
        if self.flt.active:
            self.flt = Filter()
        else:
            self._update_status()

    def action_reload(self) -> None:
        self.reload()

    def palette_commands(self) -> Iterable[SystemCommand]:
        for agent in self._agents:
            yield SystemCommand(
                f"Filter: agent {agent}",
                f"Only conversations {agent} took part in",
                lambda a=agent: setattr(self, "flt", replace(self.flt, agent=a)),
            )
        for state in self._states:
            yield SystemCommand(
                f"Filter: final state {state}",
                f"Only conversations that ended {state}",
                lambda s=state: setattr(self, "flt", replace(self.flt, state=s)),
            )
        yield SystemCommand("Filter: errors only", "Conversations with a failed span", self.action_errors)
        yield SystemCommand("Filter: clear", "Show every conversation", self.action_clear_filter)
        for sort in Sort:
            yield SystemCommand(
                f"Sort by {sort.label}", "Order of the list", lambda s=sort: setattr(self, "sort", s)
            )
