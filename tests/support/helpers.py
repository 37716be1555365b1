"""Span-tree helpers the tests share."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind


def by_id(spans: Iterable[ReadableSpan]) -> dict[int, ReadableSpan]:
    return {s.context.span_id: s for s in spans}


def parent_of(span: ReadableSpan, spans: Iterable[ReadableSpan]) -> ReadableSpan | None:
    if span.parent is None:
        return None
    return by_id(spans).get(span.parent.span_id)


def tree(spans: list[ReadableSpan]) -> list[tuple[int, str, str]]:
    """(depth, kind, name) in depth-first order, children sorted by start time."""
    children: dict[int | None, list[ReadableSpan]] = {}
    ids = {s.context.span_id for s in spans}
    for s in spans:
        parent = s.parent.span_id if s.parent is not None and s.parent.span_id in ids else None
        children.setdefault(parent, []).append(s)
    out: list[tuple[int, str, str]] = []

    def walk(parent: int | None, depth: int) -> None:
        for child in sorted(children.get(parent, []), key=lambda s: s.start_time or 0):
            out.append((depth, child.kind.name, child.name))
            walk(child.context.span_id, depth + 1)

    walk(None, 0)
    return out


def json_documents(text: str) -> list[dict[str, Any]]:
    """Every JSON object printed in ``text``: what the console exporters write, one per span,
    metric set or log record, pretty-printed and back to back."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    index = 0
    while index < len(text):
        if text[index] != "{":
            index += 1
            continue
        document, index = decoder.raw_decode(text, index)
        found.append(document)
    return found


def pair(spans: list[ReadableSpan], name: str) -> tuple[ReadableSpan, ReadableSpan]:
    """The one CLIENT and the one SERVER span named ``name``."""
    clients = [s for s in spans if s.name == name and s.kind == SpanKind.CLIENT]
    servers = [s for s in spans if s.name == name and s.kind == SpanKind.SERVER]
    assert len(clients) == 1, [(s.name, s.kind) for s in spans]
    assert len(servers) == 1, [(s.name, s.kind) for s in spans]
    return clients[0], servers[0]


def assert_linked(client: ReadableSpan, server: ReadableSpan) -> None:
    """The SERVER span continues the CLIENT span's trace, across the wire."""
    assert server.context.trace_id == client.context.trace_id
    assert server.parent is not None
    assert server.parent.span_id == client.context.span_id
    assert server.parent.is_remote


def everything_recorded(spans: list[ReadableSpan]) -> str:
    """Every attribute and event attribute value of every span, as one string."""
    values: list[Any] = []
    for span in spans:
        values.extend((span.attributes or {}).values())
        for event in span.events:
            values.extend((event.attributes or {}).values())
    return json.dumps(values, default=str)
