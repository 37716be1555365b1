"""The conversation list: newest first, filtered with ``/``, sorted, paged as you scroll."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import get_current_worker

from a2a_observe.escaping import markup, one_line
from a2a_observe.replay.audits import AuditSettings
from a2a_observe.store.queries import ConversationSummary
from a2a_observe.tui import format as fmt
from a2a_observe.tui.data import load_conversation
from a2a_observe.tui.listing import PAGE_SIZE, Filter, Sort, agents_and_states, list_page, parse_filter
from a2a_observe.tui.messages import StoreChanged

if TYPE_CHECKING:
    from a2a_observe.tui.app import ReplayApp

COLUMNS = (
    ("started", "Started"),
    ("conversation", "Conversation"),
    ("agents", "Agents"),
    ("turns", "Turns"),
    ("duration", "Duration"),
    ("state", "State"),
    ("findings", "⚑"),
)
NARROW = 120
"""Below this many columns times lose their date and ids are shortened, as git does."""
LOAD_MORE_WITHIN = 10
"""Rows from the end of the list at which the next page is fetched."""


def _row(summary: ConversationSummary, narrow: bool) -> tuple[Text, ...]:
    state = summary.last_task_state or "-"
    errors = f" ✗{summary.errors}" if summary.errors else ""
    agents = ", ".join(summary.agents) or "-"
    return (
        Text(fmt.clock(summary.start_ns)[11:] if narrow else fmt.clock(summary.start_ns)),
        Text(one_line(summary.conversation_id[:8] if narrow else summary.conversation_id)),
        Text(one_line(fmt.short_id(agents, 16) if narrow else agents), overflow="ellipsis", no_wrap=True),
        Text(str(summary.traces), justify="right"),
        Text(fmt.duration(summary.duration_ns), justify="right"),
        Text(one_line(state), style=fmt.state_style(summary.last_task_state))
        + Text(errors, style="bold red"),
        Text("…", style="dim", justify="right"),
    )


def _findings_cell(count: int) -> Text:
    if count == 0:
        return Text("0", style="dim", justify="right")
    return Text(str(count), style="bold yellow", justify="right")


class ConversationsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="list.filter", key_display="/"),
        Binding("o", "sort", "Sort", id="list.sort"),
        Binding("O", "reverse", "Reverse", id="list.reverse", show=False),
        Binding("E", "errors", "Errors only", id="list.errors"),
        Binding("ctrl+l", "clear_filter", "Clear filter", id="list.clear_filter", show=False),
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

    @property
    def replay_app(self) -> ReplayApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="agent:NAME state:STATE error since:1h until:2025-01-31 text", id="filter")
        yield Static("Opening the store…", id="list-status")
        table: DataTable[Text] = DataTable(id="conversations", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    def shown_ids(self) -> list[str]:
        return [s.conversation_id for s in self._summaries]

    def reload(self) -> None:
        self._summaries = []
        self._exhausted = False
        self._load_page(self.flt, self.sort, self.descending, 0, keep=self._selected_id())
        self._load_choices()

    def show_problem(self, message: str) -> None:
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
            page = source.read(lambda con: list_page(con, flt, sort, descending=descending, offset=offset))
        except Exception as exc:  # noqa: BLE001 - a failed read is shown, never raised into the UI
            self.app.call_from_thread(self.show_problem, f"Reading the store failed: {exc}")
            return
        finally:
            self._loading = False
        self.app.call_from_thread(self._show_page, page, offset, keep)

    def _show_page(self, page: list[ConversationSummary], offset: int, keep: str | None) -> None:
        table: DataTable[Text] = self.query_one(DataTable)
        if offset == 0:
            self.workers.cancel_group(self, "audit")
            table.clear()
            self._summaries = []
        self._exhausted = len(page) < PAGE_SIZE
        for summary in page:
            table.add_row(*_row(summary, self.size.width < NARROW), key=summary.conversation_id)
        self._summaries.extend(page)
        self._audit_rows([s.conversation_id for s in page])
        if keep is not None and offset == 0:
            for index, summary in enumerate(self._summaries):
                if summary.conversation_id == keep:
                    table.move_cursor(row=index)
                    break
        self._update_status()

    def _update_status(self) -> None:
        shown = len(self._summaries)
        more = "" if self._exhausted else "+"
        arrow = "↓" if self.descending else "↑"
        live = " · live" if self.replay_app.source and self.replay_app.source.live else ""
        empty = "  (nothing matches; ctrl+l clears the filter)" if not shown and self.flt.active else ""
        self.query_one("#list-status", Static).update(
            Text(
                f"{shown}{more} conversations · filter: {one_line(self.flt.describe())} · "
                f"sort: {self.sort.label} {arrow}{live}{empty}"
            )
        )

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
                data = source.read(
                    partial(load_conversation, conversation_id=conversation_id, settings=settings)
                )
            except Exception:  # noqa: BLE001 - a conversation that cannot be rebuilt keeps "…"
                continue
            self.app.call_from_thread(
                self._audited, conversation_id, len(data.model.turns), len(data.findings)
            )

    def _audited(self, conversation_id: str, turns: int, findings: int) -> None:
        self.audits[conversation_id] = findings
        table: DataTable[Text] = self.query_one(DataTable)
        if conversation_id in table.rows:
            table.update_cell(conversation_id, "turns", Text(str(turns), justify="right"))
            table.update_cell(conversation_id, "findings", _findings_cell(findings))

    @work(thread=True, exclusive=True, group="choices", exit_on_error=False)
    def _load_choices(self) -> None:
        source = self.replay_app.source
        if source is not None:
            self._agents, self._states = source.read(agents_and_states)

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

    @on(Input.Submitted, "#filter")
    def _apply_filter(self, event: Input.Submitted) -> None:
        try:
            self.flt = parse_filter(event.value, time.time_ns())
        except ValueError as exc:
            self.notify(markup(str(exc)), title="Filter", severity="error")
            return
        event.input.remove_class("-shown")
        self.query_one(DataTable).focus()

    def key_escape(self) -> None:
        box = self.query_one("#filter", Input)
        if box.has_class("-shown"):
            box.remove_class("-shown")
            self.query_one(DataTable).focus()

    def action_sort(self) -> None:
        self.sort = self.sort.next()

    def action_reverse(self) -> None:
        self.descending = not self.descending

    def action_errors(self) -> None:
        self.flt = self.flt.with_errors(not self.flt.errors_only)

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.flt = Filter()

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
