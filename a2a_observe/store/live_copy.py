"""A reader's own copy of the store a collector writes, kept current with only what is new.

Downloading a whole snapshot on every poll costs the reader and the collector work in
proportion to the store's size, on the machine that is ingesting. A :class:`LiveCopy` downloads
one snapshot into a DuckDB file of its own (in a temporary folder removed when it closes), then
on each :meth:`LiveCopy.refresh` asks for the rows committed past its cursor and appends them in
one transaction (:mod:`a2a_observe.store.changes` describes the exchange). A collector that
cannot answer from the cursor (restarted, store rebuilt, another schema, an older a2a-observe
that ignores the cursor) sends a whole snapshot, which replaces the copy.

Reads see the copy through their own transactions (``DuckDBSource`` opens one per read), so a
refresh appending rows never shows a read half of a batch.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from a2a_observe.store.changes import CHANGES_TYPE, CURSOR_HEADER, SINCE, SNAPSHOT_PATH, unpack
from a2a_observe.store.errors import StoreError
from a2a_observe.store.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class _Answer:
    status: int
    media: str
    cursor: str | None
    body: Path


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def fetch(url: str, token: str | None, timeout: float, target: Path, since: str | None = None) -> _Answer:
    """``GET /v1/snapshot`` (with ``since`` when given) of the collector at ``url``, the body
    written to ``target``; a :class:`StoreError` names what went wrong, a timeout included."""
    query = "" if since is None else "?" + urllib.parse.urlencode({SINCE: since})
    request = urllib.request.Request(url.rstrip("/") + SNAPSHOT_PATH + query)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, target.open("wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)
            headers = response.headers
            return _Answer(response.status, headers.get_content_type(), headers.get(CURSOR_HEADER), target)
    except urllib.error.HTTPError as exc:
        if exc.code == 304:  # nothing new since the cursor
            return _Answer(304, "", exc.headers.get(CURSOR_HEADER), target)
        detail = exc.read().decode("utf-8", "replace")[:300]
        raise StoreError(f"the collector at {url} refused a snapshot: {exc.code} {detail}") from exc
    except TimeoutError as exc:
        raise StoreError(_too_slow(url, timeout)) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise StoreError(_too_slow(url, timeout)) from exc.reason
        raise StoreError(f"the collector at {url} could not be reached for a snapshot: {exc}") from exc
    except OSError as exc:
        raise StoreError(f"the collector at {url} could not be reached for a snapshot: {exc}") from exc


def _too_slow(url: str, timeout: float) -> str:
    return (
        f"the collector at {url} did not send a snapshot within {timeout:g} s (it may be busy; "
        "try again, or give a longer timeout)"
    )


class LiveCopy:
    """A DuckDB file of this reader's own holding what the collector at ``url`` has stored.

    ``connection`` is the copy to read. Thread-safe: refreshes run one at a time, and reads
    may go on meanwhile through cursors of their own."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout
        self._root = Path(tempfile.mkdtemp(prefix="a2a-observe-copy-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._root, True)
        self._lock = threading.Lock()
        self._fetched = 0
        self.cursor: str | None = None
        self.wholes = 0
        """How many whole snapshots were downloaded (the first one included)."""
        self.changes = 0
        """How many sets of new rows were appended."""
        try:
            self.connection = self._replace(self._get(None))
        except BaseException:
            self.close()
            raise

    def refresh(self) -> duckdb.DuckDBPyConnection | None:
        """The copy with what the collector stored since: the same connection when rows were
        appended, a new one when a whole snapshot replaced it, None when nothing is new."""
        with self._lock:
            answer = self._get(self.cursor)
            if answer.status == 304:
                return None
            if answer.media == CHANGES_TYPE and self.cursor is not None:
                try:
                    self._append(answer)
                except (StoreError, ValueError) as exc:
                    # The copy is as it was; start again from a whole snapshot.
                    self.cursor = None
                    self._discard(answer)
                    raise StoreError(f"the changes from {self.url} could not be applied: {exc}") from exc
                return self.connection
            self.connection = self._replace(answer)
            return self.connection

    def close(self) -> None:
        """Remove the copy's files; connections still open keep reading what they hold."""
        self._cleanup()

    # -- inside the lock ------------------------------------------------------------------------
    def _get(self, since: str | None) -> _Answer:
        self._fetched += 1
        folder = self._root / f"fetch-{self._fetched}"
        folder.mkdir()
        return fetch(self.url, self.token, self.timeout, folder / "body", since)

    def _discard(self, answer: _Answer) -> None:
        shutil.rmtree(answer.body.parent, ignore_errors=True)

    def _replace(self, answer: _Answer) -> duckdb.DuckDBPyConnection:
        """Open a whole snapshot, read-write, as the new copy."""
        from a2a_observe.store.snapshot import copy_file, open_downloaded  # noqa: PLC0415 - imports this module

        path = answer.body.with_name("store.duckdb")
        answer.body.rename(path)
        con, version = open_downloaded(path, read_only=False, source=f" from {self.url}")
        self.wholes += 1
        # Without a cursor (a collector that does not ship changes) the next refresh asks for a
        # whole snapshot again.
        self.cursor = answer.cursor
        if version != SCHEMA_VERSION:  # an a2a-observe of another version writes it: migrate
            con.close()
            self.cursor = None
            return copy_file(path)
        return con

    def _append(self, answer: _Answer) -> None:
        """Append the new rows in one transaction: the copy gains whole batches or nothing."""
        con = self.connection.cursor()
        try:
            tables = {
                str(r[0])
                for r in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
                ).fetchall()
            }
            con.execute("BEGIN TRANSACTION")
            try:
                for table, path in unpack(answer.body, answer.body.parent, tables):
                    con.execute(
                        f"INSERT INTO {_quoted(table)} BY NAME SELECT * FROM read_parquet(?)", [str(path)]
                    )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        except Exception as exc:
            import duckdb  # noqa: PLC0415 - loaded by now

            if isinstance(exc, duckdb.Error):
                raise StoreError(str(exc)) from exc
            raise
        finally:
            con.close()
            self._discard(answer)
        self.cursor = answer.cursor
        self.changes += 1
