"""Drive one way of ``benchmarks/overhead.py`` for profiling: client and agents in this
process, so one profile holds both sides of every call.

    python benchmarks/profiles/hotpath.py --way a2a-observe --calls 3000
    python benchmarks/profiles/hotpath.py --way a2a-observe --cprofile out.pstats

Run it under ``py-spy record`` for a flame graph (README.md here has the exact commands).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import overhead


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--way", default="a2a-observe", choices=[*overhead.WAYS, "empty-spans"])
    parser.add_argument("--calls", type=int, default=3000, help="SendMessage calls")
    parser.add_argument("--streams", type=int, default=0, help="50-event streams after the calls")
    parser.add_argument("--cprofile", help="write cProfile statistics of the calls to this file")
    parser.add_argument("--otlp", nargs="?", const="sink", help="as in overhead.py")
    parser.add_argument("--no-metrics", action="store_true")
    parser.add_argument("--no-logs", action="store_true")
    args = parser.parse_args()
    logging.getLogger("a2a").setLevel(logging.CRITICAL)
    sink = None
    if args.otlp == "sink":
        import json
        import subprocess

        sink = subprocess.Popen(
            [sys.executable, overhead.__file__, "--sink"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert sink.stdout is not None
        args.otlp = json.loads(sink.stdout.readline())["url"]
    pipelines = overhead.Pipelines(args)
    from a2a_observe.demo.agents import EchoAgent, StreamingWriter
    from a2a_observe.demo.serving import serve_agent

    overhead.install_floor()
    overhead.Modes().switch(args.way)()
    loop = asyncio.new_event_loop()
    with (
        serve_agent(EchoAgent() if args.no_logs else overhead.logging_echo(), "echo", grpc=False) as echo,
        serve_agent(StreamingWriter(chunks=48), "writer", grpc=False) as writer,
    ):
        loop.run_until_complete(overhead.unary_round(echo.card, 50))  # warm-up
        profiler = cProfile.Profile() if args.cprofile else None
        if profiler is not None:
            profiler.enable()
        latencies, elapsed = loop.run_until_complete(overhead.unary_round(echo.card, args.calls))
        if args.streams:
            loop.run_until_complete(overhead.stream_round(writer.card, args.streams))
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.cprofile)
    pipelines.shutdown()
    if sink is not None:
        sink.communicate("")
    latencies.sort()
    print(
        f"{args.way}: {args.calls} calls, p50 {latencies[len(latencies) // 2] * 1e3:.3f} ms, {elapsed:.1f} s"
    )


if __name__ == "__main__":
    main()
