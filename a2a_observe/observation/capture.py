"""Content capture policy: what of a message may leave the process, and how much of it.

Privacy by default: without the opt-in nothing but structure (ids, roles, part kinds, sizes,
states) is recorded. With it, parts are recorded truncated, and values under secret-looking
keys are redacted even then, because a data part can carry a token as easily as a header can.

Errors follow the same rule, because an exception message or an error description often
repeats what the user sent: without capture (or the narrower ``record_error_messages``
opt-in) only the exception's type and stack are recorded, never its message. Every text that
is recorded (captured parts, exception messages, error descriptions) goes through
:func:`redact_text`, which replaces secrets inside free text (``api_key=...``, bearer tokens,
well-known key formats, private key blocks, and the user's own patterns).
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.observation.facts import PartFacts

REDACTED = "[REDACTED]"
_SECRET_KEY = re.compile(
    r"(authorization|api[-_]?key|x-api-key|token|secret|password|passwd|cookie|credential|"
    r"private[-_]?key|session[-_]?id)",
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    """True for header or field names whose values must never be recorded."""
    return bool(_SECRET_KEY.search(key))


def redact(value: Any, depth: int = 0, patterns: tuple[str, ...] = ()) -> Any:
    """A copy of ``value`` with secret-looking keys' values replaced, and secrets inside its
    strings too (:func:`redact_text`); never mutates."""
    if depth > 20:
        return "[DEPTH LIMIT]"
    if isinstance(value, str):
        return redact_text(value, patterns)
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if is_secret_key(str(k)) else redact(v, depth + 1, patterns)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, depth + 1, patterns) for v in value]
    return value


_SECRET_NAMES = (
    r"authorization|api[-_]?key|x-api-key|access[-_]?key|secret[-_]?key|client[-_]?secret|"
    r"[a-z_]*token|secret|password|passwd|pwd|cookie|credential|private[-_]?key|session[-_]?id"
)
_BUILT_IN_SECRETS = (
    # name=value, name: value, "name": "value" inside free text
    rf"""(?i)(?:\b|_)(?:{_SECRET_NAMES})["']?\s*[:=]\s*["']?(?P<value>[^\s"',;&}}]+)""",
    r"(?i)\bbearer\s+(?P<value>[A-Za-z0-9._~+/=-]{8,})",
    r"(?i)\bbasic\s+(?P<value>[A-Za-z0-9+/=]{8,})",
    r"\bAKIA[0-9A-Z]{16}\b",
    r"\bgh[pousr]_[A-Za-z0-9]{30,}\b",
    r"\bgithub_pat_[A-Za-z0-9_]{30,}\b",
    r"\bsk-[A-Za-z0-9_-]{16,}",
    r"\bxox[abprs]-[A-Za-z0-9-]{10,}",
    r"\bAIza[0-9A-Za-z_-]{35}\b",
    r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
)
"""Secrets inside free text. A pattern with a ``value`` group loses only that group (the name
stays readable: ``api_key=[REDACTED]``); any other loses its whole match."""


@lru_cache(maxsize=16)
def _compiled(extra: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in (*_BUILT_IN_SECRETS, *extra))


def redact_text(text: str, extra: tuple[str, ...] = ()) -> str:
    """``text`` with every secret the built-in patterns or ``extra`` find replaced."""
    for pattern in _compiled(extra):
        text = pattern.sub(_keep_name if "value" in pattern.groupindex else REDACTED, text)
    return text


def _keep_name(match: re.Match[str]) -> str:
    start, end = match.span("value")
    whole = match.group()
    offset = match.start()
    return whole[: start - offset] + REDACTED + whole[end - offset :]


def may_record_error_text(settings: Settings) -> bool:
    """Whether exception messages and error descriptions may be recorded at all."""
    return settings.capture_content or settings.record_error_messages


def error_description(settings: Settings, message: str, error_type: str) -> str:
    """The span status description of a failure: its type, and its message (redacted) only
    when the settings allow error text."""
    if not message or not may_record_error_text(settings):
        return error_type
    return redact_text(message, settings.redact_patterns)[:512]


def exception_attributes(settings: Settings, exc: BaseException) -> dict[str, Any]:
    """The ``exception`` event's attributes: type and stack always (the stack holds code
    locations, not values), the message only when error text may be recorded."""
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    stack = "".join(traceback.format_tb(exc.__traceback__)) if exc.__traceback__ is not None else ""
    attrs: dict[str, Any] = {semconv.EXCEPTION_TYPE: name}
    if may_record_error_text(settings):
        message = str(exc)
        attrs[semconv.EXCEPTION_MESSAGE] = redact_text(message, settings.redact_patterns)
        stack = "".join(traceback.format_exception(exc))
        stack = redact_text(stack, settings.redact_patterns)
    else:
        stack += f"{name}\n"
    if stack:
        attrs[semconv.EXCEPTION_STACKTRACE] = stack
    return attrs


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


def parts_json(parts: Iterable[PartFacts], limit: int, patterns: tuple[str, ...] = ()) -> tuple[str, bool]:
    """The captured parts as one JSON document, secrets redacted (by key, and inside every
    string), truncated to ``limit`` characters."""
    payloads = ((p, p.payload()) for p in parts)
    doc = [
        {"kind": p.kind, "media_type": p.media_type, "content": redact(content, 0, patterns)}
        for p, content in payloads
        if content is not None
    ]
    return truncate(json.dumps(doc, ensure_ascii=False, default=str), limit)
