"""CPU time of the receiver's span decoders on the benchmark's spans, row path against columns,
and against a native decoder.

Not a test. Decodes the requests `benchmarks/ingest.py` sends (8 of 512 spans, ~15 attributes
and 3 events each, already parsed from protobuf) with the row decoder, which weighs every value
against the limits, and with the column decoder the receiver uses, in turn, and prints the best
of ``--rounds`` in CPU time (process time, so a shared machine's load counts less than in wall
time) and their ratio.

Two more ways start from the bytes on the wire, as a receiver does: ``parse+columns`` (protobuf
parsing, then the column decoder) and, where chdb is installed (``pip install
'a2a-observe[chdb]'``), ``chdb``: embedded ClickHouse reading the same bytes with its Protobuf
input format against the OTLP schema (:data:`OTLP_PROTO`, a subset of
opentelemetry-proto's ``trace.proto``) and writing one Arrow row per span (ids, name, kind,
times, attribute keys and values, event names, status). It does less than the column decoder
(no limits, values as text), so it is a bound, not a replacement: what decoding costs once no
Python runs per span. chdb's threads count: process time covers them. ``chdb/request`` is
the same with one query a request, as a receiver answering each sender before the next
request would run it: every query pays chdb's fixed cost (planning the query over the nested
OTLP structure, starting its pipeline), several milliseconds of CPU, so that way shows how many
spans one query needs before the native decoder pays off.

    python benchmarks/receiver_decode.py --rounds 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))


OTLP_PROTO = """syntax = "proto3";
package bench;
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }
message InstrumentationScope { string name = 1; string version = 2; }
message Status { string message = 2; int32 code = 3; }
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9;
  repeated Event events = 11; Status status = 15;
}
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
"""
"""The OTLP trace messages chdb is told to read: the fields the store keeps, numbered as in
opentelemetry-proto (fields left out are skipped)."""

_KEY_VALUES = (
    "Array(Tuple(key String, value Tuple(string_value String, bool_value Bool, int_value Int64, "
    "double_value Float64, array_value Tuple(values Array(Tuple(string_value String, int_value Int64))))))"
)
_STRUCTURE = (
    f"resource_spans Array(Tuple(resource Tuple(attributes {_KEY_VALUES}), scope_spans Array(Tuple("
    "scope Tuple(name String, version String), spans Array(Tuple(trace_id String, span_id String, "
    "parent_span_id String, name String, kind Int32, start_time_unix_nano UInt64, "
    f"end_time_unix_nano UInt64, attributes {_KEY_VALUES}, events Array(Tuple(time_unix_nano UInt64, "
    f"name String, attributes {_KEY_VALUES})), status Tuple(message String, code Int32)))))))"
)


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def chdb_decoder(engine: Any, bodies: list[bytes], folder: Path, name: str) -> Callable[[], int]:
    """A call that decodes ``bodies`` (as received) with chdb into Arrow, in one query, and
    returns how many spans they hold (counted once, by chdb, beforehand)."""
    schema = folder / "otlp.proto"
    schema.write_text(OTLP_PROTO)
    data = folder / f"{name}.bin"
    data.write_bytes(b"".join(_varint(len(body)) + body for body in bodies))  # length-delimited
    query = f"""SELECT hex(s.trace_id) AS trace_id, hex(s.span_id) AS span_id,
        hex(s.parent_span_id) AS parent_span_id, s.name AS name, s.kind AS kind,
        s.start_time_unix_nano AS start_ns, s.end_time_unix_nano AS end_ns,
        arrayMap(a -> a.key, s.attributes) AS keys,
        arrayMap(a -> if(a.value.string_value != '', a.value.string_value,
            toString(a.value.int_value)), s.attributes) AS values,
        arrayMap(e -> e.name, s.events) AS events, s.status.code AS status
    FROM (SELECT arrayJoin(arrayFlatten(arrayMap(r -> arrayMap(x -> x.spans, r.scope_spans),
        resource_spans))) AS s FROM file('{data}', 'Protobuf', '{_STRUCTURE}'))
    SETTINGS format_schema = '{schema}:ExportTraceServiceRequest'"""
    flat, settings = query.split("SETTINGS")
    spans = int(str(engine.query(f"SELECT count() FROM ({flat}) SETTINGS {settings}", "CSV")).strip())

    def decode() -> int:
        engine.query(query, "Arrow")
        return spans

    return decode


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
    bodies = [request.SerializeToString() for request in requests]
    ways: dict[str, Callable[[], object]] = {
        name: (lambda decoder=decoder: [decoder(request) for request in requests])  # type: ignore[misc]
        for name, decoder in decoders.items()
    }
    ways["parse+columns"] = lambda: [
        otlp_columns.traces_batch(ExportTraceServiceRequest.FromString(body)) for body in bodies
    ]
    folder = Path(tempfile.mkdtemp(prefix="a2a-observe-decode-"))
    try:
        import chdb  # noqa: F401
    except ImportError:
        print("chdb is not installed: its way is left out")
    else:
        from chdb import session

        engine = session.Session()  # type: ignore[no-untyped-call]  # one engine a process
        decode = chdb_decoder(engine, bodies, folder, "all")
        each = [chdb_decoder(engine, [body], folder, f"request-{i}") for i, body in enumerate(bodies)]
        if decode() != spans or sum(one() for one in each) != spans:
            raise SystemExit(f"chdb read {decode()} spans, not {spans}")
        ways["chdb"] = decode
        ways["chdb/request"] = lambda: [one() for one in each]
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(args.rounds):
        for name, way in ways.items():
            started = time.process_time()
            way()
            best[name] = min(best[name], time.process_time() - started)
    shutil.rmtree(folder, ignore_errors=True)
    for name, seconds in best.items():
        print(f"{name:14s} {spans / seconds:>9,.0f} spans/s of CPU  ({seconds / spans * 1e6:5.1f} µs a span)")
    one, five, _ = os.getloadavg()
    print(f"columns / rows: {best['rows'] / best['columns']:.2f}x; load average {one:.2f}, {five:.2f}")
    if "chdb" in best:
        print(f"chdb / parse+columns: {best['parse+columns'] / best['chdb']:.2f}x", end="; ")
        fixed = (best["chdb/request"] - best["chdb"]) / (len(bodies) - 1)
        print(f"a chdb query's fixed cost: {fixed * 1e3:.1f} ms of CPU")


if __name__ == "__main__":
    main()
