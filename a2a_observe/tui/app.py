"""The debugger's application: it opens the source off the UI thread, keeps a live one fresh,
applies the user's keymap and offers the current screen's actions in the command palette.

The first frame comes before the store is opened and before the screens are loaded: this
module imports Textual and nothing heavier, the app's own screen says that the store is being
opened, and a worker then imports the conversation list (with the replay core and DuckDB behind
it), shows it, and opens the store. In a fresh terminal that import takes longer than the rest
of the start together.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Header, Static

from a2a_observe.tui.keymap import load_keymap
from a2a_observe.tui.messages import StoreChanged

if TYPE_CHECKING:
    from a2a_observe.store.source import ConversationSource
    from a2a_observe.tui.screens.conversations import ConversationsScreen

POLL_SECONDS = 3.0
OPENING = "Opening the store…"


def _conversations_screen() -> type[ConversationsScreen]:
    module = importlib.import_module("a2a_observe.tui.screens.conversations")
    screen: type[ConversationsScreen] = module.ConversationsScreen
    return screen


def _escaping() -> tuple[Callable[[str], str], Callable[[str], str]]:
    """``markup`` and ``one_line``, loaded with the replay core once the first frame is up."""
    from a2a_observe.replay.escaping import markup, one_line  # noqa: PLC0415 - see the module's docstring

    return markup, one_line


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

    def compose(self) -> ComposeResult:
        """The first frame: drawn before anything of the store is loaded."""
        yield Header()
        yield Static(OPENING, id="opening")

    def on_mount(self) -> None:
        if self.keymap:
            self.set_keymap(self.keymap)
        self.open_store()

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def open_store(self) -> None:
        screen = _conversations_screen()
        self.call_from_thread(self._show_list, screen)
        from a2a_observe.store.errors import StoreError  # noqa: PLC0415 - see the module's docstring

        try:
            source = self._open_source()
        except StoreError as exc:
            self.call_from_thread(self._failed, str(exc))
            return
        self.call_from_thread(self._opened, source)

    def _show_list(self, screen: type[ConversationsScreen]) -> None:
        self.push_screen(screen())

    def _conversation_screens(self) -> list[ConversationsScreen]:
        screen = _conversations_screen()
        return [s for s in self.screen_stack if isinstance(s, screen)]

    def _opened(self, source: ConversationSource) -> None:
        _, one_line = _escaping()
        self.source = source
        self.sub_title = one_line(source.label) + ("  ● live" if source.live else "")
        for screen in self._conversation_screens():
            screen.reload()
        if source.live:
            self.set_interval(self.poll_seconds, self.poll)

    def _failed(self, message: str) -> None:
        markup, _ = _escaping()
        self.notify(markup(message), title="Cannot open the store", severity="error", timeout=30)
        for screen in self._conversation_screens():
            screen.show_problem(message)

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll(self) -> None:
        from a2a_observe.store.errors import StoreError  # noqa: PLC0415 - loaded by then

        if self.source is None:
            return
        markup, _ = _escaping()
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
        from a2a_observe.tui.screens.help import HelpScreen  # noqa: PLC0415 - see the module's docstring

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = getattr(screen, "palette_commands", None)
        if callable(commands):
            yield from commands()

    def conversation_rows(self) -> list[str]:
        """Conversation ids the list shows, top to bottom (for tests and the benchmark)."""
        for screen in self._conversation_screens():
            return screen.shown_ids()
        return []

    def on_unmount(self) -> None:
        if self.source is not None:
            self.source.close()
