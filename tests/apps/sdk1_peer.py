"""The a2a-sdk 1.x side of the cross-line tests, run by the 1.x environment's Python.

``serve``: serve an echo agent (all bindings, v0.3 compat on), print its addresses as one
JSON line, and serve until stdin closes. ``call ADDRESSES_JSON``: call a v0.3 agent at those
addresses once per binding with a 1.x client and print what each call returned. Either way
every finished span is written, one JSON document per line, to the ``--spans`` file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

parser = argparse.ArgumentParser()
parser.add_argument("--spans", required=True)
parser.add_argument("mode", choices=["serve", "call"])
parser.add_argument("addresses", nargs="?")
args = parser.parse_args()

spans_file = open(args.spans, "w", encoding="utf-8")  # noqa: SIM115 - open for the process's life


def one_line(span: ReadableSpan) -> str:
    return span.to_json(indent=None) + "\n"


provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=spans_file, formatter=one_line)))
trace.set_tracer_provider(provider)

import a2a_observe  # noqa: E402

a2a_observe.instrument()

from a2a_observe.demo.agents import EchoAgent  # noqa: E402
from a2a_observe.demo.serving import serve_agent  # noqa: E402
from a2a_observe.replay.sdk_client import final_text, make_client, user_message  # noqa: E402


def serve() -> None:
    with serve_agent(EchoAgent(), "peer-1x") as agent:
        addresses = {"JSONRPC": agent.jsonrpc_url, "HTTP+JSON": agent.rest_url, "GRPC": agent.grpc_target}
        print(json.dumps(addresses), flush=True)
        sys.stdin.read()


async def call(addresses: dict[str, str]) -> None:
    from a2a.types import AgentCapabilities, AgentCard, AgentInterface, SendMessageRequest

    results = {}
    for binding, url in addresses.items():
        card = AgentCard(
            name="peer-03",
            version="0.3.0",
            supported_interfaces=[AgentInterface(url=url, protocol_binding=binding, protocol_version="0.3")],
            capabilities=AgentCapabilities(streaming=True),
        )
        client = make_client(card, binding, streaming=False)
        events = [e async for e in client.send_message(SendMessageRequest(message=user_message("from 1.x")))]
        await client.close()
        state, text = final_text(events)
        results[binding] = {"state": int(state), "text": text}
    print(json.dumps(results), flush=True)


if args.mode == "serve":
    serve()
else:
    asyncio.run(call(json.loads(args.addresses)))
provider.shutdown()
spans_file.close()
