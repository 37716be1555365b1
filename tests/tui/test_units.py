"""The debugger's plain parts: the filter language, the list query on a store, the waterfall's
tree and critical path, and the keymap file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from a2a_observe import semconv
from a2a_observe.replay.waterfall_layout import bar, critical_path, layout
from a2a_observe.store.opening import open_source
from a2a_observe.store.records import SpanRecord
from a2a_observe.tui.keymap import KeymapError, load_keymap
from a2a_observe.tui.listing import Filter, Sort, parse_filter, parse_time
from tests.support.tui import FAILED_CONVERSATION, fixture_store

NOW = 1_800_000_000_000_000_000


def test_filter_language() -> None:
    flt = parse_filter('agent:writer state:FAILED error since:2h until:2025-01-31 "quarterly report" x', NOW)
    assert flt.agent == "writer"
    assert flt.state == semconv.TASK_STATE_FAILED
    assert flt.errors_only
    assert flt.since_ns == NOW - 2 * 3600 * 10**9
    assert flt.until_ns == int(datetime(2025, 1, 31, tzinfo=UTC).timestamp() * 10**9)
    assert flt.text == "quarterly report x"
    assert parse_filter("", NOW) == Filter()
    with pytest.raises(ValueError, match="not a time"):
        parse_time("yesterday", NOW)


def test_list_filters_and_sorts_on_a_real_recording(tmp_path) -> None:
    source = open_source(fixture_store(tmp_path), hold=True)
    try:

        def ids(flt: Filter, sort: Sort = Sort.START, descending: bool = True) -> list[str]:
            page = source.list_conversations(flt, sort=sort, descending=descending, limit=200)
            return [s.conversation_id for s in page]

        everything = ids(Filter())
        assert len(everything) == 3
        assert ids(Filter(errors_only=True)) == [FAILED_CONVERSATION]
        assert ids(Filter(state=semconv.TASK_STATE_FAILED)) == [FAILED_CONVERSATION]
        assert len(ids(Filter(agent="translator"))) == 2
        assert ids(Filter(agent="greeter")) == [everything[0]]
        assert ids(Filter(text="78C90A")) == [FAILED_CONVERSATION]
        assert ids(Filter(text="RuntimeError")) == [FAILED_CONVERSATION]
        assert ids(Filter(), descending=False) == everything[::-1]
        assert ids(Filter(), Sort.ERRORS)[0] == FAILED_CONVERSATION
        assert ids(Filter(until_ns=0)) == []
        page = source.list_conversations(Filter(), limit=2, offset=2)
        assert [s.conversation_id for s in page] == everything[2:]
    finally:
        source.close()


def _span(span_id: str, parent: str | None, start: int, end: int, status: str = "UNSET") -> SpanRecord:
    return SpanRecord(
        "t", span_id, parent, None, None, span_id, "INTERNAL", start, end, end - start, status, None,
        "r", None, None, None, {}, 0, 0, 0, None, None, None, None, None, None, None,
    )  # fmt: skip


def test_critical_path_walks_back_from_the_end() -> None:
    spans = [
        _span("root", None, 0, 100),
        _span("a", "root", 0, 40),
        _span("b", "root", 10, 30),  # hidden behind a, which ends later
        _span("c", "root", 45, 95, "ERROR"),
        _span("c1", "c", 50, 60),
        _span("c2", "c", 60, 90),
    ]
    assert critical_path(spans) == {"root", "a", "c", "c1", "c2"}
    rows = layout(spans)
    assert [(r.span.span_id, r.depth) for r in rows] == [
        ("root", 0), ("a", 1), ("b", 1), ("c", 1), ("c1", 2), ("c2", 2)
    ]  # fmt: skip
    assert [r.span.span_id for r in rows if r.error] == ["c"]
    folded = layout(spans, collapsed={"c"})
    assert [r.span.span_id for r in folded] == ["root", "a", "b", "c"]
    assert folded[-1].collapsed and folded[-1].has_children
    assert bar(50, 100, 0, 100, 20) == (10, 10)
    assert bar(100, 100, 0, 100, 20) == (19, 1)


def test_keymap_file(tmp_path, monkeypatch) -> None:
    path = tmp_path / "keymap.toml"
    path.write_text('"step.next" = "j, n"\n"conversation.export" = ["ctrl+e"]\n')
    assert load_keymap(path) == {"step.next": "j,n", "conversation.export": "ctrl+e"}
    monkeypatch.setenv("A2A_OBSERVE_KEYMAP", str(path))
    assert load_keymap() == {"step.next": "j,n", "conversation.export": "ctrl+e"}
    assert load_keymap(tmp_path / "missing.toml") == {}
    path.write_text('"step.next" = 3\n')
    with pytest.raises(KeymapError, match=r"step\.next"):
        load_keymap(path)
