"""Draw each Grafana dashboard from real data, for docs/dashboards.md (no Grafana runs here).

Starts the demo agents under steady traffic (the relay left idle after one round) and a real
Prometheus scraping them every second with the fast rules, waits, then asks Prometheus for
every panel's data over the run and lays the panels out on their Grafana grid with
matplotlib: stats as numbers, time series as lines, heatmaps as buckets over time.

    pip install matplotlib && python benchmarks/dashboard_images.py [--seconds 90]

Writes docs/images/dashboard-<name>.png. Needs prometheus (apt-get install prometheus).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from a2a_observe.dashboards import grafana, names, promql, rules, yamlout  # noqa: E402
from a2a_observe.demo.serving import free_port  # noqa: E402
from tests.support.prometheus import Prometheus, prometheus, traffic_app  # noqa: E402

OUT = ROOT / "docs" / "images"
RATE_INTERVAL = "10s"
ROW_HEIGHT = 0.42  # inches per Grafana grid row
COLUMN_WIDTH = 0.75  # inches per Grafana grid column
DARK = "#181b1f"
PANEL = "#22252b"
TEXT = "#d8d9da"


def _legend(template: str, labels: dict[str, str]) -> str:
    if not template or template == "__auto":
        return ", ".join(f"{k}={v}" for k, v in labels.items() if k != "__name__") or "value"
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), template).strip() or "value"


def _finite(values: list[list[Any]]) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for t, v in values:
        value = float(v)
        if math.isfinite(value):
            xs.append(float(t))
            ys.append(value)
    return xs, ys


def _format(value: float, unit: str) -> str:
    if unit == "percentunit":
        return f"{value:.1%}"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "reqps":
        return f"{value:.2f} req/s"
    if unit == "ops":
        return f"{value:.2f}/s"
    if unit == "bytes":
        return f"{value:.0f} B"
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def _style(ax: Any, title: str) -> None:
    ax.set_facecolor(PANEL)
    ax.set_title(title, color=TEXT, fontsize=9, loc="left")
    ax.tick_params(colors=TEXT, labelsize=6)
    for spine in ax.spines.values():
        spine.set_color("#444")


def _stat(ax: Any, panel: dict[str, Any], prom: Prometheus) -> None:
    expr = promql.substitute(panel["targets"][0]["expr"], {"__rate_interval": RATE_INTERVAL})
    result = prom.query(expr)
    value = next((float(s["value"][1]) for s in result if math.isfinite(float(s["value"][1]))), math.nan)
    unit = panel["fieldConfig"]["defaults"]["unit"]
    _style(ax, panel["title"])
    ax.set_xticks([])
    ax.set_yticks([])
    text = "no data" if math.isnan(value) else _format(value, unit)
    ax.text(
        0.5,
        0.45,
        text,
        ha="center",
        va="center",
        fontsize=18,
        color=_colour(panel, value),
        transform=ax.transAxes,
    )


COLOURS = {"green": "#73bf69", "orange": "#ff9830", "red": "#f2495c"}


def _colour(panel: dict[str, Any], value: float) -> str:
    """The colour Grafana gives the value: the last threshold step at or below it."""
    colour = "green"
    for step in panel["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", []):
        if step["value"] is None or (not math.isnan(value) and value >= step["value"]):
            colour = step["color"]
    return COLOURS.get(colour, colour)


def _table(ax: Any, panel: dict[str, Any], prom: Prometheus) -> None:
    """An instant table: one row per label set, one column per query, as Grafana merges them."""
    _style(ax, panel["title"])
    ax.set_xticks([])
    ax.set_yticks([])
    rows: dict[tuple[str, ...], list[str]] = {}
    units = list(panel["fieldConfig"].get("overrides", []))
    for index, target in enumerate(panel["targets"]):
        expr = promql.substitute(target["expr"], {"__rate_interval": RATE_INTERVAL})
        unit = units[index]["properties"][0]["value"] if index < len(units) else "short"
        for series in prom.query(expr):
            metric = series["metric"]
            key = (metric.get(names.AGENT, "?"), metric.get(names.METHOD, "?"))
            value = float(series["value"][1])
            cells = rows.setdefault(key, ["-"] * len(panel["targets"]))
            cells[index] = _format(value, unit) if math.isfinite(value) else "-"
    header = ["agent · method", *[u["matcher"]["options"] for u in units]]
    lines = [header] + [[" · ".join(k), *v] for k, v in sorted(rows.items())]
    for number, line in enumerate(lines[:12]):
        y = 0.9 - number * 0.075
        for column, cell in enumerate(line):
            ax.text(0.01 + column * 0.25, y, cell, fontsize=8, color=TEXT, transform=ax.transAxes)


def _timeseries(ax: Any, panel: dict[str, Any], prom: Prometheus, start: float, end: float) -> None:
    _style(ax, panel["title"])
    unit = panel["fieldConfig"]["defaults"]["unit"]
    lines = 0
    for target in panel["targets"]:
        expr = promql.substitute(target["expr"], {"__rate_interval": RATE_INTERVAL})
        for series in prom.query_range(expr, start, end, 1):
            xs, ys = _finite(series["values"])
            if not xs:
                continue
            scale = 1000.0 if unit == "s" else 100.0 if unit == "percentunit" else 1.0
            ax.plot(
                [x - start for x in xs],
                [y * scale for y in ys],
                linewidth=1,
                label=_legend(target["legendFormat"], series["metric"])[:40],
            )
            lines += 1
    suffix = {"s": "ms", "percentunit": "%", "reqps": "req/s", "ops": "/s", "bytes": "bytes"}.get(unit, "")
    ax.set_ylabel(suffix, color=TEXT, fontsize=6)
    ax.set_xlabel("seconds", color=TEXT, fontsize=6)
    if lines:
        ax.legend(fontsize=5, loc="upper left", ncol=2, framealpha=0.3, labelcolor=TEXT, facecolor=PANEL)
    else:
        ax.text(0.5, 0.5, "no data", ha="center", color=TEXT, transform=ax.transAxes)


def _heatmap(ax: Any, panel: dict[str, Any], prom: Prometheus, start: float, end: float) -> None:
    _style(ax, panel["title"])
    expr = promql.substitute(panel["targets"][0]["expr"], {"__rate_interval": RATE_INTERVAL})
    result = prom.query_range(expr, start, end, 2)
    buckets = sorted(result, key=lambda s: float(s["metric"]["le"]))
    if not buckets:
        ax.text(0.5, 0.5, "no data", ha="center", color=TEXT, transform=ax.transAxes)
        return
    times = sorted({float(t) for s in buckets for t, _ in s["values"]})
    index = {t: i for i, t in enumerate(times)}
    cumulative = [[0.0] * len(times) for _ in buckets]
    for row, series in enumerate(buckets):
        for t, v in series["values"]:
            value = float(v)
            cumulative[row][index[float(t)]] = value if math.isfinite(value) else 0.0
    # buckets are cumulative: a cell is its bucket minus the one below
    cells = [
        [max(0.0, cumulative[r][c] - (cumulative[r - 1][c] if r else 0.0)) for c in range(len(times))]
        for r in range(len(buckets))
    ]
    keep = [r for r in range(len(buckets)) if any(cells[r])]
    low, high = (min(keep), max(keep)) if keep else (0, len(buckets) - 1)
    shown = cells[low : high + 1]
    ax.imshow(
        shown,
        aspect="auto",
        origin="lower",
        cmap="Oranges",
        extent=(times[0] - start, times[-1] - start, -0.5, len(shown) - 0.5),
    )
    labels = [buckets[r]["metric"]["le"] for r in range(low, high + 1)]
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels([f"≤{float(le) * 1000:g} ms" if le != "+Inf" else "+Inf" for le in labels])
    ax.set_xlabel("seconds", color=TEXT, fontsize=6)
    exemplars = prom.api("query_exemplars", query=_bucket_name(expr), start=start, end=end)
    xs, ys = [], []
    for series in exemplars:
        for exemplar in series["exemplars"]:
            value = float(exemplar["value"])
            row = next((i for i, le in enumerate(labels) if value <= float(le)), len(labels) - 1)
            xs.append(float(exemplar["timestamp"]) - start)
            ys.append(row)
    if xs:
        ax.scatter(xs, ys, s=6, color="#ff00ff", alpha=0.8, label=f"{len(xs)} exemplars (trace links)")
        ax.legend(fontsize=5, loc="upper left", framealpha=0.3, labelcolor=TEXT, facecolor=PANEL)


def _bucket_name(expr: str) -> str:
    match = re.search(r"(\w+_bucket)\{[^}]*\}", expr)
    assert match, expr
    return match.group(0)


def draw(name: str, dashboard: dict[str, Any], prom: Prometheus, start: float, end: float) -> Path:
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in dashboard["panels"])
    fig = plt.figure(figsize=(24 * COLUMN_WIDTH, rows * ROW_HEIGHT + 1.0), facecolor=DARK)
    fig.suptitle(dashboard["title"], color=TEXT, fontsize=13, x=0.01, y=0.995, ha="left", va="top")
    grid = fig.add_gridspec(
        rows,
        24,
        left=0.04,
        right=0.99,
        top=1 - 1.0 / (rows * ROW_HEIGHT + 1.0),
        bottom=0.03,
        hspace=4.0,
        wspace=2.5,
    )
    for panel in dashboard["panels"]:
        pos = panel["gridPos"]
        ax = fig.add_subplot(grid[pos["y"] : pos["y"] + pos["h"], pos["x"] : pos["x"] + pos["w"]])
        if panel["type"] == "stat":
            _stat(ax, panel, prom)
        elif panel["type"] == "table":
            _table(ax, panel, prom)
        elif panel["type"] == "heatmap":
            _heatmap(ax, panel, prom, start, end)
        else:
            _timeseries(ax, panel, prom, start, end)
    path = OUT / f"dashboard-{name.removeprefix('a2a-')}.png"
    fig.savefig(path, dpi=80, facecolor=DARK)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=90.0, help="traffic to record before drawing")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        rule_file = directory / "rules.yml"
        rule_file.write_text(yamlout.dumps(rules.rule_groups(rules.FAST)), encoding="utf-8")
        with (
            traffic_app(directory / "traffic.log", idle=("relay",)) as app,
            prometheus(
                directory, {"a2a-demo": [app.target], "a2a-gone": [f"127.0.0.1:{free_port()}"]}, [rule_file]
            ) as prom,
        ):
            start = time.time()
            app.wait_warm()
            time.sleep(args.seconds)
            end = time.time()
            for name, dashboard in grafana.dashboards().items():
                if any(panel.get("targets") for panel in dashboard["panels"]):  # not the runbooks
                    print(draw(name, dashboard, prom, start, end))


if __name__ == "__main__":
    main()
