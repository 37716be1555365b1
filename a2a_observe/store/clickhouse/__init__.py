"""ClickHouse as a store: the tables the OpenTelemetry Collector's ``clickhouseexporter`` writes.

A fleet's telemetry already flows through the Collector into ClickHouse; reading that schema
(``otel_traces``, ``otel_logs``) as it is, rather than a schema of our own, lets the replay, the
audits and the exports work on it without a second copy. ``a2a-observe collect`` writes the same
schema, so a single machine can use it too, through the embedded engine (chdb).

Locations are URLs: ``chdb:///path/to/folder`` for the embedded engine and
``clickhouse://user:password@host:8123/database`` for a server (HTTP, through
clickhouse-connect). Neither driver is imported until a location is opened.
"""

from __future__ import annotations

from a2a_observe.store.clickhouse.location import Location, is_clickhouse_location, parse_location

__all__ = ["Location", "is_clickhouse_location", "parse_location"]
