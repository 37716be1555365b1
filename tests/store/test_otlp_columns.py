"""The receiver's column decoder gives the batch the row decoder gives, hostile input included.

The row decoder (``otlp_rows.traces_batch``) weighs every value against the limits; the column
decoder reads spans without weighing and falls back to the row decoder when a limit may apply.
These tests hold the two to the same rows, refusals, cut counts and messages.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from a2a_observe.store import otlp_columns, otlp_rows
from a2a_observe.store.otlp_rows import (
    MAX_ARRAY_ITEMS,
    MAX_ATTRIBUTES,
    MAX_DEPTH,
    MAX_RECORD_CHARS,
    MAX_VALUE_CHARS,
)
from a2a_observe.store.rows import TABLE_COLUMNS, Batch
from tests.collect.test_fuzz import FUZZ, trace_requests


def _summary(batch: Batch) -> dict[str, Any]:
    tables = {table: sorted(batch.rows(table), key=repr) for table in TABLE_COLUMNS}
    return {
        "tables": tables,
        "resources": batch.resources,
        "rejected": batch.rejected_spans,
        "truncated": batch.truncated,
        "errors": batch.errors,
    }


def _same(request: ExportTraceServiceRequest) -> Batch:
    columns = otlp_columns.traces_batch(request)
    assert _summary(columns) == _summary(otlp_rows.traces_batch(request))
    return columns


def _text(value: str) -> AnyValue:
    return AnyValue(string_value=value)


def _span(number: int = 1, **fields: Any) -> Span:
    values: dict[str, Any] = {
        "trace_id": bytes([1]) * 15 + bytes([number]),
        "span_id": bytes([2]) * 7 + bytes([number]),
        "name": "tasks/get",
        "kind": Span.SPAN_KIND_SERVER,
        "start_time_unix_nano": 1_700_000_000_000_000_000,
        "end_time_unix_nano": 1_700_000_000_100_000_000,
        "status": Status(code=Status.STATUS_CODE_OK),
    }
    values.update(fields)
    return Span(**values)


def _request(*spans: Span, scope: str = "a2a-observe") -> ExportTraceServiceRequest:
    resource = Resource(attributes=[KeyValue(key="service.name", value=_text("agent"))])
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=resource,
                scope_spans=[ScopeSpans(scope=InstrumentationScope(name=scope, version="1"), spans=spans)],
            )
        ]
    )


def test_ordinary_spans_are_columns_with_the_row_decoders_values() -> None:
    attributes = [
        KeyValue(key="a2a.method.name", value=_text("tasks/get")),
        KeyValue(key="gen_ai.conversation.id", value=_text("ctx-1")),
        KeyValue(key="a2a.message.parts.count", value=AnyValue(int_value=2)),
        KeyValue(key="flag", value=AnyValue(bool_value=True)),
        KeyValue(key="ratio", value=AnyValue(double_value=float("nan"))),
        KeyValue(key="empty", value=_text("")),
        KeyValue(key="unset", value=AnyValue()),
        KeyValue(key="raw", value=AnyValue(bytes_value=b"\x00\xff")),
        KeyValue(key="kinds", value=AnyValue(array_value=ArrayValue(values=[_text("text")]))),
    ]
    event = Span.Event(time_unix_nano=5, name="a2a.stream", attributes=attributes[:3])
    link = Span.Link(trace_id=b"\x03" * 16, span_id=b"\x04" * 8, trace_state="k=v", flags=0x300)
    batch = _same(
        _request(
            _span(1, attributes=attributes, events=[event, event], links=[link], parent_span_id=b"\x05" * 8),
            _span(2, trace_state="x=y", flags=0x100),
        )
    )
    assert len(batch.columns["spans"]["trace_id"]) == 2  # the column path, not the fallback
    assert len(batch.columns["span_events"]["seq"]) == 2


@pytest.mark.parametrize(
    "span",
    [
        pytest.param(
            _span(attributes=[KeyValue(key="big", value=_text("x" * (MAX_VALUE_CHARS + 5)))]), id="cut"
        ),
        pytest.param(
            _span(attributes=[KeyValue(key="big", value=AnyValue(bytes_value=b"\x01" * MAX_VALUE_CHARS))]),
            id="bytes",
        ),
        pytest.param(
            _span(
                attributes=[
                    KeyValue(key="same", value=_text("y" * (MAX_VALUE_CHARS // 2)))
                    for _ in range(2 * MAX_RECORD_CHARS // MAX_VALUE_CHARS + 2)
                ]
            ),
            id="repeated-keys-over-the-record-budget",
        ),
        pytest.param(
            _span(attributes=[KeyValue(key=f"k{i}", value=_text("v")) for i in range(MAX_ATTRIBUTES + 3)]),
            id="too-many-attributes",
        ),
        pytest.param(
            _span(
                attributes=[
                    KeyValue(
                        key="items",
                        value=AnyValue(array_value=ArrayValue(values=[_text("i")] * (MAX_ARRAY_ITEMS + 1))),
                    )
                ]
            ),
            id="long-array",
        ),
        pytest.param(
            _span(
                events=[
                    Span.Event(name="e" * (MAX_VALUE_CHARS - 1), time_unix_nano=1)
                    for _ in range(MAX_RECORD_CHARS // MAX_VALUE_CHARS + 2)
                ]
            ),
            id="events-over-the-record-budget",
        ),
        pytest.param(_span(name="n" * (MAX_VALUE_CHARS + 1)), id="long-name"),
        pytest.param(_span(end_time_unix_nano=2**64 - 1), id="time-beyond-bigint"),
        pytest.param(_span(events=[Span.Event(time_unix_nano=2**63)]), id="event-time-beyond-bigint"),
        pytest.param(_span(trace_id=b"\x00" * 16), id="zero-trace-id"),
        pytest.param(_span(parent_span_id=b"\x01" * 3), id="short-parent"),
        pytest.param(_span(links=[Span.Link(trace_id=b"\x01" * 16, span_id=b"")]), id="bad-link"),
    ],
)
def test_hostile_spans_are_cut_counted_and_refused_as_the_row_decoder_does(span: Span) -> None:
    batch = _same(_request(_span(9), span))
    assert batch.span_count + batch.rejected_spans == 2


def test_nesting_beyond_the_depth_limit_is_refused_as_the_row_decoder_does() -> None:
    value = _text("leaf")
    for _ in range(MAX_DEPTH + 1):
        value = AnyValue(array_value=ArrayValue(values=[value]))
    batch = _same(_request(_span(1, attributes=[KeyValue(key="deep", value=value)]), _span(2)))
    assert batch.rejected_spans == 1
    assert "nested" in batch.errors[0]


def test_a_long_scope_name_takes_the_row_path_with_the_same_cut() -> None:
    _same(_request(_span(1), scope="s" * (MAX_VALUE_CHARS + 1)))


@FUZZ
@given(request=trace_requests())
def test_any_request_gives_the_row_decoders_batch(request: ExportTraceServiceRequest) -> None:
    _same(request)
