"""The conversation as one self-contained HTML page, to attach to a bug report: the chat of its
turns, the waterfall of every agent's spans (each opens to its attributes), the failure chain
and the audit findings. No script, no font, no request leaves the page: it opens offline.

Everything recorded is text from the agents and is escaped before it is written; the page's
own markup is the only markup in it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from a2a_observe.replay.audits import Finding
from a2a_observe.replay.explain import describe as describe_explanation
from a2a_observe.replay.explain import explain
from a2a_observe.replay.model import ConversationModel
from a2a_observe.replay.usage import describe_figures, usage
from a2a_observe.replay.waterfall_layout import layout, self_times

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1b1f24; background: #fff; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
code, pre, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.meta td { padding: 0 1em 0 0; } .dim { color: #6a737d; }
.state-completed { color: #1a7f37; }
.state-failed, .state-rejected, .error { color: #cf222e; font-weight: 600; }
.chat li { list-style: none; margin: .15em 0; }
.chat .t { display: inline-block; width: 6em; color: #6a737d; }
.wf { width: 100%; border-collapse: collapse; } .wf td { padding: 1px 4px; vertical-align: top; }
.wf .name { white-space: nowrap; width: 30%; } .wf .track { position: relative; width: 55%; }
.bar { position: absolute; top: 4px; height: 10px; min-width: 2px; background: #5f87d7; }
.bar.critical { background: #ffd700; } .bar.failed { background: #ff5f5f; }
.bar.running { background: #5fd7ff; }
.wf .took { text-align: right; white-space: nowrap; } .agent { font-weight: 600; }
details summary { cursor: pointer; } details table { margin: .3em 0 .6em 1.5em; }
.legend span { display: inline-block; width: 10px; height: 10px; margin: 0 .3em 0 1em; }
"""


def _e(value: Any) -> str:
    return html.escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


def _ms(ns: int | None) -> str:
    return "?" if ns is None else f"{ns / 1e6:.1f} ms"


def _when(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _state(state: str | None) -> str:
    return f'<span class="state-{_e(state or "none")}">{_e(state or "-")}</span>'


def _chat(model: ConversationModel) -> list[str]:
    out = ['<ul class="chat">']
    for step in model.steps():
        depth = step.path.count(".")
        css = "error" if step.kind == "error" else ""
        out.append(
            f'<li style="margin-left:{depth * 1.5}em"><span class="t mono">'
            f'+{_ms(step.time_ns - model.start_ns)}</span> <span class="dim">{_e(step.kind)}</span> '
            f'<span class="agent">{_e(step.agent or "")}</span> '
            f'<span class="{css}">{_e(step.summary)}</span></li>'
        )
    out.append("</ul>")
    return out


def _waterfall(model: ConversationModel) -> list[str]:
    spans = list(model.spans.values())
    if not spans:
        return ["<p>No spans.</p>"]
    start = min(s.start_ns for s in spans)
    total = max(max(s.end_ns for s in spans) - start, 1)
    selfs = self_times(spans)
    out = [
        '<p class="legend dim"><span style="background:#ffd700"></span>critical path'
        '<span style="background:#ff5f5f"></span>failed<span style="background:#5fd7ff"></span>running'
        '<span style="background:#5f87d7"></span>other</p>',
        '<table class="wf"><tr class="dim"><td>agent · span</td>'
        f'<td>0 … {_ms(total)}</td><td class="took">took (self)</td></tr>',
    ]
    for row in layout(spans):
        span = row.span
        running = span.span_id in model.running
        kind = "running" if running else "failed" if row.error else "critical" if row.critical else ""
        left = (span.start_ns - start) * 100 / total
        width = max((span.end_ns - span.start_ns) * 100 / total, 0.2)
        attributes = "".join(
            f'<tr><td class="mono dim">{_e(k)}</td><td class="mono">{_e(v)}</td></tr>'
            for k, v in sorted(span.attributes.items())
        )
        ids = f"trace {span.trace_id} span {span.span_id} parent {span.parent_span_id or '-'}"
        status = f"{span.status_code} {span.status_message or ''}".strip()
        arrow = "→" if span.kind == "CLIENT" else ""
        agent = _e(span.agent_name or span.service_name or "?")
        took = f"{'running ' if running else ''}{_ms(span.end_ns - span.start_ns)}"
        out.append(
            f'<tr><td class="name" style="padding-left:{row.depth * 1.2 + 0.3}em"><details><summary>'
            f'{arrow}<span class="agent">{agent}</span> {_e(span.name)}</summary><table>'
            f'<tr><td class="dim">status</td><td class="mono">{_e(status)}</td></tr>'
            f'<tr><td class="dim">ids</td><td class="mono">{_e(ids)}</td></tr>{attributes}</table>'
            f'</details></td><td class="track"><div class="bar {kind}" '
            f'style="left:{left:.2f}%;width:{width:.2f}%"></div></td>'
            f'<td class="took mono">{took} ({_ms(selfs.get(span.span_id))})</td></tr>'
        )
    out.append("</table>")
    return out


def _usage_rows(model: ConversationModel) -> list[str]:
    rollup = usage(model)
    if rollup.empty:
        return []
    rows = [("tokens", describe_figures(rollup.total))]
    rows += [(f"turn {path}", describe_figures(f)) for path, f in rollup.by_turn.items()]
    rows += [(f"agent {agent}", describe_figures(f)) for agent, f in rollup.by_agent.items()]
    return [f'<tr><td class="dim">{_e(where)}</td><td>{_e(text)}</td></tr>' for where, text in rows]


def to_html(model: ConversationModel, findings: Sequence[Finding] = ()) -> str:
    agents = ", ".join(a.name for a in model.agents) or "none recorded"
    explanation = explain(model)
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Conversation {_e(model.conversation_id)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Conversation <code>{_e(model.conversation_id)}</code> {_state(model.final_state)}</h1>",
        '<table class="meta">',
        f'<tr><td class="dim">started</td><td>{_e(_when(model.start_ns))}, '
        f"took {_ms(model.duration_ns)}</td></tr>",
        f'<tr><td class="dim">agents</td><td>{_e(agents)}</td></tr>',
        f'<tr><td class="dim">turns</td><td>{len(model.turns)}</td></tr>',
        *_usage_rows(model),
        f'<tr><td class="dim">traces</td><td class="mono">{_e(", ".join(model.trace_ids))}</td></tr>',
        "</table>",
        "<h2>Why it failed</h2>" if explanation.failed else "<h2>Where the time went</h2>",
        f"<pre>{_e(describe_explanation(explanation))}</pre>",
        "<h2>Conversation</h2>",
        *_chat(model),
        "<h2>Spans</h2>",
        *_waterfall(model),
        f"<h2>Findings ({len(findings)})</h2>",
    ]
    if not findings:
        lines.append("<p>None.</p>")
    else:
        lines.append("<ul>")
        lines.extend(
            f"<li><b>{_e(f.code)}</b> {_e(f.name)}{_e(f' (exchange {f.path})' if f.path else '')}: "
            f"{_e(f.message)}</li>"
            for f in findings
        )
        lines.append("</ul>")
    lines.append('<p class="dim">Written by a2a-observe export --format html.</p></body></html>')
    return "\n".join(lines) + "\n"
