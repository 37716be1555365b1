"""``a2a-observe dashboards export DIR``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "dashboards",
        help="write the Grafana dashboards and Prometheus rules for A2A agents",
        description="Grafana dashboards, provisioning files and Prometheus alerting and recording rules "
        "for the metrics a2a-observe exports.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write every file into DIR")
    export.add_argument("directory", type=Path, metavar="DIR")
    export.add_argument(
        "--runbook-url",
        default=None,
        metavar="PATTERN",
        help="runbook_url of the alerts; {anchor} becomes the alert name in lower case",
    )
    export.add_argument(
        "--matcher",
        action="append",
        default=[],
        metavar="MATCHER",
        help="a label matcher added to every series the rules read, e.g. 'job=~\"agents-.*\"' (repeatable)",
    )
    export.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    # Lazy: the generator loads the OpenTelemetry SDK, which other subcommands do not need.
    from a2a_observe.dashboards.export import export  # noqa: PLC0415
    from a2a_observe.dashboards.rules import RuleSettings  # noqa: PLC0415

    settings = RuleSettings(matchers=tuple(args.matcher))
    if args.runbook_url:
        settings = RuleSettings(matchers=tuple(args.matcher), runbook_url=args.runbook_url)
    for path in export(args.directory, settings):
        print(path)
    return 0
