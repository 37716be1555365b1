"""What a2a-observe costs an a2a-sdk 0.3 call: bare (not instrumented) against instrumented.

Run it with the 0.3 environment's Python (``make setup-sdk03``):

    .venv-sdk03/bin/python benchmarks/overhead_sdk03.py            # spans and metrics
    .venv-sdk03/bin/python benchmarks/overhead_sdk03.py --quick    # a smoke run

One 0.3 echo agent and one streaming writer (20 events) on 127.0.0.1 over JSON-RPC, in this
process; the two ways interleaved round by round so that machine noise hits them alike,
spans exported through a BatchSpanProcessor into an exporter that drops them. "bare" is the
SDK with its own telemetry off (``OTEL_INSTRUMENTATION_A2A_SDK_ENABLED=false``, read when it
is imported), so the ratios are what a2a-observe adds. Prints requests/s, p50 and p99
latency per way, and the ratios to bare.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

from measure import Discard, Samples, measure, report
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

import a2a_observe

os.environ.setdefault("OTEL_INSTRUMENTATION_A2A_SDK_ENABLED", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.sdk03.support import EchoAgent, StreamingWriter, make_client, serve_agent, user_message


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    rounds, per_round = (2, 20) if options.quick else (10, 100)

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard()))
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
    loop = asyncio.new_event_loop()

    def switch(on: bool) -> Any:
        def apply() -> None:
            if a2a_observe.is_instrumented() != on:
                (a2a_observe.instrument if on else a2a_observe.uninstrument)()

        return apply

    modes = {"bare": switch(False), "a2a-observe": switch(True)}
    with (
        serve_agent(EchoAgent(), "echo") as echo,
        serve_agent(StreamingWriter(chunks=18), "writer") as writer,
    ):
        unary = make_client(echo, "JSONRPC", streaming=False)
        stream = make_client(writer, "JSONRPC", streaming=True)

        def rounds_of(client: Any) -> Any:
            async def batch(count: int) -> tuple[list[float], float]:
                latencies = []
                started = time.perf_counter()
                for _ in range(count):
                    begin = time.perf_counter()
                    [e async for e in client.send_message(user_message("bench"))]
                    latencies.append(time.perf_counter() - begin)
                return latencies, time.perf_counter() - started

            return lambda count: loop.run_until_complete(batch(count))

        results: dict[str, dict[str, Samples]] = {}
        for title, client in (
            ("SendMessage (a2a-sdk 0.3)", unary),
            ("20-event stream (a2a-sdk 0.3)", stream),
        ):
            rounds_of(client)(10)  # warm up
            results[title] = measure(modes, rounds_of(client), rounds, per_round)
        loop.run_until_complete(unary.close())
        loop.run_until_complete(stream.close())
    for title, samples in results.items():
        report(title, samples)
    provider.shutdown()


if __name__ == "__main__":
    main()
