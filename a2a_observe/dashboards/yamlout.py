"""Just enough YAML to write rule and provisioning files without a YAML library at runtime.

The files are plain nested mappings, lists and scalars; multi-line strings (PromQL) become
literal blocks so the rules read as people write them. Every other string is double-quoted
JSON, which YAML reads back unchanged; the tests load the output with PyYAML to prove it.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/:]*")
_AMBIGUOUS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})


def dumps(value: Any) -> str:
    return "\n".join(_lines(value, 0)) + "\n"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if value is None:
        return "null"
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _AMBIGUOUS:
        return text
    return json.dumps(text, ensure_ascii=False)


def _literal(value: Any) -> bool:
    """Multi-line strings, and PromQL full of quotes, read best as literal blocks."""
    return isinstance(value, str) and ("\n" in value or '"' in value) and value == value.strip()


def _block(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return ["|-", *[f"{pad}{line}" if line else "" for line in text.split("\n")]]


def _empty(value: dict[Any, Any] | list[Any]) -> str:
    return "{}" if isinstance(value, dict) else "[]"


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        for key, item in value.items():
            head = f"{pad}{_scalar(key)}:"
            if _literal(item):
                first, *rest = _block(item, indent + 2)
                out += [f"{head} {first}", *rest]
            elif isinstance(item, dict | list) and item:
                out += [head, *_lines(item, indent + 2)]
            else:
                out.append(f"{head} {_empty(item) if isinstance(item, dict | list) else _scalar(item)}")
        return out
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        for item in value:
            nested = _lines(item, indent + 2)
            if isinstance(item, dict | list) and item:
                out.append(f"{pad}- {nested[0].lstrip()}")
                out += nested[1:]
            elif _literal(item):
                first, *rest = _block(item, indent + 2)
                out += [f"{pad}- {first}", *rest]
            else:
                out.append(f"{pad}- {_scalar(item)}")
        return out
    return [pad + _scalar(value)]
