"""``/healthz``, ``/readyz`` and ``/metrics`` on the agent's own app or on a port of their own.

- :func:`mount_starlette`: an a2a-sdk Starlette or FastAPI app; the routes go first, so a
  catch-all mount cannot shadow them.
- :func:`mount_flask`: a python-a2a (or any) Flask app; the probes answer in a WSGI
  middleware, before Flask's routing and ``before_request`` hooks, so the app's auth or
  rate limits never make a healthy agent look dead.
- :func:`serve_probes`: a small threaded server on 127.0.0.1, for agents whose app we do not
  touch (it checks the card over HTTP).

``/metrics`` comes from :mod:`a2a_observe.signals.prometheus` and is left out, with one warning, if
that cannot be loaded: the probes do not depend on it.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from a2a_observe.probes.health import (
    A2A_SDK_CARD_PATH,
    PYTHON_A2A_CARD_PATH,
    CardCheck,
    Readiness,
    encode,
    liveness,
)
from a2a_observe.safety import report_internal_error

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
METRICS_PATH = "/metrics"
LOOPBACK = "127.0.0.1"

_CARD_PATHS = (A2A_SDK_CARD_PATH, PYTHON_A2A_CARD_PATH, "/agent.json", "/a2a/agent.json")
"""Where agents serve their card, most standard first."""

_HEADERS = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
_log = logging.getLogger("a2a_observe")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _metrics_app(factory: str) -> Any | None:
    try:
        module = importlib.import_module("a2a_observe.signals.prometheus")
        return getattr(module, factory)()
    except Exception as exc:  # noqa: BLE001 - metrics are optional to the probes
        report_internal_error("metrics endpoint", exc)
        return None


def _pick_card_path(paths: Iterable[str], default: str) -> str:
    served = set(paths)
    return next((path for path in _CARD_PATHS if path in served), default)


# --- Starlette / FastAPI -----------------------------------------------------------------------
class _AsgiApp:
    """Starlette treats a plain function endpoint as request -> response; an object is
    mounted as the ASGI app it is, which is what the Prometheus app needs."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def mount_starlette(
    app: Any,
    *,
    health: bool = True,
    metrics: bool = True,
    card_path: str | None = None,
    readiness: Readiness | None = None,
    require_telemetry: bool = True,
    tracer_provider: Any | None = None,
    logger_provider: Any | None = None,
) -> Readiness | None:
    """Add the probes (and ``/metrics``) to ``app``; returns the readiness it reports."""
    from starlette.requests import Request  # noqa: PLC0415 - only apps that use Starlette
    from starlette.responses import Response  # noqa: PLC0415 - optional
    from starlette.routing import Route  # noqa: PLC0415 - optional

    routes: list[Any] = []
    if health:
        if readiness is None:
            path = card_path or _pick_card_path(
                (str(getattr(r, "path", "")) for r in app.router.routes), A2A_SDK_CARD_PATH
            )
            readiness = Readiness(
                CardCheck.for_asgi(app, path),
                tracer_provider=tracer_provider,
                logger_provider=logger_provider,
                require_telemetry=require_telemetry,
            )
        ready = readiness

        async def live(request: Request) -> Response:
            status, body = liveness()
            return Response(encode(body), status, headers=dict(_HEADERS))

        async def check(request: Request) -> Response:
            status, body = await ready.check_async()
            return Response(encode(body), status, headers=dict(_HEADERS))

        routes += [
            Route(LIVENESS_PATH, live, methods=["GET", "HEAD"]),
            Route(READINESS_PATH, check, methods=["GET", "HEAD"]),
        ]
    if metrics:
        metrics_app = _metrics_app("metrics_asgi_app")
        if metrics_app is not None:
            routes.append(Route(METRICS_PATH, _AsgiApp(metrics_app)))
    app.router.routes[0:0] = routes
    return readiness


# --- WSGI: Flask and the probe server ---------------------------------------------------------
class ProbeMiddleware:
    """Answers the probe paths itself and hands every other request to ``app``."""

    def __init__(self, app: WsgiApp, readiness: Readiness | None, metrics_app: WsgiApp | None) -> None:
        self.app = app
        self.readiness = readiness
        self.metrics_app = metrics_app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if self.readiness is not None and path in (LIVENESS_PATH, READINESS_PATH):
            status, body = liveness() if path == LIVENESS_PATH else self.readiness.check()
            data = encode(body)
            reason = "OK" if status == 200 else "Service Unavailable"
            start_response(f"{status} {reason}", [*_HEADERS, ("Content-Length", str(len(data)))])
            return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else data]
        if self.metrics_app is not None and path == METRICS_PATH:
            return self.metrics_app(environ, start_response)
        return self.app(environ, start_response)


def _flask_card_path(app: Any) -> str:
    try:
        rules = [str(rule.rule) for rule in app.url_map.iter_rules()]
    except Exception:  # noqa: BLE001 - not a Flask app after all: take the usual path
        rules = []
    return _pick_card_path(rules, PYTHON_A2A_CARD_PATH)


def mount_flask(
    app: Any,
    *,
    health: bool = True,
    metrics: bool = True,
    card_path: str | None = None,
    readiness: Readiness | None = None,
    require_telemetry: bool = True,
    tracer_provider: Any | None = None,
    logger_provider: Any | None = None,
) -> Readiness | None:
    """Add the probes (and ``/metrics``) to a Flask app; returns the readiness it reports."""
    if health and readiness is None:
        readiness = Readiness(
            CardCheck.for_wsgi(app, card_path or _flask_card_path(app)),
            tracer_provider=tracer_provider,
            logger_provider=logger_provider,
            require_telemetry=require_telemetry,
        )
    metrics_app = _metrics_app("metrics_wsgi_app") if metrics else None
    app.wsgi_app = ProbeMiddleware(app.wsgi_app, readiness if health else None, metrics_app)
    return readiness if health else None


# --- a server of their own --------------------------------------------------------------------
class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Probes every few seconds would flood stderr with access lines."""


def _not_found(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found\n"]


@dataclass
class ProbeServer:
    """The probes on their own port; ``stop()`` shuts the server down."""

    url: str
    readiness: Readiness
    _server: WSGIServer
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ProbeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_probes(
    *,
    card_url: str | None = None,
    readiness: Readiness | None = None,
    host: str = LOOPBACK,
    port: int = 0,
    metrics: bool = True,
    require_telemetry: bool = True,
    tracer_provider: Any | None = None,
    logger_provider: Any | None = None,
) -> ProbeServer:
    """Serve ``/healthz``, ``/readyz`` (and ``/metrics``) on ``host:port`` in a thread.

    ``card_url`` is the agent's card; without it readiness checks the telemetry only. Port 0
    picks a free one (see ``ProbeServer.url``).
    """
    if readiness is None:
        readiness = Readiness(
            CardCheck.for_url(card_url) if card_url else None,
            tracer_provider=tracer_provider,
            logger_provider=logger_provider,
            require_telemetry=require_telemetry,
        )
    metrics_app = _metrics_app("metrics_wsgi_app") if metrics else None
    app = ProbeMiddleware(_not_found, readiness, metrics_app)
    server = make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="a2a-observe-probes", daemon=True)
    thread.start()
    return ProbeServer(f"http://{host}:{server.server_port}", readiness, server, thread)
