"""Library-neutral ways to run an observed call: unary or streamed, sync or async.

Every adapter needs the same guarantees around the library's own call: the span is current
while the library works (so nested calls and injected headers see it), the app's results,
exceptions, stream items and cancellation pass through untouched, and the span ends exactly
once however the call or stream ends. Adapters supply only what their library's objects mean,
as callbacks; everything here runs those callbacks through :func:`call_guarded`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

from a2a_observe import semconv
from a2a_observe.observation.observer import CallObservation
from a2a_observe.safety import call_guarded

T = TypeVar("T")

OnItem = Callable[[CallObservation, Any], None]
"""Records one result or stream item on the call."""
OnError = Callable[[CallObservation, BaseException], None]
"""Records the exception that ended the call."""
Activate = Callable[[], AbstractContextManager[Any]]
"""Makes the call current for a block; an adapter may add its own state to it."""


def _ignorable(exc: BaseException) -> bool:
    """Cancellation and generator shutdown are how callers stop, not failures."""
    return isinstance(exc, asyncio.CancelledError | GeneratorExit)


def run_sync(
    call: CallObservation,
    fn: Callable[[], T],
    on_result: OnItem,
    on_error: OnError,
    activate: Activate | None = None,
) -> T:
    """Call ``fn`` with ``call`` current, record its outcome, end the span, return its result."""
    try:
        with (activate or call.activated)():
            result = fn()
    except BaseException as exc:
        if not _ignorable(exc):
            call_guarded("call error", on_error, call, exc)
        call_guarded("call end", call.end)
        raise
    call_guarded("call result", on_result, call, result)
    call_guarded("call end", call.end)
    return result


async def run_async(
    call: CallObservation,
    fn: Callable[[], Awaitable[T]],
    on_result: OnItem,
    on_error: OnError,
    activate: Activate | None = None,
) -> T:
    """The coroutine counterpart of :func:`run_sync`."""
    try:
        with (activate or call.activated)():
            result = await fn()
    except BaseException as exc:
        if not _ignorable(exc):
            call_guarded("call error", on_error, call, exc)
        call_guarded("call end", call.end)
        raise
    call_guarded("call result", on_result, call, result)
    call_guarded("call end", call.end)
    return result


async def observe_async_stream(
    call: CallObservation,
    stream: AsyncIterator[T],
    on_item: OnItem,
    on_error: OnError,
    activate: Activate | None = None,
) -> AsyncGenerator[T, None]:
    """Yield ``stream``'s items unchanged while recording them on ``call``.

    The call is current only while the inner stream computes its next item, never while the
    consumer holds an item, so nothing of ours leaks into the consumer's own code. The span
    ends when the stream ends, fails, is closed early or is cancelled, and the inner stream
    is closed with ours so connections are released as they would be without us.
    """
    how = semconv.STREAM_END_COMPLETED
    iterator = stream.__aiter__()
    try:
        while True:
            try:
                with (activate or call.activated)():
                    item = await iterator.__anext__()
            except StopAsyncIteration:
                break
            call_guarded("stream event", on_item, call, item)
            try:
                yield item
            except GeneratorExit:
                how = semconv.STREAM_END_CLOSED_EARLY
                raise
    except asyncio.CancelledError:
        how = semconv.STREAM_END_CANCELLED
        raise
    except GeneratorExit:
        raise
    except BaseException as exc:
        how = semconv.STREAM_END_ERROR
        call_guarded("stream error", on_error, call, exc)
        raise
    finally:
        if how in (semconv.STREAM_END_CLOSED_EARLY, semconv.STREAM_END_CANCELLED):
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(BaseException):  # best effort, as the library's own close
                    await aclose()
        call_guarded("stream end", call.stream_ended, how)
        call_guarded("stream end", call.end)


class ObservedIterator(Generic[T]):
    """A synchronous stream (a WSGI body, a generator) observed item by item.

    A class rather than a generator because WSGI servers may ``close()`` a body they never
    iterated (the client went away first); a generator's cleanup would then never run and
    the span would stay open. The call is current while the inner iterator computes each
    item, since frameworks often run the agent's work lazily inside the body.
    """

    def __init__(
        self,
        call: CallObservation,
        inner: Iterable[T],
        on_item: OnItem,
        on_error: OnError,
        activate: Activate | None = None,
    ) -> None:
        self._call = call
        self._inner = inner
        self._iterator: Iterator[T] | None = None
        self._on_item = on_item
        self._on_error = on_error
        self._activate = activate or call.activated
        self._done = False

    def __iter__(self) -> ObservedIterator[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        try:
            with self._activate():
                if self._iterator is None:
                    self._iterator = iter(self._inner)
                item = next(self._iterator)
        except StopIteration:
            self._finish(semconv.STREAM_END_COMPLETED)
            raise
        except BaseException as exc:
            if not _ignorable(exc):
                call_guarded("stream error", self._on_error, self._call, exc)
            self._finish(semconv.STREAM_END_ERROR)
            raise
        call_guarded("stream event", self._on_item, self._call, item)
        return item

    def close(self) -> None:
        try:
            close = getattr(self._iterator or self._inner, "close", None)
            if close is not None:
                with self._activate():
                    close()
        finally:
            self._finish(semconv.STREAM_END_CLOSED_EARLY)

    def _finish(self, how: str) -> None:
        if self._done:
            return
        self._done = True
        call_guarded("stream end", self._call.stream_ended, how)
        call_guarded("stream end", self._call.end)
