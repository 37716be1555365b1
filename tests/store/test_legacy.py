"""A store written by the version before the OpenTelemetry A2A conventions still opens, lists,
replays and audits, in the conventions' values: read as it is, and migrated when opened for
writing. ``tests/data/store_v1.duckdb.gz`` was written by that version's own code."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from a2a_observe import semconv
from a2a_observe.replay import open_store, rebuild
from a2a_observe.replay.audits import audit
from a2a_observe.store.duckdb_source import task_history
from a2a_observe.store.records import ConversationFilter
from a2a_observe.store.schema import SCHEMA_VERSION
from a2a_observe.store.schema import open_store as open_for_writing
from a2a_observe.store.snapshot import open_snapshot
from tests.support.paths import DATA

OLD_STORE = DATA / "store_v1.duckdb.gz"
STATES = set(semconv.TASK_STATES)


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    target = tmp_path / "old.duckdb"
    with gzip.open(OLD_STORE, "rb") as source, target.open("wb") as out:
        shutil.copyfileobj(source, out)
    return target


def _models(db: Path) -> dict[str, object]:
    con = open_store(db)
    return {c.conversation_id: rebuild(con, c.conversation_id) for c in con.list_conversations()}


def _check_values(db: Path) -> None:
    con = open_store(db)
    conversations = con.list_conversations()
    assert len(conversations) == 3
    assert {c.last_task_state for c in conversations} == {
        semconv.TASK_STATE_COMPLETED,
        semconv.TASK_STATE_FAILED,
    }
    assert [
        c.conversation_id for c in con.list_conversations(ConversationFilter(state=semconv.TASK_STATE_FAILED))
    ]
    states: list[str] = []
    errors: list[tuple[str, str | None]] = []
    for summary in conversations:
        model = rebuild(con, summary.conversation_id)
        for exchange in model.exchanges():
            states += [t.state for t in exchange.transitions]
            states += [t.from_state for t in exchange.transitions if t.from_state]
            if exchange.final_state:
                states.append(exchange.final_state)
            if exchange.error is not None:
                errors.append((exchange.error.side, exchange.error.error_type))
        for span in model.spans.values():
            if span.task_state is not None:
                states.append(span.task_state)
            if semconv.A2A_TASK_STATE in span.attributes:
                states.append(span.attributes[semconv.A2A_TASK_STATE])
            assert semconv.RPC_METHOD_ORIGINAL not in span.attributes
        audit(model)  # the audits run over the mapped values without tripping
    assert set(states) <= STATES, set(states) - STATES
    assert semconv.TASK_STATE_INPUT_REQUIRED in states and semconv.TASK_STATE_FAILED in states
    # The agent span an earlier version made still owns the agent's error; the calls' class
    # names became the gRPC status the wire carried.
    assert ("agent", "RuntimeError") in errors
    con = open_store(db)
    calls = (
        open_snapshot(db).execute("SELECT DISTINCT kind FROM spans WHERE error_type IS NOT NULL").fetchall()
    )
    assert {row[0] for row in calls} >= {"CLIENT", "SERVER"}
    for summary in conversations:
        for span in rebuild(con, summary.conversation_id).spans.values():
            if span.kind in ("CLIENT", "SERVER") and span.error_type is not None:
                assert span.error_type == "UNKNOWN", (span.name, span.error_type)


def test_an_old_store_reads_in_the_conventions_values_without_being_changed(old_store: Path) -> None:
    before = old_store.read_bytes()
    _check_values(old_store)
    assert old_store.read_bytes() == before, "reading never writes"


def test_opening_an_old_store_for_writing_migrates_it_once(old_store: Path) -> None:
    unmigrated = _models(old_store)
    con = open_for_writing(old_store)
    assert con.execute("SELECT max(version) FROM schema_version").fetchone() == (SCHEMA_VERSION,)
    spans = con.execute("SELECT DISTINCT task_state FROM spans WHERE task_state IS NOT NULL").fetchall()
    raw = {row[0] for row in spans}
    raw |= {
        row[0]
        for row in con.execute(
            "SELECT DISTINCT task_state FROM span_events WHERE task_state IS NOT NULL"
        ).fetchall()
    }
    assert raw <= STATES, "the columns themselves were rewritten"
    task_id = con.execute("SELECT task_id FROM tasks WHERE agent_name = 'greeter' LIMIT 1").fetchone()
    assert task_id is not None
    history = task_history(con, task_id[0])
    assert history is not None and {t.state for t in history.transitions} <= STATES
    con.close()
    _check_values(old_store)
    assert _models(old_store) == unmigrated, "migrated or not, the same replay"
    con = open_for_writing(old_store)
    assert con.execute("SELECT count(*) FROM schema_version").fetchone() == (SCHEMA_VERSION,)
    con.close()
