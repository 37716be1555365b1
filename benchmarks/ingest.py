"""Spans per second into the store, through the in-process exporter and through the receiver.

Not a test: it prints figures next to a ceiling measured in the same run (DuckDB taking the
same rows in one go, the way the writer inserts them), so the ratios mean the same thing on any
machine. Every way is timed until the file holds everything, its final checkpoint included.
Each measurement runs in a fresh process and reports that process's peak memory, for two
volumes ten times apart.

    python benchmarks/ingest.py                 # 20,000 and 200,000 spans
    python benchmarks/ingest.py --spans 50000   # one volume, and ten times it
    python benchmarks/ingest.py --readers 1 --spans 200000 --rounds 3
    python benchmarks/ingest.py --compare --spans 51200 --rounds 3   # receiver / exporter

``--compare`` runs the ceiling, the exporter, the receiver and the receiver decoding in its own
threads (``collect --decoders 0``) in turn, ``--rounds`` times, and prints the receiver/exporter
ratio of each round, the CPU time a span takes in the exporter's process, the collector's and
its decoder processes, and how many requests the collector's commits held on average (see
``benchmarks/commit_size.py`` for what that size costs). ``--decoders N`` runs the receiver
with N decoder processes. With ``A2A_OBSERVE_INGEST_PROFILE=file.svg`` set, py-spy records a
flame graph of the collector (see ``benchmarks/profiles/README.md``).

``receiver+readers`` is the receiver again while other processes each poll it every second
through the read API (the live debugger polls every three); its ratio to ``receiver`` is what
readers cost ingest, and the readers' own CPU time is printed beside it. ``--readers N``
measures only that: the receiver alone and with N readers, in turn,
``--rounds`` times, and prints each ratio.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

BATCH = 512
"""Spans per export, as the SDK's BatchSpanProcessor sends them."""
POOL = 8
"""Distinct batches built once and exported in turn, so the input's memory does not grow."""


def make_batches() -> list[list]:
    """Batches of spans shaped like an A2A call: ids, ~15 attributes, a few events."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    from a2a_observe import semconv

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({semconv.SERVICE_NAME: "bench-agent"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer(semconv.INSTRUMENTATION_SCOPE, "0.1.0")
    for index in range(BATCH * POOL):
        attributes = {
            semconv.A2A_METHOD_NAME: semconv.SEND_STREAMING_MESSAGE,
            semconv.RPC_METHOD: semconv.SEND_STREAMING_MESSAGE,
            semconv.A2A_PROTOCOL_BINDING: semconv.BINDING_JSONRPC,
            semconv.RPC_SYSTEM_NAME: semconv.RPC_SYSTEM_JSONRPC,
            semconv.A2A_PROTOCOL_VERSION: "1.0",
            semconv.GEN_AI_AGENT_NAME: f"agent-{index % 7}",
            semconv.GEN_AI_AGENT_VERSION: "1.0.0",
            semconv.A2A_MESSAGE_ID: f"msg-{index}",
            semconv.A2A_MESSAGE_ROLE: "user",
            semconv.A2A_MESSAGE_PARTS_COUNT: 1,
            semconv.A2A_MESSAGE_PARTS_KINDS: ("text",),
            semconv.A2A_MESSAGE_SIZE: 120,
            semconv.A2A_TASK_ID: f"task-{index // 3}",
            semconv.GEN_AI_CONVERSATION_ID: f"ctx-{index // 9}",
            semconv.A2A_TASK_STATE: semconv.TASK_STATE_COMPLETED,
        }
        with tracer.start_as_current_span(
            semconv.SEND_STREAMING_MESSAGE, kind=SpanKind.SERVER, attributes=attributes
        ) as span:
            for state in (
                semconv.TASK_STATE_SUBMITTED,
                semconv.TASK_STATE_WORKING,
                semconv.TASK_STATE_COMPLETED,
            ):
                span.add_event(
                    semconv.EVENT_STREAM,
                    {semconv.A2A_STREAM_EVENT_KIND: "status-update", semconv.A2A_TASK_STATE: state},
                )
    spans = list(memory.get_finished_spans())
    return [spans[i : i + BATCH] for i in range(0, len(spans), BATCH)]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- one measurement per process ---------------------------------------------------------------
def run_exporter(total: int, db: Path) -> dict:
    from a2a_observe.store import DuckDBSpanExporter

    batches = make_batches()
    exporter = DuckDBSpanExporter(db, release_when_idle=None, max_pending=50 * BATCH)
    cpu = time.process_time()
    start = time.perf_counter()
    sent = 0
    while sent < total:
        if exporter.writer.pending > 40 * BATCH:
            time.sleep(0.001)  # what the SDK's processor sees as a full queue: it waits or drops
            continue
        exporter.export(batches[(sent // BATCH) % len(batches)])
        sent += BATCH
    exporter.shutdown()  # writes what is queued and checkpoints: the file then holds it all
    elapsed = time.perf_counter() - start
    return {
        "spans": sent,
        "seconds": elapsed,
        "dropped": exporter.dropped,
        "peak_mb": peak_rss_mb(),
        "cpu": time.process_time() - cpu,
    }


def run_ceiling(total: int, db: Path) -> dict:
    """The writer's own insertion (Arrow tables built from what the exporter's conversion gives,
    one transaction) on batches converted beforehand: what is left when converting SDK objects
    costs nothing."""
    from a2a_observe.store.columnar import ArrowInserts
    from a2a_observe.store.rows import TABLE_COLUMNS
    from a2a_observe.store.schema import open_store
    from a2a_observe.store.sdk_rows import spans_batch

    converted = [spans_batch(b) for b in make_batches()]

    def load(batches: list, into: Path) -> float:
        con = open_store(into)
        inserts = ArrowInserts(con)
        start = time.perf_counter()
        tables = []
        for table in TABLE_COLUMNS:
            parts = [arrow for batch in batches if (arrow := inserts.for_batch(batch, table)).num_rows]
            if parts:
                tables.append((table, inserts.concat(parts)))
        con.execute("BEGIN TRANSACTION")
        for table, arrow in tables:
            inserts.insert(con, table, arrow)
        con.execute("COMMIT")
        con.close()  # checkpoints, as the exporter's shutdown does
        return time.perf_counter() - start

    # Untimed first: a fresh process's first Arrow conversions and statements pay one-off
    # costs (lazy imports, DuckDB's first plans): 102,400 spans loaded as a fresh process's
    # first work went at 55,000-64,000 spans/s, the same load repeated at 90,000-95,000.
    warm = db.with_name(db.stem + "-warm-up.duckdb")
    load(converted, warm)
    warm.unlink()
    batches = [converted[index % len(converted)] for index in range(total // BATCH)]
    elapsed = load(batches, db)
    return {"spans": len(batches) * BATCH, "seconds": elapsed, "peak_mb": peak_rss_mb()}


def _collector_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


BODY_INTERVAL_NS = 10_000_000
"""How much later each request's spans start than the previous one's, as in a live stream."""


def _unique_bodies(total: int) -> list[bytes]:
    """One body per request, each with its own trace ids and later times: the collector stores a
    span it already holds only once, so sending the same bodies in turn would measure nothing,
    and it remembers recent spans by time, so times that never moved on would not be live traffic."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    requests = [encode_spans(b) for b in make_batches()]
    first = [
        min(
            span.start_time_unix_nano for rs in r.resource_spans for ss in rs.scope_spans for span in ss.spans
        )
        for r in requests
    ]
    shifted = [0] * len(requests)
    bodies = []
    for number in range(total // BATCH):
        pooled = number % len(requests)
        request = requests[pooled]
        prefix = number.to_bytes(4, "big")
        later = first[0] + number * BODY_INTERVAL_NS - first[pooled] - shifted[pooled]
        shifted[pooled] += later
        for resource_spans in request.resource_spans:
            for scope in resource_spans.scope_spans:
                for span in scope.spans:
                    span.trace_id = prefix + span.trace_id[4:]
                    span.start_time_unix_nano += later
                    span.end_time_unix_nano += later
                    for event in span.events:
                        event.time_unix_nano += later
        bodies.append(gzip.compress(request.SerializeToString()))
    return bodies


READER = """
import json, resource, signal, sys, time

from a2a_observe.store import open_source
from a2a_observe.store.errors import StoreError


stopping = []


def stop(*_):
    stopping.append(True)  # raising here would interrupt a query half-way


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


signal.signal(signal.SIGTERM, stop)
started, polls, failures, source = cpu(), 0, 0, None
while not stopping:
    try:
        if source is None:
            source = open_source(sys.argv[1])
        else:
            source.refresh()
        source.list_conversations(limit=50)
        polls += 1
    except StoreError as exc:
        failures += 1
        print(f"reader: {exc}", file=sys.stderr, flush=True)
    for _ in range(20):
        if not stopping:
            time.sleep(0.05)
print(json.dumps({"polls": polls, "failures": failures, "cpu": cpu() - started}), flush=True)
"""
"""A reader polling every second through the read API (three times as often as the live
debugger): it opens the store by its path (which leads it to the collector), then refreshes and
reads the first page of the conversation list, as the debugger does after a change. A failed
poll is reported and retried a second later. At the end it prints its CPU time after imports."""


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu(pid: int) -> dict[int, float]:
    """CPU time of each child of a process (the collector's decoder processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return {int(child): _cpu_seconds(int(child)) for child in children.read_text().split()}
    except OSError:  # a child that has just exited
        return {}


def run_receiver_read(total: int, db: Path, readers: int = 2) -> dict:
    """The receiver while reader processes poll it every second."""
    return run_receiver(total, db, readers=readers)


DECODERS: int | None = None
"""``collect --decoders`` for the receiver ways (``--decoders``); None leaves the default."""
PROFILE = os.environ.get("A2A_OBSERVE_INGEST_PROFILE")
"""A path for a py-spy flame graph of the collector process (see ``benchmarks/profiles``)."""


def run_receiver_in_process(total: int, db: Path) -> dict:
    """The receiver decoding in its own threads, without a decoder process."""
    return run_receiver(total, db, decoders=0)


def run_receiver(total: int, db: Path, readers: int = 0, decoders: int | None = None) -> dict:
    bodies = _unique_bodies(total)
    decoders = decoders if decoders is not None else DECODERS
    options = [] if decoders is None else ["--decoders", str(decoders)]
    process = subprocess.Popen(
        [sys.executable, "-m", "a2a_observe.cli", "collect", "--db", str(db), "--port", "0", *options],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    url = urlsplit(line.split("listening on ", 1)[1].split(",", 1)[0])
    counter = iter(range(total // BATCH))
    lock = threading.Lock()
    refused = [0]

    def client() -> None:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}
        while True:
            with lock:
                number = next(counter, None)
            if number is None:
                break
            while True:
                conn.request("POST", "/v1/traces", bodies[number], headers)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    break
                refused[0] += 1
                time.sleep(0.01)
        conn.close()

    polling = [
        subprocess.Popen([sys.executable, "-c", READER, str(db)], stdout=subprocess.PIPE, text=True)
        for _ in range(readers)
    ]
    try:
        spy = None
        if PROFILE:
            spy_options = [
                *os.environ.get("A2A_SPY_EXTRA", "").split(),
                "--threads",
                "--nonblocking",
                "--pid",
                str(process.pid),
                "--output",
                PROFILE,
            ]
            spy = subprocess.Popen(
                [str(Path(sys.executable).with_name("py-spy")), "record", *spy_options],
                stdout=subprocess.DEVNULL,
            )
            time.sleep(1.0)
        time.sleep(1.0 if readers else 0.0)  # the readers' imports, not part of their polling
        collector_cpu = _cpu_seconds(process.pid)
        decoders_before = _children_cpu(process.pid)
        start = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        acknowledged = time.perf_counter() - start
        peak = _collector_peak_mb(process.pid)
        collector_cpu = _cpu_seconds(process.pid) - collector_cpu
        decoders_after = _children_cpu(process.pid)
        decoder_cpu = sum(cpu - decoders_before.get(child, 0.0) for child, cpu in decoders_after.items())
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes the flame graph when interrupted
            spy.wait(60)
        for reader in polling:
            reader.send_signal(signal.SIGTERM)  # it finishes its poll and prints its CPU time
        process.send_signal(signal.SIGTERM)  # flushes and checkpoints before it exits
        process.wait(120)
        elapsed = time.perf_counter() - start
        reports = [json.loads(reader.communicate(60)[0].strip().splitlines()[-1]) for reader in polling]
        grouped = requests_per_commit(db)
    finally:
        for child in (process, *polling):  # nothing left behind holding this process's output
            if child.poll() is None:
                child.kill()
                child.wait()
    return {
        "spans": (total // BATCH) * BATCH,
        "seconds": elapsed,
        "acknowledged_seconds": acknowledged,
        "retried": refused[0],
        "peak_mb": peak,
        "collector_cpu": collector_cpu,
        "decoder_cpu": decoder_cpu,
        "reader_cpu": sum(r["cpu"] for r in reports),
        "polls": sum(r["polls"] for r in reports),
        "failed_polls": sum(r["failures"] for r in reports),
        "requests_per_commit": grouped,
    }


def requests_per_commit(db: Path) -> float:
    """How many requests the collector's commits held on average: the ledger's rows of one
    commit share its time. A commit of one request costs DuckDB about three times what large
    ones do a span (``benchmarks/commit_size.py``)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT count(*), count(DISTINCT received_ns) FROM batches").fetchone()
    return row[0] / row[1] if row and row[1] else 0.0


MODES = {
    "exporter": run_exporter,
    "receiver": run_receiver,
    "receiver-in-process": run_receiver_in_process,
    "ceiling": run_ceiling,
    "receiver+readers": run_receiver_read,
}


def measure(mode: str, total: int, readers: int = 2) -> dict:
    # Each way writes hundreds of megabytes; without a sync the next way's log syncs wait behind
    # the kernel writing back the previous way's file, and whichever runs second looks slower.
    os.sync()
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                mode,
                "--spans",
                str(total),
                "--db",
                str(Path(tmp) / "b.duckdb"),
                "--readers",
                str(readers),
                *([] if DECODERS is None else ["--decoders", str(DECODERS)]),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["rate"] = result["spans"] / result["seconds"]
    return result


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cpus"


def compare_readers(total: int, readers: int, rounds: int) -> None:
    """The receiver alone and with readers, one after the other, ``rounds`` times."""
    print(f"{total:,} spans, {readers} reader(s) polling every second; {load()}")
    ratios = []
    for number in range(1, rounds + 1):
        alone = measure("receiver", total)
        read = measure("receiver+readers", total, readers)
        ratio = read["rate"] / alone["rate"]
        ratios.append(ratio)
        print(
            f"  round {number}: receiver {alone['rate']:>9,.0f} spans/s, with readers "
            f"{read['rate']:>9,.0f} spans/s: {ratio:.2f} of the rate ({1 - ratio:+.0%} slower)\n"
            f"    collector CPU {alone['collector_cpu']:.1f} s alone, {read['collector_cpu']:.1f} s with "
            f"readers; readers: {read['polls']} polls ({read['failed_polls']} failed), "
            f"{read['reader_cpu']:.2f} s CPU, "
            f"{read['reader_cpu'] / max(read['polls'], 1) * 1000:.0f} ms a poll"
        )
    print(f"  with readers / alone: {min(ratios):.2f} to {max(ratios):.2f}; {load()}")


def compare_receiver(total: int, rounds: int) -> None:
    """The receiver and the exporter in turn, so that both see the same load on a shared machine."""
    print(f"{total:,} spans, {rounds} rounds; {load()}")
    modes = ("ceiling", "exporter", "receiver", "receiver-in-process")
    rates: dict[str, list[float]] = {mode: [] for mode in modes}
    ratios = []
    for number in range(1, rounds + 1):
        results = {mode: measure(mode, total) for mode in modes}
        for mode, result in results.items():
            rates[mode].append(result["rate"])
        ratio = results["receiver"]["rate"] / results["exporter"]["rate"]
        ratios.append(ratio)
        print(
            f"  round {number}: "
            + ", ".join(f"{mode} {result['rate']:,.0f}" for mode, result in results.items())
            + f" spans/s; receiver / exporter {ratio:.2f}"
        )
        exporter, receiver = results["exporter"], results["receiver"]
        print(
            f"    CPU a span: exporter {exporter['cpu'] / exporter['spans'] * 1e6:.0f} us; receiver "
            f"{receiver['collector_cpu'] / receiver['spans'] * 1e6:.0f} us in the collector's process "
            f"+ {receiver['decoder_cpu'] / receiver['spans'] * 1e6:.0f} us in its decoders; "
            f"{receiver['requests_per_commit']:.2f} requests a commit"
        )
    for mode, values in rates.items():
        print(f"  {mode:20s} {min(values):>9,.0f} to {max(values):>9,.0f} spans/s")
    print(f"  receiver / exporter: {min(ratios):.2f} to {max(ratios):.2f}; {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--spans", type=int, default=20_000, help="the smaller volume; the larger is ten times it"
    )
    parser.add_argument(
        "--readers", type=int, help="only compare the receiver alone and with this many readers"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --readers or --compare")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="only the receiver against the exporter (and the ceiling), --rounds times, interleaved",
    )
    parser.add_argument("--decoders", type=int, help="the collector's decoder processes (collect --decoders)")
    parser.add_argument("--one", choices=sorted(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global DECODERS
    DECODERS = args.decoders
    if args.one:
        if args.one == "receiver+readers":
            result = run_receiver_read(args.spans, args.db, args.readers)
        else:
            result = MODES[args.one](args.spans, args.db)
        print(json.dumps(result))
        return
    if args.readers:
        compare_readers(args.spans, args.readers, args.rounds)
        return
    if args.compare:
        compare_receiver(args.spans, args.rounds)
        return
    print(f"cpus: {os.cpu_count()}  batch: {BATCH} spans, 3 events each; {load()}")
    for total in (args.spans, args.spans * 10):
        results = {
            mode: measure(mode, total) for mode in ("ceiling", "exporter", "receiver", "receiver+readers")
        }
        ceiling = results["ceiling"]["rate"]
        print(f"\n{total:,} spans")
        for mode, result in results.items():
            print(
                f"  {mode:16s} {result['rate']:>10,.0f} spans/s  {result['rate'] / ceiling:5.2f} of ceiling  "
                f"peak {result['peak_mb']:6.0f} MB"
                + (f"  (retried {result['retried']})" if result.get("retried") else "")
            )
        slowed = 1 - results["receiver+readers"]["rate"] / results["receiver"]["rate"]
        print(f"  two readers polling every second slow the receiver by {slowed:.0%}")
        ratio = results["receiver"]["rate"] / results["exporter"]["rate"]
        print(f"  receiver / exporter: {ratio:.2f}")
    print(load())


if __name__ == "__main__":
    main()
