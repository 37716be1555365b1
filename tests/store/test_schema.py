"""Opening store files: new, current, foreign, newer and corrupt ones."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from a2a_observe.store import StoreError, open_snapshot
from a2a_observe.store.schema import MIGRATIONS, SCHEMA_VERSION, TABLES, VIEWS, open_store
from a2a_observe.store.writer import StoreWriter


def test_a_new_store_has_every_table_view_and_its_version(tmp_path: Path) -> None:
    con = open_store(tmp_path / "new.duckdb")
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert set(TABLES) <= names
    assert set(VIEWS) == views
    assert con.execute("SELECT max(version) FROM schema_version").fetchone() == (SCHEMA_VERSION,)


def test_reopening_keeps_data_and_does_not_migrate_twice(tmp_path: Path) -> None:
    path = tmp_path / "again.duckdb"
    con = open_store(path)
    con.execute("INSERT INTO batches VALUES (1, 1, 'test', 0, 0, 0)")
    con.close()
    con = open_store(path)
    assert con.execute("SELECT count(*) FROM schema_version").fetchone() == (len(MIGRATIONS),)
    assert con.execute("SELECT count(*) FROM batches").fetchone() == (1,)


def test_a_corrupt_file_is_named_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.duckdb"
    garbage = b"not a database" * 500
    path.write_bytes(garbage)
    with pytest.raises(StoreError, match=r"corrupt\.duckdb.*not a valid DuckDB database"):
        open_store(path)
    with pytest.raises(StoreError, match=r"corrupt\.duckdb"):
        open_snapshot(path)
    with pytest.raises(StoreError, match=r"corrupt\.duckdb"):
        StoreWriter(path)
    assert path.read_bytes() == garbage


def test_someone_elses_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    other = duckdb.connect(str(path))
    other.execute("CREATE TABLE invoices (id INTEGER)")
    other.close()
    with pytest.raises(StoreError, match=r"not an a2a-observe store.*invoices"):
        open_store(path)
    other = duckdb.connect(str(path))
    assert {r[0] for r in other.execute("SELECT table_name FROM duckdb_tables()").fetchall()} == {"invoices"}


def test_a_store_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.duckdb"
    con = open_store(path)
    con.execute("INSERT INTO schema_version VALUES (?, 0, 'from the future')", [SCHEMA_VERSION + 1])
    con.close()
    with pytest.raises(StoreError, match=rf"schema version {SCHEMA_VERSION + 1}.*newer"):
        open_store(path)
    with pytest.raises(StoreError, match="newer"):
        open_snapshot(path)


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        open_store(tmp_path / "nowhere" / "x.duckdb")
