"""The ``a2a-observe`` command: every subcommand's arguments, progress bars and output.

The use cases live in their cores (store, replay, collect, dashboards, demo, tui), which know
nothing of argparse. Each subcommand module here exposes ``register(subparsers)``; this file
only lists them, and each imports its core when it runs, so building the parser imports
neither the A2A SDK, duckdb nor textual."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

from a2a_observe.version import __version__

COMMAND_MODULES = (
    "a2a_observe.cli.demo",
    "a2a_observe.cli.collect",
    "a2a_observe.cli.dashboards",
    "a2a_observe.cli.replay",
    "a2a_observe.cli.redrive",
    "a2a_observe.cli.debugger",
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
