"""The one error the replay raises for bad input, with a message fit for a terminal."""

from __future__ import annotations


class ReplayError(Exception):
    """Unknown conversation, unreadable store, a re-drive that cannot run; says why."""
