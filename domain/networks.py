"""Social networks: their caption limits and how their share composers are opened."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import urlencode

from domain.errors import InvalidInput


class Network(enum.StrEnum):
    """A network a person can share on."""

    LINKEDIN = "linkedin"
    X = "x"
    BLUESKY = "bluesky"
    FACEBOOK = "facebook"


@dataclass(frozen=True)
class NetworkRules:
    """What a network's composer accepts.

    `max_chars` is the post limit; `link_chars` is how many characters a link costs in that limit
    (X counts every link as 23; None means the link is counted as written);
    `composer_takes_text` tells whether the composer URL can carry the caption, or only a link.
    """

    label: str
    max_chars: int
    link_chars: int | None
    composer_takes_text: bool


# The one table of network limits; everything that sizes a caption reads it.
NETWORK_RULES: dict[Network, NetworkRules] = {
    Network.LINKEDIN: NetworkRules("LinkedIn", 3000, None, composer_takes_text=False),
    Network.X: NetworkRules("X", 280, 23, composer_takes_text=True),
    Network.BLUESKY: NetworkRules("Bluesky", 300, None, composer_takes_text=True),
    Network.FACEBOOK: NetworkRules("Facebook", 63206, None, composer_takes_text=False),
}


def parse_network(text: str) -> Network:
    """Return the network named by `text` (case-insensitive; 'twitter' means X)."""
    name = text.strip().lower()
    aliases = {"twitter": "x", "bsky": "bluesky", "fb": "facebook"}
    try:
        return Network(aliases.get(name, name))
    except ValueError:
        raise InvalidInput(
            "network.unknown",
            "Unknown network '{name}': use linkedin, x, bluesky or facebook.",
            name=text[:40],
        ) from None


def link_cost(network: Network, link: str) -> int:
    """Characters a link uses in the network's limit, including the separating space."""
    rules = NETWORK_RULES[network]
    return 1 + (rules.link_chars if rules.link_chars is not None else len(link))


def caption_budget(network: Network, link: str) -> int:
    """Characters left for the caption when the link goes in the same post."""
    return NETWORK_RULES[network].max_chars - link_cost(network, link)


def composer_url(network: Network, *, text: str, link: str) -> str:
    """The URL that opens the network's share composer with the caption and/or the link."""
    if network is Network.X:
        return "https://x.com/intent/post?" + urlencode({"text": text, "url": link})
    if network is Network.BLUESKY:
        return "https://bsky.app/intent/compose?" + urlencode({"text": f"{text} {link}"})
    if network is Network.LINKEDIN:
        return "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": link})
    return "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": link})
