"""Reading captured content back out of span event attributes.

The instrumentation records parts as JSON (``a2a.content``) only when capture is on; anything
else (no capture, a foreign producer, a truncated document) reads as "not captured" rather
than as an error, because structure-only stores are the normal case.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from a2a_observe import semconv
from a2a_observe.replay.model import Part


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def parts_of(attributes: Mapping[str, Any]) -> list[Part] | None:
    """The captured parts in ``attributes``, or ``None`` when no content was recorded."""
    raw = attributes.get(semconv.A2A_CONTENT)
    if not isinstance(raw, str):
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return [Part(kind="text", content=raw)]
    if not isinstance(doc, list):
        return [Part(kind="text", content=_as_text(doc))]
    parts: list[Part] = []
    for item in doc:
        if isinstance(item, dict):
            media = item.get("media_type")
            parts.append(
                Part(
                    kind=str(item.get("kind") or "text"),
                    content=_as_text(item.get("content", "")),
                    media_type=media if isinstance(media, str) else None,
                )
            )
        else:
            parts.append(Part(kind="text", content=_as_text(item)))
    return parts


def truncated(attributes: Mapping[str, Any]) -> bool:
    return bool(attributes.get(semconv.A2A_CONTENT_TRUNCATED))
