"""How a caption opens: its first words, compared without case, punctuation or @-mentions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from captions.fitting import normalize

# "Starting with the same five words" is what makes two captions read as one template.
OPENING_WORDS = 5
# Bounds what one caption request carries about colleagues' suggestions.
MAX_AVOIDED_OPENINGS = 12
_MAX_OPENING_CHARS = 60
# Five words start well within this many characters; the rest of a long text is never read.
_SCANNED_CHARS = 300
_WORD = re.compile(r"\w+")
# Anything with an "@" in it ("@jan.devries", "jan@example.org") may name someone: left out.
_ADDRESSED = re.compile(r"\S*@\S*")

Opening = tuple[str, ...]


def opening_words(text: str, count: int = OPENING_WORDS) -> Opening:
    """The first `count` words of `text` (within its first 300 characters), case-folded, without
    punctuation or @-mentions."""
    return _opening_words(text[:_SCANNED_CHARS], count)


# The same few texts (templates, colleagues' suggestions) are read again for every person of a
# weekly send; the cache is keyed on the scanned prefix, so its size stays bounded.
@lru_cache(maxsize=4096)
def _opening_words(scanned: str, count: int) -> Opening:
    words = _WORD.findall(_ADDRESSED.sub(" ", normalize(scanned)))
    return tuple(word.casefold() for word in words[:count])


def opening(text: str) -> str:
    """The first words of `text` as one short plain string (what a model is told to avoid)."""
    return " ".join(opening_words(text))[:_MAX_OPENING_CHARS]


def starts_alike(first: Opening, second: Opening) -> bool:
    """True when both openings are non-empty and one is the other's first words."""
    size = min(len(first), len(second))
    return size > 0 and first[:size] == second[:size]


def avoidable_openings(
    captions: Iterable[str], *, limit: int = MAX_AVOIDED_OPENINGS
) -> tuple[str, ...]:
    """The distinct openings of `captions`, in order, at most `limit`: no names, no whole texts."""
    kept: list[str] = []
    for caption in captions:
        first = opening(caption)
        if first and first not in kept:
            kept.append(first)
            if len(kept) == limit:
                break
    return tuple(kept)
