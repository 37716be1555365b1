"""Opening a conversation source from what a user typed: a path or a URL.

``open_source("conversations.duckdb")``, ``open_source("duckdb:///var/a2a/store.duckdb")`` and
``open_source("http://127.0.0.1:4318")`` (a running ``a2a-observe collect``, read through its
snapshots) all give a :class:`~a2a_observe.store.source.ConversationSource`. The scheme picks
the backend from :data:`BACKENDS`; a backend module is imported only when its scheme is used,
so the engines stay optional extras. Another package can add a scheme with
:func:`register_backend`, or through the ``a2a_observe.store_backends`` entry point group (name:
the scheme, value: ``module:function``), which is only looked at for schemes not listed here.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import cast

from a2a_observe.store.errors import StoreError
from a2a_observe.store.source import ConversationSource

ENTRY_POINT_GROUP = "a2a_observe.store_backends"
PATH_BACKEND = "duckdb"
"""The backend for a location without a scheme: a file path."""


@dataclass(frozen=True)
class OpenOptions:
    """What every opener is told besides the location; a backend ignores what it has no use for."""

    token: str | None = None
    """A bearer token for a collector (default: the collector token settings in the environment)."""
    timeout: float = 10.0
    """How long to wait for a busy file or a slow server, in seconds."""
    hold: bool = False
    """Whether the source may keep a finished file open, read-only, for as long as it lives (fast
    for a big store that is read many times, as the debugger does; meanwhile no one can write
    it). Otherwise it reads a snapshot and lets the file go at once."""


Opener = Callable[[str, OpenOptions], ConversationSource]
"""Opens a location (the string as given, scheme included when it had one)."""

BACKENDS: dict[str, str | Opener] = {
    "duckdb": "a2a_observe.store.duckdb_source:open_duckdb",
    "file": "a2a_observe.store.duckdb_source:open_duckdb",
    "http": "a2a_observe.store.duckdb_source:open_collector",
    "https": "a2a_observe.store.duckdb_source:open_collector",
    "chdb": "a2a_observe.store.clickhouse.source:open_clickhouse",
    "clickhouse": "a2a_observe.store.clickhouse.source:open_clickhouse",
    "clickhouses": "a2a_observe.store.clickhouse.source:open_clickhouse",
}
"""Scheme → opener, or ``"module:function"`` naming one to import when the scheme is used."""


def register_backend(scheme: str, opener: str | Opener) -> None:
    """Let :func:`open_source` open ``scheme://...`` locations with ``opener``."""
    BACKENDS[scheme.lower()] = opener


def scheme_of(location: str | os.PathLike[str]) -> str | None:
    """The URL scheme of ``location``, or None for a plain path."""
    if isinstance(location, os.PathLike):
        return None
    head, sep, _ = location.partition("://")
    if not sep or not head or not (head[0].isalpha() and all(c.isalnum() or c in "+-." for c in head)):
        return None
    return head.lower()


def _from_entry_points(scheme: str) -> str | None:
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name.lower() == scheme:
            return point.value
    return None


def _resolve(spec: str | Opener, scheme: str) -> Opener:
    if not isinstance(spec, str):
        return spec
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"reading {scheme}:// stores needs a package that is not installed ({exc.name}): {exc}"
        ) from exc
    return cast(Opener, getattr(module, attribute))


def open_source(
    location: str | os.PathLike[str],
    *,
    token: str | None = None,
    timeout: float = 10.0,
    hold: bool = False,
) -> ConversationSource:
    """The conversation source at ``location``; a :class:`StoreError` says why not."""
    options = OpenOptions(token=token, timeout=timeout, hold=hold)
    scheme = scheme_of(location)
    if scheme is None:
        spec = BACKENDS[PATH_BACKEND]
        return _resolve(spec, PATH_BACKEND)(str(Path(location)), options)
    spec_or_none = BACKENDS.get(scheme) or _from_entry_points(scheme)
    if spec_or_none is None:
        known = ", ".join(f"{name}://" for name in sorted(BACKENDS))
        raise StoreError(f"{location}: unknown store scheme {scheme}://; known: {known}, or a file path")
    return _resolve(spec_or_none, scheme)(str(location), options)
