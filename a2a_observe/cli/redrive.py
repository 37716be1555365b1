"""The ``redrive`` subcommand.

Everything is checked before anything is sent: the store, the conversations, and that their
user messages were captured. Then each conversation is sent again, recorded into the same
store, rebuilt from it and compared with its recording
(:func:`a2a_observe.replay.redriving.redrive_and_compare`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from a2a_observe.cli.arguments import store_location
from a2a_observe.replay.errors import ReplayError
from a2a_observe.replay.escaping import json_document, one_line, terminal

EXIT_OK = 0
EXIT_DIFFERENT = 1
EXIT_BAD_INPUT = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "redrive",
        help="send a recorded conversation's user turns to a live agent and diff the new run",
        description=(
            "Send the user turns of recorded conversations to the agent at URL (its agent card is "
            "read from there), record the new runs in the same store (or --out) and print a per-turn "
            "diff once the agents' spans are in. Exit 0 when every run matches its recording, 1 when "
            "one differs."
        ),
    )
    parser.add_argument("contexts", nargs="+", metavar="CONTEXT", help="conversations to re-drive")
    parser.add_argument(
        "--db",
        required=True,
        type=store_location,
        help="the store: a file, or a store URL (chdb:///…, clickhouse://…; then give --out)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE",
        help="record the new runs in this store instead of --db (the agents' spans are read from both)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="how long to wait for the called agents' spans to reach the store (default 15)",
    )
    parser.add_argument("--against", required=True, metavar="URL", help="the agent's base URL or card URL")
    parser.add_argument("--binding", default=None, help="JSONRPC, HTTP+JSON or GRPC (default: as recorded)")
    parser.add_argument(
        "--text", choices=("exact", "normalised"), default="exact", help="how texts are compared"
    )
    parser.add_argument(
        "--latency-factor",
        type=float,
        default=None,
        metavar="X",
        help="a turn more than X times slower than recorded is a difference",
    )
    parser.add_argument("--chunks", action="store_true", help="artifact chunk counts must match too")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run_redrive)


def run_redrive(args: argparse.Namespace) -> int:
    from a2a_observe.cli.progress import CountProgress  # noqa: PLC0415
    from a2a_observe.replay.diff import DiffOptions, describe  # noqa: PLC0415
    from a2a_observe.replay.export_json import plain  # noqa: PLC0415
    from a2a_observe.replay.load import open_store, rebuild  # noqa: PLC0415
    from a2a_observe.replay.model import ConversationModel  # noqa: PLC0415
    from a2a_observe.replay.redriving import (  # noqa: PLC0415
        ReadBackError,
        RedriveListener,
        RedriveResult,
        redrive_and_compare,
        total_turns,
    )

    try:
        source = open_store(args.db)
        recorded: list[ConversationModel] = [rebuild(source, c) for c in args.contexts]
        source.close()
        total = total_turns(recorded)
    except ReplayError as exc:
        print(f"a2a-observe redrive: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.out is None and not isinstance(args.db, Path):
        print(
            f"a2a-observe redrive: the new runs are recorded in a store file; give --out FILE "
            f"(the agents' spans are read from it and from {args.db})",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    target: Path = args.out or args.db
    stores = [target, args.db]
    say = _Say(quiet=args.quiet)
    say(
        f"re-driving {_count(total, 'turn')} of {_count(len(recorded), 'conversation')} "
        f"against {args.against}; recording into {target}"
    )
    progress = None if args.quiet else CountProgress(total, "turns")

    def sent() -> None:
        nonlocal progress
        if progress is not None:
            progress.finish()
            progress = None

    def unsettled(result: RedriveResult) -> None:
        if not result.settled:
            print(
                f"a2a-observe redrive: the agents behind turn {', '.join(result.missing)} did not report "
                f"their spans to {' or '.join(str(s) for s in dict.fromkeys(stores))} within "
                f"{args.wait:g} s: what they did cannot be compared (see --wait)",
                file=sys.stderr,
            )

    listener = RedriveListener(
        on_progress=lambda done, _total: progress.update(done) if progress is not None else None,
        on_sent=sent,
        on_reading_back=lambda run: say(
            f"reading back {run.context_id} (waiting up to {args.wait:g} s for the agents' spans)"
        ),
        on_result=unsettled,
    )
    try:
        results = redrive_and_compare(
            recorded,
            args.against,
            record_into=target,
            read_also=[args.db],
            binding=args.binding,
            options=DiffOptions(text=args.text, latency_factor=args.latency_factor, chunks=args.chunks),
            wait=args.wait,
            listener=listener,
        )
    except ReadBackError as exc:
        print(
            f"a2a-observe redrive: the new runs could not be read back: {one_line(str(exc))}", file=sys.stderr
        )
        return EXIT_BAD_INPUT
    except ReplayError as exc:
        sent()
        print(f"a2a-observe redrive: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    diffs = [r.diff for r in results]
    sys.stderr.flush()
    if args.format == "json":
        document = json.dumps(
            [{**plain(d), "matches": d.matches} for d in diffs], indent=2, ensure_ascii=False
        )
        print(json_document(document))
    else:
        sys.stdout.write(terminal("".join(describe(d) for d in diffs)))
    return EXIT_OK if all(d.matches for d in diffs) else EXIT_DIFFERENT


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class _Say:
    """Progress notes on stderr, before the result that goes to stdout."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet

    def __call__(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)
