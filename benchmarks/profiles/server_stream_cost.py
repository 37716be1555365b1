"""What the SERVER side of one observed 51-chunk stream costs: recording (the agent run's
events and the stream's events on the SERVER span) and the OTLP encoding of that span, in CPU
microseconds, best of ``--rounds``. No network and no app; run it against another checkout's
package (``PYTHONPATH=/path/to/checkout``) to compare two versions on the same machine,
alternating them, as this machine is noisy.

    python benchmarks/profiles/server_stream_cost.py --rounds 15
"""

from __future__ import annotations

import argparse
import time

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from a2a_observe import semconv
from a2a_observe.config import Settings
from a2a_observe.observation.facts import AgentFacts, ArtifactFacts, CallFacts, EventFacts, PartFacts
from a2a_observe.observation.observer import Observer

CHUNKS = 51
STREAMS = 200


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    observer = Observer(provider.get_tracer("bench"), Settings())
    chunks = [
        EventFacts(
            kind=semconv.EVENT_KIND_ARTIFACT_UPDATE,
            task_id="t1",
            artifact=ArtifactFacts(
                artifact_id="draft",
                name="draft",
                parts=(PartFacts(kind="text"),),
                append=index > 0,
                last_chunk=index == CHUNKS - 1,
            ),
        )
        for index in range(CHUNKS)
    ]
    agent = AgentFacts(name="writer")

    def one_stream() -> None:
        call = observer.start_server_call(CallFacts(method=semconv.SEND_STREAMING_MESSAGE, agent=agent), {})
        with call.activated():
            run = observer.start_agent_run(semconv.OPERATION_INVOKE_AGENT, agent, "t1", "c1")
            for chunk in chunks:
                run.emitted(chunk, chunk)  # the agent enqueues it ...
                call.stream_event(chunk)  # ... and the server sends it
            run.end()
        call.stream_ended(semconv.STREAM_END_COMPLETED)
        call.end()

    for _ in range(50):
        one_stream()
    record = encode = float("inf")
    for _ in range(args.rounds):
        memory.clear()
        started = time.process_time()
        for _ in range(STREAMS):
            one_stream()
        record = min(record, time.process_time() - started)
        spans = memory.get_finished_spans()
        started = time.process_time()
        for first in range(0, len(spans), 10):
            encode_spans(spans[first : first + 10]).SerializeToString()
        encode = min(encode, time.process_time() - started)
    print(
        f"a {CHUNKS}-chunk stream, SERVER side: record {record / STREAMS * 1e6:.0f} us, "
        f"OTLP encoding {encode / STREAMS * 1e6:.0f} us, together {(record + encode) / STREAMS * 1e6:.0f} us"
    )


if __name__ == "__main__":
    main()
