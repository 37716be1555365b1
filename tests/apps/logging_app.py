"""An app for the log export tests: ``import a2a_observe.auto`` first, then one agent that
logs from everywhere (see ``tests/support/logs.py``) and one call to it.

``--setup configure`` sets logging up with ``configure_logging()``; ``--setup basic`` the
way many apps do, with ``logging.basicConfig`` after the import.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

import a2a_observe.auto  # noqa: F401

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from a2a_observe.demo.serving import serve_agent
from a2a_observe.logs import configure_logging
from a2a_observe.replay.sdk_client import final_text, send_text
from tests.support.logs import LoggingAgent

parser = argparse.ArgumentParser()
parser.add_argument("--setup", choices=["configure", "basic"], default="configure")
args = parser.parse_args()

if args.setup == "configure":
    configure_logging(json=True, level=logging.INFO)
else:
    logging.basicConfig(level=logging.INFO, format="BASIC %(levelname)s %(message)s")


async def main() -> None:
    with serve_agent(LoggingAgent(), "logger", grpc=False) as agent:
        events = await send_text(agent.card, "log please", streaming=False)
        state, text = final_text(events)
        print(f"RESULT state={state} text={text!r} task={events[-1].task.id}", file=sys.stderr)


asyncio.run(main())
