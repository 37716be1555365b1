"""Spans that started and have not ended: read from the start records the span-start logger
writes (see ``a2a_observe.signals.span_starts``), so a hung agent's run is seen while it hangs.

Each one becomes a span that lasts until ``now``, marked running, so the waterfall, the
exchange it belongs to and the audits treat it like any other span while knowing it is open.
"""

from __future__ import annotations

import dataclasses
import time

from a2a_observe import semconv
from a2a_observe.store.records import Conversation, SpanRecord

KINDS = {"SERVER", "CLIENT", "INTERNAL", "PRODUCER", "CONSUMER"}


def starts_recorded(record: Conversation) -> bool:
    """True when the conversation's agents logged their spans' starts (then a task with no
    open span is known to be lost, not hung)."""
    return any(log.event_name == semconv.EVENT_SPAN_START for log in record.logs)


def with_running(record: Conversation, now_ns: int | None = None) -> tuple[Conversation, frozenset[str]]:
    """``record`` plus a span for every start record whose span is not stored, and their ids."""
    ended = {s.span_id for s in record.spans}
    now = now_ns if now_ns is not None else time.time_ns()
    added: dict[str, SpanRecord] = {}
    for log in record.logs:
        if log.event_name != semconv.EVENT_SPAN_START or not log.span_id or not log.trace_id:
            continue
        if log.span_id in ended or log.span_id in added:
            continue
        attributes = dict(log.attributes)
        start = log.time_ns or now
        kind = str(attributes.pop(semconv.SPAN_START_KIND, "INTERNAL"))
        added[log.span_id] = SpanRecord(
            trace_id=log.trace_id,
            span_id=log.span_id,
            parent_span_id=attributes.pop(semconv.SPAN_START_PARENT, None),
            trace_state=None,
            parent_is_remote=None,
            name=str(attributes.pop(semconv.SPAN_START_NAME, log.body or "?")),
            kind=kind if kind in KINDS else "INTERNAL",
            start_ns=start,
            end_ns=max(now, start),
            duration_ns=None,
            status_code="UNSET",
            status_message=None,
            resource_id=log.resource_id,
            service_name=log.service_name,
            scope_name=log.scope_name,
            scope_version=log.scope_version,
            attributes=attributes,
            dropped_attributes_count=0,
            dropped_events_count=0,
            dropped_links_count=0,
            conversation_id=log.conversation_id or attributes.get(semconv.GEN_AI_CONVERSATION_ID),
            task_id=log.task_id or attributes.get(semconv.A2A_TASK_ID),
            agent_name=attributes.get(semconv.GEN_AI_AGENT_NAME),
            method=attributes.get(semconv.A2A_METHOD_NAME),
            task_state=None,
            message_id=None,
            error_type=None,
        )
    if not added:
        return record, frozenset()
    spans = sorted([*record.spans, *added.values()], key=lambda s: (s.start_ns, -s.end_ns, s.span_id))
    return dataclasses.replace(record, spans=spans), frozenset(added)
