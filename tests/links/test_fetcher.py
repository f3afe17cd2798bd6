"""The page fetcher reads previews from public pages and cannot be steered into private networks."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer

from domain.errors import InvalidInput
from links.fetcher import (
    FetchPolicy,
    PageMetadata,
    VettingConnector,
    fetch_page_metadata,
    is_forbidden_address,
)

LOOPBACK = FetchPolicy(allow_loopback=True, timeout_seconds=3)
PUBLIC_ONLY = FetchPolicy(timeout_seconds=3)

PAGE = b"""<!doctype html><html><head><title>Fallback title</title>
<meta property="og:title" content="Hello from the test server">
<meta property="og:description" content="A page served on loopback.">
<meta property="og:image" content="/cover.png">
<meta property="og:site_name" content="Test Site">
</head><body>hi</body></html>"""

HITS = web.AppKey("hits", list[str])
AGENTS = web.AppKey("agents", list[str])

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _html(body: bytes, content_type: str = "text/html; charset=utf-8") -> web.Response:
    return web.Response(body=body, headers={"Content-Type": content_type})


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location})


async def _page(request: web.Request) -> web.Response:
    return _html(PAGE)


async def _hops(request: web.Request) -> web.Response:
    remaining = int(request.match_info["n"])
    # A relative Location, so following it needs resolving against the current URL.
    return _redirect(str(remaining - 1)) if remaining else _html(PAGE)


async def _redirect_to(request: web.Request) -> web.Response:
    return _redirect(request.query["target"])


async def _sized(request: web.Request) -> web.Response:
    size = int(request.match_info["size"])
    return _html(b"<title>sized</title>".ljust(size, b" "))


async def _streamed(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    for _ in range(10):
        await response.write(b"<p>" + b"x" * 9_993 + b"</p>")
    await response.write_eof()
    return response


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return _html(PAGE)


async def _windows_1252(request: web.Request) -> web.Response:
    body = '<meta charset="windows-1252"><title>Café – menu</title>'.encode("cp1252")
    return _html(body, content_type="text/html")


async def _greek_header(request: web.Request) -> web.Response:
    body = "<title>Καλημέρα</title>".encode("iso-8859-7")
    return _html(body, content_type="text/html; charset=iso-8859-7")


async def _json(request: web.Request) -> web.Response:
    return web.json_response({"title": "not a page"})


@web.middleware
async def _record(request: web.Request, handler: Handler) -> web.StreamResponse:
    request.app[HITS].append(request.path_qs)
    request.app[AGENTS].append(request.headers.get("User-Agent", ""))
    return await handler(request)


def _make_app() -> web.Application:
    app = web.Application(middlewares=[_record])
    app[HITS] = []
    app[AGENTS] = []
    app.router.add_get("/page", _page)
    app.router.add_get("/hops/{n}", _hops)
    app.router.add_get("/to", _redirect_to)
    app.router.add_get("/sized/{size}", _sized)
    app.router.add_get("/streamed", _streamed)
    app.router.add_get("/slow", _slow)
    app.router.add_get("/cp1252", _windows_1252)
    app.router.add_get("/greek", _greek_header)
    app.router.add_get("/json", _json)
    return app


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    test_server = TestServer(_make_app(), host="127.0.0.1")
    await test_server.start_server()
    yield test_server
    await test_server.close()


@pytest.fixture
async def connect_log(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address a socket connects to during the test, loopback server included."""
    loop = asyncio.get_running_loop()
    original = loop.sock_connect
    attempts: list[str] = []

    async def spy(sock: socket.socket, address: tuple[str, int]) -> None:
        attempts.append(address[0])
        await original(sock, address)

    monkeypatch.setattr(loop, "sock_connect", spy)
    return attempts


class FakeDNS(AbstractResolver):
    """Answers name lookups from a fixed table, as a hostile or broken DNS server might."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [_result(host, address, port) for address in self.answers[host]]

    async def close(self) -> None:
        pass


def _result(host: str, address: str, port: int) -> ResolveResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return ResolveResult(hostname=host, host=address, port=port, family=family, proto=0, flags=0)


def _url(server: TestServer, path: str, *, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{server.port}{path}"


async def _refusal(url: str, policy: FetchPolicy, **kwargs: AbstractResolver) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        await fetch_page_metadata(url, policy=policy, **kwargs)
    return caught.value


# --- happy path ---------------------------------------------------------------------------


async def test_reads_metadata_from_a_real_page(server: TestServer, connect_log: list[str]) -> None:
    metadata = await fetch_page_metadata(
        _url(server, "/page?utm_source=newsletter&b=1#top"), policy=LOOPBACK
    )
    assert metadata == PageMetadata(
        url=_url(server, "/page?b=1"),
        title="Hello from the test server",
        description="A page served on loopback.",
        image_url=_url(server, "/cover.png"),
        site_name="Test Site",
    )
    assert server.app[AGENTS] == [LOOPBACK.user_agent]
    assert connect_log == ["127.0.0.1"]


async def test_charset_from_meta_tag(server: TestServer) -> None:
    metadata = await fetch_page_metadata(_url(server, "/cp1252"), policy=LOOPBACK)
    assert metadata.title == "Café – menu"


async def test_charset_from_header(server: TestServer) -> None:
    metadata = await fetch_page_metadata(_url(server, "/greek"), policy=LOOPBACK)
    assert metadata.title == "Καλημέρα"


async def test_five_redirects_are_followed(server: TestServer) -> None:
    metadata = await fetch_page_metadata(_url(server, "/hops/5"), policy=LOOPBACK)
    assert metadata.url == _url(server, "/hops/0")
    assert metadata.title == "Hello from the test server"
    assert server.app[HITS] == [f"/hops/{n}" for n in range(5, -1, -1)]


async def test_six_redirects_are_too_many(server: TestServer) -> None:
    error = await _refusal(_url(server, "/hops/6"), LOOPBACK)
    assert error.code == "fetch.too_many_redirects"
    assert len(server.app[HITS]) == 6  # the seventh URL is never requested


async def test_redirect_limit_comes_from_the_policy(server: TestServer) -> None:
    strict = FetchPolicy(allow_loopback=True, max_redirects=1, timeout_seconds=3)
    assert (await fetch_page_metadata(_url(server, "/hops/1"), policy=strict)).title
    assert (await _refusal(_url(server, "/hops/2"), strict)).code == "fetch.too_many_redirects"


# --- SSRF: addresses written into the link ------------------------------------------------


async def test_loopback_server_itself_is_refused_by_default(
    server: TestServer, connect_log: list[str]
) -> None:
    error = await _refusal(_url(server, "/page"), PUBLIC_ONLY)
    assert error.code == "url.private_address"
    assert "127.0.0.1" in error.message
    assert connect_log == []
    assert server.app[HITS] == []


@pytest.mark.parametrize(
    ("host", "code"),
    [
        ("127.0.0.1", "url.private_address"),
        ("[::1]", "url.private_address"),
        ("localhost", "url.private_host"),
        ("2130706433", "url.private_address"),
        ("0177.0.0.1", "url.private_address"),
        ("0x7f000001", "url.private_address"),
        ("0x7f.1", "url.private_address"),
        ("127.1", "url.private_address"),
        ("[::ffff:127.0.0.1]", "url.private_address"),
        ("0.0.0.0", "url.private_address"),
    ],
)
async def test_loopback_spellings_are_refused(
    server: TestServer, connect_log: list[str], host: str, code: str
) -> None:
    error = await _refusal(_url(server, "/page", host=host), PUBLIC_ONLY)
    assert error.code == code
    assert connect_log == []


@pytest.mark.parametrize("url", ["ftp://example.com/file.html", "file:///etc/passwd"])
async def test_non_web_schemes_are_refused(url: str) -> None:
    assert (await _refusal(url, LOOPBACK)).code == "url.scheme"


# --- SSRF: redirects -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:169.254.169.254]/",
        "http://100.100.100.200/",
        "http://0xa9fea9fe/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
async def test_redirects_into_private_networks_are_refused_without_connecting(
    server: TestServer, connect_log: list[str], target: str
) -> None:
    error = await _refusal(_url(server, f"/to?target={target}"), LOOPBACK)
    assert error.code == "url.private_address"
    assert connect_log == ["127.0.0.1"]  # only the first hop, on the test server


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "localhost", "2130706433", "127.1"])
async def test_redirects_to_other_loopback_services_are_refused_without_connecting(
    server: TestServer, connect_log: list[str], host: str
) -> None:
    # Only the test server's own port is allowed: the redirect aims at another local service.
    only_this_server = FetchPolicy(
        allow_loopback=True, loopback_ports=frozenset({server.port or 0}), timeout_seconds=3
    )
    target = f"http://{host}:{(server.port or 0) + 1}/admin"
    error = await _refusal(_url(server, f"/to?target={target}"), only_this_server)
    assert error.code in {"url.private_address", "url.private_host"}
    assert connect_log == ["127.0.0.1"]  # only the first hop, on the test server


async def test_the_allowed_loopback_port_still_works(server: TestServer) -> None:
    only_this_server = FetchPolicy(
        allow_loopback=True, loopback_ports=frozenset({server.port or 0}), timeout_seconds=3
    )
    page = await fetch_page_metadata(_url(server, "/page"), policy=only_this_server)
    assert page.title


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("ftp://example.com/", "url.scheme"),
        ("file:///etc/passwd", "url.scheme"),
        ("http://user:pw@example.com/", "url.credentials"),
    ],
)
async def test_redirect_targets_are_revalidated(server: TestServer, target: str, code: str) -> None:
    assert (await _refusal(_url(server, f"/to?target={target}"), LOOPBACK)).code == code


async def test_relative_redirect_is_followed(server: TestServer) -> None:
    metadata = await fetch_page_metadata(_url(server, "/to?target=/page"), policy=LOOPBACK)
    assert metadata.url == _url(server, "/page")


# --- SSRF: names that resolve to private addresses -----------------------------------------


async def test_name_resolving_to_loopback_is_refused(
    server: TestServer, connect_log: list[str]
) -> None:
    dns = FakeDNS({"news.example.com": ["127.0.0.1"]})
    url = _url(server, "/page", host="news.example.com")
    error = await _refusal(url, PUBLIC_ONLY, resolver=dns)
    assert error.code == "url.private_host"
    assert "news.example.com" in error.message
    assert dns.asked == ["news.example.com"]
    assert connect_log == []


async def test_injected_resolver_is_what_connects(server: TestServer) -> None:
    dns = FakeDNS({"news.example.com": ["127.0.0.1"]})
    url = _url(server, "/page", host="news.example.com")
    metadata = await fetch_page_metadata(url, policy=LOOPBACK, resolver=dns)
    assert metadata.url == url
    assert metadata.title == "Hello from the test server"


@pytest.mark.parametrize(
    ("answers", "policy"),
    [
        (["93.184.216.34", "127.0.0.1"], PUBLIC_ONLY),
        (["127.0.0.1", "10.0.0.1"], LOOPBACK),
        (["127.0.0.1", "::ffff:a9fe:a9fe"], LOOPBACK),
    ],
)
async def test_any_forbidden_answer_refuses_the_name(
    server: TestServer, connect_log: list[str], answers: list[str], policy: FetchPolicy
) -> None:
    dns = FakeDNS({"mixed.example.com": answers})
    url = _url(server, "/page", host="mixed.example.com")
    assert (await _refusal(url, policy, resolver=dns)).code == "url.private_host"
    assert connect_log == []


async def test_redirect_to_a_name_resolving_to_metadata_service(
    server: TestServer, connect_log: list[str]
) -> None:
    dns = FakeDNS({"metadata.example.com": ["169.254.169.254"]})
    target = "http://metadata.example.com/latest/"
    error = await _refusal(_url(server, f"/to?target={target}"), LOOPBACK, resolver=dns)
    assert error.code == "url.private_host"
    assert connect_log == ["127.0.0.1"]


async def test_connector_checks_the_connected_peer(server: TestServer) -> None:
    # This resolver does no vetting at all, so only the peer check stands in the way.
    dns = FakeDNS({"public.example.com": ["127.0.0.1"]})
    connector = VettingConnector(resolver=dns, policy=FetchPolicy())
    async with aiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(InvalidInput) as caught:
            await session.get(_url(server, "/page", host="public.example.com"))
    assert caught.value.code == "url.private_address"
    assert server.app[HITS] == []  # refused before the request was sent


async def test_connector_lets_allowed_peers_through(server: TestServer) -> None:
    connector = VettingConnector(resolver=FakeDNS({}), policy=LOOPBACK)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(_url(server, "/page")) as response,
    ):
        assert response.status == 200


# --- responses that can't be previewed -----------------------------------------------------


async def test_body_over_the_limit_is_refused(server: TestServer) -> None:
    small = FetchPolicy(allow_loopback=True, max_bytes=1_000, timeout_seconds=3)
    assert (await fetch_page_metadata(_url(server, "/sized/1000"), policy=small)).title == "sized"
    error = await _refusal(_url(server, "/sized/1001"), small)
    assert error.code == "fetch.too_large"


async def test_streamed_body_is_cut_off_at_the_limit(server: TestServer) -> None:
    small = FetchPolicy(allow_loopback=True, max_bytes=25_000, timeout_seconds=3)
    assert (await _refusal(_url(server, "/streamed"), small)).code == "fetch.too_large"
    roomy = FetchPolicy(allow_loopback=True, max_bytes=200_000, timeout_seconds=3)
    assert (await fetch_page_metadata(_url(server, "/streamed"), policy=roomy)).title


async def test_hanging_server_times_out(server: TestServer) -> None:
    impatient = FetchPolicy(allow_loopback=True, timeout_seconds=0.5)
    started = time.monotonic()
    error = await _refusal(_url(server, "/slow"), impatient)
    assert error.code == "fetch.timeout"
    assert time.monotonic() - started < 2


async def test_non_html_is_refused(server: TestServer) -> None:
    error = await _refusal(_url(server, "/json"), LOOPBACK)
    assert error.code == "fetch.not_html"
    assert "application/json" in error.message


async def test_error_status_is_refused(server: TestServer) -> None:
    error = await _refusal(_url(server, "/missing"), LOOPBACK)
    assert error.code == "fetch.http_status"
    assert error.params["status"] == 404


async def test_closed_port_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await _refusal(f"http://127.0.0.1:{port}/", LOOPBACK)
    assert error.code == "fetch.unreachable"


async def test_unknown_name_is_unreachable() -> None:
    error = await _refusal("http://nowhere.example.com/", LOOPBACK, resolver=FakeDNS({}))
    assert error.code == "fetch.unreachable"
    assert "nowhere.example.com" in error.message


# --- the address rules ---------------------------------------------------------------------

FORBIDDEN = [
    "10.0.0.5", "172.16.0.1", "172.31.255.255", "192.168.1.1", "fc00::1", "fd12:3456::1",
    "127.0.0.1", "127.255.255.254", "::1", "169.254.1.1", "fe80::1", "224.0.0.1", "ff02::1",
    "0.0.0.0", "::", "240.0.0.1", "255.255.255.255", "100.64.0.1", "100.127.255.255",
    "169.254.169.254", "fd00:ec2::254", "100.100.100.200", "::ffff:127.0.0.1",
    "::ffff:10.0.0.1", "::127.0.0.1", "2002:7f00:1::1", "2002:a9fe:a9fe::1",
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1", "2001::1", "2001:db8::1",
    "fec0::1", "192.0.0.8", "192.0.2.1", "198.18.0.1",
]  # fmt: skip
PUBLIC = [
    "8.8.8.8", "93.184.216.34", "100.63.255.255", "100.128.0.1", "2606:4700:4700::1111",
    "2a00:1450:4001::1", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
]  # fmt: skip


@pytest.mark.parametrize("address", FORBIDDEN)
def test_forbidden_addresses(address: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address), allow_loopback=False)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses(address: str) -> None:
    assert not is_forbidden_address(ipaddress.ip_address(address), allow_loopback=False)
    assert not is_forbidden_address(ipaddress.ip_address(address), allow_loopback=True)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.1.2.3", "::1"])
def test_allow_loopback_allows_loopback(address: str) -> None:
    assert not is_forbidden_address(ipaddress.ip_address(address), allow_loopback=True)


@pytest.mark.parametrize(
    "address", sorted(set(FORBIDDEN) - {"127.0.0.1", "127.255.255.254", "::1"})
)
def test_allow_loopback_allows_nothing_else(address: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address), allow_loopback=True)
