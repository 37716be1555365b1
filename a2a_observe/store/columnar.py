"""Rows into DuckDB as Arrow tables.

DuckDB's appender converts every Python value with the interpreter lock held, so the writer
thread's inserts and the conversion of the next batch took turns on one core. Arrow hands
DuckDB whole columns: pyarrow turns the row tuples into columns in one C call per table, and
DuckDB then scans them without the lock, in parallel with whatever Python runs meanwhile.
pyarrow is imported on first use, as duckdb is, so importing the store stays light.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from a2a_observe.store.errors import StoreError
from a2a_observe.store.rows import TABLE_COLUMNS, Batch

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
        "DOUBLE": pa.float64(),
    }
    if duckdb_type not in types:
        raise StoreError(f"no Arrow type for the store's column type {duckdb_type}")
    return types[duckdb_type]


class ArrowInserts:
    """Builds Arrow tables from rows and inserts them, with each table's Arrow types read from
    the file itself, so a column's type is the store's and never a second copy of it.

    The types are read once, when the object is made, so that tables can be built on another
    thread than the one using the connection (DuckDB connections are not shared between threads).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        import pyarrow  # noqa: PLC0415 - see the module's docstring

        self._pa = pyarrow
        self._declared: dict[str, dict[str, str]] = {}
        for table, column, data_type in con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main'"
        ).fetchall():
            self._declared.setdefault(table, {})[column] = data_type
        self._types: dict[tuple[str, tuple[str, ...]], Any] = {}

    def _struct(self, name: str, columns: Sequence[str]) -> Any:
        key = (name, tuple(columns))
        struct = self._types.get(key)
        if struct is None:
            declared = self._declared.get(name)
            if declared is None or not set(columns) <= declared.keys():
                raise StoreError(f"the store has no table {name} with columns {', '.join(columns)}")
            struct = self._pa.struct(
                [(column, _arrow_type(self._pa, declared[column])) for column in columns]
            )
            self._types[key] = struct
        return struct

    def table(self, name: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> pyarrow.Table:
        return self._pa.Table.from_struct_array(self._pa.array(rows, type=self._struct(name, columns)))

    def from_columns(
        self, name: str, columns: Sequence[str], values: Mapping[str, list[Any]]
    ) -> pyarrow.Table:
        struct = self._struct(name, columns)
        return self._pa.Table.from_arrays(
            [self._pa.array(values[field.name], type=field.type) for field in struct],
            schema=self._pa.schema(list(struct)),
        )

    def for_batch(self, batch: Batch, name: str) -> pyarrow.Table:
        """One table of a batch, from its columns when it came as columns only, else its rows."""
        columns = TABLE_COLUMNS[name]
        given = batch.columns.get(name)
        if given and batch.count(name) == len(given[columns[0]]):
            return self.from_columns(name, columns, given)
        return self.table(name, columns, batch.rows(name))

    def concat(self, tables: Sequence[pyarrow.Table]) -> pyarrow.Table:
        return tables[0] if len(tables) == 1 else self._pa.concat_tables(tables)

    def warm(self, con: duckdb.DuckDBPyConnection) -> None:
        """Scan an empty table once, so that what DuckDB loads for its first Arrow scan (pandas,
        when installed: half a second) is loaded before the first batch waits for it, and
        load the Arrow compute functions the writer uses."""
        import pyarrow.compute  # noqa: F401, PLC0415 - loaded now rather than by the first batch

        con.register(_VIEW, self._pa.table({"warm": self._pa.array([], self._pa.int64())}))
        try:
            con.execute(f"SELECT count(*) FROM {_VIEW}").fetchall()
        finally:
            con.unregister(_VIEW)

    @staticmethod
    def insert(con: duckdb.DuckDBPyConnection, name: str, table: pyarrow.Table) -> None:
        con.register(_VIEW, table)
        try:
            con.execute(f"INSERT INTO {name} ({', '.join(table.column_names)}) SELECT * FROM {_VIEW}")
        except BaseException:
            # A failed statement aborts the transaction, and then unregistering fails too: the
            # first error is the one that says what went wrong.
            with contextlib.suppress(Exception):
                con.unregister(_VIEW)
            raise
        con.unregister(_VIEW)
