"""The DuckDB conversation store: schema, exporters, snapshots and the replay's queries.

Importing this package does not import duckdb; it is loaded when a store is first opened, so
``pip install 'a2a-observe[store]'`` is only needed by those who use one.
"""

from __future__ import annotations

from a2a_observe.store.errors import StoreError
from a2a_observe.store.exporters import DuckDBLogExporter, DuckDBSpanExporter
from a2a_observe.store.snapshot import open_snapshot

__all__ = ["DuckDBLogExporter", "DuckDBSpanExporter", "StoreError", "open_snapshot"]
