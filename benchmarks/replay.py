"""Replay on a big store: list conversations and rebuild a 10,000-event conversation.

Builds a store of one million spans (``--spans``) with DuckDB's own bulk insert from generated
rows in the store's schema: ordinary three-span turns (CLIENT, SERVER, ``invoke_agent`` with
its state and artifact events) spread over many conversations, plus one streaming conversation
whose agent sent ~3,300 chunks, seen by the agent, the server and the client: 10,000 events.
Then it times what the debugger does first: list the newest conversations, and open the big one.

    python benchmarks/replay.py [--spans 1000000] [--keep store.duckdb]

Targets: list under 300 ms, rebuild under 200 ms.
"""

# ruff: noqa: E501 - the generating SQL reads better unwrapped
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from a2a_observe import semconv
from a2a_observe.replay import rebuild
from a2a_observe.store.opening import open_source
from a2a_observe.store.records import ConversationFilter
from a2a_observe.store.schema import open_store

BIG = "big-conversation"
CHUNKS = 3333
T0 = 1_700_000_000_000_000_000


def _json(pairs: dict[str, str]) -> str:
    """SQL building a JSON object from SQL expressions, keys quoted once here."""
    return "json_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs.items()) + ")::JSON"


def generate(db: Path, spans: int) -> None:
    con = open_store(db)
    turns = max((spans - 3) // 3, 1)
    per_conversation = 3
    kinds = "['CLIENT', 'SERVER', 'INTERNAL']"
    con.execute(
        f"""
        INSERT INTO resources VALUES ('r1', 'bench', '{{"service.name":"bench"}}', NULL);
        CREATE TEMP TABLE gen AS
        SELECT t, k,
            md5(t::VARCHAR) AS trace_id,
            substr(md5(t::VARCHAR || '-' || k::VARCHAR), 1, 16) AS span_id,
            CASE WHEN k = 0 THEN NULL ELSE substr(md5(t::VARCHAR || '-' || (k - 1)::VARCHAR), 1, 16) END AS parent,
            'c-' || (t // {per_conversation})::VARCHAR AS conversation_id,
            't-' || t::VARCHAR AS task_id,
            'agent-' || (t % 20)::VARCHAR AS agent_name,
            {T0} + t * 1000000 + k * 1000 AS start_ns
        FROM range({turns}) r(t), range(3) q(k);
        INSERT INTO spans
        SELECT trace_id, span_id, parent, NULL, k > 0,
            CASE WHEN k = 2 THEN 'invoke_agent ' || agent_name ELSE '{semconv.SEND_MESSAGE}' END,
            {kinds}[k + 1], start_ns, start_ns + 900000 - k * 2000, 900000 - k * 2000,
            CASE WHEN t % 97 = 0 THEN 'ERROR' ELSE 'UNSET' END, NULL, 'r1', 'bench', '{
            semconv.INSTRUMENTATION_SCOPE
        }', NULL,
            {
            _json(
                {
                    semconv.GEN_AI_CONVERSATION_ID: "conversation_id",
                    semconv.A2A_TASK_ID: "task_id",
                    semconv.GEN_AI_AGENT_NAME: "agent_name",
                    semconv.A2A_TASK_STATE: "'completed'",
                    semconv.GEN_AI_OPERATION_NAME: f"CASE WHEN k = 2 THEN '{semconv.OPERATION_INVOKE_AGENT}' END",
                    semconv.A2A_METHOD_NAME: f"CASE WHEN k < 2 THEN '{semconv.SEND_MESSAGE}' END",
                    semconv.A2A_MESSAGE_ID: "CASE WHEN k < 2 THEN 'm-' || t::VARCHAR END",
                    semconv.A2A_MESSAGE_ROLE: "CASE WHEN k < 2 THEN 'user' END",
                }
            )
        },
            0, 0, 0, conversation_id, task_id, agent_name,
            CASE WHEN k < 2 THEN '{semconv.SEND_MESSAGE}' END, 'completed',
            CASE WHEN k < 2 THEN 'm-' || t::VARCHAR END, CASE WHEN t % 97 = 0 THEN 'RuntimeError' END
        FROM gen;
        INSERT INTO span_events
        SELECT trace_id, span_id, e, start_ns + 100 + e,
            CASE WHEN e = 2 THEN '{semconv.EVENT_ARTIFACT}' ELSE '{semconv.EVENT_TASK_STATUS}' END,
            CASE e WHEN 0 THEN '{{"a2a.task.state":"submitted"}}' WHEN 1 THEN '{{"a2a.task.state":"working"}}'
                WHEN 2 THEN '{{"a2a.artifact.id":"a","a2a.artifact.name":"answer","a2a.artifact.append":false}}'
                ELSE '{{"a2a.task.final":true,"a2a.task.state":"completed"}}' END::JSON,
            0, NULL,
            CASE e WHEN 0 THEN 'submitted' WHEN 1 THEN 'working' WHEN 3 THEN 'completed' END,
            CASE WHEN e = 2 THEN 'a' END, NULL
        FROM gen, range(4) r(e) WHERE k = 2;
        """
    )
    big_trace = "f" * 32
    ids = {"client": "c" * 16, "server": "d" * 16, "agent": "e" * 16}
    start = T0 + turns * 1_000_000 + 10_000
    rows = [
        (ids["client"], None, semconv.SEND_STREAMING_MESSAGE, "CLIENT", 0),
        (ids["server"], ids["client"], semconv.SEND_STREAMING_MESSAGE, "SERVER", 10),
        (ids["agent"], ids["server"], "invoke_agent writer", "INTERNAL", 20),
    ]
    for span_id, parent, name, kind, offset in rows:
        method = None if kind == "INTERNAL" else semconv.SEND_STREAMING_MESSAGE
        attrs = (
            f'{{"{semconv.GEN_AI_CONVERSATION_ID}":"{BIG}","{semconv.A2A_TASK_ID}":"big-task",'
            f'"{semconv.GEN_AI_AGENT_NAME}":"writer",'
            + (
                f'"{semconv.GEN_AI_OPERATION_NAME}":"{semconv.OPERATION_INVOKE_AGENT}"}}'
                if method is None
                else f'"{semconv.A2A_METHOD_NAME}":"{method}","{semconv.A2A_STREAM_END}":"completed"}}'
            )
        )
        con.execute(
            "INSERT INTO spans VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, 'UNSET', NULL, 'r1', 'bench', ?, NULL, ?, "
            "0, 0, 0, ?, 'big-task', 'writer', ?, 'completed', NULL, NULL)",
            [
                big_trace,
                span_id,
                parent,
                parent is not None,
                name,
                kind,
                start + offset,
                start + 10_000_000 - offset,
                10_000_000 - 2 * offset,
                semconv.INSTRUMENTATION_SCOPE,
                attrs,
                BIG,
                method,
            ],
        )
    event = semconv.EVENT_ARTIFACT
    stream = semconv.EVENT_STREAM
    con.execute(
        f"""
        INSERT INTO span_events
        SELECT '{big_trace}', '{ids["agent"]}', i, {start} + 100 + i * 100, '{event}',
            json_object('a2a.artifact.id', 'draft', 'a2a.artifact.name', 'draft', 'a2a.artifact.append', i > 0,
                'a2a.artifact.last_chunk', i = {CHUNKS - 1}, 'a2a.content',
                '[{{"kind": "text", "media_type": null, "content": "word ' || i::VARCHAR || ' "}}]')::JSON,
            0, NULL, NULL, 'draft', NULL
        FROM range({CHUNKS}) r(i);
        INSERT INTO span_events
        SELECT '{big_trace}', s.id, i, {start} + 150 + i * 100, '{stream}',
            json_object('a2a.artifact.id', 'draft', 'a2a.stream.event.kind', 'artifact-update',
                'a2a.stream.event.index', i, 'a2a.artifact.append', i > 0)::JSON,
            0, NULL, NULL, 'draft', NULL
        FROM range({CHUNKS}) r(i), (VALUES ('{ids["server"]}'), ('{ids["client"]}')) s(id);
        """
    )
    con.execute("CHECKPOINT")
    con.close()


def timed(fn: object, repeat: int = 7) -> tuple[float, object]:
    results = []
    value = None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()  # type: ignore[operator]
        results.append((time.perf_counter() - start) * 1000)
    return statistics.median(results), value


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="write the store here and keep it")
    args = parser.parse_args()
    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        db = args.keep or Path(tmp) / "replay-bench.duckdb"
        if db.exists():
            db.unlink()
        began = time.perf_counter()
        generate(db, args.spans)
        built = time.perf_counter() - began
        con = duckdb.connect(str(db), read_only=True)
        counts = con.execute(
            "SELECT (SELECT count(*) FROM spans), (SELECT count(*) FROM span_events), "
            "(SELECT count(DISTINCT conversation_id) FROM spans)"
        ).fetchone()
        con.close()
        assert counts is not None
        print(
            f"store: {counts[0]:,} spans, {counts[1]:,} events, {counts[2]:,} conversations ({built:.1f} s to build)"
        )
        source = open_source(db, hold=True)
        listing, rows = timed(lambda: source.list_conversations(limit=100))
        print(f"list the newest 100 conversations: {listing:.0f} ms (target < 300 ms; {len(rows)} rows)")  # type: ignore[arg-type]
        filtered, _ = timed(
            lambda: source.list_conversations(
                ConversationFilter(agent="agent-3", errors_only=True), limit=100
            )
        )
        print(f"list with filters (agent, errors): {filtered:.0f} ms")
        rebuilt, model = timed(lambda: rebuild(source, BIG))
        events = sum(
            len(t.transitions) + sum(a.chunk_count for a in t.artifacts)
            for t in model.exchanges()  # type: ignore[attr-defined]
        )
        print(
            f"rebuild the {counts[1] and 3 * CHUNKS:,}-event conversation: {rebuilt:.0f} ms (target < 200 ms)"
        )
        print(
            f"  -> {len(model.turns)} turn, {events} steps, artifact chunks {model.turns[0].artifacts[0].chunk_count}"
        )  # type: ignore[attr-defined]
        source.close()


if __name__ == "__main__":
    main()
