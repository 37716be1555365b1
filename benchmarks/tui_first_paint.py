"""How long the replay debugger takes to show the conversation list of a large store.

Not a test: it builds a store of one million spans (100,000 conversations of ten spans, with
task status events) in bulk with DuckDB SQL, then starts the debugger headless and prints the
time from launch to the first frame and to the first frame that shows conversation rows.

    python benchmarks/tui_first_paint.py                    # 1,000,000 spans in a temp dir
    python benchmarks/tui_first_paint.py --spans 200000
    python benchmarks/tui_first_paint.py --db big.duckdb    # build once, reuse next time
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from a2a_observe import semconv
from a2a_observe.store.schema import open_store

SPANS_PER_CONVERSATION = 10
AGENTS = ("orchestrator", "writer", "translator", "slow", "greeter", "relay", "planner")
BASE_NS = 1_700_000_000_000_000_000


def _json(value: dict[str, object]) -> str:
    return json.dumps(value).replace("'", "''")


def build_store(path: Path, spans: int) -> None:
    """Ten spans per conversation: a user's call, the agent's run, and four delegations."""
    conversations = spans // SPANS_PER_CONVERSATION
    con = open_store(path)
    agents = "[" + ", ".join(f"'{a}'" for a in AGENTS) + "]"
    resource = _json({semconv.SERVICE_NAME: "bench"})
    con.execute(f"INSERT INTO resources VALUES ('r1', 'bench', '{resource}', NULL)")
    con.execute(
        f"""
        INSERT INTO spans
        SELECT
            printf('%032x', c) AS trace_id,
            printf('%016x', c * 16 + s) AS span_id,
            CASE WHEN s = 0 THEN NULL ELSE printf('%016x', c * 16 + (s - 1) // 3 * 3) END,
            NULL, s > 0 AND s % 3 = 1,
            CASE s % 3 WHEN 0 THEN 'SendMessage' WHEN 1 THEN 'SendMessage'
                ELSE 'invoke_agent ' || {agents}[1 + (c + s) % {len(AGENTS)}] END AS name,
            CASE s % 3 WHEN 0 THEN 'CLIENT' WHEN 1 THEN 'SERVER' ELSE 'INTERNAL' END,
            {BASE_NS} + c * 1000000000 + s * 1000000 AS start_ns,
            {BASE_NS} + c * 1000000000 + 50000000 - s * 1000000 AS end_ns,
            50000000 - 2 * s * 1000000,
            CASE WHEN c % 17 = 0 AND s = 9 THEN 'ERROR' ELSE 'UNSET' END,
            NULL, 'r1', 'bench', '{semconv.INSTRUMENTATION_SCOPE}', '0.1.0',
            '{{"{semconv.A2A_METHOD_NAME}": "SendMessage"}}',
            0, 0, 0,
            printf('ctx-%08d', c),
            printf('task-%08d-%d', c, s // 3),
            {agents}[1 + (c + s) % {len(AGENTS)}],
            'SendMessage',
            CASE WHEN c % 17 = 0 THEN 'failed' ELSE 'completed' END,
            printf('msg-%08d-%d', c, s),
            CASE WHEN c % 17 = 0 AND s = 9 THEN 'RuntimeError' ELSE NULL END
        FROM range({conversations}) AS t(c), range({SPANS_PER_CONVERSATION}) AS u(s)
        """
    )
    con.execute(
        f"""
        INSERT INTO span_events
        SELECT trace_id, span_id, 0, start_ns + 1000, '{semconv.EVENT_TASK_STATUS}',
            '{{"{semconv.A2A_TASK_STATE}": "working"}}', 0, task_id, 'working', NULL, NULL
        FROM spans WHERE kind = 'INTERNAL'
        """
    )
    con.execute("CHECKPOINT")
    con.close()


async def first_paint(path: Path) -> tuple[float, float, int]:
    from a2a_observe.store.opening import open_source
    from a2a_observe.tui.app import ReplayApp

    started = time.perf_counter()
    app = ReplayApp(lambda: open_source(path, hold=True))
    frame = rows = 0.0
    async with app.run_test(size=(160, 48)) as pilot:
        frame = time.perf_counter() - started
        while not app.conversation_rows():
            await pilot.pause(0.005)
        rows = time.perf_counter() - started
        count = len(app.conversation_rows())
    return frame, rows, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="reuse (or build once) this store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="a2a-observe-bench-") as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        if not path.exists():
            began = time.perf_counter()
            build_store(path, args.spans)
            print(f"built {args.spans:,} spans in {time.perf_counter() - began:.1f} s: {path}")
        frame, rows, count = asyncio.run(first_paint(path))
        print(f"first frame        {frame * 1000:7.0f} ms")
        print(f"conversation list  {rows * 1000:7.0f} ms  ({count} rows shown)")


if __name__ == "__main__":
    main()
