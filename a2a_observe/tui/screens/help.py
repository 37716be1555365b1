"""Every key of every screen, as remapped by the user's keymap, in one scrollable table."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static


def _key_label(binding: Binding, keymap: dict[str, str]) -> str:
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    if binding.key_display and keys == binding.key:
        return binding.key_display
    return ", ".join(k.replace("question_mark", "?").replace("slash", "/") for k in keys.split(","))


def binding_sections() -> list[tuple[str, list[Binding]]]:
    """Where each key works, in the order a user meets the screens."""
    from a2a_observe.tui.app import ReplayApp  # noqa: PLC0415 - the app imports this module
    from a2a_observe.tui.screens.conversation import ConversationScreen  # noqa: PLC0415
    from a2a_observe.tui.screens.conversations import ConversationsScreen  # noqa: PLC0415
    from a2a_observe.tui.widgets.waterfall import Waterfall  # noqa: PLC0415

    def of(bindings: list[BindingType]) -> list[Binding]:
        return [b for b in bindings if isinstance(b, Binding)]

    return [
        ("Everywhere", [*of(ReplayApp.BINDINGS), Binding("ctrl+p", "", "Command palette")]),
        ("Conversation list", of(ConversationsScreen.BINDINGS)),
        ("Conversation", of(ConversationScreen.BINDINGS)),
        ("Span waterfall", of(Waterfall.BINDINGS)),
        (
            "Any list",
            [
                Binding("up,down", "", "Move"),
                Binding("enter", "", "Open / select"),
                Binding("tab,shift+tab", "", "Next / previous pane"),
            ],
        ),
    ]


KEY_WIDTH = 12
ID_WIDTH = 25


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
        Binding("j", "scroll(1)", "Down", id="help.down", show=False),
        Binding("k", "scroll(-1)", "Up", id="help.up", show=False),
    ]

    def action_scroll(self, delta: int) -> None:
        table = self.query_one(DataTable)
        (table.action_cursor_down if delta > 0 else table.action_cursor_up)()

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static("Keys", id="help-title")
            yield DataTable(id="help-keys", cursor_type="row", show_header=True)
            yield Static(
                "Remap a key by its binding id in ~/.config/a2a-observe/keymap.toml  ·  escape closes",
                id="help-hint",
            )

    def on_mount(self) -> None:
        keymap: dict[str, str] = getattr(self.app, "keymap", {})
        table: DataTable[Text] = self.query_one(DataTable)
        # Fixed widths that fit the box, so the table never scrolls sideways (80 columns too).
        box = min(self.app.size.width * 9 // 10, 100)  # as replay.tcss sizes #help-box
        room = max(box - 4, 40)
        action = max(room - KEY_WIDTH - ID_WIDTH - 2 * 3 - 2, 16)
        table.add_column("Key", width=KEY_WIDTH)
        table.add_column("Action", width=action)
        table.add_column("Binding id", width=ID_WIDTH)
        for section, bindings in binding_sections():
            table.add_row(Text(""), Text(section, style="bold underline"), Text(""))
            for binding in bindings:
                table.add_row(
                    Text("  " + _key_label(binding, keymap), style="bold cyan"),
                    Text(binding.tooltip or binding.description),
                    Text(binding.id or "", style="dim"),
                )
        table.focus()
