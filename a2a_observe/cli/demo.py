"""``a2a-observe demo``."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="run a small network of real A2A agents on 127.0.0.1 and print its traces",
        description="Start an orchestrator and two workers on 127.0.0.1, send real traffic "
        "through them with a2a-observe instrumentation, and print every trace as a tree.",
    )
    parser.add_argument(
        "--hold",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="keep the agents and /metrics up this long after the traffic (Ctrl-C ends it)",
    )
    parser.add_argument(
        "--db",
        default="a2a-observe-demo.duckdb",
        metavar="FILE",
        help="store the spans here for `a2a-observe replay` (default a2a-observe-demo.duckdb; '' for none)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from a2a_observe.demo.run import run  # noqa: PLC0415

    return run(hold=args.hold, db=args.db or None)
