"""Sizing captions to a network's limit: measuring, trimming, and checking a person's own text.

Every length here is Python `str` length after Unicode NFC normalisation, so an accented letter
typed as letter + combining accent counts once, as people see it. That matches or over-counts
Bluesky's grapheme count and LinkedIn's and Facebook's limits; X weighs some characters (CJK,
emoji) double, which this count does not model.
"""

from __future__ import annotations

import unicodedata

from domain.errors import InvalidInput
from domain.networks import NETWORK_RULES, Network, caption_budget

ELLIPSIS = "…"
# Below this, caption writers cannot offer distinct variants that fit untrimmed.
MIN_CAPTION_ROOM = 20
# Punctuation that reads badly right before the ellipsis of a cut sentence.
_DANGLING = " \t\r\n,;:-–—/(["


def normalize(text: str) -> str:
    """`text` in Unicode NFC form, the form every length in this package is measured in."""
    return unicodedata.normalize("NFC", text)


def caption_length(text: str) -> int:
    """Characters in `text` as counted against a network's limit (str length after NFC)."""
    return len(normalize(text))


def caption_fits(text: str, *, network: Network, link: str) -> bool:
    """Whether `text` (disclosure included) and `link` fit together in one post."""
    return caption_length(text) <= caption_budget(network, link)


def caption_room(*, network: Network, link: str, disclosure: str | None = None) -> int:
    """Characters left for the caption's own words once the link and the disclosure are in."""
    room = caption_budget(network, link)
    cleaned = _clean_disclosure(disclosure)
    return room - (1 + len(cleaned) if cleaned else 0)


def fit_caption(text: str, *, network: Network, link: str, disclosure: str | None = None) -> str:
    """`text` plus the disclosure, trimmed at a word boundary (with '…') to fit next to `link`.

    The result always passes `caption_fits`. Raises InvalidInput 'caption.no_room' when the link
    and the disclosure alone already exceed the network's limit.
    """
    room = caption_room(network=network, link=link, disclosure=disclosure)
    if room < 0:
        raise no_room_error(network=network, room=room)
    ending = _clean_disclosure(disclosure)
    words = _without_ending(normalize(text).strip(), ending)
    return " ".join(part for part in (trim_to(words, room), ending) if part)


def trim_to(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at a word boundary and marked '…' when cut."""
    if len(text) <= limit:
        return text
    if limit < 2:  # a lone ellipsis says nothing; better no words at all
        return ""
    # Keep one character for the ellipsis; cut at the last space if that keeps half the room,
    # otherwise (one very long word) cut mid-word rather than lose almost everything.
    boundary = max(text.rfind(" ", 0, limit), text.rfind("\n", 0, limit))
    cut = text[:boundary] if boundary > limit // 2 else text[: limit - 1]
    return cut.rstrip(_DANGLING) + ELLIPSIS


def check_final_caption(text: str, *, network: Network, link: str) -> str:
    """A person's own caption, NFC-normalised and stripped, refused when empty or too long.

    Raises InvalidInput 'caption.empty' or 'caption.too_long' (naming the count and allowance).
    """
    cleaned = normalize(text).strip()
    if not cleaned:
        raise InvalidInput("caption.empty", "Your caption is empty; write a few words of your own.")
    budget = caption_budget(network, link)
    if len(cleaned) > budget:
        raise InvalidInput(
            "caption.too_long",
            "Your caption has {count} characters; {network} allows {limit} next to the link.",
            count=len(cleaned),
            network=NETWORK_RULES[network].label,
            limit=max(budget, 0),
        )
    return cleaned


def _clean_disclosure(disclosure: str | None) -> str:
    return normalize(disclosure or "").strip()


def _without_ending(text: str, ending: str) -> str:
    # Editorial or model captions sometimes already carry the disclosure; never say it twice.
    if ending and text.endswith(ending):
        return text[: -len(ending)].rstrip()
    return text


def no_room_error(*, network: Network, room: int) -> InvalidInput:
    """InvalidInput 'caption.no_room': the link and disclosure leave too little for words."""
    return InvalidInput(
        "caption.no_room",
        "The link and disclosure leave {count} characters for a caption on {network}, "
        "and a caption needs at least {minimum}.",
        count=max(room, 0),
        network=NETWORK_RULES[network].label,
        minimum=MIN_CAPTION_ROOM,
    )
