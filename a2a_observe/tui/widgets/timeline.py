"""The conversation as a chat: requests and answers, state changes as badges, artifacts,
errors; delegations indented under the turn that made them."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from a2a_observe.replay import Step
from a2a_observe.replay.escaping import one_line
from a2a_observe.tui import format as fmt

ICONS = {
    "request": ("▶", "bold"),
    "response": ("◀", "bold"),
    "message": ("»", ""),
    "transition": ("◆", ""),
    "artifact": ("▤", "cyan"),
    "error": ("✗", "bold red"),
}


def step_text(step: Step, start_ns: int, finding: bool = False) -> Text:
    icon, style = ICONS.get(step.kind, ("·", ""))
    depth = step.path.count(".")
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{fmt.offset(step.time_ns - start_ns):>8} ", style="dim")
    text.append("  " * depth)
    text.append(f"{icon} ", style=style or None)
    summary = one_line(step.summary)
    if step.kind == "transition":
        before, _, after = summary.partition(" → ")
        text.append(f"{one_line(step.agent or '?')} ", style="dim")
        if before and before != "∅":
            text.append(f" {before} ", style="dim")
            text.append("→")
        text.append(f" {after} ", style=f"reverse {fmt.state_style(after)}")
    elif step.kind == "response":
        said, _, state = summary.rpartition(": ")
        text.append(said + ": ", style=style)
        text.append(state, style=fmt.state_style(state))
    else:
        text.append(summary, style=style or None)
    if finding:
        text.append(" ⚑", style="bold yellow")
    return text


class Timeline(OptionList):
    """One option per step; the highlighted option is the debugger's current step."""

    def show(self, steps: list[Step], start_ns: int, flagged: set[int] | None = None) -> None:
        marks = flagged or set()
        self.clear_options()
        self.add_options(
            Option(step_text(step, start_ns, index in marks), id=str(index))
            for index, step in enumerate(steps)
        )
        if steps:
            self.highlighted = 0
