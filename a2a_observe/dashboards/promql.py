"""Small PromQL builders, and the two things tests need to know about an expression: which
metrics it reads and what it looks like once Grafana has filled in its variables."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from a2a_observe.dashboards import names


def selector(*matchers: str) -> str:
    """``{a="b", c=~"d"}`` from matchers, empty when there are none."""
    kept = [m for m in matchers if m]
    return "{" + ", ".join(kept) + "}" if kept else ""


def eq(label: str, value: str) -> str:
    return f'{label}="{_escape(value)}"'


def ne(label: str, value: str) -> str:
    return f'{label}!="{_escape(value)}"'


def regex(label: str, pattern: str) -> str:
    return f'{label}=~"{_escape(pattern)}"'


def one_of(label: str, values: Iterable[str]) -> str:
    return regex(label, "|".join(_re_escape(v) for v in sorted(values)))


def none_of(label: str, values: Iterable[str]) -> str:
    return f'{label}!~"{_escape("|".join(_re_escape(v) for v in sorted(values)))}"'


def le_matcher(seconds: float) -> str:
    """Select one bucket boundary whatever the exposition wrote: ``1`` or ``1.0``.

    Prometheus 2 keeps ``le`` as scraped (``1.0`` from OpenMetrics), Prometheus 3 normalises
    it (``1``); an exact match would silently select nothing on one of them."""
    spellings = sorted({format(seconds, "g"), repr(float(seconds))})
    return regex(names.LE, "|".join(_re_escape(s) for s in spellings))


def by(*labels: str) -> str:
    return "by (" + ", ".join(labels) + ")"


def _re_escape(value: str) -> str:
    """``re.escape`` without escaping ``-``, which only matters inside a character class."""
    return re.sub(r"([.\\+*?^$()\[\]{}|])", r"\\\1", value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


# --- reading expressions back -------------------------------------------------------------------

GRAFANA_DEFAULTS: dict[str, str] = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
}
"""What Grafana's built-in interval variables become when a query is checked outside Grafana."""

_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")


def substitute(expr: str, values: Mapping[str, str], default: str = ".*") -> str:
    """The expression as Prometheus receives it: Grafana variables replaced by values.

    Template variables (``$agent``) only ever stand inside a regex matcher, so ``.*`` (all)
    keeps the query meaningful; interval variables get durations."""
    merged = {**GRAFANA_DEFAULTS, **values}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        return merged.get(name, default)

    return _VARIABLE.sub(replace, expr)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_BRACES = re.compile(r"\{[^{}]*\}")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_RANGE = re.compile(r"\[[^\]]*\]")
_LABEL_VALUES = re.compile(r"label_values\(\s*(?:([^,()]*?)\s*,)?\s*\w+\s*\)")
_TOKEN = re.compile(r"[0-9.][0-9A-Za-z_.]*|[A-Za-z_:][A-Za-z0-9_:]*")
_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless"}
    | {"offset", "inf", "nan"}
)


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (``label_values(m, l)`` included).

    Not a parser: strings, label matchers, groupings and ranges are removed first, then every
    remaining identifier that is not a function call, keyword or number is a metric."""
    text = _STRING.sub('""', expr)
    text = _BRACES.sub("{}", text)
    text = _LABEL_VALUES.sub(lambda m: m.group(1) or "", text)
    text = _GROUPING.sub("", text)
    text = _RANGE.sub("", text)
    found: set[str] = set()
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token[0].isdigit() or token[0] == "." or token.lower() in _KEYWORDS:
            continue
        if text[match.end() :].lstrip().startswith("("):
            continue
        found.add(token)
    return found
