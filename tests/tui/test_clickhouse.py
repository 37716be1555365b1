"""The debugger on a ClickHouse store: the recorded demo network in the exporter's tables
(embedded engine), listed, filtered and opened as from a DuckDB file."""

from __future__ import annotations

import pytest

from a2a_observe.collect.importer import import_files
from a2a_observe.store.sinks import open_writer
from tests.support.clickhouse import chdb_url
from tests.support.tui import FAILED_CONVERSATION, FIXTURE, make_app, screen_text, wait_until


@pytest.fixture(scope="module")
def url() -> str:
    location = chdb_url("debugger")
    writer = open_writer(location)
    try:
        assert import_files([FIXTURE], writer).ok
    finally:
        writer.close()
    return location


async def test_the_list_filters_and_opens_a_conversation(url: str) -> None:
    app = make_app(url, keymap={})
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: len(app.conversation_rows()) == 3)
        assert "3 conversations · filter: all" in screen_text(app)
        await pilot.press("slash", *"state:failed", "enter")
        await wait_until(pilot, lambda: app.conversation_rows() == [FAILED_CONVERSATION])
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: "translator" in screen_text(app) and "RuntimeError" in screen_text(app)
        )
