"""DuckDB and ClickHouse (the embedded engine, chdb) side by side on the same big store.

Builds the store of ``benchmarks/replay.py`` twice in one run: in DuckDB with that script's
generator, and in chdb in the OpenTelemetry Collector's clickhouseexporter schema
(``otel_traces``) with ClickHouse's own bulk insert from ``numbers()``: the same conversations
(ordinary three-span turns, every 97th failed) and the same 10,000-event streaming conversation.
Checks that both give the same listing and the same rebuilt conversation, then times what the
debugger does on each (list the newest conversations, list with filters, rebuild the big one)
and prints ClickHouse's time as a ratio of DuckDB's.

    python benchmarks/clickhouse.py [--spans 1000000] [--repeat 7] [--index]

``--index`` applies ``conversation_index.sql`` (bloom filters on the conversation, task and
agent attributes) to the ClickHouse table before the reads.

Both engines run in this process on the same cores; run it on a quiet machine, several times.
"""

# ruff: noqa: E501 - the generating SQL reads better unwrapped
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from replay import BIG, CHUNKS, T0, generate, timed

from a2a_observe import semconv
from a2a_observe.replay import rebuild
from a2a_observe.store.clickhouse.client import connect
from a2a_observe.store.clickhouse.location import parse_location
from a2a_observe.store.clickhouse.schema import INDEX_FILE, create_tables, statements
from a2a_observe.store.opening import open_source
from a2a_observe.store.records import ConversationFilter

COLUMNS = (
    "Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, ResourceAttributes, "
    "ScopeName, SpanAttributes, Duration, StatusCode, `Events.Timestamp`, `Events.Name`, `Events.Attributes`"
)


def _ns(expression: str) -> str:
    return f"fromUnixTimestamp64Nano(toInt64({expression}))"


def _md5(expression: str, length: int = 32) -> str:
    return f"substring(lower(hex(MD5({expression}))), 1, {length})"


def generate_clickhouse(url: str, spans: int, index: bool = False) -> None:
    """The same data as ``replay.generate``, as the exporter's rows."""
    client = connect(parse_location(url))
    create_tables(client)
    table = f"`{client.location.database}`.otel_traces"
    turns = max((spans - 3) // 3, 1)
    conversation = "concat('c-', toString(intDiv(t, 3)))"
    agent = "concat('agent-', toString(t % 20))"
    status = semconv.EVENT_TASK_STATUS
    state = semconv.A2A_TASK_STATE
    client.command(
        f"""INSERT INTO {table} ({COLUMNS})
        SELECT
            {_ns(f"{T0} + t * 1000000 + k * 1000")},
            {_md5("toString(t)")},
            {_md5("concat(toString(t), '-', toString(k))", 16)},
            if(k = 0, '', {_md5("concat(toString(t), '-', toString(k - 1))", 16)}),
            if(k = 2, concat('invoke_agent ', {agent}), '{semconv.SEND_MESSAGE}'),
            ['Client', 'Server', 'Internal'][k + 1],
            'bench',
            map('service.name', 'bench'),
            '{semconv.INSTRUMENTATION_SCOPE}',
            mapFilter((key, value) -> value != '', map(
                '{semconv.GEN_AI_CONVERSATION_ID}', {conversation},
                '{semconv.A2A_TASK_ID}', concat('t-', toString(t)),
                '{semconv.GEN_AI_AGENT_NAME}', {agent},
                '{state}', 'completed',
                '{semconv.GEN_AI_OPERATION_NAME}', if(k = 2, '{semconv.OPERATION_INVOKE_AGENT}', ''),
                '{semconv.A2A_METHOD_NAME}', if(k < 2, '{semconv.SEND_MESSAGE}', ''),
                '{semconv.A2A_MESSAGE_ID}', if(k < 2, concat('m-', toString(t)), ''),
                '{semconv.A2A_MESSAGE_ROLE}', if(k < 2, 'user', ''))),
            900000 - k * 2000,
            if(t % 97 = 0, 'Error', 'Unset'),
            if(k = 2, arrayMap(e -> {_ns(f"{T0} + t * 1000000 + k * 1000 + 100 + e")}, range(4)), []),
            if(k = 2, ['{status}', '{status}', '{semconv.EVENT_ARTIFACT}', '{status}'], []),
            if(k = 2, [map('{state}', 'submitted'), map('{state}', 'working'),
                map('{semconv.A2A_ARTIFACT_ID}', 'a', '{semconv.A2A_ARTIFACT_NAME}', 'answer', '{semconv.A2A_ARTIFACT_APPEND}', 'false'),
                map('{semconv.A2A_TASK_FINAL}', 'true', '{state}', 'completed')], [])
        FROM (SELECT number AS t FROM numbers({turns})) ARRAY JOIN [0, 1, 2] AS k
        SETTINGS max_insert_threads = 2"""
    )
    start = T0 + turns * 1_000_000 + 10_000
    base = (
        f"'{BIG}' AS c, 'big-task' AS task, 'writer' AS agent, '{semconv.SEND_STREAMING_MESSAGE}' AS method"
    )
    chunk = (
        f"map('{semconv.A2A_ARTIFACT_ID}', 'draft', '{semconv.A2A_ARTIFACT_NAME}', 'draft', "
        f"'{semconv.A2A_ARTIFACT_APPEND}', if(i > 0, 'true', 'false'), "
        f"'{semconv.A2A_ARTIFACT_LAST_CHUNK}', if(i = {CHUNKS - 1}, 'true', 'false'), "
        f'\'{semconv.A2A_CONTENT}\', concat(\'[{{"kind":"text","media_type":null,"content":"word \', toString(i), \' "}}]\'))'
    )
    streamed = (
        f"map('{semconv.A2A_ARTIFACT_ID}', 'draft', '{semconv.A2A_STREAM_EVENT_KIND}', 'artifact-update', "
        f"'{semconv.A2A_STREAM_EVENT_INDEX}', toString(i), '{semconv.A2A_ARTIFACT_APPEND}', if(i > 0, 'true', 'false'))"
    )
    for span_id, parent, name, kind, offset in (
        ("c" * 16, "", semconv.SEND_STREAMING_MESSAGE, "Client", 0),
        ("d" * 16, "c" * 16, semconv.SEND_STREAMING_MESSAGE, "Server", 10),
        ("e" * 16, "d" * 16, "invoke_agent writer", "Internal", 20),
    ):
        agent_span = kind == "Internal"
        attributes = (
            f"map('{semconv.GEN_AI_CONVERSATION_ID}', c, '{semconv.A2A_TASK_ID}', task, "
            f"'{semconv.GEN_AI_AGENT_NAME}', agent, "
            + (
                f"'{semconv.GEN_AI_OPERATION_NAME}', '{semconv.OPERATION_INVOKE_AGENT}')"
                if agent_span
                else f"'{semconv.A2A_METHOD_NAME}', method, '{semconv.A2A_STREAM_END}', 'completed')"
            )
        )
        first = 100 if agent_span else 150
        client.command(
            f"""INSERT INTO {table} ({COLUMNS})
            SELECT {_ns(start + offset)}, '{"f" * 32}', '{span_id}', '{parent}', '{name}', '{kind}', 'bench',
                map('service.name', 'bench'), '{semconv.INSTRUMENTATION_SCOPE}', {attributes},
                {10_000_000 - 2 * offset}, 'Unset',
                arrayMap(i -> {_ns(f"{start} + {first} + i * 100")}, range({CHUNKS})),
                arrayMap(i -> '{semconv.EVENT_ARTIFACT if agent_span else semconv.EVENT_STREAM}', range({CHUNKS})),
                arrayMap(i -> {chunk if agent_span else streamed}, range({CHUNKS}))
            FROM (SELECT {base})"""
        )
    client.command(f"OPTIMIZE TABLE {table} FINAL")
    if index:
        for statement in statements(client.location.database, INDEX_FILE):
            wait = " SETTINGS mutations_sync = 2" if "MATERIALIZE" in statement else ""
            client.command(statement + wait)
    client.close()


def steps(model: object) -> tuple[int, int, int]:
    turns = model.turns  # type: ignore[attr-defined]
    events = sum(len(t.transitions) + sum(a.chunk_count for a in t.artifacts) for t in model.exchanges())  # type: ignore[attr-defined]
    return len(turns), events, turns[0].artifacts[0].chunk_count


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7, help="runs of each read; the median is printed")
    parser.add_argument("--index", action="store_true", help="apply conversation_index.sql in ClickHouse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="a2a-observe-bench-") as tmp:
        db = Path(tmp) / "bench.duckdb"
        url = f"chdb://{Path(tmp) / 'chdb'}"
        began = time.perf_counter()
        generate(db, args.spans)
        duck_built = time.perf_counter() - began
        began = time.perf_counter()
        generate_clickhouse(url, args.spans, args.index)
        ch_built = time.perf_counter() - began
        duckdb, clickhouse = open_source(db, hold=True), open_source(url)
        stats = duckdb.stats(), clickhouse.stats()
        assert stats[0].spans == stats[1].spans and stats[0].conversations == stats[1].conversations, stats
        print(f"store: {stats[0].spans:,} spans, {stats[0].conversations:,} conversations")
        indexed = ", with conversation_index.sql" if args.index else ""
        print(f"  built in {duck_built:.1f} s (DuckDB), {ch_built:.1f} s (chdb{indexed})")
        reads = {
            "list the newest 100 conversations": lambda s: [
                c.conversation_id for c in s.list_conversations(limit=100)
            ],
            "list with filters (agent, errors)": lambda s: [
                c.conversation_id
                for c in s.list_conversations(
                    ConversationFilter(agent="agent-3", errors_only=True), limit=100
                )
            ],
            f"rebuild the {3 * CHUNKS:,}-event conversation": lambda s: steps(rebuild(s, BIG)),
        }
        print(f"{'':45} {'DuckDB':>9} {'chdb':>9} {'chdb/DuckDB':>12}")
        for name, read in reads.items():
            duck_ms, duck_value = timed(lambda read=read: read(duckdb), args.repeat)
            ch_ms, ch_value = timed(lambda read=read: read(clickhouse), args.repeat)
            assert duck_value == ch_value, (name, duck_value, ch_value)
            print(f"{name:45} {duck_ms:7.0f}ms {ch_ms:7.0f}ms {ch_ms / duck_ms:11.1f}x")
        duckdb.close()
        clickhouse.close()


if __name__ == "__main__":
    main()
