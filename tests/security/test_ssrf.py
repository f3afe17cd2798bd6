"""SSRF gaps beyond tests/content_store/test_fetcher.py: private (not only loopback) addresses in
every spelling, names resolving to private IPv6, and redirect chains several hops long."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestServer

from tests.links.test_fetcher import (
    HITS,
    LOOPBACK,
    PUBLIC_ONLY,
    FakeDNS,
    _refusal,
    _url,
)
from tests.links.test_fetcher import connect_log as connect_log
from tests.links.test_fetcher import server as server

pytestmark = pytest.mark.security

REFUSED = {"url.private_address", "url.private_host", "url.host"}


@pytest.mark.parametrize(
    "host",
    [
        "167772161",  # 10.0.0.1 as one decimal number
        "012.0.0.1",  # 10.0.0.1 with an octal first part
        "0xa.0.0.1",  # ... hex
        "0xA9FEA9FE",  # 169.254.169.254
        "169.254.43518",  # 169.254.169.254 as a.b.c with a 16-bit last part
        "0251.0376.0251.0376",  # 169.254.169.254 in octal
        "192.168.1",  # 192.168.0.1 shortened
        "[::ffff:a9fe:a9fe]",  # IPv4-mapped metadata service, hex
        "[::ffff:10.0.0.1]",
        "[0:0:0:0:0:ffff:7f00:1]",
        "[::127.0.0.1]",  # IPv4-compatible
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of the metadata service
        "[2002:a9fe:a9fe::1]",  # 6to4 of the metadata service
        "[fd00:ec2::254]",
        "[fe80::1]",
        "[::]",
        "0",
        "localhost.",
        "LOCALHOST",
    ],
)
async def test_private_addresses_in_every_spelling_are_refused_without_connecting(
    server: TestServer, connect_log: list[str], host: str
) -> None:
    error = await _refusal(_url(server, "/page", host=host), PUBLIC_ONLY)
    assert error.code in REFUSED, (host, error.code)
    assert connect_log == []


@pytest.mark.parametrize(
    "answers",
    [["fd00::1"], ["::ffff:10.0.0.1"], ["fe80::1"], ["2606:4700::1111", "::1"], ["0.0.0.0"]],
)
async def test_names_resolving_to_private_ipv6_or_mixed_answers_are_refused(
    server: TestServer, connect_log: list[str], answers: list[str]
) -> None:
    dns = FakeDNS({"innocent.example.com": answers})
    url = _url(server, "/page", host="innocent.example.com")
    assert (await _refusal(url, PUBLIC_ONLY, resolver=dns)).code == "url.private_host"
    assert connect_log == []


@pytest.mark.parametrize(
    "final",
    [
        "http://10.0.0.1/",
        "http://0xa9fea9fe/latest/",
        "http://[::ffff:169.254.169.254]/",
        "http://metadata.example.com/",
    ],
)
async def test_a_chain_of_redirects_ending_in_a_private_host_is_refused(
    server: TestServer, connect_log: list[str], final: str
) -> None:
    dns = FakeDNS({"metadata.example.com": ["169.254.169.254"]})
    # Three hops on the allowed test server, the fourth aims inside the network.
    hop = final
    for _ in range(3):
        hop = _url(server, f"/to?target={quote(hop, safe='')}")
    error = await _refusal(hop, LOOPBACK, resolver=dns)
    assert error.code in REFUSED, (error.code, server.app[HITS])
    assert set(connect_log) == {"127.0.0.1"}  # only ever the allowed test server
    assert len([hit for hit in server.app[HITS] if hit.startswith("/to")]) == 3
