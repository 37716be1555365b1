"""The store backends the read API's contract runs against, each holding the same recording.

A backend is a name and a context manager that puts the recorded demo network (real agents,
fixed ids and times: ``tests/data/replay_demo.otlp.jsonl``) into a new store in a folder and
yields the location ``open_source`` opens (and stops whatever serves it afterwards). Another
backend appends itself to :data:`BACKENDS`; :func:`built` turns a plain function that builds a
store and returns its location into such a context manager.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from a2a_observe.collect.importer import import_files
from a2a_observe.store.writer import StoreWriter
from tests.support.paths import DATA

FIXTURE = DATA / "replay_demo.otlp.jsonl"
"""Real demo agents recorded once (see tests/data/make_replay_fixture.py): fixed ids and times."""

FAILED_CONVERSATION = "78c90a3a-76fb-476d-970f-1bce7afc8cd7"
"""The recorded conversation in which the translator fails."""


def fixture_store(folder: Path, name: str = "demo.duckdb") -> Path:
    """The recording imported into a DuckDB file through the store's own writer."""
    db = folder / name
    writer = StoreWriter(db)
    try:
        report = import_files([FIXTURE], writer)
    finally:
        writer.close()
    assert report.ok, report.problems
    return db


@dataclass(frozen=True)
class Backend:
    name: str
    make: Callable[[Path], AbstractContextManager[str]]
    """Builds a store holding the recording in the given folder; yields its location."""
    live: bool = False
    """Whether the source it opens is one someone keeps writing (``refresh`` may bring more)."""


def built(make: Callable[[Path], str]) -> Callable[[Path], AbstractContextManager[str]]:
    """A backend's ``make`` from a function that builds a store and returns its location."""
    return lambda folder: nullcontext(make(folder))


def _duckdb_path(folder: Path) -> str:
    return str(fixture_store(folder))


def _duckdb_url(folder: Path) -> str:
    return "duckdb://" + str(fixture_store(folder).resolve())


def chdb_store(recording: Path, name: str) -> str:
    """An OTLP JSON recording imported through the ClickHouse writer into the embedded engine,
    in the exporter's schema (one engine per process: a database of its own in the session's
    folder); its store URL."""
    from a2a_observe.store.sinks import open_writer
    from tests.support.clickhouse import chdb_url

    url = chdb_url(name)
    writer = open_writer(url)
    try:
        report = import_files([recording], writer)
    finally:
        writer.close()
    assert report.ok, report.problems
    return url


def _chdb(folder: Path) -> str:
    return chdb_store(FIXTURE, "contract")


@contextmanager
def _collector(folder: Path) -> Iterator[str]:
    """A collector in this process writing the store, read through its snapshot endpoint."""
    from tests.support.store import receiver_in_thread

    with receiver_in_thread(fixture_store(folder)) as (url, _writer):
        yield url


BACKENDS: list[Backend] = [
    Backend("duckdb", built(_duckdb_path)),
    Backend("duckdb-url", built(_duckdb_url)),
    Backend("collector", _collector, live=True),
    Backend("chdb", built(_chdb)),
]
