"""The ``a2a-observe`` command. Each subcommand lives in its own module, which exposes
``register(subparsers)``; this file only lists them, so the CLI core imports neither the
A2A SDK, duckdb nor textual until a subcommand runs."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from a2a_observe.version import __version__

COMMAND_MODULES = (
    "a2a_observe.demo.command",
    "a2a_observe.collect.command",
    "a2a_observe.dashboards.command",
    "a2a_observe.replay.command",
    "a2a_observe.tui.command",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="a2a-observe",
        description="OpenTelemetry-native observability for A2A agents.",
    )
    parser.add_argument("--version", action="version", version=f"a2a-observe {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return int(handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
