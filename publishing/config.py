"""Which networks people may connect on this server, and the keys that protect their tokens."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from content_store.token_box import TokenBox
from domain.networks import Network
from publishing.bluesky import BlueskyConfig
from publishing.linkedin import LinkedInConfig


@dataclass(frozen=True)
class AccountsConfig:
    """LinkedIn when its app is configured, Bluesky when on; nothing at all by default."""

    linkedin: LinkedInConfig | None = None
    bluesky: BlueskyConfig | None = None
    box: TokenBox | None = field(default=None, repr=False)
    # Keys the PKCE verifier derived from each connect link (so nothing more is stored).
    pkce_key: bytes = field(default=b"", repr=False)

    def networks(self) -> tuple[Network, ...]:
        """The networks people can connect here, in the networks' order."""
        if self.box is None:
            return ()
        enabled = {Network.LINKEDIN: self.linkedin, Network.BLUESKY: self.bluesky}
        return tuple(network for network, config in enabled.items() if config is not None)

    def enabled(self, network: Network) -> bool:
        """Whether people can connect (and post to) `network` here."""
        return network in self.networks()

    def verifier(self, state: str) -> str:
        """The PKCE code verifier of a connect link: 64 hex characters, unguessable from it."""
        return hmac.new(self.pkce_key, state.encode("ascii", "replace"), hashlib.sha256).hexdigest()
