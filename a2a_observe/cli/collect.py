"""The ``collect`` and ``import`` subcommands."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from a2a_observe import semconv
from a2a_observe.replay.escaping import one_line
from a2a_observe.store.errors import StoreError


def register(subparsers: Any) -> None:
    collect = subparsers.add_parser(
        "collect",
        help="receive OTLP/HTTP traces and logs into a store",
        description=(
            "Listen for OTLP/HTTP (protobuf or JSON, optionally gzip) on /v1/traces and /v1/logs "
            "and write everything to a DuckDB store (readers get consistent snapshots from "
            "/v1/snapshot while it runs), or to ClickHouse in the OpenTelemetry Collector's "
            "clickhouseexporter schema."
        ),
    )
    collect.add_argument(
        "--db",
        required=True,
        help="the store: a DuckDB file (created if missing), chdb:///folder (embedded ClickHouse) "
        "or clickhouse://user@host:8123/database",
    )
    collect.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    collect.add_argument("--port", type=int, default=4318, help="port (default 4318; 0 picks a free one)")
    collect.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help=f"require the bearer token in this file, readable by its owner only "
        f"(default: ${semconv.ENV_COLLECT_TOKEN_FILE}, then ${semconv.ENV_COLLECT_TOKEN})",
    )
    collect.add_argument(
        "--token",
        default=None,
        help="require this bearer token (visible to other users in ps; prefer --token-file)",
    )
    collect.add_argument("--max-body", type=int, default=None, help="largest request body in bytes")
    collect.add_argument("--max-queue", type=int, default=None, help="records waiting to be written, at most")
    collect.add_argument(
        "--decoders",
        type=int,
        default=None,
        help="processes that decode request bodies beside the writer (default: 1 on a machine "
        "with more than one core, else 0: decode in the collector's own threads)",
    )
    collect.set_defaults(handler=run_collect)

    imp = subparsers.add_parser(
        "import",
        help="load OTLP JSON files (the Collector's file exporter) into a store",
        description="Load OTLP JSON files, one export request per line, optionally gzip-compressed.",
    )
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument(
        "--db", required=True, help="the store file (created if missing), chdb:///folder or clickhouse://…"
    )
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(handler=run_import)


def run_collect(args: argparse.Namespace) -> int:
    from a2a_observe.collect.otlp import Limits  # noqa: PLC0415 - keeps the CLI core light
    from a2a_observe.collect.receiver import ReceiverSettings  # noqa: PLC0415
    from a2a_observe.collect.server import serve  # noqa: PLC0415
    from a2a_observe.store.auth import TokenError, read_token_file, token_from_env  # noqa: PLC0415

    limits = Limits(max_body=args.max_body) if args.max_body else Limits()
    try:
        token = read_token_file(args.token_file) if args.token_file else args.token or token_from_env()
    except TokenError as exc:
        print(f"a2a-observe collect: {exc}", file=sys.stderr)
        return 2
    decoders = args.decoders if args.decoders is not None else (1 if (os.cpu_count() or 1) > 1 else 0)
    settings = ReceiverSettings(token=token, limits=limits, decoders=max(decoders, 0))

    def ready(url: str) -> None:
        guarded = ", bearer token required" if token else ""
        print(f"a2a-observe collect: listening on {url}, writing {args.db}{guarded}", file=sys.stderr)
        if args.token:
            print(
                "a2a-observe collect: --token can be read by any user of this machine in ps; "
                f"use --token-file or ${semconv.ENV_COLLECT_TOKEN_FILE}",
                file=sys.stderr,
            )
        sys.stderr.flush()

    try:
        return serve(
            args.db,
            host=args.host,
            port=args.port,
            settings=settings,
            max_pending=args.max_queue,
            on_ready=ready,
        )
    except StoreError as exc:
        print(f"a2a-observe collect: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"a2a-observe collect: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1


def run_import(args: argparse.Namespace) -> int:
    from a2a_observe.cli.progress import Progress  # noqa: PLC0415
    from a2a_observe.collect.importer import import_files  # noqa: PLC0415
    from a2a_observe.store.clickhouse.location import is_clickhouse_location  # noqa: PLC0415
    from a2a_observe.store.sinks import open_writer  # noqa: PLC0415
    from a2a_observe.store.snapshot import find_collector  # noqa: PLC0415

    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        print(f"a2a-observe import: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        writer = open_writer(args.db)
    except StoreError as exc:
        found = None if is_clickhouse_location(args.db) else find_collector(args.db)
        hint = f"; a collector at {found.url} is writing it: stop it first" if found else ""
        print(f"a2a-observe import: {exc}{hint}", file=sys.stderr)
        return 1
    total = sum(f.stat().st_size for f in args.files)
    progress = None if args.quiet else Progress(total)
    try:
        report = import_files(list(args.files), writer, progress.update if progress is not None else None)
    finally:
        writer.close()
    if progress is not None:
        progress.finish()
    for problem in report.problems[:20]:
        print(f"a2a-observe import: {one_line(problem)}", file=sys.stderr)
    if len(report.problems) > 20:
        print(f"a2a-observe import: and {len(report.problems) - 20} more problems", file=sys.stderr)
    print(
        f"imported {report.spans} spans, {report.logs} log records and {report.points} metric points "
        f"into {args.db}" + (f"; {report.rejected} refused" if report.rejected else ""),
        file=sys.stderr,
    )
    return 0 if report.ok else 1
