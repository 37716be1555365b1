"""OTLP JSON as the Collector's file exporter writes it: one request per line, hex ids.

What ``a2a-observe import`` reads, so a test can record real agents once and put the same
recording into every store backend."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.trace import ReadableSpan

ID_KEYS = ("traceId", "spanId", "parentSpanId")


def _hex_ids(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: base64.b64decode(v).hex() if k in ID_KEYS and isinstance(v, str) else _hex_ids(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_hex_ids(v) for v in node]
    return node


def otlp_json_lines(spans: Sequence[ReadableSpan], logs: Sequence[ReadableLogRecord]) -> str:
    lines = [
        json.dumps(_hex_ids(MessageToDict(encode_spans(spans))), sort_keys=True),
        json.dumps(_hex_ids(MessageToDict(encode_logs(logs))), sort_keys=True),
    ]
    return "\n".join(lines) + "\n"
