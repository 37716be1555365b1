"""Small modal questions: where to export, which URL to re-drive against."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from a2a_observe.replay.exports import EXTENSIONS

FORMAT_LABELS = {
    "json": "JSON (the full model)",
    "markdown": "Markdown transcript",
    "mermaid": "Mermaid sequence diagram",
    "html": "HTML page (chat, spans, findings; opens offline)",
}


class ExportDialog(ModalScreen[tuple[str, Path] | None]):
    """Pick a format, then confirm or edit the file name."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Cancel", id="dialog.cancel")]

    def __init__(self, conversation_id: str, folder: Path) -> None:
        super().__init__()
        self._stem = f"conversation-{conversation_id[:12]}"
        self._folder = folder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Export this conversation as", classes="dialog-title")
            yield OptionList(*(Option(label, id=fmt) for fmt, label in FORMAT_LABELS.items()), id="formats")
            yield Input(str(self._folder / (self._stem + EXTENSIONS["json"])), id="export-path")
            yield Label("enter writes the file · escape cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0
        self.query_one(OptionList).focus()

    def _format(self) -> str:
        options = self.query_one(OptionList)
        index = options.highlighted or 0
        return str(options.get_option_at_index(index).id)

    @on(OptionList.OptionHighlighted, "#formats")
    def _rename(self) -> None:
        box = self.query_one("#export-path", Input)
        current = Path(box.value)
        box.value = str(current.with_suffix(EXTENSIONS[self._format()]))

    @on(OptionList.OptionSelected, "#formats")
    def _chosen(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss((self._format(), Path(event.value).expanduser()))

    async def action_dismiss(self, result: tuple[str, Path] | None = None) -> None:
        self.dismiss(result)


class RedriveDialog(ModalScreen[str | None]):
    """Ask for the agent URL to send the recorded turns to again."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Cancel", id="dialog.cancel")]

    def __init__(self, suggestion: str = "") -> None:
        super().__init__()
        self._suggestion = suggestion

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Re-drive the recorded turns against", classes="dialog-title")
            yield Input(self._suggestion, placeholder="http://127.0.0.1:8000", id="redrive-url")
            yield Label(
                "The user's messages are sent again; the answers are compared turn by turn.",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#redrive-url")
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    async def action_dismiss(self, result: str | None = None) -> None:
        self.dismiss(result)
