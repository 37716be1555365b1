"""``a2a-observe dashboards export DIR``."""

from __future__ import annotations

import argparse
import sys
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
        help="runbook_url of the alerts, an absolute URL; {anchor} becomes the alert name in lower case "
        "(default: its panel on the runbooks dashboard of --grafana-url)",
    )
    export.add_argument(
        "--grafana-url",
        default=None,
        metavar="URL",
        help="where your Grafana is served, for the alerts' runbook links (default http://127.0.0.1:3000)",
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

    options: dict[str, Any] = {"matchers": tuple(args.matcher)}
    if args.runbook_url:
        options["runbook_url"] = args.runbook_url
    if args.grafana_url:
        options["grafana_url"] = args.grafana_url
    try:
        settings = RuleSettings(**options)
    except ValueError as exc:
        print(f"a2a-observe dashboards: {exc}", file=sys.stderr)
        return 2
    for path in export(args.directory, settings):
        print(path)
    return 0
