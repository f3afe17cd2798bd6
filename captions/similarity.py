"""Whether final captions are near-identical: "everyone posted the same text"."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from captions.rewrite import rewrite_ratio

# Two captions this similar (1 - normalised edit distance) read as the same post.
NEAR_IDENTICAL = 0.9
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def comparable(caption: str) -> str:
    """The caption without links (each share has its own tracked link), case or extra spaces."""
    return _SPACE.sub(" ", _URL.sub(" ", caption)).strip().casefold()


def similarity(first: str, second: str) -> float:
    """1 for the same text, 0 for nothing in common (after `comparable`)."""
    return 1.0 - rewrite_ratio(comparable(first), comparable(second))


def near_identical_count(captions: Sequence[str], *, threshold: float = NEAR_IDENTICAL) -> int:
    """How many captions have at least one other caption at or above the threshold."""
    texts = Counter(comparable(caption) for caption in captions if caption.strip())
    distinct = list(texts)
    matched = {text for text, count in texts.items() if count > 1}
    for index, first in enumerate(distinct):
        for second in distinct[index + 1 :]:
            if 1.0 - rewrite_ratio(first, second) >= threshold:
                matched.update((first, second))
    return sum(texts[text] for text in matched)
