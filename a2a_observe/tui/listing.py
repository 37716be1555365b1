"""The conversation list's filter language (typed after ``/``) and its page size; the
store's read API filters, sorts and pages (:meth:`ConversationSource.list_conversations`)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from a2a_observe import semconv
from a2a_observe.store.records import ConversationFilter, Sort

__all__ = ["PAGE_SIZE", "TASK_STATES", "Filter", "Sort", "parse_filter", "parse_state", "parse_time"]

PAGE_SIZE = 200


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_AGO = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")


def parse_time(text: str, now_ns: int) -> int:
    """``15m``, ``2h``, ``3d`` (ago), an ISO date or date-time (UTC unless it says), or ns."""
    match = _AGO.match(text)
    if match:
        return now_ns - int(float(match.group(1)) * _UNITS[match.group(2)] * 1_000_000_000)
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a time: use 15m, 2h, 3d, 2025-01-31 or 2025-01-31T10:00") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000_000)


TASK_STATES = semconv.TASK_STATES


state_label = semconv.state_label


def parse_state(text: str) -> str:
    """The stored value of a state typed as ``failed``, ``FAILED`` or ``TASK_STATE_FAILED``."""
    wanted = state_label(text)
    for state in TASK_STATES:
        if state_label(state) == wanted:
            return state
    choices = ", ".join(state_label(s) for s in TASK_STATES)
    raise ValueError(f"{text!r} is not a task state; states are {choices}")


@dataclass(frozen=True)
class Filter(ConversationFilter):
    """What the store is asked for, and the times as they were typed, for showing back."""

    since_text: str | None = None
    """``since`` as it was typed (``1h``), to show it back as such."""
    until_text: str | None = None

    @property
    def active(self) -> bool:
        return self != Filter()

    def describe(self) -> str:
        parts = []
        if self.agent:
            parts.append(f"agent:{self.agent}")
        if self.state:
            parts.append(f"state:{state_label(self.state)}")
        if self.errors_only:
            parts.append("error")
        if self.since_ns is not None:
            parts.append(f"since:{self.since_text or self.since_ns}")
        if self.until_ns is not None:
            parts.append(f"until:{self.until_text or self.until_ns}")
        if self.text:
            parts.append(repr(self.text))
        return " ".join(parts) or "all"

    def with_errors(self, errors_only: bool) -> Filter:
        return replace(self, errors_only=errors_only)


def parse_filter(query: str, now_ns: int) -> Filter:
    """``agent:writer state:failed error since:1h until:2025-01-31 words to find``."""
    try:
        tokens = shlex.split(query)
    except ValueError:
        tokens = query.split()
    values: dict[str, Any] = {}
    words: list[str] = []
    for token in tokens:
        key, sep, value = token.partition(":")
        key = key.lower()
        if sep and key == "agent" and value:
            values["agent"] = value
        elif sep and key == "state" and value:
            values["state"] = parse_state(value)
        elif sep and key in ("since", "until") and value:
            values[f"{key}_ns"] = parse_time(value, now_ns)
            values[f"{key}_text"] = value
        elif token.lower() in ("error", "errors", "is:error", "has:error"):
            values["errors_only"] = True
        else:
            words.append(token)
    return Filter(text=" ".join(words), **values)
