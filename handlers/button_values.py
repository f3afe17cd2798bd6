"""The values card buttons carry (an item and where it was shown, or an item and a network)."""

from __future__ import annotations

from domain.errors import InvalidInput
from domain.networks import Network, parse_network

_STALE = "That button no longer works; ask for your picks again."
# Ids fit a 32-bit column; anything longer is not one of ours (and would overflow the query).
_MAX_DIGITS = 9


def _number(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > _MAX_DIGITS:
        raise InvalidInput("button.value", _STALE)
    return int(text)


def item_value(value: str) -> tuple[int, str]:
    """A card button's value 'content_id:source' (or just the id; the source is then 'dm')."""
    head, _, tail = value.partition(":")
    return _number(head), tail or "dm"


def share_value(value: str) -> tuple[int, Network]:
    """A share button's value 'content_id:network'."""
    head, _, tail = value.partition(":")
    return _number(head), parse_network(tail)


def content_id(value: str) -> int:
    """A button's value naming just an item, such as a suggestion to approve."""
    return _number(value)
