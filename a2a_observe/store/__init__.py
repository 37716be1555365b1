"""The conversation store: the read API every reader uses (``open_source`` gives a
:class:`ConversationSource`), and the DuckDB backend with its schema, exporters and snapshots.

Importing this package does not import duckdb; it is loaded when a store is first opened, so
``pip install 'a2a-observe[store]'`` is only needed by those who use one.
"""

from __future__ import annotations

from a2a_observe.store.errors import StoreError
from a2a_observe.store.exporters import DuckDBLogExporter, DuckDBSpanExporter
from a2a_observe.store.opening import open_source
from a2a_observe.store.snapshot import open_snapshot
from a2a_observe.store.source import ConversationSource

__all__ = [
    "ConversationSource",
    "DuckDBLogExporter",
    "DuckDBSpanExporter",
    "StoreError",
    "open_snapshot",
    "open_source",
]
