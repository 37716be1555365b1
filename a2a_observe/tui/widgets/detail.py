"""The evidence behind the selected step or span: its attributes, the protocol event as it
was recorded, the captured content and the log lines written while it ran."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from a2a_observe.replay import Part, Step
from a2a_observe.replay.audits import Finding
from a2a_observe.replay.escaping import terminal
from a2a_observe.replay.explain import Explanation
from a2a_observe.replay.explain import describe as describe_explanation
from a2a_observe.replay.usage import describe_figures
from a2a_observe.store.records import EventRecord, LogRecord, SpanRecord
from a2a_observe.tui import format as fmt
from a2a_observe.tui.data import ConversationData


def _heading(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def _value(value: Any) -> Text:
    return Text(terminal(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)))


def _attributes(attributes: Mapping[str, Any]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="cyan", no_wrap=True)
    table.add_column(overflow="fold")
    for key in sorted(attributes):
        table.add_row(Text(terminal(key)), _value(attributes[key]))
    return table


def _span(span: SpanRecord, start_ns: int, self_ns: int | None = None) -> list[RenderableType]:
    status = Text(span.status_code, style="bold red" if span.status_code == "ERROR" else "green")
    if span.status_message:
        status.append(f" {terminal(span.status_message)}", style="red")
    head = Text.assemble(
        ("SPAN ", "bold"),
        (terminal(span.name), "bold"),
        f"  {span.kind}  {fmt.offset(span.start_ns - start_ns)}  {fmt.duration(span.duration_ns)}"
        + (f" (self {fmt.duration(self_ns)})" if self_ns is not None else "")
        + "  ",
        status,
    )
    ids = Text(
        f"trace {span.trace_id}  span {span.span_id}  parent {span.parent_span_id or '-'}", style="dim"
    )
    service = Text(
        terminal(f"service {span.service_name or '-'}  scope {span.scope_name or '-'}"), style="dim"
    )
    return [head, ids, service, _heading("Attributes"), _attributes(span.attributes)]


def _event(event: EventRecord, start_ns: int) -> list[RenderableType]:
    return [
        _heading(
            f"Protocol event {terminal(event.name)} #{event.seq}  {fmt.offset(event.time_ns - start_ns)}"
        ),
        _attributes(event.attributes),
    ]


def _content(parts: list[Part] | None) -> list[RenderableType]:
    if parts is None:
        return [_heading("Content"), Text("not captured (set A2A_OBSERVE_CAPTURE_CONTENT=true)", style="dim")]
    out: list[RenderableType] = [_heading("Content")]
    for part in parts:
        kind = terminal(f"[{part.kind}{' ' + part.media_type if part.media_type else ''}] ")
        out.append(Text(kind, style="dim"))
        out.append(Text(terminal(part.content)))
    return out


def _logs(logs: list[LogRecord], start_ns: int) -> list[RenderableType]:
    out: list[RenderableType] = [_heading(f"Logs ({len(logs)})")]
    if not logs:
        out.append(Text("no log lines carry this span", style="dim"))
    for log in logs:
        line = Text(no_wrap=False)
        line.append(fmt.offset((log.time_ns or start_ns) - start_ns) + " ", style="dim")
        severity = terminal(log.severity_text or "-")
        line.append(f"{severity:<5} ", style="red" if severity in ("ERROR", "CRITICAL") else "yellow")
        line.append(terminal(log.body or ""))
        out.append(line)
    return out


class Detail(VerticalScroll):
    """A scrollable pane whose content follows the selection."""

    ALLOW_MAXIMIZE = True

    def compose(self) -> ComposeResult:
        yield Static(Text("Select a step or a span", style="dim"), id="detail-body")

    def _update(self, renderables: list[RenderableType]) -> None:
        self.query_one("#detail-body", Static).update(Group(*renderables))
        self.scroll_home(animate=False)

    def show_step(self, data: ConversationData, step: Step, findings: list[Finding]) -> None:
        start = data.model.start_ns
        head = Text.assemble(
            (f"STEP {step.kind}", "bold"),
            terminal(f"  {step.path}  {step.agent or '-'}  {fmt.offset(step.time_ns - start)}\n"),
            terminal(step.summary),
        )
        out: list[RenderableType] = [head]
        turn = step.path.split(".")[0]
        for where, figures in (
            (f"turn {turn}", data.usage.by_turn.get(turn)),
            (f"agent {step.agent}", data.usage.by_agent.get(step.agent or "")),
        ):
            if figures:
                out.append(Text(f"Tokens of {where}: {describe_figures(figures)}", style="cyan"))
        for finding in findings:
            flag = terminal(f"⚑ {finding.finding_id} {finding.name}: {finding.message}")
            out.append(Text(flag, style="bold yellow"))
        event = data.event_at(step)
        if event is not None:
            out.extend(_event(event, start))
        if step.kind in ("message", "artifact", "request"):
            out.extend(_content(data.content_of(step)))
        span = data.span(step.span_id)
        if span is not None:
            out.append(Text(""))
            out.extend(_span(span, start, data.self_ns.get(span.span_id)))
            out.extend(_logs(data.logs_of(span.span_id), start))
        self._update(out)

    def show_span(self, data: ConversationData, span: SpanRecord) -> None:
        start = data.model.start_ns
        out = _span(span, start, data.self_ns.get(span.span_id))
        events = data.events_of(span.span_id)
        out.append(_heading(f"Events ({len(events)})"))
        for event in events:
            line = Text(f"{fmt.offset(event.time_ns - start)} ", style="dim")
            line.append(terminal(event.name))
            state = event.task_state or event.artifact_id or event.message_id
            if state:
                line.append(f"  {terminal(state)}", style=fmt.state_style(event.task_state))
            out.append(line)
        out.extend(_logs(data.logs_of(span.span_id), start))
        self._update(out)

    def show_explanation(self, explanation: Explanation) -> None:
        head = Text("WHY ", style="bold")
        head.append("it failed" if explanation.failed else "it took this long", style="bold")
        body = Text(describe_explanation(explanation).split("\n", 1)[1])
        body.highlight_regex(r"error: .*", "bold red")
        body.highlight_regex(r"where it began: .*", "bold yellow")
        self._update([head, body])
