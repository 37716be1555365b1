"""The ``check``, ``export`` and ``explain`` subcommands (``redrive`` is in :mod:`a2a_observe.cli.redrive`).

Exit codes are for CI: 0 all good, 1 findings (``check``) or runs that differ (``redrive``),
2 bad input (no such store or conversation, content needed but not captured).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from a2a_observe.cli.arguments import store_location
from a2a_observe.replay.errors import ReplayError
from a2a_observe.replay.escaping import json_document, one_line

EXIT_OK = 0
EXIT_FOUND = 1
EXIT_BAD_INPUT = 2


def register(subparsers: Any) -> None:
    from a2a_observe.replay.audits import RULES  # noqa: PLC0415 - small, no third-party imports

    codes = "; ".join(f"{r.code} {r.name}" for r in RULES)
    check = subparsers.add_parser(
        "check",
        help="audit the conversations in a store; exit 1 when anything is found",
        description=f"Audit every conversation (or the given ones) of a store. Rules: {codes}.",
    )
    check.add_argument("db", type=store_location, metavar="DB", help="the store file")
    check.add_argument("--conversation", "-c", action="append", default=None, metavar="CONTEXT")
    check.add_argument(
        "--stuck-after",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="age of a stuck task (default 300)",
    )
    check.add_argument(
        "--answer-within",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="how long input-required may wait before it counts as unanswered (default 0)",
    )
    check.add_argument("--ignore", action="append", default=[], metavar="CODE", help="a rule not to report")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--quiet", action="store_true", help="no progress bar")
    check.set_defaults(handler=run_check)

    export = subparsers.add_parser(
        "export",
        help="write one conversation as JSON, a Markdown transcript, a Mermaid sequence diagram or "
        "one self-contained HTML page",
    )
    export.add_argument("context", metavar="CONTEXT", help="the conversation (contextId, or a unique prefix)")
    export.add_argument("--db", required=True, type=store_location, help="the store file")
    export.add_argument("--format", choices=("json", "markdown", "mermaid", "html"), default="markdown")
    export.add_argument("--output", "-o", type=Path, default=None, help="a file (default: standard output)")
    export.set_defaults(handler=run_export)

    explain = subparsers.add_parser(
        "explain",
        help="say in plain words why a conversation failed: the chain of calls to where it began",
        description="From the user's turn down to the span where the failure began, one line per hop "
        "with its agent, error and time. Without CONTEXT, the newest conversation that failed.",
    )
    explain.add_argument(
        "context", nargs="?", default=None, metavar="CONTEXT", help="contextId or a unique prefix"
    )
    explain.add_argument("--db", required=True, type=store_location, help="the store file")
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.set_defaults(handler=run_explain)


def _fail(command: str, exc: Exception) -> int:
    print(f"a2a-observe {command}: {one_line(str(exc))}", file=sys.stderr)
    return EXIT_BAD_INPUT


def run_check(args: argparse.Namespace) -> int:
    from a2a_observe.cli.progress import CountProgress  # noqa: PLC0415
    from a2a_observe.replay.audits import RULES_BY_CODE, AuditSettings  # noqa: PLC0415
    from a2a_observe.replay.check import check_store  # noqa: PLC0415
    from a2a_observe.replay.export_json import plain  # noqa: PLC0415
    from a2a_observe.replay.load import open_store  # noqa: PLC0415
    from a2a_observe.replay.usage import usage  # noqa: PLC0415

    unknown = [c for c in args.ignore if c not in RULES_BY_CODE]
    if unknown:
        return _fail(
            "check", ReplayError(f"unknown rule {', '.join(unknown)}; rules: {', '.join(RULES_BY_CODE)}")
        )
    settings = AuditSettings(
        stuck_after=args.stuck_after, answer_within=args.answer_within, ignore=frozenset(args.ignore)
    )
    progress = None if args.quiet else CountProgress(1, "conversations")
    rollups: dict[str, Any] = {}

    def keep_usage(model: Any) -> None:
        rollup = usage(model)
        if not rollup.empty:
            rollups[model.conversation_id] = plain(rollup)

    try:
        con = open_store(args.db)
        findings = check_store(
            con,
            settings,
            conversations=args.conversation,
            on_progress=progress.step if progress is not None and progress.interactive else None,
            on_model=keep_usage,
        )
    except ReplayError as exc:
        return _fail("check", exc)
    if args.format == "json":
        total: dict[str, float] = {}
        for rollup in rollups.values():
            for name, value in rollup["total"].items():
                total[name] = total.get(name, 0.0) + value
        doc = {"findings": [plain(f) for f in findings], "usage": {"total": total, "conversations": rollups}}
        print(json_document(json.dumps(doc, indent=2, ensure_ascii=False)))
    else:
        # Stored text (ids, messages) is shown with its control characters escaped.
        for finding in findings:
            where = f" {one_line(finding.path)}" if finding.path else ""
            conversation = one_line(finding.conversation_id or "")
            print(f"{finding.code} {finding.name} {conversation}{where}: {one_line(finding.message)}")
        print(
            f"{len(findings)} finding{'s' if len(findings) != 1 else ''} in {args.db}",
            file=sys.stderr,
        )
    return EXIT_FOUND if findings else EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    from a2a_observe.replay.audits import audit  # noqa: PLC0415
    from a2a_observe.replay.exports import export  # noqa: PLC0415
    from a2a_observe.replay.load import open_store, rebuild  # noqa: PLC0415

    try:
        model = rebuild(open_store(args.db), args.context)
    except ReplayError as exc:
        return _fail("export", exc)
    text = export(model, args.format, audit(model))
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            return _fail("export", exc)
        print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


def run_explain(args: argparse.Namespace) -> int:
    from a2a_observe.replay.explain import describe, explain, newest_failed  # noqa: PLC0415
    from a2a_observe.replay.export_json import plain  # noqa: PLC0415
    from a2a_observe.replay.load import open_store, rebuild  # noqa: PLC0415

    try:
        con = open_store(args.db)
        context = args.context or newest_failed(con)
        if context is None:
            raise ReplayError(f"no conversation failed in {args.db}; give a CONTEXT to explain")
        explanation = explain(rebuild(con, context))
    except ReplayError as exc:
        return _fail("explain", exc)
    if args.format == "json":
        print(json.dumps(plain(explanation), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(describe(explanation))
    return EXIT_OK
