"""The first frame is drawn before the store is opened, and the list follows once it is."""

from __future__ import annotations

import threading

from a2a_observe.store.opening import open_source
from a2a_observe.store.source import ConversationSource
from a2a_observe.tui.app import OPENING, ReplayApp
from tests.support.tui import fixture_store, screen_text, wait_until


async def test_the_first_frame_comes_before_the_store_is_opened(tmp_path) -> None:
    db = fixture_store(tmp_path)
    may_open = threading.Event()

    def slow_open() -> ConversationSource:
        may_open.wait(30)
        return open_source(db, hold=True)

    app = ReplayApp(slow_open, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: OPENING in screen_text(app))
        assert app.source is None and app.conversation_rows() == []
        may_open.set()
        await wait_until(pilot, lambda: len(app.conversation_rows()) == 3)
        assert app.source is not None
