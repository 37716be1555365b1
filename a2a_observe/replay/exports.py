"""One entry point for every export format, so the CLI and the debugger offer the same ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from a2a_observe.replay.audits import Finding
from a2a_observe.replay.export_html import to_html
from a2a_observe.replay.export_json import to_json
from a2a_observe.replay.export_markdown import to_markdown
from a2a_observe.replay.export_mermaid import to_mermaid
from a2a_observe.replay.model import ConversationModel

Exporter = Callable[[ConversationModel, Sequence[Finding]], str]

FORMATS: dict[str, Exporter] = {
    "json": to_json,
    "markdown": to_markdown,
    "mermaid": to_mermaid,
    "html": to_html,
}
EXTENSIONS = {"json": ".json", "markdown": ".md", "mermaid": ".mmd", "html": ".html"}


def export(model: ConversationModel, fmt: str, findings: Sequence[Finding] = ()) -> str:
    try:
        exporter = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    return exporter(model, findings)
