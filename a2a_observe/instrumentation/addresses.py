"""Addresses as the conventions record them: ``server.*`` of an authority, ``client.*`` of a peer.

Shared by the adapters, so a Host header or a gRPC peer reads the same whichever library
served the request.
"""

from __future__ import annotations

from urllib.parse import unquote


def host_and_port(authority: str | None) -> tuple[str | None, int | None]:
    """``server.address`` and ``server.port`` of a ``Host`` header or ``:authority``."""
    if not authority:
        return None, None
    if authority.startswith("["):  # [::1]:8080
        host, _, rest = authority[1:].partition("]")
        port = rest.removeprefix(":")
    elif authority.count(":") == 1:
        host, _, port = authority.partition(":")
    else:
        host, port = authority, ""
    return host or None, int(port) if port.isdigit() else None


def grpc_peer(peer: str | None) -> tuple[str | None, int | None]:
    """``client.address`` and ``client.port`` of a gRPC peer (``ipv4:127.0.0.1:5000``,
    ``ipv6:[::1]:5000``)."""
    if not peer:
        return None, None
    kind, _, rest = peer.partition(":")
    if kind not in ("ipv4", "ipv6"):
        return None, None
    host, _, port = unquote(rest).rpartition(":")  # gRPC may escape an IPv6 peer's brackets
    return host.strip("[]") or None, int(port) if port.isdigit() else None
