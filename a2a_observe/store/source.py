"""The store's public read API: a *conversation source*.

Everything downstream (the replay, the audits, the exports, ``check``, ``explain``, the
re-drive and the terminal debugger) reads stored spans and logs through this one interface,
never through SQL, so a backend is one class: DuckDB (:mod:`a2a_observe.store.duckdb_source`)
is the embedded default, and another engine implements the same methods and registers its
URL scheme in :mod:`a2a_observe.store.opening`.

The methods are the reads the readers really make, each answered in the backend's engine
(filters, sorting and paging included), so no reader pulls a whole table into Python. They
return the plain records of :mod:`a2a_observe.store.records`, with legacy spellings already
mapped. A source is safe to use from several threads at once (the debugger reads from
workers). ``tests/store/test_contract.py`` is the contract every backend passes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import TracebackType

from a2a_observe.store.records import (
    Conversation,
    ConversationFilter,
    ConversationSummary,
    FilterChoices,
    FirstCall,
    Sort,
    StoreStats,
    TaskHistory,
)

DEFAULT_COLLECTOR = "http://127.0.0.1:4318"
"""Where ``a2a-observe collect`` listens unless told otherwise."""


class ConversationSource(ABC):
    """One store, read-only, as the readers see it.

    ``label`` says where the data comes from (a path, a URL) for people; ``live`` is true when
    someone is still writing it, so :meth:`refresh` may bring new data; ``collector`` is the
    base URL of the collector that writes it, when one does (agents send OTLP there).
    """

    def __init__(self, label: str, *, live: bool = False, collector: str | None = None) -> None:
        self.label = label
        self.live = live
        self.collector = collector

    @property
    def otlp_endpoint(self) -> str:
        """Where agents send their spans for this source to show them."""
        base = (self.collector or DEFAULT_COLLECTOR).rstrip("/")
        return f"{base}/v1/traces"

    # -- finding conversations -------------------------------------------------------------

    @abstractmethod
    def list_conversations(
        self,
        where: ConversationFilter | None = None,
        *,
        sort: Sort = Sort.START,
        descending: bool = True,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ConversationSummary]:
        """One page of the conversations that pass ``where``, in ``sort`` order (ties by id,
        ascending). The one listing: the debugger's list, ``explain``'s "newest failed"."""

    @abstractmethod
    def conversation_ids(self) -> list[str]:
        """Every conversation id, oldest first: what ``check`` audits, without summaries."""

    @abstractmethod
    def ids_starting_with(self, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` conversation ids that start with ``prefix`` (or equal it), in id
        order, so an id can be given by a unique prefix and an ambiguous one be named."""

    @abstractmethod
    def first_calls(self, conversation_ids: Sequence[str]) -> dict[str, FirstCall]:
        """The first A2A call (CLIENT or SERVER span) of each given conversation, for the list
        to show before any conversation is rebuilt; conversations without one are left out."""

    @abstractmethod
    def filter_choices(self) -> FilterChoices:
        """The agent names and task states that occur, for the filter's completion."""

    @abstractmethod
    def orphan_traces(self) -> list[str]:
        """Trace ids, oldest first, with A2A calls in them but no conversation id anywhere (a
        call that failed before any context existed), which ``check`` audits too."""

    # -- reading one --------------------------------------------------------------------------

    @abstractmethod
    def conversation(self, conversation_id: str) -> Conversation:
        """Every span, event, link and log record of the traces that touched the conversation
        (``conversation_id`` exactly; logs that carry the id outside those traces too)."""

    @abstractmethod
    def trace(self, trace_id: str) -> Conversation:
        """One trace's spans and events as a conversation of its own, named ``trace:<id>``, for
        traces without a conversation id; no spans when there is no such trace."""

    @abstractmethod
    def task_history(self, task_id: str) -> TaskHistory | None:
        """A task's states in order, its artifacts and messages, and the spans that worked on it."""

    @abstractmethod
    def stats(self) -> StoreStats:
        """How much the source holds: for messages ("no conversation x among 12") and tests."""

    # -- lifetime -----------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Read what a live store gained since; True when something new came in.

        Reads between two refreshes see one consistent state. A finished store never changes."""
        return False

    @abstractmethod
    def close(self) -> None:
        """Release the connection (or files, or memory); reads afterwards fail."""

    def __enter__(self) -> ConversationSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
