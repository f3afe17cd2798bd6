"""Fetch a shared page's preview metadata without letting the link reach private networks."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp import ClientRequest, ClientTimeout, TCPConnector, hdrs
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.connector import Connection
from aiohttp.resolver import DefaultResolver
from aiohttp.tracing import Trace
from yarl import URL

from domain.errors import InvalidInput
from links.page_metadata import PageMetadata, read_page
from links.urls import canonicalise_url, host_of
from offload.worker import WorkFailed, WorkTooLong, run_bounded

__all__ = [
    "FetchPolicy",
    "PageMetadata",
    "VettingConnector",
    "VettingResolver",
    "fetch_page_metadata",
    "is_forbidden_address",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
_CHUNK_BYTES = 64 * 1024

# Named outright although the range checks below already cover them: these are the
# addresses SSRF attacks aim at first, and the list must not depend on ipaddress's tables.
_CLOUD_METADATA = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_EXTRA_FORBIDDEN = tuple(
    ipaddress.ip_network(network)
    for network in (
        "100.64.0.0/10",  # carrier-grade NAT; ipaddress calls it neither private nor global
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "64:ff9b:1::/48",  # local-use NAT64
        "2001::/32",  # Teredo tunnels
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch; the defaults are the production settings."""

    allow_loopback: bool = False  # tests only: allows 127.0.0.0/8 and ::1, nothing else
    # Tests only, with allow_loopback: the loopback ports that may be reached (empty: any).
    # Lets a test server on one port prove that redirects to other loopback ports are refused.
    loopback_ports: frozenset[int] = frozenset()
    timeout_seconds: float = 5.0  # the whole fetch, redirects included
    max_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 5
    # Decoding and parsing one page in the CPU worker (after the fetch, not within its time).
    read_seconds: float = 2.0
    user_agent: str = "SocialBoostBot/0.1 (+link preview)"


def loopback_allowed(policy: FetchPolicy, port: int) -> bool:
    """Whether the policy lets loopback addresses through on this port."""
    return policy.allow_loopback and (not policy.loopback_ports or port in policy.loopback_ports)


def is_forbidden_address(ip: IPAddress, *, allow_loopback: bool) -> bool:
    """Whether `ip` is anything but a public unicast address the bot may connect to.

    IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by
    the IPv4 address they reach; `allow_loopback` never extends to those wrapped forms.
    """
    if allow_loopback and ip.is_loopback:
        return False
    wrapped = _wrapped_ipv4(ip)
    if wrapped is not None:
        return is_forbidden_address(wrapped, allow_loopback=False)
    return _is_special(ip)


def _wrapped_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _is_special(ip: IPAddress) -> bool:
    site_local = isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local
    return (
        ip in _CLOUD_METADATA
        or not ip.is_global
        or ip.is_private
        or ip.is_reserved
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or site_local
        or any(ip in network for network in _EXTRA_FORBIDDEN)
    )


def _parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _private_address(address: object) -> InvalidInput:
    return InvalidInput(
        "url.private_address",
        "That link points to a private network address ({address}); "
        "only public web pages can be added.",
        address=str(address),
    )


def _private_host(host: str, address: str) -> InvalidInput:
    return InvalidInput(
        "url.private_host",
        "That link's website ({host}) leads to a private network address ({address}); "
        "only public web pages can be added.",
        host=host,
        address=address,
    )


class VettingResolver(AbstractResolver):
    """Resolves through `inner` and refuses names with any forbidden address among them.

    Checked at connect time, so a name that changes its answer between a check and the
    connection (DNS rebinding) still can't lead anywhere private.
    """

    def __init__(self, inner: AbstractResolver, *, policy: FetchPolicy) -> None:
        self._inner = inner
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Return `inner`'s addresses for `host`, or raise InvalidInput if any is forbidden."""
        results = await self._inner.resolve(host, port, family)
        if not results:
            raise OSError(f"{host} has no addresses")  # aiohttp reports it as a DNS failure
        for result in results:
            address = _parse_address(result["host"])
            if address is None or is_forbidden_address(
                address, allow_loopback=loopback_allowed(self._policy, port)
            ):
                raise _private_host(host, result["host"])
        return results

    async def close(self) -> None:
        """Nothing to release; whoever created `inner` closes it."""


class VettingConnector(TCPConnector):
    """A TCP connector that checks the peer address of every connection it hands out.

    The resolver already vets names, but IP-literal hosts skip the resolver entirely, so
    the address actually connected to is checked here too, before any request is sent.
    """

    def __init__(self, *, resolver: AbstractResolver, policy: FetchPolicy) -> None:
        super().__init__(resolver=resolver, use_dns_cache=False)
        self._policy = policy

    # The `timeout` parameter name is aiohttp's; an override must keep the signature.
    async def connect(
        self,
        req: ClientRequest,
        traces: list[Trace],
        timeout: ClientTimeout,  # noqa: ASYNC109
    ) -> Connection:
        """Open (or reuse) a connection, refusing it if the peer is a forbidden address."""
        connection = await super().connect(req, traces, timeout)
        address, port = _peer(connection)
        allow_loopback = loopback_allowed(self._policy, port)
        if address is None or is_forbidden_address(address, allow_loopback=allow_loopback):
            connection.close()
            if address is None:
                raise OSError("the connected peer's address is unknown")
            raise _private_address(address)
        return connection


def _peer(connection: Connection) -> tuple[IPAddress | None, int]:
    transport = connection.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    if isinstance(peer, tuple) and len(peer) >= 2 and isinstance(peer[0], str):
        return _parse_address(peer[0]), int(peer[1])
    return None, 0


async def fetch_page_metadata(
    url: str, *, policy: FetchPolicy = FetchPolicy(), resolver: AbstractResolver | None = None
) -> PageMetadata:
    """Fetch `url` and return its preview metadata, or raise InvalidInput saying why not.

    Only public http(s) addresses are contacted, on every redirect hop. `resolver` replaces
    the system name resolution (its answers are still vetted); tests use it to fake DNS.
    """
    start = canonicalise_url(url)
    inner = resolver if resolver is not None else DefaultResolver()
    try:
        async with asyncio.timeout(policy.timeout_seconds):
            page, final_url = await _fetch(start, policy=policy, resolver=inner)
    except TimeoutError as error:
        raise InvalidInput(
            "fetch.timeout",
            "That page took too long to answer (more than {seconds} s).",
            seconds=policy.timeout_seconds,
        ) from error
    finally:
        if resolver is None:
            await inner.close()
    # Outside the network deadline: reading has its own cap, counted from when it starts.
    return await _read(page, url=final_url, policy=policy)


async def _fetch(
    start: str, *, policy: FetchPolicy, resolver: AbstractResolver
) -> tuple[_Page, str]:
    vetting = VettingResolver(resolver, policy=policy)
    connector = VettingConnector(resolver=vetting, policy=policy)
    headers = {hdrs.USER_AGENT: policy.user_agent, hdrs.ACCEPT: _ACCEPT}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        return await _follow(session, start, policy=policy)


@dataclass(frozen=True)
class _Redirect:
    target: str


@dataclass(frozen=True)
class _Page:
    body: bytes
    charset: str | None


async def _follow(
    session: aiohttp.ClientSession, start: str, *, policy: FetchPolicy
) -> tuple[_Page, str]:
    url = start
    for _ in range(policy.max_redirects + 1):
        _refuse_forbidden_literal(url, policy=policy)
        outcome = await _request(session, url, policy=policy)
        if isinstance(outcome, _Page):
            return outcome, url
        url = outcome.target
    raise InvalidInput(
        "fetch.too_many_redirects",
        "That link redirects more than {count} times; please share the final page's address.",
        count=policy.max_redirects,
    )


async def _read(page: _Page, *, url: str, policy: FetchPolicy) -> PageMetadata:
    """Decode and parse in the CPU worker: some pages take html.parser minutes, and a page
    could name a codec that slow; on the event loop that would stop the whole server."""
    try:
        return await run_bounded(
            read_page,
            page.body,
            header_charset=page.charset,
            base_url=url,
            seconds=policy.read_seconds,
        )
    except (WorkTooLong, WorkFailed) as error:
        raise InvalidInput(
            "fetch.unreadable",
            "We couldn't read that page ({host}): its HTML is too hard to read.",
            host=host_of(url),
        ) from error


def _refuse_forbidden_literal(url: str, *, policy: FetchPolicy) -> None:
    """Refuse an IP-literal host before connecting; names are vetted by VettingResolver."""
    address = _parse_address(host_of(url))
    allow_loopback = loopback_allowed(policy, _port_of(url))
    if address is not None and is_forbidden_address(address, allow_loopback=allow_loopback):
        raise _private_address(address)


def _port_of(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


async def _request(
    session: aiohttp.ClientSession, url: str, *, policy: FetchPolicy
) -> _Redirect | _Page:
    try:
        async with session.get(URL(url, encoded=True), allow_redirects=False) as response:
            if response.status in _REDIRECT_STATUSES and hdrs.LOCATION in response.headers:
                return _Redirect(_redirect_target(url, response.headers[hdrs.LOCATION]))
            _check_response(response)
            body = await _read_body(response, max_bytes=policy.max_bytes)
            return _Page(body, response.charset)
    except (aiohttp.ClientError, OSError) as error:
        raise InvalidInput(
            "fetch.unreachable",
            "We couldn't connect to {host}; check that the link opens in a browser.",
            host=host_of(url),
        ) from error


def _redirect_target(current: str, location: str) -> str:
    try:
        target = urljoin(current, location.strip())
    except ValueError as error:
        raise InvalidInput(
            "url.malformed", "That isn't a valid web link; please check it and paste it again."
        ) from error
    # Every hop goes through the same refusals as a link someone pasted.
    return canonicalise_url(target)


def _check_response(response: aiohttp.ClientResponse) -> None:
    if not 200 <= response.status < 300:
        raise InvalidInput(
            "fetch.http_status",
            "That page answered with HTTP status {status}, so there is nothing to preview.",
            status=response.status,
        )
    if response.content_type not in _HTML_TYPES:
        raise InvalidInput(
            "fetch.not_html",
            "That link isn't a web page (it is {content_type}); only HTML pages can be added.",
            content_type=response.content_type,
        )


async def _read_body(response: aiohttp.ClientResponse, *, max_bytes: int) -> bytes:
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        raise _too_large(max_bytes)
    body = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(max_bytes)
    return bytes(body)


def _too_large(max_bytes: int) -> InvalidInput:
    return InvalidInput(
        "fetch.too_large",
        "That page is bigger than {count} bytes, too big to preview.",
        count=max_bytes,
    )
