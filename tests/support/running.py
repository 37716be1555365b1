"""A store holding work in progress, with fixed ids and times: a non-blocking SendMessage to
the ``batch`` agent that answered ``submitted`` while the agent went on working and never
finished. Without an agent span (the default) its run says so in a log record of the SERVER
span, and what it did afterwards (``working``) is a log record too, as the instrumentation
writes them. Seen at :data:`NOW`, the run has been going for 3m12s."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from a2a_observe import semconv
from a2a_observe.collect.importer import import_files
from a2a_observe.store.writer import StoreWriter

START = 1_780_000_000_000_000_000
RUN_START = START + 1_000_000
NOW = RUN_START + 192_000_000_000
"""The wall clock the views are frozen at: 3m12s after the run started."""
CONVERSATION = "5e11f00d-0000-4000-8000-000000000001"
TASK = "7a5c0000-0000-4000-8000-000000000002"
TRACE = "0af7651916cd43dd8448eb211c80319c"
CLIENT = "b7ad6b7169203331"
SERVER = "00f067aa0ba902b7"


def _attributes(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": key, "value": {"stringValue": str(value)}} for key, value in values.items()]


def _call(
    span_id: str, parent: str | None, kind: int, start: int, end: int, events: list[Any]
) -> dict[str, Any]:
    span: dict[str, Any] = {
        "traceId": TRACE,
        "spanId": span_id,
        "name": semconv.SEND_MESSAGE,
        "kind": kind,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(end),
        "attributes": _attributes(
            {
                semconv.A2A_METHOD_NAME: semconv.SEND_MESSAGE,
                semconv.A2A_PROTOCOL_BINDING: semconv.BINDING_JSONRPC,
                semconv.A2A_PROTOCOL_VERSION: "1.0",
                semconv.GEN_AI_AGENT_NAME: "batch",
                semconv.GEN_AI_CONVERSATION_ID: CONVERSATION,
                semconv.A2A_TASK_ID: TASK,
                semconv.A2A_TASK_STATE: semconv.TASK_STATE_SUBMITTED,
                semconv.A2A_MESSAGE_ID: "run-the-nightly-batch",
            }
        ),
        "events": events,
    }
    if parent:
        span["parentSpanId"] = parent
    return span


def _record(event_name: str, at: int, values: dict[str, Any]) -> dict[str, Any]:
    ids = {
        semconv.GEN_AI_AGENT_NAME: "batch",
        semconv.GEN_AI_CONVERSATION_ID: CONVERSATION,
        semconv.A2A_TASK_ID: TASK,
    }
    return {
        "timeUnixNano": str(at),
        "severityNumber": 9,
        "severityText": "INFO",
        "body": {"stringValue": event_name},
        "eventName": event_name,
        "traceId": TRACE,
        "spanId": SERVER,
        "attributes": _attributes({**ids, **values}),
    }


def _resource(service: str) -> dict[str, Any]:
    return {"attributes": _attributes({semconv.SERVICE_NAME: service})}


def running_store(folder: Path, name: str = "live.duckdb") -> Path:
    submitted = [
        {
            "timeUnixNano": str(START + 2_000_000),
            "name": semconv.EVENT_TASK_STATUS,
            "attributes": _attributes({semconv.A2A_TASK_STATE: semconv.TASK_STATE_SUBMITTED}),
        }
    ]
    spans = {
        "resourceSpans": [
            {
                "resource": _resource("nightly"),
                "scopeSpans": [{"spans": [_call(CLIENT, None, 3, START, START + 4_000_000, [])]}],
            },
            {
                "resource": _resource("batch"),
                "scopeSpans": [
                    {"spans": [_call(SERVER, CLIENT, 2, START + 500_000, START + 3_000_000, submitted)]}
                ],
            },
        ]
    }
    logs = {
        "resourceLogs": [
            {
                "resource": _resource("batch"),
                "scopeLogs": [
                    {
                        "logRecords": [
                            _record(
                                semconv.EVENT_RUN_CONTINUES,
                                RUN_START,
                                {semconv.GEN_AI_OPERATION_NAME: semconv.OPERATION_INVOKE_AGENT},
                            ),
                            _record(
                                semconv.EVENT_TASK_STATUS,
                                START + 5_000_000,
                                {semconv.A2A_TASK_STATE: semconv.TASK_STATE_WORKING},
                            ),
                        ]
                    }
                ],
            }
        ]
    }
    source = folder / "live.otlp.jsonl"
    source.write_text(json.dumps(spans) + "\n" + json.dumps(logs) + "\n")
    db = folder / name
    writer = StoreWriter(db)
    try:
        report = import_files([source], writer)
    finally:
        writer.close()
    assert report.ok, report.problems
    return db
