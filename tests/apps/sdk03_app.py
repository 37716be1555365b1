"""The activation tests' app on a2a-sdk 0.3: one agent, one call, results on stderr.

``--auto first|last|none`` says where ``import a2a_observe.auto`` goes relative to the A2A
imports; ``none`` is for ``opentelemetry-instrument`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--auto", choices=["first", "last", "none"], default="first")
args = parser.parse_args()

if args.auto == "first":
    import a2a_observe.auto

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.sdk03.support import EchoAgent, make_client, serve_agent, user_message  # noqa: E402

if args.auto == "last":
    import a2a_observe.auto  # noqa: F401


async def main() -> None:
    with serve_agent(EchoAgent(), "echo") as agent:
        client = make_client(agent, "JSONRPC", streaming=False)
        events = [e async for e in client.send_message(user_message("hi"))]
        await client.close()
        task = events[-1][0]
        text = task.artifacts[0].parts[0].root.text
        print(f"RESULT state={task.status.state.value} text={text!r}", file=sys.stderr)


asyncio.run(main())
