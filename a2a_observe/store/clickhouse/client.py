"""One small interface over the two ways to reach ClickHouse: chdb in this process, or a server
over HTTP through clickhouse-connect.

Both take the same SQL with server-side parameters (``{name:Type}``), so no value is ever
spliced into a query, and both insert the same ``JSONEachRow`` payload, so there is one encoding
of rows whichever engine stores them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from a2a_observe import semconv
from a2a_observe.store.clickhouse.location import Location
from a2a_observe.store.errors import StoreError

Params = Mapping[str, Any]


class Client(Protocol):
    location: Location

    def query(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]: ...

    def command(self, sql: str) -> None: ...

    def insert_json(self, table: str, columns: Sequence[str], payload: bytes) -> None: ...

    def close(self) -> None: ...


def quoted(name: str) -> str:
    """An identifier in backticks (database and table names come from the user's URL)."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


_EMBEDDED_LOCK = threading.Lock()
"""chdb runs one engine per process, on one folder at a time, and its connection is not meant
for concurrent queries: every embedded query goes through this lock."""


class EmbeddedClient:
    """chdb: the ClickHouse engine inside this process, its data in one folder."""

    def __init__(self, location: Location) -> None:
        try:
            from chdb import session  # noqa: PLC0415 - an optional extra, loaded when used
        except ImportError as exc:
            raise StoreError(
                f"{location}: the embedded ClickHouse engine is not installed: "
                "pip install 'a2a-observe[chdb]'"
            ) from exc
        assert location.path is not None
        self.location = location
        folder = location.path.expanduser().resolve()
        if not folder.parent.is_dir():
            raise StoreError(f"{location}: folder {folder.parent} does not exist")
        make_session: Any = session.Session  # chdb's API is not typed
        with _EMBEDDED_LOCK:
            try:
                self._session: Any = make_session(str(folder))
            except Exception as exc:
                raise StoreError(f"{location} cannot be opened: {_first_line(exc)}") from exc
        self._closed = False

    def query(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        import orjson  # noqa: PLC0415 - the store extra

        with _EMBEDDED_LOCK:
            try:
                result = self._session.query(sql, "JSONCompact", params=_texts(params))
            except Exception as exc:
                raise StoreError(f"{self.location}: {_first_line(exc)}") from exc
        raw = result.bytes()
        if not raw:
            return []
        return [tuple(row) for row in orjson.loads(raw)["data"]]

    def command(self, sql: str) -> None:
        with _EMBEDDED_LOCK:
            try:
                self._session.query(sql)
            except Exception as exc:
                raise StoreError(f"{self.location}: {_first_line(exc)}") from exc

    def insert_json(self, table: str, columns: Sequence[str], payload: bytes) -> None:
        names = ", ".join(quoted(c) for c in columns)
        self.command(f"INSERT INTO {table} ({names}) FORMAT JSONEachRow\n{payload.decode()}")

    def close(self) -> None:
        with _EMBEDDED_LOCK:
            if not self._closed:
                self._closed = True
                self._session.close()


class ServerClient:
    """A ClickHouse server over HTTP (clickhouse-connect)."""

    def __init__(self, location: Location) -> None:
        try:
            import clickhouse_connect  # noqa: PLC0415 - an optional extra, loaded when used
        except ImportError as exc:
            raise StoreError(
                f"{location}: the ClickHouse client is not installed: pip install 'a2a-observe[clickhouse]'"
            ) from exc
        self.location = location
        self._lock = threading.Lock()
        try:
            self._client = clickhouse_connect.get_client(
                host=location.host,
                port=location.port,
                username=location.user or "default",
                password=location.password or os.environ.get(semconv.ENV_CLICKHOUSE_PASSWORD, ""),
                secure=location.secure,
            )
        except Exception as exc:
            raise StoreError(f"{location} cannot be reached: {_first_line(exc)}") from exc

    def query(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return [
                    tuple(row) for row in self._client.query(sql, parameters=dict(params or {})).result_rows
                ]
            except Exception as exc:
                raise StoreError(f"{self.location}: {_first_line(exc)}") from exc

    def command(self, sql: str) -> None:
        with self._lock:
            try:
                self._client.command(sql)
            except Exception as exc:
                raise StoreError(f"{self.location}: {_first_line(exc)}") from exc

    def insert_json(self, table: str, columns: Sequence[str], payload: bytes) -> None:
        with self._lock:
            try:
                self._client.raw_insert(table, list(columns), insert_block=payload, fmt="JSONEachRow")
            except Exception as exc:
                raise StoreError(f"{self.location}: {_first_line(exc)}") from exc

    def close(self) -> None:
        with self._lock:
            self._client.close()


def connect(location: Location) -> Client:
    return EmbeddedClient(location) if location.embedded else ServerClient(location)


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)


def _texts(params: Params | None) -> dict[str, str]:
    """Parameters as chdb takes them: text in ClickHouse's syntax for the declared type (a
    string as it is, an array as a literal of quoted items)."""
    out = {}
    for name, value in (params or {}).items():
        if isinstance(value, list | tuple):
            out[name] = "[" + ",".join(_literal(item) for item in value) + "]"
        else:
            out[name] = str(value)
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
