"""Opening a store for reading and rebuilding conversations from it, with errors that say
what is wrong (no such file, not a store, no such conversation) in the replay's words."""

from __future__ import annotations

import os

from a2a_observe.replay.build import build
from a2a_observe.replay.errors import ReplayError
from a2a_observe.replay.model import ConversationModel
from a2a_observe.store.errors import StoreError
from a2a_observe.store.opening import open_source
from a2a_observe.store.source import ConversationSource


def open_store(location: str | os.PathLike[str]) -> ConversationSource:
    """A consistent read-only view of a store (a path or a store URL), whoever writes it."""
    try:
        return open_source(location)
    except StoreError as exc:
        raise ReplayError(str(exc)) from exc


def resolve(source: ConversationSource, conversation_id: str) -> str:
    """The full conversation id for ``conversation_id`` or a unique prefix of one."""
    if not conversation_id:
        raise ReplayError("a conversation id is required")
    matches = source.ids_starting_with(conversation_id, 6)
    if conversation_id in matches or len(matches) == 1:
        return conversation_id if conversation_id in matches else matches[0]
    if matches:
        raise ReplayError(
            f"{conversation_id!r} matches several conversations: "
            f"{', '.join(matches[:5])}; give more of the id"
        )
    total = source.stats().conversations
    raise ReplayError(
        f"no conversation {conversation_id!r} in this store ({total} conversations; "
        "`a2a-observe check DB` or the conversation list shows them)"
    )


def rebuild(source: ConversationSource, conversation_id: str) -> ConversationModel:
    """The model of one conversation (an unambiguous id prefix is enough)."""
    return build(source.conversation(resolve(source, conversation_id)))


def rebuild_trace(source: ConversationSource, trace_id: str) -> ConversationModel:
    """A trace that carries no conversation id (a call that failed before any context
    existed), modelled as a conversation of its own, named ``trace:<id>``."""
    record = source.trace(trace_id)
    if not record.spans:
        raise ReplayError(f"no trace {trace_id!r} in this store")
    return build(record)
