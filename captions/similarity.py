"""Whether final captions are near-identical: "everyone posted the same text"."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from captions.fitting import normalize
from captions.rewrite import MAX_COMPARED_CHARS

# Two captions this similar (1 - normalised edit distance) read as the same post.
NEAR_IDENTICAL = 0.9
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def comparable(caption: str) -> str:
    """The caption (NFC) without links (each share has its own tracked link), case or extra
    spaces, cut to MAX_COMPARED_CHARS."""
    text = _SPACE.sub(" ", _URL.sub(" ", normalize(caption))).strip().casefold()
    return text[:MAX_COMPARED_CHARS]


def near_identical_count(captions: Sequence[str], *, threshold: float = NEAR_IDENTICAL) -> int:
    """How many captions have at least one other caption at or above the threshold.

    Runs in C (rapidfuzz): every distinct text against the ones after it, with the threshold as
    a cut-off so most pairs stop early. Still CPU work: call it off the event loop.
    """
    texts = Counter(comparable(caption) for caption in captions if caption.strip())
    distinct = list(texts)
    matched = {text for text, count in texts.items() if count > 1}
    for index, first in enumerate(distinct):
        for second, _, _ in process.extract_iter(
            first,
            distinct[index + 1 :],
            scorer=Levenshtein.normalized_similarity,
            score_cutoff=threshold,
        ):
            matched.update((first, second))
    return sum(texts[text] for text in matched)
