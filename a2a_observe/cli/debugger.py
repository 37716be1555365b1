"""``a2a-observe replay [DB | --attach URL]``: the terminal debugger.

Textual is imported only when the command runs, so the CLI works without it and says how to
install it when it is missing.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

from a2a_observe import semconv
from a2a_observe.cli.arguments import store_location
from a2a_observe.replay.escaping import one_line


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "replay",
        help="open a store (or a running collector) in the terminal debugger",
        description="Find a conversation and step through it: the chat of its turns beside a "
        "waterfall of its spans, with the evidence behind each step. Keys: press ? in the app.",
    )
    parser.add_argument("db", nargs="?", type=store_location, metavar="DB", help="the store file")
    parser.add_argument(
        "--attach",
        metavar="URL",
        help="a running collector (a2a-observe collect), polled for new data every few seconds",
    )
    parser.add_argument(
        "--token", default=None, help=f"the collector's bearer token (default: ${semconv.ENV_COLLECT_TOKEN})"
    )
    parser.add_argument("--keymap", type=Path, default=None, help="a TOML file of binding id = keys")
    parser.add_argument("--poll", type=float, default=3.0, metavar="SECONDS", help="live update interval")
    parser.set_defaults(handler=run_replay, replay_parser=parser)


def _store_problem(path: Path) -> str | None:
    """What makes ``path`` unusable before a screen is drawn for it, as ``check`` says it."""
    if not path.exists():
        return f"{path}: no such store file"
    if path.is_dir():
        return f"{path} is a folder, not a store file"
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    return None


def run_replay(args: argparse.Namespace) -> int:
    if (args.db is None) == (args.attach is None):
        args.replay_parser.error("give a store file or --attach URL (one of them)")
    problem = _store_problem(args.db) if isinstance(args.db, Path) else None
    if problem is not None:
        print(f"a2a-observe replay: {problem}", file=sys.stderr)
        return 2
    try:
        app_module = importlib.import_module("a2a_observe.tui.app")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in ("textual", "rich"):
            print("a2a-observe replay needs Textual: pip install 'a2a-observe[tui]'", file=sys.stderr)
            return 2
        raise
    keymap_module = importlib.import_module("a2a_observe.tui.keymap")
    try:
        keymap = keymap_module.load_keymap(args.keymap)
    except keymap_module.KeymapError as exc:
        print(f"a2a-observe replay: {one_line(str(exc))}", file=sys.stderr)
        return 2

    def open_source() -> Any:
        # Loaded here, on the app's worker, so that the first frame does not wait for the store.
        from a2a_observe.store.opening import open_source as open_location  # noqa: PLC0415

        return open_location(args.attach or args.db, token=args.token, hold=True)

    app = app_module.ReplayApp(open_source, keymap=keymap, poll_seconds=args.poll)
    app.run()
    return 0
