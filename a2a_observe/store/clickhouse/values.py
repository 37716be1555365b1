"""Attribute values between OpenTelemetry's types and the exporter's ``Map(String, String)``.

The Collector's clickhouseexporter keeps every attribute value as text (pdata's ``AsString``:
integers in decimal, booleans ``true``/``false``, doubles in the shortest fixed notation, arrays
and maps as JSON). Writing, :func:`as_text` does the same, so a span stored by ``a2a-observe
collect`` is the row the Collector would have written. Reading, the types cannot be told from
the text alone (``"7"`` may be a string), so :func:`typed` restores them only for the attributes
whose type the A2A and GenAI conventions fix; every other value stays text.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from a2a_observe import semconv


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def as_text(value: Any) -> str:
    """One attribute value as the exporter writes it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def text_map(attributes: Mapping[str, Any]) -> dict[str, str]:
    return {str(key): as_text(value) for key, value in attributes.items()}


def _bool(text: str) -> Any:
    return {"true": True, "false": False}.get(text, text)


def _int(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text


def _float(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


def _number(text: str) -> Any:
    number = _int(text)
    return _float(text) if isinstance(number, str) else number


def _list(text: str) -> Any:
    if not text.startswith("["):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


TYPES: dict[str, Callable[[str], Any]] = {
    **dict.fromkeys(
        (
            semconv.A2A_ARTIFACT_APPEND,
            semconv.A2A_ARTIFACT_LAST_CHUNK,
            semconv.A2A_CONTENT_TRUNCATED,
            semconv.A2A_TASK_FINAL,
        ),
        _bool,
    ),
    **dict.fromkeys(
        (
            semconv.A2A_MESSAGE_PARTS_COUNT,
            semconv.A2A_MESSAGE_SIZE,
            semconv.A2A_ARTIFACT_PARTS_COUNT,
            semconv.A2A_STREAM_EVENT_INDEX,
            semconv.A2A_STREAM_EVENTS_COUNT,
            semconv.HTTP_RESPONSE_STATUS_CODE,
            semconv.SERVER_PORT,
            semconv.CLIENT_PORT,
        ),
        _int,
    ),
    semconv.A2A_STREAM_TIME_TO_FIRST_EVENT: _float,
    **dict.fromkeys((semconv.A2A_MESSAGE_PARTS_KINDS, semconv.A2A_MESSAGE_REFERENCE_TASK_IDS), _list),
}
"""The attributes whose type the conventions fix; anything else read back stays text."""


def typed(attributes: Mapping[str, str]) -> dict[str, Any]:
    """A map read from ClickHouse with the conventions' types restored."""
    out: dict[str, Any] = {}
    for key, text in attributes.items():
        convert = TYPES.get(key)
        if convert is None and key.startswith(semconv.GEN_AI_USAGE_PREFIX):
            convert = _number
        out[key] = convert(text) if convert is not None else text
    return out
