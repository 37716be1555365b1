"""How times, durations and states read in the debugger.

Times are shown in UTC: an on-call engineer compares them with other systems' logs, and the
screen must not change with the terminal's time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime

from a2a_observe import semconv

STATE_STYLES = {
    semconv.TASK_STATE_COMPLETED: "green",
    semconv.TASK_STATE_FAILED: "bold red",
    semconv.TASK_STATE_REJECTED: "red",
    semconv.TASK_STATE_CANCELED: "yellow",
    semconv.TASK_STATE_INPUT_REQUIRED: "magenta",
    semconv.TASK_STATE_AUTH_REQUIRED: "magenta",
    semconv.TASK_STATE_WORKING: "cyan",
    semconv.TASK_STATE_SUBMITTED: "blue",
}


def clock(ns: int) -> str:
    """``2025-01-31 10:04:05``, UTC."""
    return datetime.fromtimestamp(ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M:%S")


def offset(ns: int) -> str:
    """Time since the start of a conversation: ``+0.120s``, ``+12.3s``, ``+2m05s``."""
    seconds = ns / 1e9
    if seconds < 10:
        return f"+{seconds:.3f}s"
    if seconds < 60:
        return f"+{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"+{minutes}m{rest:02d}s"


def duration(ns: int | None) -> str:
    if ns is None:
        return "?"
    if ns < 1_000_000:
        return f"{ns / 1000:.0f}µs"
    if ns < 1_000_000_000:
        return f"{ns / 1_000_000:.1f}ms"
    if ns < 60_000_000_000:
        return f"{ns / 1e9:.2f}s"
    minutes, seconds = divmod(ns / 1e9, 60)
    return f"{int(minutes)}m{seconds:04.1f}s"


def elapsed(ns: int) -> str:
    """How long work has been running, in whole seconds (``12s``, ``3m12s``, ``2h05m``): what
    fits a table cell and still moves while one watches."""
    seconds = max(0, int(ns // 1_000_000_000))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def state_style(state: str | None) -> str:
    return STATE_STYLES.get(state or "", "dim")


def short_id(value: str | None, width: int = 12) -> str:
    if not value:
        return "-"
    return value if len(value) <= width else value[: width - 1] + "…"
