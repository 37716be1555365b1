"""Content capture policy: what of a message may leave the process, and how much of it.

Privacy by default: without the opt-in nothing but structure (ids, roles, part kinds, sizes,
states) is recorded. With it, parts are recorded truncated, and values under secret-looking
keys are redacted even then, because a data part can carry a token as easily as a header can.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from a2a_observe.facts import PartFacts

REDACTED = "[REDACTED]"
_SECRET_KEY = re.compile(
    r"(authorization|api[-_]?key|x-api-key|token|secret|password|passwd|cookie|credential|"
    r"private[-_]?key|session[-_]?id)",
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    """True for header or field names whose values must never be recorded."""
    return bool(_SECRET_KEY.search(key))


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` with secret-looking keys' values replaced; never mutates."""
    if depth > 20:
        return "[DEPTH LIMIT]"
    if isinstance(value, Mapping):
        return {str(k): REDACTED if is_secret_key(str(k)) else redact(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, depth + 1) for v in value]
    return value


def truncate(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to ``limit`` characters, and whether it was cut."""
    if len(text) <= limit:
        return text, False
    return text[:limit], True


def cap_attribute(value: Any, limit: int) -> Any:
    """Attribute values are capped so one huge id or name cannot bloat every span."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit]
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [v[:limit] if isinstance(v, str) else v for v in list(value)[:128]]
    return value


def parts_json(parts: Iterable[PartFacts], limit: int) -> tuple[str, bool]:
    """The captured parts as one JSON document, truncated to ``limit`` characters."""
    doc = [
        {"kind": p.kind, "media_type": p.media_type, "content": redact(p.content)}
        for p in parts
        if p.content is not None
    ]
    text = json.dumps(doc, ensure_ascii=False, default=str)
    return truncate(text, limit)
