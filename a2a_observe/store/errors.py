"""The one exception the store raises, so callers can tell a bad store file from a bug."""

from __future__ import annotations


class StoreError(Exception):
    """The store file cannot be opened, read or written; the message names the file and why."""
