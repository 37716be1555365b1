"""Replay: rebuild conversations from a store, audit them, export them and re-drive them.

Nothing here imports Textual; the store's driver (duckdb) and the A2A SDK are loaded only by
the functions that need them, so the terminal debugger, the CLI and CI checks share this core.
"""

from __future__ import annotations

from a2a_observe.replay.build import build
from a2a_observe.replay.errors import ReplayError
from a2a_observe.replay.load import open_store, rebuild, rebuild_trace, resolve
from a2a_observe.replay.model import (
    Agent,
    Artifact,
    ArtifactChunk,
    CallError,
    ConversationModel,
    Exchange,
    Message,
    Part,
    Step,
    Stream,
    Task,
    Transition,
)

__all__ = [
    "Agent",
    "Artifact",
    "ArtifactChunk",
    "CallError",
    "ConversationModel",
    "Exchange",
    "Message",
    "Part",
    "ReplayError",
    "Step",
    "Stream",
    "Task",
    "Transition",
    "build",
    "open_store",
    "rebuild",
    "rebuild_trace",
    "resolve",
]
