"""The Agents SDK pieces: credentials (or anonymous local mode), the CloudAdapter, JWT checks."""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from jwt import PyJWTError
from microsoft_agents.activity import Activity, ConversationReference
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration,
    RestChannelServiceClientFactory,
    TurnContext,
)
from microsoft_agents.hosting.core.authorization import ClaimsIdentity, Connections
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator
from microsoft_agents.hosting.core.security import OutboundHostValidator

log = logging.getLogger(__name__)

# The audience of anonymous proactive turns (the Playground accepts any).
ANONYMOUS_AUDIENCE = "https://api.botframework.com"
SERVICE_CONNECTION = "SERVICE_CONNECTION"
# Headers a proxy, tunnel or load balancer adds. The loopback check trusts the socket peer,
# which for anything forwarded is the proxy on this machine, not the real sender.
FORWARDING_HEADERS = frozenset(
    {
        "forwarded",
        "via",
        "x-real-ip",
        "x-client-ip",
        "x-cluster-client-ip",
        "true-client-ip",
        "cf-connecting-ip",
        "fastly-client-ip",
        "x-original-forwarded-for",
        "x-proxyuser-ip",
    }
)
_FORWARDING_PREFIXES = ("x-forwarded-",)
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class TeamsCredentials:
    """A single-tenant bot registration: app id, its secret and the tenant."""

    app_id: str
    password: str
    tenant_id: str


class Unauthorized(Exception):
    """A request to /api/messages that may not be served; `reason` is for the log only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def auth_configuration(credentials: TeamsCredentials | None) -> AgentAuthConfiguration:
    """The SDK configuration: the registration's credentials, or anonymous local mode."""
    if credentials is None:
        return AgentAuthConfiguration(anonymous_allowed=True)
    return AgentAuthConfiguration(
        client_id=credentials.app_id,
        client_secret=credentials.password,
        tenant_id=credentials.tenant_id,
        anonymous_allowed=False,
        validate_issuer=True,
    )


async def _reraise(context: TurnContext, error: Exception) -> None:
    # The SDK's default would post the exception text into the chat; callers handle errors.
    raise error


class TeamsCloudAdapter(CloudAdapter):
    """The SDK's CloudAdapter with HTTP clients kept across turns; `aclose` ends them."""

    def __init__(
        self,
        *,
        clients: RestChannelServiceClientFactory,
        host_validator: OutboundHostValidator | None,
    ) -> None:
        super().__init__(channel_service_client_factory=clients, host_validator=host_validator)
        self.clients = clients

    async def aclose(self) -> None:
        """Close the connections kept for later turns (at server shutdown)."""
        # The SDK's own factory (see client_factory) keeps nothing: its clients end per turn.
        aclose_all = getattr(self.clients, "aclose_all", None)
        if aclose_all is not None:
            await aclose_all()


def client_factory(connections: Connections) -> RestChannelServiceClientFactory:
    """Connector clients kept across turns (client_pool.py) when the installed Agents SDK is a
    release the pool was written for; else the SDK's own factory, with a new client per turn."""
    try:
        from bot.teams import client_pool
    except ImportError as error:
        log.warning("Teams client pool off, using the Agents SDK's per-turn clients: %s", error)
        return RestChannelServiceClientFactory(connections)
    outside = client_pool.unsupported_versions()
    if outside:
        log.warning(
            "Teams client pool off, using the Agents SDK's per-turn clients: %s",
            ", ".join(outside),
        )
        return RestChannelServiceClientFactory(connections)
    return client_pool.PooledClientFactory(connections)


def build_cloud_adapter(configuration: AgentAuthConfiguration) -> TeamsCloudAdapter:
    """A CloudAdapter whose turn errors reach the caller, sending only to Microsoft's hosts
    when credentials are set (anonymous local mode talks to the Playground on this machine).
    Its connector clients are reused by later turns: call `aclose()` when done with it."""
    connections = MsalConnectionManager(
        connections_configurations={SERVICE_CONNECTION: configuration}
    )
    validator = None if configuration.ANONYMOUS_ALLOWED else OutboundHostValidator(enabled=True)
    adapter = TeamsCloudAdapter(clients=client_factory(connections), host_validator=validator)
    adapter.on_turn_error = _reraise
    return adapter


def playground_service_url(port: int) -> str:
    """The service URL the Playground listening on `port` names in every activity."""
    return f"http://localhost:{port}/_connector"


async def authorize(
    configuration: AgentAuthConfiguration,
    header: str | None,
    *,
    peer: str | None,
    headers: Mapping[str, str] | None = None,
) -> ClaimsIdentity:
    """The caller's identity from its Bot Framework token; raises Unauthorized otherwise.

    Anonymous local mode accepts only requests from this machine (the Playground), so a
    server that listens on a public address without credentials cannot be driven by others;
    and none that a proxy forwarded (`headers` carries a forwarding header), since then the
    peer is the proxy on this machine and the sender could be anyone.
    """
    if configuration.ANONYMOUS_ALLOWED:
        if not _is_loopback(peer):
            raise Unauthorized(f"anonymous mode refuses {peer or 'unknown peer'}")
        forwarded = _forwarding_header(headers or {})
        if forwarded is not None:
            raise Unauthorized(f"anonymous mode refuses forwarded requests ({forwarded})")
        return ClaimsIdentity()
    token = _bearer(header)
    try:
        return await JwtTokenValidator(configuration).validate_token(token)
    except (PyJWTError, ValueError, KeyError) as error:
        raise Unauthorized(f"token refused: {type(error).__name__}") from None


def _forwarding_header(headers: Mapping[str, str]) -> str | None:
    for name in headers:
        lowered = name.lower()
        if lowered in FORWARDING_HEADERS or lowered.startswith(_FORWARDING_PREFIXES):
            return lowered
    return None


def check_local_service_url(body: bytes, *, allowed: str) -> None:
    """Anonymous local mode: refuse an activity naming another service URL than `allowed`.

    Replies and proactive messages go to the activity's service URL, so a forged one would
    carry answers (a person's data export, say) to whoever named it. Bodies that are not a
    JSON object, or name no service URL (and so cannot be answered), are left to the SDK.
    """
    try:
        activity = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return
    if not isinstance(activity, dict) or activity.get("serviceUrl") is None:
        return
    named = activity["serviceUrl"]
    if not isinstance(named, str) or not same_local_service(named, allowed):
        raise Unauthorized(f"anonymous mode refuses the service URL {str(named)[:100]!r}")


def same_local_service(url: str, allowed: str) -> bool:
    """Whether `url` is `allowed` (a loopback URL), whichever loopback name either uses."""
    try:
        given, wanted = urlsplit(url.strip()), urlsplit(allowed)
        ports = (given.port, wanted.port)
    except ValueError:
        return False
    return (
        given.scheme == wanted.scheme
        and given.hostname in _LOOPBACK_NAMES
        and wanted.hostname in _LOOPBACK_NAMES
        and ports[0] == ports[1]
        and given.path.rstrip("/") == wanted.path.rstrip("/")
        and not given.query
        and not given.username
        and not given.password
    )


def _bearer(header: str | None) -> str:
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
        raise Unauthorized("no bearer token")
    return token


def _is_loopback(peer: str | None) -> bool:
    try:
        return peer is not None and ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False


def continuation(reference: dict[str, object]) -> Activity:
    """The continuation activity of a stored conversation reference.

    As in every Bot Framework SDK, it carries a fresh random id, so proactive sends go to
    POST /v3/conversations/{id}/activities/{that id}; Teams posts them as new messages.
    """
    return ConversationReference.model_validate(reference).get_continuation_activity()
