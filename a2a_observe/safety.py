"""The rule that our code never hurts the app it observes.

Every hook runs its own work through :func:`guarded` or :func:`call_guarded`: an exception in
a2a-observe's code is logged once per place it happened (so a broken hook cannot flood the
app's logs) and swallowed, and the app's call goes on as if we were not there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

_log = logging.getLogger("a2a_observe")
_reported: set[str] = set()
_lock = threading.Lock()

P = ParamSpec("P")
R = TypeVar("R")


def report_internal_error(where: str, exc: BaseException) -> None:
    """Log an internal failure the first time it happens at ``where``."""
    with _lock:
        if where in _reported:
            return
        _reported.add(where)
    _log.warning(
        "a2a-observe: internal error in %s; the application is not affected and further "
        "errors here are not logged",
        where,
        exc_info=(type(exc), exc, exc.__traceback__),
    )


def call_guarded(where: str, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R | None:
    """Run one piece of our own work; None if it failed."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the point is to stop everything of ours here
        report_internal_error(where, exc)
        return None


def reset_reports() -> None:
    """Forget which places have already reported (tests use it)."""
    with _lock:
        _reported.clear()
