"""What a collector and a reader agree on to ship only the rows committed since the last poll.

A reader that polls a live store (the debugger every few seconds, a script in a loop) would
otherwise download the whole store on every poll, and the collector would copy it each time:
work in proportion to the store's size, on the machine that is ingesting. Instead the reader
keeps its own copy and a :class:`Cursor`, which says where that copy ends in each table; it
asks ``GET /v1/snapshot?since=<cursor>`` and gets back only the rows past the cursor, as one
Parquet file per table (written by DuckDB) in an uncompressed tar, or 304 when nothing is new.

The store only appends, so "past the cursor" is every row whose row id is at or past the
cursor's mark, read with the row-id filter DuckDB answers from the last row groups alone. A
cursor also carries how many rows the reader holds per table: when the store then holds a
different number than that plus what is new, rows were removed or rewritten, and the reader
gets a whole snapshot instead. So does a cursor of another *epoch* (a collector restarted, a
store rebuilt, a replica copied afresh) or of other tables (another schema).
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

SNAPSHOT_PATH = "/v1/snapshot"
"""Where a collector serves snapshots and changes."""
SINCE = "since"
"""The query parameter of ``/v1/snapshot`` that carries a reader's cursor."""
CURSOR_HEADER = "A2A-Observe-Cursor"
"""The response header that gives the cursor a snapshot or a set of changes brings a reader to."""
SNAPSHOT_TYPE = "application/vnd.duckdb"
"""A whole store: a DuckDB file."""
CHANGES_TYPE = "application/vnd.a2a-observe.changes+tar"
"""Rows past a cursor: ``<table>.parquet`` members of a tar."""

_TABLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_EPOCH = re.compile(r"[0-9a-f]{1,64}")
_MEMBER = re.compile(r"([a-z_][a-z0-9_]{0,62})\.parquet")


@dataclass(frozen=True)
class Cursor:
    """Where a copy of a store ends: per table, the row id past its last row and its row count."""

    epoch: str
    tables: Mapping[str, tuple[int, int]]

    def __str__(self) -> str:
        parts = [f"{name}:{mark}:{count}" for name, (mark, count) in sorted(self.tables.items())]
        return ".".join([self.epoch, *parts])

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor ``str(cursor)`` gave; ``ValueError`` for anything else."""
        epoch, *parts = text.split(".")
        if not _EPOCH.fullmatch(epoch) or not parts:
            raise ValueError(f"not a store cursor: {text[:80]!r}")
        tables: dict[str, tuple[int, int]] = {}
        for part in parts:
            pieces = part.split(":")
            if len(pieces) != 3:
                raise ValueError(f"not a store cursor: {text[:80]!r}")
            name, mark, count = pieces
            if not _TABLE.fullmatch(name) or not mark.isdigit() or not count.isdigit() or name in tables:
                raise ValueError(f"not a store cursor: {text[:80]!r}")
            tables[name] = (int(mark), int(count))
        return cls(epoch, tables)


@dataclass(frozen=True)
class Changes:
    """The rows committed past ``since``, one Parquet file per table that has any, up to ``until``."""

    until: Cursor
    files: Mapping[str, Path]

    @property
    def empty(self) -> bool:
        return not self.files


def pack(changes: Changes, target: Path) -> Path:
    """Bundle the Parquet files into one tar for the response body."""
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as bundle:
        for table, path in sorted(changes.files.items()):
            bundle.add(path, arcname=f"{table}.parquet", recursive=False)
    return target


def unpack(bundle: Path, folder: Path, tables: set[str]) -> Iterator[tuple[str, Path]]:
    """The tables of a changes bundle and their Parquet files, written into ``folder``.

    Only regular members named after one of ``tables`` are taken; anything else (another
    path, a link) is refused with ``ValueError`` rather than written anywhere."""
    with tarfile.open(bundle, "r:") as archive:
        for member in archive:
            match = _MEMBER.fullmatch(member.name)
            if match is None or not member.isfile() or match.group(1) not in tables:
                raise ValueError(f"unexpected member {member.name[:80]!r} in the changes")
            source = archive.extractfile(member)
            if source is None:
                raise ValueError(f"unreadable member {member.name[:80]!r} in the changes")
            target = folder / member.name
            with source, target.open("wb") as out:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
            yield match.group(1), target
