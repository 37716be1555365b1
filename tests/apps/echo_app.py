"""A tiny A2A app for the activation tests: one agent, one call, results on stderr.

``--auto first|last|none`` says where ``import a2a_observe.auto`` goes relative to the A2A
imports; ``none`` is for ``opentelemetry-instrument`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--auto", choices=["first", "last", "none"], default="first")
parser.add_argument("--scrape", help="after the call, print this /metrics URL's body to stderr")
args = parser.parse_args()

if args.auto == "first":
    import a2a_observe.auto

from a2a.types import SendMessageRequest  # noqa: E402

from a2a_observe.demo.agents import EchoAgent  # noqa: E402
from a2a_observe.replay.sdk_client import final_text, make_client, user_message  # noqa: E402

if args.auto == "last":
    import a2a_observe.auto  # noqa: F401

from a2a_observe.demo.serving import serve_agent  # noqa: E402


async def main() -> None:
    with serve_agent(EchoAgent(), "echo") as agent:
        client = make_client(agent.card, "JSONRPC", streaming=False)
        started = time.monotonic()
        events = [e async for e in client.send_message(SendMessageRequest(message=user_message("hi")))]
        elapsed = time.monotonic() - started
        await client.close()
        state, text = final_text(events)
        print(f"RESULT state={state} text={text!r} seconds={elapsed:.3f}", file=sys.stderr)
        if args.scrape:
            import urllib.request

            with urllib.request.urlopen(args.scrape, timeout=10) as response:
                print("SCRAPE " + response.read().decode(), file=sys.stderr)


asyncio.run(main())
