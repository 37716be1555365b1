"""What the debugger's tests share: stores to open and a way to wait for the screen."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from a2a_observe.collect.importer import import_files
from a2a_observe.store.writer import StoreWriter
from a2a_observe.tui.app import ReplayApp
from a2a_observe.tui.source import open_source
from tests.support.paths import DATA

FIXTURE = DATA / "replay_demo.otlp.jsonl"
"""Real demo agents recorded once (see tests/data/make_replay_fixture.py): fixed ids and times."""

FAILED_CONVERSATION = "78c90a3a-76fb-476d-970f-1bce7afc8cd7"
"""Prefix of the recorded conversation in which the translator fails."""


def fixture_store(folder: Path, name: str = "demo.duckdb") -> Path:
    """The recording imported through the store's own writer."""
    db = folder / name
    writer = StoreWriter(db)
    try:
        report = import_files([FIXTURE], writer)
    finally:
        writer.close()
    assert report.ok, report.problems
    return db


def make_app(db: Path | str, **options: object) -> ReplayApp:
    return ReplayApp(lambda: open_source(db), **options)  # type: ignore[arg-type]


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
