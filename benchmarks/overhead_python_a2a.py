"""What a2a-observe costs a python-a2a call: bare python-a2a against instrumented python-a2a.

One python-a2a agent (Flask, threaded werkzeug server) on 127.0.0.1 and python-a2a's own
``A2AClient``, measured both ways in ONE run, interleaved round by round so machine noise hits
them alike. Instrumented means both sides: the client's CLIENT span and header injection, the
server's SERVER span and the agent's ``invoke_agent`` span. Spans go through a
BatchSpanProcessor into an exporter that drops them, so what is measured is the
instrumentation, not a backend.

    python benchmarks/overhead_python_a2a.py            # full run
    python benchmarks/overhead_python_a2a.py --quick    # a smoke run

Prints requests/s, p50 and p99 latency per way for ``send_message`` (tasks/send, through the
agent) and ``get_task`` (answered by python-a2a without the agent), and the ratios to bare.
"""

from __future__ import annotations

import argparse
import logging

from measure import Discard, measure, report, timed
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

import a2a_observe


def bare() -> None:
    if a2a_observe.is_instrumented():
        a2a_observe.uninstrument()


def observed() -> None:
    if not a2a_observe.is_instrumented():
        a2a_observe.instrument()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="few requests, for a smoke run")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--calls", type=int, default=150, help="calls per way per round")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.calls = 2, 20
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    exporter = Discard()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=65536))
    trace.set_tracer_provider(provider)

    from python_a2a import A2AClient, Message, MessageRole, Task, TextContent

    from a2a_observe.demo.python_a2a_agents import serve_python_a2a_agent

    modes = {"bare": bare, "a2a-observe": observed}
    with serve_python_a2a_agent(name="greeter") as agent:
        client = A2AClient(agent.url)
        message = Message(content=TextContent(text="ping"), role=MessageRole.USER, conversation_id="bench")
        client._send_task(Task(id="bench-task", message=message.to_dict()))
        for switch in modes.values():  # warm-up: connections, imports, caches
            switch()
            timed(lambda: client.send_message(message), 20)
            timed(lambda: client.get_task("bench-task"), 20)
        sends = measure(
            modes, lambda n: timed(lambda: client.send_message(message), n), args.rounds, args.calls
        )
        gets = measure(
            modes, lambda n: timed(lambda: client.get_task("bench-task"), n), args.rounds, args.calls
        )
    provider.shutdown()
    print(f"{args.rounds} interleaved rounds; {exporter.count} spans exported in all")
    per_way = args.rounds * args.calls
    report(f"python-a2a send_message, tasks/send on loopback ({per_way} calls per way)", sends)
    report(f"python-a2a get_task, tasks/get on loopback ({per_way} calls per way)", gets)


if __name__ == "__main__":
    main()
