"""What the adapters read off the wire, read the same way whichever library carried it.

Addresses as the conventions record them (``server.*`` of a URL or an authority, ``client.*``
of a peer), URLs with nothing secret left in them, and request headers as the carrier that
trace context is extracted from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

A2A_VERSION_HEADER = "a2a-version"
"""The header (or gRPC metadata key, or call parameter) that names the protocol version."""


def header_carrier(headers: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | None) -> dict[str, str]:
    """Request headers (a mapping or pairs) keyed by their lower-case names, the carrier the
    propagators read; the first of repeated names wins."""
    if headers is None:
        return {}
    items = headers.items() if isinstance(headers, Mapping) else headers
    carrier: dict[str, str] = {}
    for key, value in items:
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        carrier.setdefault(str(key).lower(), text)
    return carrier


def safe_url(url: str) -> str:
    """``url`` without credentials, query or fragment, which may carry secrets."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    netloc = parts.hostname or ""
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def url_address(url: str | None) -> tuple[str | None, int | None]:
    """``server.address`` and ``server.port`` of a URL, or of a bare ``host:port`` (a gRPC
    target)."""
    if not url:
        return None, None
    try:
        parts = urlsplit(url if "://" in url else f"//{url}")
        return parts.hostname, parts.port
    except ValueError:
        return None, None


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
