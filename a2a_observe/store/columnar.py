"""Rows into DuckDB as Arrow tables.

DuckDB's appender converts every Python value with the interpreter lock held, so the writer
thread's inserts and the conversion of the next batch took turns on one core. Arrow hands
DuckDB whole columns: pyarrow turns the row tuples into columns in one C call per table, and
DuckDB then scans them without the lock, in parallel with whatever Python runs meanwhile.
pyarrow is imported on first use, as duckdb is, so importing the store stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from a2a_observe.store.errors import StoreError

if TYPE_CHECKING:
    import duckdb
    import pyarrow

_VIEW = "a2a_observe_rows"
"""The name the Arrow table is registered under on the writer's connection for one insert."""


def _arrow_type(pa: Any, duckdb_type: str) -> Any:
    types = {
        "VARCHAR": pa.string(),
        "JSON": pa.string(),
        "BIGINT": pa.int64(),
        "INTEGER": pa.int32(),
        "BOOLEAN": pa.bool_(),
    }
    if duckdb_type not in types:
        raise StoreError(f"no Arrow type for the store's column type {duckdb_type}")
    return types[duckdb_type]


class ArrowInserts:
    """Builds Arrow tables from rows and inserts them, with each table's Arrow types read from
    the file itself, so a column's type is the store's and never a second copy of it."""

    def __init__(self) -> None:
        import pyarrow  # noqa: PLC0415 - see the module's docstring

        self._pa = pyarrow
        self._types: dict[tuple[str, tuple[str, ...]], Any] = {}

    def table(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        columns: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
    ) -> pyarrow.Table:
        key = (name, tuple(columns))
        struct = self._types.get(key)
        if struct is None:
            declared = dict(
                con.execute(
                    "SELECT column_name, data_type FROM duckdb_columns() "
                    "WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?",
                    [name],
                ).fetchall()
            )
            struct = self._pa.struct(
                [(column, _arrow_type(self._pa, declared[column])) for column in columns]
            )
            self._types[key] = struct
        return self._pa.Table.from_struct_array(self._pa.array(rows, type=struct))

    @staticmethod
    def insert(con: duckdb.DuckDBPyConnection, name: str, table: pyarrow.Table) -> None:
        con.register(_VIEW, table)
        try:
            con.execute(f"INSERT INTO {name} ({', '.join(table.column_names)}) SELECT * FROM {_VIEW}")
        finally:
            con.unregister(_VIEW)
