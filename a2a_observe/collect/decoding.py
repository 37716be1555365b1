"""Where the receiver decodes request bodies: in its own threads, or in decoder processes.

Decoding (gunzip, protobuf, the columns of every span) is Python holding the interpreter lock,
and in one process it takes turns with the writer's conversion and the server's event loop, so
a collector on two cores used about one. Decoder processes each have their own lock: the
collector's process is left the network, the Arrow conversion and the insert, and a body that
crashes the decoder takes down a decoder process, not the collector.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from starlette.concurrency import run_in_threadpool

from a2a_observe.collect.otlp import Limits, PayloadError, Signal, decode
from a2a_observe.store.rows import Batch


def _ignore_interrupts() -> None:
    """Ctrl-C reaches the whole process group; the collector shuts its decoders down itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _ready() -> None:
    """Nothing: submitted once per decoder when the collector starts, so that the processes
    are spawned and their imports done before the first request, not during it."""


class Decoders:
    """Decodes bodies in ``processes`` decoder processes, or in threads when that is 0."""

    def __init__(self, processes: int = 0) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False

    def start(self) -> None:
        """Spawn the decoder processes now rather than on the first request."""
        if self.processes and not self._closed:
            pool = self._executor()
            for _ in range(self.processes):
                pool.submit(_ready)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the collector runs threads (the writer's, the server's) that a
            # forked child would inherit mid-way, locks held.
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_ignore_interrupts,
            )
        return self._pool

    async def decode(
        self,
        body: bytes,
        content_type: str | None,
        content_encoding: str | None,
        signal_name: Signal,
        limits: Limits,
    ) -> Batch:
        """The batch of one body; :class:`PayloadError` for everything wrong with it."""
        if not self.processes or self._closed:
            return await run_in_threadpool(decode, body, content_type, content_encoding, signal_name, limits)
        for attempt in (1, 2):
            pool = self._executor()
            try:
                future = pool.submit(decode, body, content_type, content_encoding, signal_name, limits)
                return await asyncio.wrap_future(future)
            except BrokenProcessPool:
                # A decoder died (killed, out of memory, or crashed by this very body): a new
                # pool takes the body once more, and a body that kills that one too is refused.
                if self._pool is pool:
                    self._pool = None
                    pool.shutdown(wait=False, cancel_futures=True)
                if attempt == 2:
                    raise PayloadError(
                        400, "body could not be decoded: it stopped the decoder process"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
