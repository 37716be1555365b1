"""The store's read API, as every backend must answer it.

Each backend of ``tests/support/backends.py`` holds the same recording of real demo agents
(three conversations: a streamed chain that completes, a chain whose translator fails, and a
greeter asked twice), so each answer is checked against what those agents did.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from a2a_observe import semconv
from a2a_observe.replay.build import build
from a2a_observe.replay.export_markdown import to_markdown
from a2a_observe.store import StoreError
from a2a_observe.store.opening import open_source
from a2a_observe.store.records import ConversationFilter, FirstCall, Sort
from a2a_observe.store.source import ConversationSource
from tests.support.backends import BACKENDS, FAILED_CONVERSATION, Backend, fixture_store

CHAIN = "e2eb62cc-6433-498f-a18c-b4d63cd3a18a"
"""The streamed chain orchestrator → writer → translator, which completes."""
GREETER = "53611f52-191e-4673-8636-16c5e9e2894a"
"""The greeter, asked twice in one conversation (two traces)."""
OLDEST_FIRST = [CHAIN, FAILED_CONVERSATION, GREETER]


@pytest.fixture(scope="module", params=BACKENDS, ids=lambda b: b.name)
def backend(request: pytest.FixtureRequest) -> Backend:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def source(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConversationSource]:
    with backend.make(tmp_path_factory.mktemp(backend.name)) as location:
        opened = open_source(location)
        try:
            yield opened
        finally:
            opened.close()


def ids(found: list) -> list[str]:  # type: ignore[type-arg]
    return [s.conversation_id for s in found]


def test_the_listing_is_newest_first_and_summarises_each_conversation(source: ConversationSource) -> None:
    listed = source.list_conversations()
    assert ids(listed) == OLDEST_FIRST[::-1]
    failed = next(s for s in listed if s.conversation_id == FAILED_CONVERSATION)
    assert failed.agents == ["orchestrator", "translator", "writer"]
    assert failed.errors > 0 and failed.last_task_state == semconv.TASK_STATE_FAILED
    assert failed.start_ns < failed.end_ns and failed.duration_ns == failed.end_ns - failed.start_ns
    greeter = next(s for s in listed if s.conversation_id == GREETER)
    assert (greeter.traces, greeter.agents, greeter.errors) == (2, ["greeter"], 0)
    assert greeter.last_task_state == semconv.TASK_STATE_COMPLETED


def test_the_listing_filters_in_the_store(source: ConversationSource) -> None:
    def found(**where: object) -> list[str]:
        return ids(source.list_conversations(ConversationFilter(**where)))  # type: ignore[arg-type]

    assert found(errors_only=True) == [FAILED_CONVERSATION]
    assert found(state=semconv.TASK_STATE_FAILED) == [FAILED_CONVERSATION]
    assert found(state=semconv.TASK_STATE_COMPLETED) == [GREETER, CHAIN]
    assert found(agent="greeter") == [GREETER]
    assert set(found(agent="translator")) == {CHAIN, FAILED_CONVERSATION}
    assert found(text="78C90A") == [FAILED_CONVERSATION]
    assert found(text="RuntimeError") == [FAILED_CONVERSATION]
    assert found(text="greeter 53611f52") == [GREETER]
    assert found(text="no-such-word") == []
    greeter = source.list_conversations(ConversationFilter(agent="greeter"))[0]
    assert found(since_ns=greeter.end_ns) == [GREETER]
    assert found(until_ns=greeter.start_ns - 1) == [FAILED_CONVERSATION, CHAIN]
    assert found(until_ns=0) == []
    assert found(agent="writer", errors_only=True) == [FAILED_CONVERSATION]


def test_the_listing_sorts_and_pages_in_the_store(source: ConversationSource) -> None:
    assert ids(source.list_conversations(descending=False)) == OLDEST_FIRST
    assert ids(source.list_conversations(sort=Sort.ERRORS))[0] == FAILED_CONVERSATION
    assert ids(source.list_conversations(sort=Sort.TURNS))[0] == GREETER
    by_duration = source.list_conversations(sort=Sort.DURATION, descending=False)
    assert [s.duration_ns for s in by_duration] == sorted(s.duration_ns for s in by_duration)
    assert ids(source.list_conversations(limit=2)) == OLDEST_FIRST[::-1][:2]
    assert ids(source.list_conversations(limit=2, offset=2)) == OLDEST_FIRST[:1]
    assert source.list_conversations(offset=3) == []


def test_ids_for_check_and_for_prefixes(source: ConversationSource) -> None:
    assert source.conversation_ids() == OLDEST_FIRST
    assert source.ids_starting_with(FAILED_CONVERSATION, 6) == [FAILED_CONVERSATION]
    assert source.ids_starting_with("78c9", 6) == [FAILED_CONVERSATION]
    assert source.ids_starting_with("", 2) == sorted(OLDEST_FIRST)[:2]
    assert source.ids_starting_with("zz", 6) == []
    assert source.orphan_traces() == []


def test_first_calls_and_filter_choices(source: ConversationSource) -> None:
    assert source.first_calls([CHAIN, GREETER, "no-such-conversation"]) == {
        CHAIN: FirstCall("SendStreamingMessage", "orchestrator"),
        GREETER: FirstCall("SendMessage", "greeter"),
    }
    assert source.first_calls([]) == {}
    choices = source.filter_choices()
    assert choices.agents == ["greeter", "orchestrator", "translator", "writer"]
    assert semconv.TASK_STATE_FAILED in choices.states and semconv.TASK_STATE_COMPLETED in choices.states
    assert all(state in semconv.TASK_STATES for state in choices.states)


def test_one_conversation_is_every_record_of_its_traces(source: ConversationSource) -> None:
    record = source.conversation(FAILED_CONVERSATION)
    assert record.conversation_id == FAILED_CONVERSATION and len(record.trace_ids) == 1
    assert {s.trace_id for s in record.spans} == set(record.trace_ids)
    assert len(record.spans) == 9
    assert [s.start_ns for s in record.spans] == sorted(s.start_ns for s in record.spans)
    assert {e.span_id for e in record.events} <= {s.span_id for s in record.spans}
    assert [e.time_ns for e in record.events] == sorted(e.time_ns for e in record.events)
    failed = [s for s in record.spans if s.status_code == "ERROR"]
    assert failed and all(isinstance(s.attributes, dict) for s in record.spans)
    assert any(s.agent_name == "translator" for s in failed)
    assert len(source.conversation(GREETER).trace_ids) == 2
    assert record.logs and all(
        log.trace_id in record.trace_ids or log.conversation_id == FAILED_CONVERSATION for log in record.logs
    )
    empty = source.conversation("no-such-conversation")
    assert (empty.spans, empty.events, empty.logs) == ([], [], [])


def test_the_same_conversation_rebuilds_to_the_same_transcript(
    source: ConversationSource, tmp_path_factory: pytest.TempPathFactory
) -> None:
    reference = open_source(fixture_store(tmp_path_factory.mktemp("reference")))
    try:
        for conversation_id in OLDEST_FIRST:
            expected = to_markdown(build(reference.conversation(conversation_id)))
            assert to_markdown(build(source.conversation(conversation_id))) == expected
            assert conversation_id in expected
    finally:
        reference.close()


def test_a_trace_by_id(source: ConversationSource) -> None:
    trace_id = source.conversation(GREETER).trace_ids[1]
    record = source.trace(trace_id)
    assert record.conversation_id == f"trace:{trace_id}" and record.trace_ids == [trace_id]
    assert record.spans and {s.trace_id for s in record.spans} == {trace_id}
    assert source.trace("0" * 32).spans == []


def test_task_history(source: ConversationSource) -> None:
    record = source.conversation(CHAIN)
    task_id = next(s.task_id for s in record.spans if s.task_id and s.agent_name == "orchestrator")
    history = source.task_history(task_id)
    assert history is not None
    assert history.task.conversation_id == CHAIN and history.task.agent_name == "orchestrator"
    assert history.task.state == semconv.TASK_STATE_COMPLETED
    assert history.transitions[-1].state == semconv.TASK_STATE_COMPLETED
    assert [t.time_ns for t in history.transitions] == sorted(t.time_ns for t in history.transitions)
    assert history.spans and all(s.task_id == task_id for s in history.spans)
    assert history.messages and history.artifacts
    assert source.task_history("no-such-task") is None


def test_stats(source: ConversationSource) -> None:
    stats = source.stats()
    assert stats.conversations == 3 and stats.traces == 4
    assert stats.spans == sum(s.spans for s in source.list_conversations())
    assert stats.logs >= 0


def test_refresh_without_new_data_brings_nothing(source: ConversationSource, backend: Backend) -> None:
    assert source.live is backend.live
    assert source.refresh() is False
    assert ids(source.list_conversations()) == OLDEST_FIRST[::-1]


def test_unknown_schemes_and_missing_stores_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"unknown store scheme gopher://; known: .*duckdb://"):
        open_source("gopher://example/store")
    with pytest.raises(StoreError, match="no such store file"):
        open_source(tmp_path / "missing.duckdb")
    with pytest.raises(StoreError, match="no such store file"):
        open_source(f"duckdb://{tmp_path}/missing.duckdb")
    with pytest.raises(StoreError, match="is a folder, not a store file"):
        open_source(tmp_path)


@pytest.mark.parametrize("live", [b for b in BACKENDS if b.name == "collector"], ids=lambda b: b.name)
def test_a_collectors_source_shows_what_arrived_after_a_refresh(live: Backend, tmp_path: Path) -> None:
    from tests.support.store import post

    with live.make(tmp_path) as url:
        source = open_source(url)
        try:
            span = {
                "traceId": "ab" * 16,
                "spanId": "cd" * 8,
                "name": "SendMessage",
                "kind": 2,
                "startTimeUnixNano": "1900000000000000000",
                "endTimeUnixNano": "1900000000100000000",
                "attributes": [
                    {"key": semconv.GEN_AI_CONVERSATION_ID, "value": {"stringValue": "arrived-later"}},
                    {"key": semconv.GEN_AI_AGENT_NAME, "value": {"stringValue": "late"}},
                ],
            }
            body = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {}, "spans": [span]}]}]}
            status, _, answer = post(f"{url}/v1/traces", json.dumps(body).encode(), "application/json")
            assert status == 200, answer
            assert "arrived-later" not in source.conversation_ids(), "a snapshot does not change"
            assert source.refresh() is True
            assert source.list_conversations(limit=1)[0].conversation_id == "arrived-later"
            assert source.list_conversations(ConversationFilter(agent="late"))[0].agents == ["late"]
        finally:
            source.close()
