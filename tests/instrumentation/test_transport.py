"""What every adapter reads off the wire reads the same: addresses, URLs, header carriers."""

from __future__ import annotations

import pytest

from a2a_observe.instrumentation.transport import (
    grpc_peer,
    header_carrier,
    host_and_port,
    safe_url,
    url_address,
)

Address = tuple[str | None, int | None]


@pytest.mark.parametrize(
    ("authority", "expected"),
    [
        ("127.0.0.1:8080", ("127.0.0.1", 8080)),
        ("[::1]:9000", ("::1", 9000)),
        ("agent.example", ("agent.example", None)),
        ("::1", ("::1", None)),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_host_and_port_of_an_authority(authority: str | None, expected: Address) -> None:
    assert host_and_port(authority) == expected


@pytest.mark.parametrize(
    ("peer", "expected"),
    [
        ("ipv4:127.0.0.1:5000", ("127.0.0.1", 5000)),
        ("ipv6:[::1]:5000", ("::1", 5000)),
        ("ipv6:%5B::1%5D:5000", ("::1", 5000)),
        ("unix:/tmp/socket", (None, None)),
        (None, (None, None)),
    ],
)
def test_client_address_of_a_grpc_peer(peer: str | None, expected: Address) -> None:
    assert grpc_peer(peer) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000/a2a", ("127.0.0.1", 8000)),
        ("https://agent.example/", ("agent.example", None)),
        ("127.0.0.1:50051", ("127.0.0.1", 50051)),
        ("http://[::1]:81/", ("::1", 81)),
        ("http://[::1", (None, None)),
        (None, (None, None)),
    ],
)
def test_server_address_of_a_url_or_target(url: str | None, expected: Address) -> None:
    assert url_address(url) == expected


def test_urls_lose_what_may_be_secret() -> None:
    assert (
        safe_url("https://user:pw@agent.example:8443/a2a/?api_key=1#frag")
        == "https://agent.example:8443/a2a/"
    )
    assert safe_url("http://127.0.0.1:8000/.well-known/agent-card.json") == (
        "http://127.0.0.1:8000/.well-known/agent-card.json"
    )
    assert safe_url("http://[::1") == ""


def test_header_carriers_are_lower_case_and_keep_the_first_of_repeated_names() -> None:
    assert header_carrier({"Traceparent": "00-a", "Host": "h"}) == {"traceparent": "00-a", "host": "h"}
    pairs = [("traceparent", b"00-first"), ("Traceparent", "00-second"), ("x-n", 1)]
    assert header_carrier(pairs) == {"traceparent": "00-first", "x-n": "1"}
    assert header_carrier(None) == {}
