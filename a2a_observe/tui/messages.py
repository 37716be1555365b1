"""Messages between the application and its screens."""

from __future__ import annotations

from textual.message import Message


class StoreChanged(Message):
    """A live source has new records; open screens reload what they show."""
