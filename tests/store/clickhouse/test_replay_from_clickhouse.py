"""The recorded demo network (real agents: a streamed three-agent chain, the same chain with a
failing translator, a greeter asked twice) sent over OTLP/HTTP to ``a2a-observe collect`` twice,
once writing a DuckDB file and once the embedded ClickHouse in the exporter's schema, replays,
audits and exports the same from both."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from a2a_observe.collect.otlp import JSON
from a2a_observe.collect.receiver import LOGS_PATH, TRACES_PATH
from a2a_observe.replay.audits import AuditSettings, audit
from a2a_observe.replay.check import check_store
from a2a_observe.replay.explain import describe, explain, newest_failed
from a2a_observe.replay.exports import export
from a2a_observe.replay.load import open_store, rebuild
from a2a_observe.store.source import ConversationSource
from tests.support.backends import FAILED_CONVERSATION, FIXTURE
from tests.support.clickhouse import chdb_url
from tests.support.store import post, receiver_in_thread

NOW = AuditSettings(now_ns=time.time_ns())
"""Ages (of a stuck task, say) measured at one time for both stores."""


def _same_ages(text: str) -> str:
    """The commands measure ages at the wall clock: a second may pass between two runs."""
    return re.sub(r"\d+ s\b", "N s", text)


def _collect(location: str | Path, sends: int = 1) -> None:
    """Every recorded request, posted as an agent's exporter posts it (``sends`` times: a
    retry after a lost answer sends the same request again)."""
    with receiver_in_thread(location) as (base, _):
        for line in FIXTURE.read_bytes().splitlines():
            if not line.strip():
                continue
            path = LOGS_PATH if b"resourceLogs" in line[:4096] else TRACES_PATH
            for _ in range(sends):
                status, _, body = post(base + path, line, JSON)
                assert status == 200, body


@pytest.fixture(scope="module")
def sources(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ConversationSource, ConversationSource]]:
    db = tmp_path_factory.mktemp("duckdb") / "collected.duckdb"
    url = chdb_url("collected")
    _collect(db)
    _collect(url)
    duckdb, clickhouse = open_store(db), open_store(url)
    try:
        yield duckdb, clickhouse
    finally:
        duckdb.close()
        clickhouse.close()


def test_the_same_conversations_with_the_same_logs(
    sources: tuple[ConversationSource, ConversationSource],
) -> None:
    duckdb, clickhouse = sources
    assert clickhouse.conversation_ids() == duckdb.conversation_ids()
    assert len(clickhouse.conversation_ids()) == 3
    assert clickhouse.stats() == duckdb.stats()
    failed_logs = clickhouse.conversation(FAILED_CONVERSATION).logs
    assert failed_logs, "the agents' log records (late events among them) are read from otel_logs"
    assert [(log.time_ns, log.body) for log in failed_logs] == [
        (log.time_ns, log.body) for log in duckdb.conversation(FAILED_CONVERSATION).logs
    ]


@pytest.mark.parametrize("fmt", ["markdown", "mermaid", "html"])
def test_every_conversation_replays_audits_and_exports_the_same(
    sources: tuple[ConversationSource, ConversationSource], fmt: str
) -> None:
    duckdb, clickhouse = sources
    for conversation_id in duckdb.conversation_ids():
        expected = rebuild(duckdb, conversation_id)
        got = rebuild(clickhouse, conversation_id)
        findings = audit(expected, NOW)
        assert audit(got, NOW) == findings
        assert export(got, fmt, audit(got, NOW)) == export(expected, fmt, findings)
        if fmt == "markdown":
            assert conversation_id in export(got, fmt)


def test_check_and_explain_say_the_same(sources: tuple[ConversationSource, ConversationSource]) -> None:
    duckdb, clickhouse = sources
    assert check_store(clickhouse, NOW) == check_store(duckdb, NOW)
    assert newest_failed(clickhouse) == newest_failed(duckdb) == FAILED_CONVERSATION
    text = describe(explain(rebuild(clickhouse, FAILED_CONVERSATION)))
    assert text == describe(explain(rebuild(duckdb, FAILED_CONVERSATION)))
    assert "translator" in text


def test_the_commands_take_the_store_url(
    sources: tuple[ConversationSource, ConversationSource], capsys: pytest.CaptureFixture[str]
) -> None:
    from a2a_observe.cli import main

    duckdb, clickhouse = sources
    url, path = clickhouse.label, duckdb.label
    outputs = []
    for store in (url, path):
        assert main(["export", FAILED_CONVERSATION[:8], "--db", store, "--format", "markdown"]) == 0
        outputs.append(capsys.readouterr().out)
    assert _same_ages(outputs[0]) == _same_ages(outputs[1]) and FAILED_CONVERSATION in outputs[0]
    checks = []
    for store in (url, path):
        assert main(["check", store, "--quiet", "--format", "json"]) == 1, "the failed chain is a finding"
        checks.append(capsys.readouterr().out)
    assert _same_ages(checks[0]) == _same_ages(checks[1])
    assert main(["redrive", FAILED_CONVERSATION, "--db", url, "--against", "http://127.0.0.1:9"]) == 2
    assert "give --out FILE" in capsys.readouterr().err


def test_a_retried_request_counts_once(sources: tuple[ConversationSource, ConversationSource]) -> None:
    """ClickHouse keeps both copies of a span a sender retried; the list and a conversation
    read it once, as the DuckDB store (which stores it once) does."""
    duckdb, _ = sources
    url = chdb_url("retried")
    _collect(url, sends=2)
    retried = open_store(url)
    try:
        assert retried.list_conversations() == duckdb.list_conversations()
        for summary in duckdb.list_conversations():
            ours = retried.conversation(summary.conversation_id)
            assert len(ours.spans) == len(duckdb.conversation(summary.conversation_id).spans)
    finally:
        retried.close()
