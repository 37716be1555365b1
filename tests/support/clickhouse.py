"""The embedded ClickHouse engine (chdb) for tests.

chdb runs one engine per process, on one folder: every test of the session shares one folder
and gets a database of its own in it, so tests stay apart without reopening the engine."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from a2a_observe.store.clickhouse.client import Client, connect
from a2a_observe.store.clickhouse.location import Location, parse_location

_FOLDER = Path(tempfile.mkdtemp(prefix="a2a-observe-chdb-")) / "engine"
_NUMBERS = itertools.count(1)


def chdb_url(name: str = "t") -> str:
    """A fresh, empty database in the session's embedded engine, as a store URL."""
    return f"chdb://{_FOLDER}?database={name}_{next(_NUMBERS)}"


def chdb_location(name: str = "t") -> Location:
    return parse_location(chdb_url(name))


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of ``sql`` run on the store at ``url`` (``{db}`` stands for its database)."""
    location = parse_location(url)
    client: Client = connect(location)
    try:
        sql = sql.replace("'{db}'", f"'{location.database}'").replace("{db}", f"`{location.database}`")
        return client.query(sql)
    finally:
        client.close()
