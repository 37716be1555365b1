"""Argument types the subcommands share."""

from __future__ import annotations

from pathlib import Path


def store_location(text: str) -> str | Path:
    """A store to read: a file path, or a store URL (``duckdb:///path``, a collector's
    ``http://host:port``) kept as typed, since a ``Path`` would fold its slashes."""
    return text if "://" in text else Path(text)
