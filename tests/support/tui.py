"""What the debugger's tests share: stores to open and a way to wait for the screen."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from a2a_observe.store.opening import open_source
from a2a_observe.tui.app import ReplayApp
from tests.support.backends import FAILED_CONVERSATION, FIXTURE, fixture_store

__all__ = ["FAILED_CONVERSATION", "FIXTURE", "fixture_store", "make_app", "screen_text", "wait_until"]


def make_app(db: Path | str, **options: object) -> ReplayApp:
    return ReplayApp(lambda: open_source(db, hold=True), **options)  # type: ignore[arg-type]


async def wait_until(pilot: Pilot[None], predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the app run until ``predicate`` holds (workers finish on their own threads)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the screen never got there")
        await pilot.pause(0.02)


def screen_text(app: ReplayApp) -> str:
    """Everything on screen as plain text, lines joined."""
    text = re.sub(r"<[^>]+>", "", app.export_screenshot())
    return html.unescape(text).replace("\xa0", " ")
