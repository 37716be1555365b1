"""Reading a store while something writes it.

DuckDB lets one process hold a file for writing, and while it does no other process may open
the file at all. So readers never keep a store open: they take a snapshot, a consistent copy
made between two commits, and read that. A collector serves snapshots over HTTP (it announces
its address in a small file next to the store, ``<store>.collector.json``); a store written
in-process by the exporters is released by its writer after a moment without data, and the
reader copies it then. ``docs/store.md`` explains the choice.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from a2a_observe.store.errors import StoreError
from a2a_observe.store.schema import SCHEMA_VERSION, current_version, migrate
from a2a_observe.store.writer import StoreWriter, writer_for

if TYPE_CHECKING:
    import duckdb


def announcement_path(store: str | Path) -> Path:
    """Where a collector writing ``store`` says how to reach it."""
    store = Path(store)
    return store.with_name(store.name + ".collector.json")


@dataclass(frozen=True)
class Announcement:
    url: str
    pid: int


def announce(store: str | Path, url: str) -> Path:
    """Say where this collector listens, replacing what a collector that was killed left."""
    path = announcement_path(store)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps({"url": url, "pid": os.getpid()}))
    tmp.replace(path)
    return path


def find_collector(store: str | Path) -> Announcement | None:
    """The collector writing ``store``, if one announced itself and is still running.

    A collector stopped with ``kill -9`` leaves its announcement behind; one whose process is
    gone is stale, and is removed here so that nobody trusts it again."""
    path = announcement_path(store)
    try:
        data = json.loads(path.read_text())
        found = Announcement(url=str(data["url"]), pid=int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(found.pid, 0)
    except ProcessLookupError:
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    except PermissionError:
        pass
    return found


def unreachable(exc: StoreError) -> bool:
    """A refused connection (nothing listens there), as opposed to an answer saying no."""
    return isinstance(exc.__cause__, urllib.error.URLError) and not isinstance(
        exc.__cause__, urllib.error.HTTPError
    )


def write_snapshot(con: duckdb.DuckDBPyConnection, target: Path) -> Path:
    """Copy the database ``con`` writes into a new file; run it between two commits."""
    row = con.execute("SELECT current_database()").fetchone()
    name = str(row[0]) if row else "main"
    con.execute("ATTACH ? AS a2a_observe_snapshot", [str(target)])
    try:
        con.execute(f'COPY FROM DATABASE "{name}" TO a2a_observe_snapshot')
    finally:
        con.execute("DETACH a2a_observe_snapshot")
    return target


def copy_file(path: Path) -> duckdb.DuckDBPyConnection:
    import duckdb  # noqa: PLC0415 - duckdb is an optional extra, loaded only when a store is used

    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH ? AS a2a_observe_source (READ_ONLY)", [str(path)])
    except duckdb.Error as exc:
        con.close()
        text = str(exc)
        if "lock" in text.lower():
            raise StoreError(f"{path} is open for writing in another process: {text}") from exc
        raise StoreError(f"{path} cannot be opened as a store: {text}") from exc
    try:
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'a2a_observe_source'"
            ).fetchall()
        }
        if "schema_version" in tables:
            row = con.execute("SELECT max(version) FROM a2a_observe_source.schema_version").fetchone()
            version = int(row[0]) if row and row[0] is not None else 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{path} has schema version {version}, written by a newer a2a-observe; "
                    f"this one reads up to version {SCHEMA_VERSION}"
                )
        con.execute("COPY FROM DATABASE a2a_observe_source TO memory")
        con.execute("DETACH a2a_observe_source")
    except StoreError:
        con.close()
        raise
    except duckdb.Error as exc:
        con.close()
        raise StoreError(f"{path} cannot be read: {exc}") from exc
    migrate(con, str(path))
    return con


def download_snapshot(url: str, token: str | None = None, timeout: float = 10.0) -> duckdb.DuckDBPyConnection:
    """A consistent copy of the store a collector at ``url`` is writing, held in memory."""
    from a2a_observe.store.live_copy import fetch  # noqa: PLC0415 - it imports this module

    return _open_private_copy(lambda target: fetch(url, token, timeout, target))


def open_downloaded(path: Path, *, read_only: bool, source: str) -> tuple[duckdb.DuckDBPyConnection, int]:
    """A downloaded snapshot file, opened, and its schema version (closed again if that cannot
    be read); ``source`` names where it came from in the error (`` from URL``, or nothing)."""
    import duckdb  # noqa: PLC0415 - duckdb is an optional extra, loaded only when a store is used

    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise StoreError(f"the snapshot{source} cannot be opened: {exc}") from exc
    try:
        return con, current_version(con, str(path))
    except BaseException:
        con.close()
        raise


def _open_private_copy(make: Callable[[Path], object]) -> duckdb.DuckDBPyConnection:
    """Open a snapshot file that ``make`` writes, without copying it once more.

    The file is this reader's own, so it is opened in place, read-only, and unlinked at once:
    the connection keeps reading it, and the disk space is freed when the connection closes.
    Copying it into memory instead costs as much as the snapshot again, on every poll of a live
    reader. A snapshot of an older schema is copied and migrated as before."""

    folder = Path(tempfile.mkdtemp(prefix="a2a-observe-"))
    target = folder / "snapshot.duckdb"
    try:
        make(target)
        con, version = open_downloaded(target, read_only=True, source="")
        if version != SCHEMA_VERSION:
            con.close()
            return copy_file(target)
        con.execute("SET temp_directory = ?", [tempfile.gettempdir()])
        return con
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _download(found: Announcement, token: str | None, timeout: float) -> duckdb.DuckDBPyConnection:
    return download_snapshot(found.url, token, timeout)


def _through_writer(writer: StoreWriter, timeout: float) -> duckdb.DuckDBPyConnection:
    """This process writes the store itself: wait for what it has queued, then copy it from the
    writer's replica while it goes on writing."""
    writer.flush(timeout)
    return _open_private_copy(lambda target: writer.snapshot(target, timeout))


def reader_token() -> str | None:
    """The collector's token as readers find it (``A2A_OBSERVE_COLLECT_TOKEN_FILE``, then
    ``A2A_OBSERVE_COLLECT_TOKEN``)."""
    from a2a_observe.store.auth import TokenError, token_from_env  # noqa: PLC0415 - stdlib only

    try:
        return token_from_env()
    except TokenError as exc:
        raise StoreError(str(exc)) from exc


def open_snapshot(
    store: str | Path, *, timeout: float = 10.0, token: str | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory copy of ``store`` as of one commit, whoever is writing it.

    The copy does not change afterwards; take another snapshot to see newer data.
    """
    path = Path(store)
    if not path.exists():
        raise StoreError(f"{path} does not exist")
    token = token if token is not None else reader_token()
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        writer = writer_for(path)
        if writer is not None:
            return _through_writer(writer, timeout)
        found = find_collector(path)
        if found is not None:
            try:
                return _download(found, token, timeout)
            except StoreError as exc:
                # Nothing listens at the announced address: the announcement is stale (its
                # process id now belongs to another process), and the file is read directly.
                if find_collector(path) is not None and not unreachable(exc):
                    raise
        try:
            return copy_file(path)
        except StoreError as exc:
            busy = "open for writing" in str(exc) or "already attached" in str(exc)
            if not busy or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
