"""Connector and user-token clients kept across Teams turns, instead of a new pair per turn.

The factory subclasses the SDK's and uses its private attributes: `cloud.client_factory` uses
it only with the releases in SUPPORTED, and the SDK's own factory otherwise.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from importlib.metadata import version
from typing import Generic, Protocol, TypeVar

from microsoft_agents.activity import RoleTypes
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.authorization import (
    AccessTokenProviderBase,
    ClaimsIdentity,
    Connections,
)
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.core.connector.client import UserTokenClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient
from microsoft_agents.hosting.core.rest_channel_service_client_factory import (
    RestChannelServiceClientFactory,
)
from microsoft_agents.hosting.core.telemetry.adapter import spans
from packaging.specifiers import SpecifierSet

# The releases whose RestChannelServiceClientFactory and clients this module was read against
# and tested with. A lock bump outside them turns the pool off (one client per turn is slower,
# not wrong) and fails tests/bot/teams/test_client_pool.py, until someone has compared the
# factory below with the new source, run those tests and widened the range here.
SUPPORTED: Mapping[str, SpecifierSet] = {"microsoft-agents-hosting-core": SpecifierSet("~=1.9.0")}

# Tokens are refreshed about hourly and Teams has a few regional service URLs: a handful of
# (service URL, token) clients is all one server ever needs at a time.
CONNECTORS_KEPT = 8
USER_TOKEN_CLIENTS_KEPT = 2
# At shutdown, how long a turn still sending may keep its client before it is closed anyway.
SHUTDOWN_GRACE_SECONDS = 5.0


def unsupported_versions() -> list[str]:
    """The installed libraries outside SUPPORTED, as 'name version (supported: range)'."""
    return [
        f"{name} {version(name)} (supported: {supported})"
        for name, supported in SUPPORTED.items()
        if not supported.contains(version(name), prereleases=True)
    ]


class Leases:
    """How many turns hold one pooled client; its session closes once retired and free."""

    def __init__(self, close: Callable[[], Awaitable[None]]) -> None:
        self._close = close
        self.held = 0
        self.retired = False
        self.closed = False
        self._done = asyncio.Event()

    def take(self) -> None:
        """A turn starts using the client."""
        self.held += 1

    async def give_back(self) -> None:
        """A turn is done with the client (the SDK closes its clients after every turn)."""
        self.held = max(0, self.held - 1)
        await self._close_if_done()

    async def retire(self) -> None:
        """Out of the pool: close now if no turn holds it, else when the last one is done."""
        self.retired = True
        await self._close_if_done()

    async def wait_closed(self, grace_seconds: float) -> None:
        """Wait up to `grace_seconds` for the last turn to be done, then close regardless."""
        if not self.closed:
            try:
                await asyncio.wait_for(self._done.wait(), grace_seconds)
            except TimeoutError:
                # A turn that never gave the client back (it failed before the SDK's cleanup
                # was set up) or one still running at shutdown: its session closes anyway.
                self.held = 0
                await self._close_if_done()

    async def _close_if_done(self) -> None:
        if self.retired and self.held == 0 and not self.closed:
            self.closed = True
            try:
                await self._close()
            finally:
                self._done.set()


class PooledConnectorClient(TeamsConnectorClient):
    """A TeamsConnectorClient shared by turns: `close()` only ends one turn's use."""

    def __init__(self, endpoint: str, token: str) -> None:
        super().__init__(endpoint=endpoint, token=token)
        self.leases = Leases(super().close)

    async def close(self) -> None:
        """End one turn's use; the session stays open for the next turns."""
        await self.leases.give_back()


class PooledUserTokenClient(UserTokenClient):
    """A UserTokenClient shared by turns: `close()` only ends one turn's use."""

    def __init__(self, endpoint: str, token: str, app_id: str | None) -> None:
        super().__init__(endpoint=endpoint, token=token, app_id=app_id)
        self.leases = Leases(super().close)

    async def close(self) -> None:
        """End one turn's use; the session stays open for the next turns."""
        await self.leases.give_back()


class _Leased(Protocol):
    leases: Leases


C = TypeVar("C", bound=_Leased)


class Pool(Generic[C]):
    """Clients by key, least recently used first; the oldest beyond `size` are retired."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._clients: OrderedDict[Hashable, C] = OrderedDict()

    async def lease(self, key: Hashable, make: Callable[[], C]) -> C:
        """The client for `key` (made if new), held for one turn."""
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = make()
        else:
            self._clients.move_to_end(key)
        # Taken before evicting: the awaits below let other turns fill the pool meanwhile.
        client.leases.take()
        while len(self._clients) > self._size:
            _, oldest = self._clients.popitem(last=False)
            await oldest.leases.retire()
        return client

    async def retire_all(self) -> list[Leases]:
        """Empty the pool, closing each client once no turn holds it; their leases."""
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            await client.leases.retire()
        return [client.leases for client in clients]


class _LoopPools:
    """The pools of one event loop: an aiohttp session must not be used from another."""

    def __init__(self) -> None:
        self.connectors: Pool[PooledConnectorClient] = Pool(CONNECTORS_KEPT)
        self.user_tokens: Pool[PooledUserTokenClient] = Pool(USER_TOKEN_CLIENTS_KEPT)

    async def retire_all(self) -> list[Leases]:
        return [*await self.connectors.retire_all(), *await self.user_tokens.retire_all()]


class PooledClientFactory(RestChannelServiceClientFactory):
    """The SDK's client factory, but each connector client (per service URL and token) and
    user-token client is made once and reused by later turns on the same event loop.

    Agentic and Copilot Studio (connector user) requests get the SDK's own clients.
    """

    def __init__(self, connection_manager: Connections) -> None:
        super().__init__(connection_manager)
        self._pools: dict[asyncio.AbstractEventLoop, _LoopPools] = {}
        self._closed = False

    async def create_connector_client(
        self,
        context: TurnContext | None,
        claims_identity: ClaimsIdentity,
        service_url: str,
        audience: str,
        scopes: list[str] | None = None,
        use_anonymous: bool = False,
    ) -> ConnectorClientBase:
        """The pooled connector client for `service_url` and the token the SDK would use."""
        if self._closed or not service_url or not audience or _not_pooled(context):
            # The SDK's own path, including its errors for an empty URL or audience.
            return await super().create_connector_client(
                context, claims_identity, service_url, audience, scopes, use_anonymous
            )
        with spans.AdapterCreateConnectorClient(
            service_url=service_url, scopes=scopes, is_agentic_request=False
        ):
            provider = self._token_provider(claims_identity, service_url, use_anonymous)
            token = await provider.get_access_token(
                audience, scopes or claims_identity.get_token_scope()
            )
            return await self._here().connectors.lease(
                (service_url, token), lambda: PooledConnectorClient(service_url, token)
            )

    async def create_user_token_client(
        self,
        context: TurnContext,
        claims_identity: ClaimsIdentity,
        use_anonymous: bool = False,
    ) -> UserTokenClient:
        """The pooled user-token client for the bot's app id and token."""
        if self._closed or context.activity.is_agentic_request():
            return await super().create_user_token_client(context, claims_identity, use_anonymous)
        scopes = claims_identity.get_token_scope()
        endpoint = self._token_service_endpoint
        with spans.AdapterCreateUserTokenClient(token_service_endpoint=endpoint, scopes=scopes):
            token = "" if use_anonymous else await self._user_token(claims_identity, scopes)
            app_id = claims_identity.get_app_id()
            return await self._here().user_tokens.lease(
                (app_id, token), lambda: PooledUserTokenClient(endpoint, token, app_id)
            )

    async def aclose_all(self, *, grace_seconds: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Close every pooled client: idle ones now, ones a turn still holds when it is done
        (at most `grace_seconds` later). Later turns get the SDK's own per-turn clients.
        Call on the server's loop at shutdown; other loops' clients are only forgotten."""
        self._closed = True
        pools, self._pools = self._pools, {}
        pool = pools.get(asyncio.get_running_loop())
        held = await pool.retire_all() if pool is not None else []
        await asyncio.gather(*(leases.wait_closed(grace_seconds) for leases in held))

    def _here(self) -> _LoopPools:
        loop = asyncio.get_running_loop()
        pools = self._pools.get(loop)
        if pools is None:
            # A closed loop's sessions died with it: forget them rather than reuse them.
            self._pools = {old: p for old, p in self._pools.items() if not old.is_closed()}
            pools = self._pools[loop] = _LoopPools()
        return pools

    def _token_provider(
        self, claims_identity: ClaimsIdentity, service_url: str, use_anonymous: bool
    ) -> AccessTokenProviderBase:
        # As RestChannelServiceClientFactory.create_connector_client chooses it.
        if use_anonymous:
            return self._ANONYMOUS_TOKEN_PROVIDER
        return self._connection_manager.get_token_provider(claims_identity, service_url)

    async def _user_token(self, claims_identity: ClaimsIdentity, scopes: list[str]) -> str:
        # As RestChannelServiceClientFactory.create_user_token_client gets it.
        provider = self._connection_manager.get_token_provider(
            claims_identity, self._token_service_endpoint
        )
        token = await provider.get_access_token(self._token_service_audience, scopes)
        if not token:
            raise ValueError("Failed to obtain token for user token client")
        return token


def _not_pooled(context: TurnContext | None) -> bool:
    """Agentic requests and Copilot Studio's connector users: the SDK makes those clients."""
    if context is None:
        return False
    recipient = context.activity.recipient
    return bool(context.activity.is_agentic_request()) or (
        recipient is not None and recipient.role == RoleTypes.connector_user
    )
