"""A fasta2a agent and its client in one process, with ``import a2a_observe.auto`` after
fasta2a is imported (``--auto last``) or before (``--auto first``); spans go to the console."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--auto", choices=["first", "last"], default="last")
args = parser.parse_args()

if args.auto == "first":
    import a2a_observe.auto

import fasta2a.applications  # noqa: E402
import fasta2a.client  # noqa: E402, F401

if args.auto == "last":
    import a2a_observe.auto  # noqa: F401

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.fasta2a import echo_app, serve_app, user_message  # noqa: E402


async def main() -> None:
    with serve_app(echo_app) as agent:
        response = await agent.client().send_message(user_message("hi"))
        print(f"RESULT {response['result']['task']['status']['state']}", file=sys.stderr)


asyncio.run(main())
