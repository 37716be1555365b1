"""CPU time of the receiver's span decoders on the benchmark's spans, row path against columns.

Not a test. Decodes the requests `benchmarks/ingest.py` sends (8 of 512 spans, ~15 attributes
and 3 events each, already parsed from protobuf) with the row decoder, which weighs every value
against the limits, and with the column decoder the receiver uses, in turn, and prints the best
of ``--rounds`` in CPU time (process time, so a shared machine's load counts less than in wall
time) and their ratio.

    python benchmarks/receiver_decode.py --rounds 5
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def main() -> None:
    from ingest import make_batches
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    from a2a_observe.store import otlp_columns, otlp_rows

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    requests = [
        ExportTraceServiceRequest.FromString(encode_spans(batch).SerializeToString())
        for batch in make_batches()
    ]
    spans = sum(len(s.spans) for r in requests for rs in r.resource_spans for s in rs.scope_spans)
    decoders: dict[str, Callable[[ExportTraceServiceRequest], object]] = {
        "rows": otlp_rows.traces_batch,
        "columns": otlp_columns.traces_batch,
    }
    best = dict.fromkeys(decoders, float("inf"))
    for _ in range(args.rounds):
        for name, decoder in decoders.items():
            started = time.process_time()
            for request in requests:
                decoder(request)
            best[name] = min(best[name], time.process_time() - started)
    for name, seconds in best.items():
        print(f"{name:8s} {spans / seconds:>9,.0f} spans/s of CPU  ({seconds / spans * 1e6:5.1f} µs a span)")
    one, five, _ = os.getloadavg()
    print(f"columns / rows: {best['rows'] / best['columns']:.2f}x; load average {one:.2f}, {five:.2f}")


if __name__ == "__main__":
    main()
