"""A re-drive's outcome: each recorded turn beside the new one, and what differs."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from a2a_observe.replay.diff import TurnDiff, describe
from a2a_observe.replay.escaping import one_line
from a2a_observe.replay.redriving import RedriveListener, RedriveResult, redrive_and_compare
from a2a_observe.tui import format as fmt
from a2a_observe.tui.data import ConversationData


def _latency(ns: int | None) -> str:
    return "-" if ns is None else fmt.duration(ns)


class RedriveScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back", id="redrive.back"),
        Binding("c", "copy_report", "Copy report", id="redrive.copy"),
    ]

    def __init__(self, data: ConversationData, url: str) -> None:
        super().__init__()
        self.data = data
        self.url = url
        self.result: RedriveResult | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            Text(one_line(f"Re-driving {self.data.conversation_id} against {self.url}…")), id="redrive-status"
        )
        with Vertical(id="redrive-panes"):
            table: DataTable[Text] = DataTable(id="redrive-table", cursor_type="row")
            table.add_columns("Turn", "Outcome", "Recorded", "Re-driven", "Differences")
            yield table
            with VerticalScroll(id="redrive-detail"):
                yield Static("", id="redrive-body")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#redrive-panes").loading = True
        self._run()

    @work(thread=True, exclusive=True, group="redrive", exit_on_error=False)
    def _run(self) -> None:
        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self._progress, done, total)

        try:
            source = getattr(self.app, "source", None)
            shown = Path(source.label) if source is not None and not source.live else None
            stores = [shown] if shown is not None and shown.is_file() else []
            [result] = redrive_and_compare(
                [self.data.model], self.url, read_also=stores, listener=RedriveListener(on_progress=progress)
            )
        except Exception as exc:  # noqa: BLE001 - the reason is shown; the debugger stays up
            self.app.call_from_thread(self._failed, f"{type(exc).__name__}: {exc}")
            return
        self.app.call_from_thread(self._show, result)

    def _progress(self, done: int, total: int) -> None:
        self.query_one("#redrive-status", Static).update(
            Text(one_line(f"Re-driving against {self.url}: turn {done} of {total}"))
        )

    def _failed(self, message: str) -> None:
        self.query_one("#redrive-panes").loading = False
        self.query_one("#redrive-status", Static).update(
            Text(one_line(f"Re-drive failed: {message}"), style="bold red")
        )

    def _show(self, result: RedriveResult) -> None:
        self.result = result
        self.query_one("#redrive-panes").loading = False
        diff = result.diff
        differing = sum(1 for t in diff.turns if not t.matches)
        verdict = (
            Text("runs match", style="bold green")
            if diff.matches
            else Text(f"runs differ in {differing} of {len(diff.turns)} turns", style="bold red")
        )
        self.query_one("#redrive-status", Static).update(
            Text.assemble(
                one_line(f"{diff.recorded_id[:8]} → {diff.replayed_id[:8]} at {self.url}: "), verdict
            )
        )
        table: DataTable[Text] = self.query_one(DataTable)
        for turn in diff.turns:
            outcome = Text("match", style="green") if turn.matches else Text("DIFFERS", style="bold red")
            table.add_row(
                Text(turn.turn),
                outcome,
                Text(_latency(turn.recorded_latency_ns)),
                Text(_latency(turn.replayed_latency_ns)),
                Text(one_line(", ".join(d.field for d in turn.differences) or "-")),
                key=turn.turn,
            )
        table.focus()
        if diff.turns:
            self._detail(diff.turns[0])

    @on(DataTable.RowHighlighted, "#redrive-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.result is not None and 0 <= event.cursor_row < len(self.result.diff.turns):
            self._detail(self.result.diff.turns[event.cursor_row])

    def _detail(self, turn: TurnDiff) -> None:
        lines = [Text(f"Turn {turn.turn}", style="bold")]
        if turn.matches:
            lines.append(Text("The re-driven turn matches the recording.", style="green"))
        for difference in turn.differences:
            lines.append(Text(difference.field, style="bold cyan"))
            lines.append(Text.assemble(("  recorded   ", "dim"), (repr(difference.recorded), "red")))
            lines.append(Text.assemble(("  re-driven  ", "dim"), (repr(difference.replayed), "green")))
        self.query_one("#redrive-body", Static).update(Group(*lines))

    def action_copy_report(self) -> None:
        if self.result is not None:
            self.app.copy_to_clipboard(describe(self.result.diff))
            self.notify("Copied the diff as text")
