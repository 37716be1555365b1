"""Liveness and readiness for an A2A agent: what the two probes check and what they answer.

Liveness only says the process answers HTTP: restarting an agent never fixes its telemetry,
so nothing else goes into it. Readiness says whether the agent should get traffic: its card
is served (the route peers discover it by, fetched in-process) and its telemetry pipeline
delivers (:mod:`a2a_observe.signals.exporter_health`).

Probes must stay fast under load and cannot be allowed to pile up behind a slow card route:
the card is fetched at most once per :data:`CARD_CACHE_S` (concurrent probes share that one
fetch) and gives up after :data:`CARD_TIMEOUT_S`. Bodies hold statuses, class names, counts
and ages only: never card content, message content, endpoints or exception text.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from a2a_observe.safety import report_internal_error
from a2a_observe.signals.exporter_health import (
    STATUS_FAIL,
    STATUS_OK,
    STATUS_UNKNOWN,
    pipeline_status,
    track_pipeline,
)

CARD_CACHE_S = 1.5
CARD_TIMEOUT_S = 2.0
A2A_SDK_CARD_PATH = "/.well-known/agent-card.json"
PYTHON_A2A_CARD_PATH = "/.well-known/agent.json"

Result = dict[str, Any]


def _card_result(status_code: int | None, body: bytes, path: str) -> Result:
    """ok when the route answered 200 with a JSON object that has a name (some apps answer
    any path with 200 and an HTML page); only the status code is kept."""
    if status_code != 200:
        return {"status": STATUS_FAIL, "path": path, "reason": "http_status", "http_status": status_code}
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or "name" not in parsed:
        return {"status": STATUS_FAIL, "path": path, "reason": "not_a_card"}
    return {"status": STATUS_OK, "path": path}


def _error_result(path: str, reason: str, exc: BaseException | None = None) -> Result:
    result: Result = {"status": STATUS_FAIL, "path": path, "reason": reason}
    if exc is not None:
        result["error_type"] = type(exc).__name__  # the type only: a message may hold secrets
    return result


# --- card fetchers: one per kind of app ----------------------------------------------------------
async def fetch_asgi_card(app: Callable[..., Awaitable[None]], path: str) -> Result:
    """GET ``path`` from an ASGI app in-process: no socket, nothing blocks the loop."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status: list[int] = []
    body = bytearray()
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects first
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(int(message["status"]))
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return _card_result(status[0] if status else None, bytes(body), path)


def fetch_wsgi_card(app: Callable[..., Iterable[bytes]], path: str) -> Result:
    """GET ``path`` from a WSGI app in-process (werkzeug builds the environ)."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app  # noqa: PLC0415 - Flask apps only

    builder = EnvironBuilder(path=path, method="GET", base_url="http://127.0.0.1/")
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    app_iter, status, _headers = run_wsgi_app(app, environ, buffered=True)
    try:
        body = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if callable(close):
            close()
    return _card_result(int(str(status).split(" ", 1)[0]), body, path)


def fetch_url_card(url: str, timeout: float = CARD_TIMEOUT_S) -> Result:
    """GET the card over HTTP, for a probe server that runs beside the agent's own server."""
    path = urllib.parse.urlparse(url).path or "/"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return _card_result(response.status, response.read(), path)
    except urllib.error.HTTPError as exc:
        return _card_result(exc.code, b"", path)
    except TimeoutError as exc:
        return _error_result(path, "timeout", exc)
    except OSError as exc:
        return _error_result(path, "unreachable", exc)


class CardCheck:
    """A card fetch, cached for :data:`CARD_CACHE_S` and shared by concurrent probes.

    Built with an async fetcher (ASGI apps; probes on the event loop) or a blocking one
    (WSGI apps and URLs; probes in server threads). Either can be awaited; a blocking fetch
    then runs in a thread. Only a blocking fetch can be run from a thread.
    """

    def __init__(
        self,
        path: str,
        *,
        fetch_async: Callable[[], Awaitable[Result]] | None = None,
        fetch_blocking: Callable[[], Result] | None = None,
        timeout: float = CARD_TIMEOUT_S,
        cache_for: float = CARD_CACHE_S,
    ) -> None:
        if (fetch_async is None) == (fetch_blocking is None):
            raise ValueError("give exactly one of fetch_async and fetch_blocking")
        self.path = path
        self._fetch_async = fetch_async
        self._fetch_blocking = fetch_blocking
        self.timeout = timeout
        self.cache_for = cache_for
        self._cached: tuple[float, Result] | None = None
        self._task: asyncio.Task[Result] | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_asgi(cls, app: Any, path: str = A2A_SDK_CARD_PATH, **kwargs: Any) -> CardCheck:
        return cls(path, fetch_async=lambda: fetch_asgi_card(app, path), **kwargs)

    @classmethod
    def for_wsgi(cls, app: Any, path: str = PYTHON_A2A_CARD_PATH, **kwargs: Any) -> CardCheck:
        return cls(path, fetch_blocking=lambda: fetch_wsgi_card(app, path), **kwargs)

    @classmethod
    def for_url(cls, url: str, **kwargs: Any) -> CardCheck:
        timeout = float(kwargs.get("timeout", CARD_TIMEOUT_S))
        path = urllib.parse.urlparse(url).path or "/"
        return cls(path, fetch_blocking=lambda: fetch_url_card(url, timeout), **kwargs)

    def _fresh(self) -> Result | None:
        cached = self._cached
        if cached is not None and time.monotonic() - cached[0] < self.cache_for:
            return cached[1]
        return None

    def _store(self, result: Result) -> Result:
        self._cached = (time.monotonic(), result)
        return result

    async def _run_async(self) -> Result:
        try:
            if self._fetch_async is not None:
                result = await asyncio.wait_for(self._fetch_async(), self.timeout)
            else:
                assert self._fetch_blocking is not None
                result = await asyncio.wait_for(asyncio.to_thread(self._fetch_blocking), self.timeout)
        except TimeoutError as exc:
            result = _error_result(self.path, "timeout", exc)
        except Exception as exc:  # noqa: BLE001 - the card route failing is the finding
            result = _error_result(self.path, "error", exc)
        return self._store(result)

    async def result_async(self) -> Result:
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        loop = asyncio.get_running_loop()
        task = self._task
        if task is None or task.done() or task.get_loop() is not loop:
            task = self._task = loop.create_task(self._run_async())
        return await asyncio.shield(task)

    def result(self) -> Result:
        """From a thread (WSGI server, probe server): at most one fetch runs at a time."""
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        if self._fetch_blocking is None:
            return {"status": STATUS_UNKNOWN, "path": self.path, "reason": "async_app"}
        with self._lock:
            fresh = self._fresh()
            if fresh is not None:
                return fresh
            return self._store(self._run_blocking(self._fetch_blocking))

    def _run_blocking(self, fetch: Callable[[], Result]) -> Result:
        """Run ``fetch`` in a daemon thread and stop waiting after the timeout: a hung card
        route must neither hang the probe nor keep the process from exiting."""
        box: list[Result] = []

        def run() -> None:
            try:
                box.append(fetch())
            except Exception as exc:  # noqa: BLE001 - the card route failing is the finding
                box.append(_error_result(self.path, "error", exc))

        worker = threading.Thread(target=run, name="a2a-observe-card-check", daemon=True)
        worker.start()
        worker.join(self.timeout)
        return box[0] if box else _error_result(self.path, "timeout")


class Readiness:
    """What ``/readyz`` reports; a liveness answer needs nothing, see :func:`liveness`.

    ``require_telemetry=False`` still reports the pipeline but never fails readiness on it,
    for deployments that would rather serve without telemetry than not serve.
    """

    def __init__(
        self,
        card: CardCheck | None = None,
        *,
        tracer_provider: Any | None = None,
        logger_provider: Any | None = None,
        require_telemetry: bool = True,
    ) -> None:
        self.card = card
        self.tracer_provider = tracer_provider
        self.logger_provider = logger_provider
        self.require_telemetry = require_telemetry
        track_pipeline(tracer_provider, logger_provider)

    def _telemetry(self) -> Result:
        return pipeline_status(self.tracer_provider, self.logger_provider)

    def _answer(self, card: Result | None) -> tuple[int, Result]:
        checks: Result = {}
        if card is not None:
            checks["agent_card"] = card
        checks["telemetry"] = self._telemetry()
        failed = card is not None and card.get("status") == STATUS_FAIL
        failed = failed or (self.require_telemetry and checks["telemetry"]["status"] == STATUS_FAIL)
        if failed:
            return 503, {"status": STATUS_FAIL, "checks": checks}
        return 200, {"status": STATUS_OK, "checks": checks}

    async def check_async(self) -> tuple[int, Result]:
        try:
            card = await self.card.result_async() if self.card is not None else None
            return self._answer(card)
        except Exception as exc:  # noqa: BLE001 - a probe answers; a broken check is a failure
            report_internal_error("readiness probe", exc)
            return 503, {"status": STATUS_FAIL, "checks": {}}

    def check(self) -> tuple[int, Result]:
        try:
            card = self.card.result() if self.card is not None else None
            return self._answer(card)
        except Exception as exc:  # noqa: BLE001
            report_internal_error("readiness probe", exc)
            return 503, {"status": STATUS_FAIL, "checks": {}}


def liveness() -> tuple[int, Result]:
    return 200, {"status": STATUS_OK, "checks": {}}


def encode(body: Result) -> bytes:
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
