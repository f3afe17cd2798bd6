"""The bracketed prompts template captions leave for a person's own words, and spotting one
still in a caption the person is about to post."""

from __future__ import annotations

import re

from captions.fitting import normalize
from captions.phrasebooks import PHRASEBOOKS
from domain.errors import InvalidInput

# From "[" to the matching "]", or to the next "[" or the end when a cut left it open.
_BRACKETED = re.compile(r"\[([^\[\]]*)(\]?)")
# A prompt cut short (by trimming to a network's limit) still shows when this much is left.
_MIN_CUT_PROMPT_CHARS = 10


def _key(text: str) -> str:
    return " ".join(normalize(text).casefold().split())


# Every language's prompts: a Dutch speaker may post an English suggestion and the other way round.
_PROMPTS = tuple(
    sorted({_key(prompt.strip("[]")) for book in PHRASEBOOKS.values() for prompt in book.prompts})
)


def unfilled_placeholder(caption: str) -> str | None:
    """The first prompt still in `caption` (as written there, brackets included), else None.

    A bracket that starts with a prompt counts too ("[why this matters to you: our team]"), and
    so does a prompt cut short without its closing bracket ("[why this matters…"): the prompt's
    words would still be posted.
    """
    for match in _BRACKETED.finditer(normalize(caption)):
        inside, closed = match.group(1), bool(match.group(2))
        if any(_key(inside).startswith(prompt) for prompt in _PROMPTS):
            return match.group(0).strip()
        if not closed and _is_cut_prompt(inside.split("…")[0]):
            return "[" + inside.split("…")[0].strip() + "…"
    return None


def _is_cut_prompt(start: str) -> bool:
    cut = _key(start)
    return len(cut) >= _MIN_CUT_PROMPT_CHARS and any(p.startswith(cut) for p in _PROMPTS)


def require_filled(caption: str) -> None:
    """Refuse a caption that still holds a prompt: InvalidInput 'caption.placeholder'."""
    found = unfilled_placeholder(caption)
    if found is not None:
        raise InvalidInput(
            "caption.placeholder",
            "Your caption still says {placeholder}. Replace it with a few words of your own "
            "(or delete it), then press share again.",
            placeholder=found[:80],
        )
