"""Store URLs for ClickHouse: which engine, where, and which database holds the tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from a2a_observe.store.errors import StoreError

CHDB_SCHEME = "chdb"
SERVER_SCHEMES = ("clickhouse", "clickhouses")
"""``clickhouses://`` speaks HTTPS to the server."""
DEFAULT_DATABASE = "otel"
"""The database the Collector configuration in ``collectors/clickhouse`` writes to."""
DEFAULT_HTTP_PORT = 8123
TRACES_TABLE = "otel_traces"
LOGS_TABLE = "otel_logs"


@dataclass(frozen=True)
class Location:
    scheme: str
    database: str
    path: Path | None = None
    """The embedded engine's folder (``chdb``)."""
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = None

    @property
    def embedded(self) -> bool:
        return self.scheme == CHDB_SCHEME

    @property
    def secure(self) -> bool:
        return self.scheme == "clickhouses"

    def __str__(self) -> str:
        """The URL without the password, for messages and the collector's status."""
        if self.embedded:
            return f"chdb://{self.path}" + (f"?database={self.database}" if self.database != "otel" else "")
        who = f"{self.user}@" if self.user else ""
        return f"{self.scheme}://{who}{self.host}:{self.port}/{self.database}"


def is_clickhouse_location(value: str | Path) -> bool:
    """Whether a store argument names ClickHouse rather than a DuckDB file."""
    text = str(value)
    return any(text.startswith(f"{scheme}://") for scheme in (CHDB_SCHEME, *SERVER_SCHEMES))


def parse_location(value: str) -> Location:
    """``chdb:///folder[?database=otel]`` or ``clickhouse://user:password@host:8123/database``."""
    parts = urlsplit(value)
    query = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
    if parts.scheme == CHDB_SCHEME:
        if parts.netloc not in ("", "."):
            raise StoreError(
                f"{value}: a chdb location is chdb:///absolute/folder or chdb://./relative/folder"
            )
        raw = unquote(parts.path)
        if parts.netloc == ".":
            raw = raw.lstrip("/")
        if not raw or raw == "/":
            raise StoreError(f"{value}: name the folder of the embedded ClickHouse, e.g. chdb:///var/a2a/ch")
        return Location(CHDB_SCHEME, query.get("database", DEFAULT_DATABASE), path=Path(raw))
    if parts.scheme in SERVER_SCHEMES:
        if not parts.hostname:
            raise StoreError(
                f"{value}: name the ClickHouse server, e.g. clickhouse://default@127.0.0.1:8123/otel"
            )
        database = parts.path.strip("/") or DEFAULT_DATABASE
        try:
            port = parts.port or DEFAULT_HTTP_PORT
        except ValueError as exc:
            raise StoreError(f"{value}: {exc}") from exc
        return Location(
            parts.scheme,
            database,
            host=parts.hostname,
            port=port,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )
    raise StoreError(f"{value}: not a ClickHouse location (chdb:///folder or clickhouse://host:8123/db)")
