"""Serve an a2a-sdk agent on 127.0.0.1 over JSON-RPC, HTTP+JSON and gRPC, in its own thread.

The demo, the tests and the benchmarks all start agents this way: each in a thread with its
own event loop, as a separate process would be, on free loopback ports.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningAgent:
    """An agent being served; ``stop()`` shuts its servers and thread down."""

    name: str
    base_url: str
    jsonrpc_url: str
    rest_url: str
    grpc_target: str | None
    card: Any
    v03_card: Any
    _thread: threading.Thread
    _request_stop: Callable[[], None]

    def stop(self) -> None:
        self._request_stop()
        self._thread.join(timeout=15)

    def __enter__(self) -> RunningAgent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build_card(
    name: str,
    http_port: int,
    grpc_port: int | None,
    version: str,
    *,
    streaming: bool = True,
    description: str = "",
    protocol_version: str = "1.0",
) -> Any:
    from a2a.types import AgentCapabilities, AgentCard, AgentInterface, AgentSkill

    base = f"http://{LOOPBACK}:{http_port}"
    interfaces = [
        AgentInterface(url=f"{base}/jsonrpc", protocol_binding="JSONRPC", protocol_version=protocol_version),
        AgentInterface(url=f"{base}/rest", protocol_binding="HTTP+JSON", protocol_version=protocol_version),
    ]
    if grpc_port is not None:
        interfaces.append(
            AgentInterface(
                url=f"{LOOPBACK}:{grpc_port}", protocol_binding="GRPC", protocol_version=protocol_version
            )
        )
    return AgentCard(
        name=name,
        description=description or f"{name} agent",
        version=version,
        supported_interfaces=interfaces,
        capabilities=AgentCapabilities(
            streaming=streaming, push_notifications=True, extended_agent_card=True
        ),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=[AgentSkill(id=name, name=name, description=description or name, tags=["demo"])],
    )


def serve_in_thread(
    name: str,
    app: Any,
    http_port: int,
    *,
    start_grpc: Callable[[], Awaitable[Any]] | None = None,
    after_stop: Callable[[], Awaitable[object]] | None = None,
) -> tuple[threading.Thread, Callable[[], None]]:
    """Serve an ASGI ``app`` on ``http_port`` (and the gRPC server ``start_grpc`` starts) in a
    thread with its own event loop; returns once they accept connections, with the thread
    and the function that stops them. Whatever SDK line built the app."""
    import uvicorn

    config = uvicorn.Config(app, host=LOOPBACK, port=http_port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    failure: list[BaseException] = []
    stop_requested: list[asyncio.Event] = []

    async def main() -> None:
        stop = asyncio.Event()
        stop_requested.append(stop)
        grpc_server = await start_grpc() if start_grpc is not None else None
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)
        started.set()
        await stop.wait()
        server.should_exit = True
        if grpc_server is not None:
            await grpc_server.stop(grace=None)
        await serving
        if after_stop is not None:
            await after_stop()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            failure.append(exc)
            started.set()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name=f"agent-{name}", daemon=True)
    thread.start()
    started.wait(timeout=30)
    if failure:
        raise failure[0]

    def request_stop() -> None:
        if stop_requested and not loop.is_closed():
            loop.call_soon_threadsafe(stop_requested[0].set)

    return thread, request_stop


def serve_agent(
    executor: Any,
    name: str,
    *,
    version: str = "1.0.0",
    streaming: bool = True,
    grpc: bool = True,
    description: str = "",
    mount: Callable[[Any], object] | None = None,
) -> RunningAgent:
    """Start ``executor`` as agent ``name``; returns once every server accepts connections.

    ``mount`` gets the Starlette app before it serves, to add routes (probes, ``/metrics``).
    """
    from a2a.server.request_handlers import DefaultRequestHandler
    from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes, create_rest_routes
    from a2a.server.tasks import InMemoryPushNotificationConfigStore, InMemoryTaskStore
    from starlette.applications import Starlette
    from starlette.routing import Mount

    http_port = free_port()
    grpc_port = free_port() if grpc else None
    card = build_card(name, http_port, grpc_port, version, streaming=streaming, description=description)
    v03_card = build_card(
        name,
        http_port,
        grpc_port,
        version,
        streaming=streaming,
        description=description,
        protocol_version="0.3",
    )

    async def allow_loopback(url: str) -> bool:
        return url.startswith(f"http://{LOOPBACK}")

    handler = DefaultRequestHandler(
        agent_executor=executor,
        task_store=InMemoryTaskStore(),
        agent_card=card,
        push_config_store=InMemoryPushNotificationConfigStore(),
        push_url_validator=allow_loopback,
        extended_agent_card=card,
    )
    app = Starlette(
        routes=[
            *create_agent_card_routes(card),
            *create_jsonrpc_routes(handler, "/jsonrpc", enable_v0_3_compat=True),
            Mount("/rest", routes=create_rest_routes(handler, enable_v0_3_compat=True)),
        ]
    )
    if mount is not None:
        mount(app)

    async def start_grpc() -> Any:
        import grpc as grpc_lib
        from a2a.compat.v0_3 import a2a_v0_3_pb2_grpc
        from a2a.compat.v0_3.grpc_handler import CompatGrpcHandler
        from a2a.server.request_handlers import GrpcHandler
        from a2a.types import a2a_pb2_grpc

        grpc_server = grpc_lib.aio.server()
        a2a_pb2_grpc.add_A2AServiceServicer_to_server(GrpcHandler(handler), grpc_server)  # type: ignore[no-untyped-call]
        a2a_v0_3_pb2_grpc.add_A2AServiceServicer_to_server(  # type: ignore[no-untyped-call]
            CompatGrpcHandler(handler), grpc_server
        )
        grpc_server.add_insecure_port(f"{LOOPBACK}:{grpc_port}")
        await grpc_server.start()
        return grpc_server

    thread, request_stop = serve_in_thread(
        name,
        app,
        http_port,
        start_grpc=start_grpc if grpc_port is not None else None,
        after_stop=handler.aclose,
    )

    base = f"http://{LOOPBACK}:{http_port}"
    return RunningAgent(
        name=name,
        base_url=base,
        jsonrpc_url=f"{base}/jsonrpc",
        rest_url=f"{base}/rest",
        grpc_target=f"{LOOPBACK}:{grpc_port}" if grpc_port else None,
        card=card,
        v03_card=v03_card,
        _thread=thread,
        _request_stop=request_stop,
    )
