"""The conversation as JSON: the whole model, for tools and for diffing runs by hand."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from a2a_observe.replay.audits import Finding
from a2a_observe.replay.escaping import json_document
from a2a_observe.replay.model import Artifact, ConversationModel, Exchange, Message, Task
from a2a_observe.replay.usage import usage

FORMAT = "a2a-observe.conversation/1"
"""Names the document's shape, so readers can tell versions apart."""

_DERIVED: dict[type, tuple[str, ...]] = {
    Message: ("text",),
    Artifact: ("chunk_count", "last_chunk_seen", "text"),
    Exchange: ("latency_ns",),
    Task: ("final_state",),
}
"""Properties worth having in the document although they are computed."""


def plain(value: Any) -> Any:
    """JSON-ready data: dataclasses as objects (with their derived values), in field order."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in _DERIVED.get(type(value), ()):
            out[name] = plain(getattr(value, name))
        if isinstance(value, Finding):
            out["finding_id"] = value.finding_id
        return out
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    return value


def to_json(model: ConversationModel, findings: Sequence[Finding] = ()) -> str:
    doc = plain(model)
    doc["spans"] = [plain(span) for span in model.spans.values()]
    doc["duration_ns"] = model.duration_ns
    doc["final_state"] = model.final_state
    doc["usage"] = plain(usage(model))
    doc["findings"] = [plain(f) for f in findings]
    return json_document(json.dumps({"format": FORMAT, **doc}, indent=2, ensure_ascii=False)) + "\n"
