"""Auditing a whole store: every conversation, and traces that never got a conversation id
(a call that failed before any context existed is exactly what a check should catch)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from a2a_observe.replay.audits import AuditSettings, Finding, audit
from a2a_observe.replay.load import rebuild, rebuild_trace, resolve
from a2a_observe.replay.model import ConversationModel
from a2a_observe.store.source import ConversationSource


def check_store(
    source: ConversationSource,
    settings: AuditSettings | None = None,
    *,
    conversations: Sequence[str] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_model: Callable[[ConversationModel], None] | None = None,
) -> list[Finding]:
    """Findings of the given conversations (all of them, and orphan traces, when ``None``)."""
    settings = settings or AuditSettings()
    if conversations is None:
        work: list[tuple[str, str]] = [("conversation", c) for c in source.conversation_ids()]
        work.extend(("trace", t) for t in source.orphan_traces())
    else:
        work = [("conversation", resolve(source, c)) for c in conversations]
    found: list[Finding] = []
    for done, (what, key) in enumerate(work, 1):
        model = rebuild(source, key) if what == "conversation" else rebuild_trace(source, key)
        found.extend(audit(model, settings))
        if on_model is not None:
            on_model(model)
        if on_progress is not None:
            on_progress(done, len(work))
    return found
