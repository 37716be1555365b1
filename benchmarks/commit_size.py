"""What DuckDB's insert and commit cost a span, by how many spans a transaction holds.

Not a test. The receiver acknowledges a request only once its spans are committed, so the size
of its transactions is set by how many requests wait together; `benchmarks/ingest.py` prints
how many that was. This script takes the writer's own Arrow tables (the spans and span_events
of `ingest.py`'s batches, converted before the clock starts) and inserts them the writer's
way (one statement per table and one for the ledger's rows, the writer's connection settings)
in transactions of 512 spans (one request) up to all of them in one, and prints the CPU time a
span takes in each, against the one transaction as baseline. The sizes are interleaved round
by round, each into a new file, so machine noise hits them alike; the best round of each is
printed.

    python benchmarks/commit_size.py --spans 102400 --rounds 3
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import BATCH, make_batches

SIZES = (512, 1024, 2048, 4096, 16384)
"""Spans per transaction; the baseline, everything in one, is added to these."""


def insert_all(db: Path, total: int, per_commit: int, prepared: list) -> float:
    """CPU seconds (this process, DuckDB's threads included) to insert ``total`` spans in
    transactions of ``per_commit``, closing (checkpointing) the file at the end."""
    from a2a_observe.store.columnar import ArrowInserts
    from a2a_observe.store.rows import BATCH_COLUMNS, TABLE_COLUMNS
    from a2a_observe.store.schema import open_store
    from a2a_observe.store.writer import configure_writer

    con = open_store(db)
    configure_writer(con)
    inserts = ArrowInserts(con)
    tables = {name: [inserts.for_batch(batch, name) for batch in prepared] for name in TABLE_COLUMNS}
    requests = total // BATCH
    per_group = max(1, per_commit // BATCH)
    started = time.process_time()
    for first in range(0, requests, per_group):
        numbers = range(first, min(first + per_group, requests))
        con.execute("BEGIN TRANSACTION")
        for name, parts in tables.items():
            chosen = [parts[number % len(parts)] for number in numbers]
            chosen = [part for part in chosen if part.num_rows]
            if chosen:
                inserts.insert(con, name, inserts.concat(chosen))
        ledger = [(number + 1, time.time_ns(), "otlp traces", BATCH, 0, 0) for number in numbers]
        inserts.insert(con, "batches", inserts.table("batches", BATCH_COLUMNS, ledger))
        con.execute("COMMIT")
    con.close()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=102_400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from a2a_observe.store.sdk_rows import spans_batch

    prepared = [spans_batch(batch) for batch in make_batches()]
    total = args.spans // BATCH * BATCH
    sizes = [size for size in SIZES if size < total] + [total]
    best: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="a2a-observe-commit-size-") as folder:
        insert_all(Path(folder) / "warm.duckdb", BATCH * 8, BATCH, prepared)  # first-use costs
        for round_number in range(args.rounds):
            for size in sizes:
                seconds = insert_all(Path(folder) / f"{round_number}-{size}.duckdb", total, size, prepared)
                best[size] = min(best.get(size, seconds), seconds)
    baseline = best[total] / total
    print(f"{total:,} spans (and 3 events each), best of {args.rounds} rounds; CPU a span:")
    for size in sizes:
        label = "all in one" if size == total else f"{size:,} a commit"
        per_span = best[size] / total
        print(f"  {label:>16s}  {per_span * 1e6:6.1f} us  {per_span / baseline:5.2f}x")


if __name__ == "__main__":
    main()
