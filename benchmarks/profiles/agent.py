"""Profile only the agent's process while a client in this process calls it: the echo agent of
one way of ``benchmarks/overhead.py`` runs under ``py-spy record``, exporting over OTLP to a
local sink, as in ``overhead.py --processes --otlp``.

    python benchmarks/profiles/agent.py a2a-observe 1500 profiles/agent-a2a-observe.svg
    python benchmarks/profiles/agent.py a2a-observe 100 /tmp/writer.txt --streams

With ``--streams`` the calls are 50-event streams from the writer agent instead of SendMessage
calls to the echo agent; an output file ending in ``.txt`` gets py-spy's collapsed stacks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import overhead


def read_json(stream: Any) -> dict[str, Any]:
    """The next JSON line of ``stream`` (py-spy writes lines of its own there too)."""
    line = stream.readline()
    while line and not line.startswith("{"):
        line = stream.readline()
    return dict(json.loads(line))


def main() -> None:
    streams = "--streams" in sys.argv
    way, calls, out = (a for a in sys.argv[1:] if a != "--streams")
    calls_made = int(calls)
    py_spy = Path(sys.executable).with_name("py-spy")
    pipes: dict[str, Any] = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    sink = subprocess.Popen([sys.executable, overhead.__file__, "--sink"], **pipes)
    url = read_json(sink.stdout)["url"]
    fmt = ["-f", "raw"] if out.endswith(".txt") else []
    served = [sys.executable, overhead.__file__, "--serve", way, "--otlp", url]
    agent = subprocess.Popen([str(py_spy), "record", "-r", "250", *fmt, "-o", out, "--", *served], **pipes)
    urls = read_json(agent.stdout)
    from a2a_observe.demo.serving import build_card

    agent_name = "writer" if streams else "echo"
    card = build_card(agent_name, urlsplit(urls[agent_name]).port or 0, None, "1.0.0")
    logging.getLogger("a2a").setLevel(logging.CRITICAL)
    loop = asyncio.new_event_loop()
    round_of = overhead.stream_round if streams else overhead.unary_round
    latencies, elapsed = loop.run_until_complete(round_of(card, calls_made))
    agent.communicate("")
    sink.communicate("")
    latencies.sort()
    what = "streams" if streams else "calls"
    p50 = latencies[len(latencies) // 2] * 1e3
    print(f"{way}: {calls_made} {what}, p50 {p50:.3f} ms, {elapsed:.1f} s")


if __name__ == "__main__":
    main()
