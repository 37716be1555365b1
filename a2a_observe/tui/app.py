"""The debugger's application: it opens the source off the UI thread, keeps a live one fresh,
applies the user's keymap and offers the current screen's actions in the command palette."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from a2a_observe.replay.escaping import markup, one_line
from a2a_observe.store.errors import StoreError
from a2a_observe.store.source import ConversationSource
from a2a_observe.tui.keymap import load_keymap
from a2a_observe.tui.messages import StoreChanged
from a2a_observe.tui.screens.conversations import ConversationsScreen
from a2a_observe.tui.screens.help import HelpScreen

POLL_SECONDS = 3.0


class ReplayApp(App[None]):
    CSS_PATH = "replay.tcss"
    TITLE = "a2a-observe replay"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,f1", "help", "Help", id="app.help", key_display="?"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, show=False),
    ]

    def __init__(
        self,
        open_source: Callable[[], ConversationSource],
        *,
        keymap: dict[str, str] | None = None,
        keymap_path: Path | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        super().__init__()
        self._open_source = open_source
        self.source: ConversationSource | None = None
        self.keymap = keymap if keymap is not None else load_keymap(keymap_path)
        self.poll_seconds = poll_seconds

    def on_mount(self) -> None:
        if self.keymap:
            self.set_keymap(self.keymap)
        self.push_screen(ConversationsScreen())
        self.open_store()

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def open_store(self) -> None:
        try:
            source = self._open_source()
        except StoreError as exc:
            self.call_from_thread(self._failed, str(exc))
            return
        self.call_from_thread(self._opened, source)

    def _opened(self, source: ConversationSource) -> None:
        self.source = source
        self.sub_title = one_line(source.label) + ("  ● live" if source.live else "")
        for screen in self.screen_stack:
            if isinstance(screen, ConversationsScreen):
                screen.reload()
        if source.live:
            self.set_interval(self.poll_seconds, self.poll)

    def _failed(self, message: str) -> None:
        self.notify(markup(message), title="Cannot open the store", severity="error", timeout=30)
        for screen in self.screen_stack:
            if isinstance(screen, ConversationsScreen):
                screen.show_problem(message)

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll(self) -> None:
        if self.source is None:
            return
        try:
            changed = self.source.refresh()
        except StoreError as exc:
            self.call_from_thread(
                self.notify, markup(str(exc)), title="Live update failed", severity="warning"
            )
            return
        if changed:
            self.call_from_thread(self._store_changed)

    def _store_changed(self) -> None:
        for screen in self.screen_stack:
            screen.post_message(StoreChanged())

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = getattr(screen, "palette_commands", None)
        if callable(commands):
            yield from commands()

    def conversation_rows(self) -> list[str]:
        """Conversation ids the list shows, top to bottom (for tests and the benchmark)."""
        for screen in self.screen_stack:
            if isinstance(screen, ConversationsScreen):
                return screen.shown_ids()
        return []

    def on_unmount(self) -> None:
        if self.source is not None:
            self.source.close()
