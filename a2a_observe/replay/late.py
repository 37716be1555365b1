"""What an agent did after the SERVER span of its request had ended, back on that span.

Without an agent span, the agent's state changes, artifacts and messages are events of the
SERVER span serving the request; once that span has ended (a non-blocking SendMessage answers
while the agent works on), they arrive as log records of the same names carrying the span's
trace and span ids (see ``a2a_observe.observation.observer``). Read back as events of that
span, in the order they came, they rebuild the same conversation an agent span would have.
"""

from __future__ import annotations

import dataclasses

from a2a_observe import semconv
from a2a_observe.store.records import Conversation, EventRecord

LATE_SEQ = 1 << 30
"""Where the sequence numbers of late events start: after any event the span itself held."""


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def with_late_events(record: Conversation) -> Conversation:
    """``record`` with each late-event log record of a stored span added as that span's event."""
    spans = {s.span_id for s in record.spans}
    added: list[EventRecord] = []
    for log in record.logs:
        if log.event_name not in semconv.LATE_EVENTS or not log.span_id or log.span_id not in spans:
            continue
        attributes = dict(log.attributes)
        added.append(
            EventRecord(
                trace_id=log.trace_id or "",
                span_id=log.span_id,
                seq=LATE_SEQ + len(added),
                time_ns=log.time_ns or log.observed_ns or 0,
                name=log.event_name,
                attributes=attributes,
                dropped_attributes_count=log.dropped_attributes_count,
                task_id=_str(attributes.get(semconv.A2A_TASK_ID)) or log.task_id,
                task_state=_str(attributes.get(semconv.A2A_TASK_STATE)),
                artifact_id=_str(attributes.get(semconv.A2A_ARTIFACT_ID)),
                message_id=_str(attributes.get(semconv.A2A_MESSAGE_ID)),
            )
        )
    if not added:
        return record
    events = sorted([*record.events, *added], key=lambda e: (e.time_ns, e.span_id, e.seq))
    return dataclasses.replace(record, events=events)
