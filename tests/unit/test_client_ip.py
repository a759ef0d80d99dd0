"""Client addresses: ``X-Forwarded-For`` counts only as far as trusted proxies vouch for it.

Each case builds a real Starlette ``Request`` from an ASGI scope (the same dictionary uvicorn
hands the app), with a peer address and headers, and asks ``client_ip`` who the client is.
"""

from __future__ import annotations

import ipaddress

import pytest
from starlette.requests import Request

from rostra.web.security import Network, client_ip

PROXIES: list[Network] = [
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("fd00::/8"),
]


def request_from(peer: str | None, forwarded: str | None = None) -> Request:
    headers = [(b"host", b"comments.example")]
    if forwarded is not None:
        headers.append((b"x-forwarded-for", forwarded.encode("latin-1")))
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": headers,
        "client": (peer, 50_000) if peer is not None else None,
        "server": ("127.0.0.1", 8000),
    }
    return Request(scope)


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_ip(request_from("203.0.113.9", "6.6.6.6"), []) == "203.0.113.9"


def test_header_from_an_untrusted_peer_is_ignored() -> None:
    # A client talking to us directly cannot claim another address.
    assert client_ip(request_from("203.0.113.9", "6.6.6.6"), PROXIES) == "203.0.113.9"


def test_trusted_proxy_reports_the_client() -> None:
    assert client_ip(request_from("10.0.0.1", "203.0.113.9"), PROXIES) == "203.0.113.9"


def test_address_the_client_prepended_is_not_believed() -> None:
    # The client sent "X-Forwarded-For: 6.6.6.6"; our proxy appended the real address.
    req = request_from("10.0.0.1", "6.6.6.6, 203.0.113.9")
    assert client_ip(req, PROXIES) == "203.0.113.9"


def test_chain_of_trusted_proxies_is_walked_from_the_right() -> None:
    req = request_from("10.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.7, 10.1.2.3")
    assert client_ip(req, PROXIES) == "203.0.113.9"


def test_ipv6_hops() -> None:
    req = request_from("fd00::1", "6.6.6.6, 2001:db8::5, fd00::2")
    assert client_ip(req, PROXIES) == "2001:db8::5"


@pytest.mark.parametrize("rightmost", ["203.0.113.9:5555", "garbage", "unknown"])
def test_unparseable_hop_does_not_hand_over_to_the_leftmost(rightmost: str) -> None:
    # A proxy that writes "address:port" (or a hop we cannot read) must not let the
    # client-written leftmost value through: we fall back to the nearest trusted address.
    req = request_from("10.0.0.1", f"6.6.6.6, {rightmost}")
    assert client_ip(req, PROXIES) == "10.0.0.1"


def test_unparseable_hop_behind_trusted_hops_falls_back_to_the_nearest_trusted() -> None:
    req = request_from("10.0.0.1", "6.6.6.6, bogus, 10.0.0.7")
    assert client_ip(req, PROXIES) == "10.0.0.7"


def test_only_trusted_hops_give_the_leftmost() -> None:
    # The whole chain is inside the trusted network: the first hop is the origin.
    req = request_from("10.0.0.1", "10.9.9.9, 10.0.0.7")
    assert client_ip(req, PROXIES) == "10.9.9.9"


def test_trusted_peer_without_header_is_the_client() -> None:
    assert client_ip(request_from("10.0.0.1"), PROXIES) == "10.0.0.1"
    assert client_ip(request_from("10.0.0.1", " , "), PROXIES) == "10.0.0.1"


def test_no_peer_at_all() -> None:
    assert client_ip(request_from(None, "6.6.6.6"), PROXIES) == ""


def test_a_loopback_proxy_listed_as_one_address() -> None:
    # As tests/web/test_proxy_address_limits.py serves the app: only 127.0.0.1/32 is trusted.
    only_local: list[Network] = [ipaddress.ip_network("127.0.0.1/32")]
    assert client_ip(request_from("127.0.0.1", "203.0.113.9"), only_local) == "203.0.113.9"
    # Another loopback address is not that proxy: what it forwards is its own word.
    assert client_ip(request_from("127.0.0.2", "203.0.113.9"), only_local) == "127.0.0.2"
