"""One conversation: the chat timeline beside the span waterfall, the evidence below, and the
debugger's stepping, jumping, exporting, copying and re-driving."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static

from a2a_observe.replay import Step
from a2a_observe.replay.escaping import markup, one_line
from a2a_observe.replay.explain import explain
from a2a_observe.replay.exports import export
from a2a_observe.replay.usage import compact
from a2a_observe.tui import format as fmt
from a2a_observe.tui.data import ConversationData, load_conversation
from a2a_observe.tui.listing import state_label
from a2a_observe.tui.messages import StoreChanged
from a2a_observe.tui.screens.conversations import plural
from a2a_observe.tui.screens.dialogs import ExportDialog, RedriveDialog
from a2a_observe.tui.widgets.detail import Detail
from a2a_observe.tui.widgets.timeline import Timeline
from a2a_observe.tui.widgets.waterfall import Waterfall

if TYPE_CHECKING:
    from a2a_observe.tui.app import ReplayApp

NARROW = 120
"""Below this many columns the panes stack instead of standing side by side."""
SHORT = 32
"""Below this many rows a narrow screen shows two panes, the chat and the spans or the detail
(``d`` switches), rather than three panes too short to read."""


class ConversationScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "move(1)", "Down", id="conversation.down", show=False),
        Binding("k", "move(-1)", "Up", id="conversation.up", show=False),
        Binding("n", "step(1)", "Next step", id="step.next", show=False),
        Binding("p", "step(-1)", "Previous step", id="step.previous", show=False),
        Binding("e", "jump_error(1)", "Error", id="step.next_error", tooltip="Next error"),
        Binding("E", "jump_error(-1)", "Previous error", id="step.previous_error", show=False),
        Binding(
            "f",
            "jump_finding(1)",
            "Finding",
            id="step.next_finding",
            tooltip="Next audit finding",
            show=False,
        ),
        Binding("F", "jump_finding(-1)", "Previous finding", id="step.previous_finding", show=False),
        Binding("s", "switch", "Span", id="step.switch", tooltip="Step ↔ span: from a step to its span"),
        Binding(
            "w", "explain", "Why", id="conversation.explain", tooltip="Why it failed: the calls to the cause"
        ),
        Binding("d", "detail", "Detail", id="conversation.detail", tooltip="Detail instead of the spans"),
        Binding("x", "export", "Export", id="conversation.export"),
        Binding("c", "copy_selection", "Copy span id", id="conversation.copy", show=False),
        Binding("C", "copy_conversation", "Copy conversation id", id="conversation.copy_context", show=False),
        Binding("r", "redrive", "Re-drive", id="conversation.redrive", show=False),
        Binding("z", "zoom", "Zoom", id="conversation.zoom", tooltip="Zoom the pane; z again restores"),
        Binding("escape,q", "back", "Back", id="conversation.back"),
    ]

    step_index: reactive[int | None] = reactive(None, init=False)

    def __init__(self, conversation_id: str) -> None:
        super().__init__()
        self.conversation_id = conversation_id
        self.data: ConversationData | None = None
        self._flagged: dict[int, list[object]] = {}

    @property
    def replay_app(self) -> ReplayApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(f"conversation {self.conversation_id}", style="bold"), id="conversation-title")
        with Horizontal(id="panes"):
            yield Timeline(id="timeline")
            with Vertical(id="right"):
                yield Waterfall(id="waterfall")
                yield Detail(id="detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(Timeline).border_title = "Conversation"
        self.query_one(Waterfall).border_title = "Spans"
        self.query_one(Detail).border_title = "Detail"
        self.query_one("#panes").loading = True
        self._load()

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < NARROW
        self.set_class(narrow, "-narrow")
        self.set_class(narrow and event.size.height < SHORT, "-short")
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="conversation", exit_on_error=False)
    def _load(self) -> None:
        source = self.replay_app.source
        if source is None:
            return
        try:
            data = load_conversation(source, self.conversation_id)
        except Exception as exc:  # noqa: BLE001 - shown to the user, never raised into the UI
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._show, data)

    def _failed(self, message: str) -> None:
        self.query_one("#panes").loading = False
        self.notify(markup(message), title="Cannot rebuild the conversation", severity="error", timeout=20)

    def _show(self, data: ConversationData) -> None:
        keep = self.step_index
        self.data = data
        self._flagged = dict(data.finding_steps().items())  # type: ignore[arg-type]
        model = data.model
        final = one_line(state_label(model.final_state)) if model.final_state else "-"
        title = Text.assemble(
            (one_line(model.conversation_id), "bold"), "  ", (final, fmt.state_style(model.final_state))
        )
        if model.running:
            title.append(f"  ▶ {len(model.running)} running", style="bold cyan")
        if data.findings:
            title.append(f"  ⚑ {plural(len(data.findings), 'finding')}", style="bold yellow")
        title.append(
            f"\n{plural(len(model.turns), 'turn')} · {fmt.duration(model.duration_ns)} · "
            f"{fmt.clock(model.start_ns)} UTC · ",
            style="dim",
        )
        if not data.usage.empty:
            title.append(compact(data.usage.total), style="cyan")
            title.append(" · ", style="dim")
        title.append("agents: ", style="dim")
        title.append(one_line(", ".join(a.name for a in model.agents) or "-"))
        self.query_one("#conversation-title", Static).update(title)
        self.query_one("#panes").loading = False
        timeline = self.query_one(Timeline)
        timeline.show(data.steps, model.start_ns, set(self._flagged))
        self.query_one(Waterfall).show(list(model.spans.values()), model.running)
        timeline.focus()
        if keep is not None and keep < len(data.steps):
            timeline.highlighted = keep

    # -- selection -------------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#timeline")
    def _step_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.step_index = event.option_index

    def watch_step_index(self, index: int | None) -> None:
        if self.data is None or index is None or not 0 <= index < len(self.data.steps):
            return
        step = self.data.steps[index]
        findings = [f for f in self.data.findings if self.data.step_of_finding(f) == index]
        self.query_one(Detail).show_step(self.data, step, findings)
        waterfall = self.query_one(Waterfall)
        if not waterfall.has_focus:
            waterfall.select_span(step.span_id)

    @on(Waterfall.SpanHighlighted)
    def _span_highlighted(self, event: Waterfall.SpanHighlighted) -> None:
        if self.data is not None and self.query_one(Waterfall).has_focus:
            self.query_one(Detail).show_span(self.data, event.span)

    @on(Waterfall.RowSelected)
    def _span_selected(self) -> None:
        self.action_switch()

    def current_step(self) -> Step | None:
        if self.data is None or self.step_index is None:
            return None
        return self.data.steps[self.step_index]

    def _go(self, index: int) -> None:
        timeline = self.query_one(Timeline)
        timeline.highlighted = index
        timeline.focus()

    # -- stepping ----------------------------------------------------------------------------

    def action_step(self, delta: int) -> None:
        if self.data is None or not self.data.steps:
            return
        current = self.step_index if self.step_index is not None else -delta
        self._go(min(max(current + delta, 0), len(self.data.steps) - 1))

    def _jump(self, targets: list[int], delta: int, what: str) -> None:
        if not targets:
            self.notify(f"No {what} in this conversation", severity="information")
            return
        current = self.step_index if self.step_index is not None else -1
        ahead = (
            [t for t in targets if t > current] if delta > 0 else [t for t in targets if t < current][::-1]
        )
        wrapped = not ahead
        target = (ahead or (targets if delta > 0 else targets[::-1]))[0]
        self._go(target)
        if wrapped:
            self.notify(f"Wrapped to the {'first' if delta > 0 else 'last'} {what}")

    def action_jump_error(self, delta: int) -> None:
        if self.data is not None:
            self._jump(self.data.error_steps(), delta, "error")

    def action_jump_finding(self, delta: int) -> None:
        if self.data is not None:
            self._jump(sorted(self._flagged), delta, "audit finding")

    def action_switch(self) -> None:
        """From a step to the span that recorded it, and from a span back to its first step."""
        if self.data is None:
            return
        waterfall = self.query_one(Waterfall)
        if waterfall.has_focus:
            span_id = waterfall.current_span_id()
            index = self.data.step_for_span(span_id) if span_id else None
            if index is None:
                self.notify("No step was read from this span")
                return
            self._go(index)
            return
        step = self.current_step()
        if step is not None and waterfall.select_span(step.span_id):
            waterfall.focus()
            span = self.data.span(step.span_id)
            if span is not None:
                self.query_one(Detail).show_span(self.data, span)

    def action_move(self, delta: int) -> None:
        """j and k move in whichever pane has focus: steps, spans, or the detail's lines."""
        focused = self.focused
        if isinstance(focused, Waterfall):
            (focused.action_cursor_down if delta > 0 else focused.action_cursor_up)()
        elif focused is not None and focused.id == "detail":
            self.query_one(Detail).scroll_relative(y=delta, animate=False)
        else:
            self.action_step(delta)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``d`` (detail instead of the spans) only means something on a short screen."""
        if action == "detail":
            return self.has_class("-short")
        return True

    def action_explain(self) -> None:
        """The failure chain in plain words, in the detail pane; the span where it began selected."""
        if self.data is None:
            return
        explanation = explain(self.data.model)
        if self.has_class("-short") and not self.has_class("-show-detail"):
            self.add_class("-show-detail")
        detail = self.query_one(Detail)
        detail.show_explanation(explanation)
        if explanation.leaf is not None:
            self.query_one(Waterfall).select_span(explanation.leaf.span_id)
        detail.focus()

    def action_detail(self) -> None:
        """On a short narrow screen, show the detail pane in place of the spans, and back."""
        self.toggle_class("-show-detail")
        if self.has_class("-show-detail"):
            self.query_one(Detail).focus()
        else:
            self.query_one(Timeline).focus()

    def action_zoom(self) -> None:
        """One pane fills the screen; ``z`` again puts every pane back."""
        if self.maximized is not None:
            self.minimize()
            return
        if self.focused is not None:
            self.maximize(self.focused)

    def action_back(self) -> None:
        if self.maximized is not None:
            self.minimize()
        else:
            self.app.pop_screen()

    # -- actions -----------------------------------------------------------------------------

    def action_copy_selection(self) -> None:
        waterfall = self.query_one(Waterfall)
        if waterfall.has_focus and waterfall.current_span_id():
            self._copy("span id", str(waterfall.current_span_id()))
            return
        step = self.current_step()
        if step is not None:
            self._copy("span id", step.span_id)

    def action_copy_conversation(self) -> None:
        self._copy("conversation id", self.conversation_id)

    def action_copy_trace(self) -> None:
        step = self.current_step()
        if step is not None:
            self._copy("trace id", step.trace_id)

    def _copy(self, what: str, value: str) -> None:
        self.app.copy_to_clipboard(value)
        self.notify(markup(f"Copied {what} {value}"))

    def action_export(self, fmt_name: str | None = None) -> None:
        if self.data is None:
            return

        def chosen(answer: tuple[str, Path] | None) -> None:
            if answer is not None:
                self._export(*answer)

        self.app.push_screen(ExportDialog(self.data.conversation_id, Path.cwd()), chosen)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, fmt_name: str, path: Path) -> None:
        if self.data is None:
            return
        try:
            path.write_text(export(self.data.model, fmt_name, self.data.findings))
        except (OSError, ValueError) as exc:
            self.app.call_from_thread(self.notify, markup(str(exc)), title="Export failed", severity="error")
            return
        self.app.call_from_thread(self.notify, markup(f"Wrote {path}"), title=f"Exported {fmt_name}")

    def action_redrive(self) -> None:
        if self.data is None:
            return
        from a2a_observe.tui.screens.redrive import RedriveScreen  # noqa: PLC0415 - loads the SDK

        data = self.data

        def chosen(url: str | None) -> None:
            if url:
                self.app.push_screen(RedriveScreen(data, url))

        self.app.push_screen(RedriveDialog(), chosen)

    def on_store_changed(self, _: StoreChanged) -> None:
        self._load()

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand(
            "Export…", "Write this conversation as JSON, Markdown, Mermaid or HTML", self.action_export
        )
        yield SystemCommand("Why did it fail?", "The chain of calls to where it began", self.action_explain)
        yield SystemCommand("Copy conversation id", self.conversation_id, self.action_copy_conversation)
        yield SystemCommand("Copy trace id", "Of the selected step", self.action_copy_trace)
        yield SystemCommand("Copy span id", "Of the selected step or span", self.action_copy_selection)
        yield SystemCommand(
            "Re-drive…", "Send the recorded turns to an agent again and compare", self.action_redrive
        )
        yield SystemCommand(
            "Jump to next error", "Step to the next failure", lambda: self.action_jump_error(1)
        )
        yield SystemCommand(
            "Jump to next audit finding", "Step to the next finding", lambda: self.action_jump_finding(1)
        )
        yield SystemCommand(
            "Collapse all spans",
            "Only the roots of the waterfall",
            self.query_one(Waterfall).action_collapse_all,
        )
        yield SystemCommand(
            "Expand all spans", "Every span of the waterfall", self.query_one(Waterfall).action_expand_all
        )
