"""How much of a suggested caption a person rewrote, as a normalised edit distance."""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from captions.fitting import normalize

# Captions are short; the cap bounds the cost of pathological input.
MAX_COMPARED_CHARS = 3000


def rewrite_ratio(suggested: str, final: str) -> float:
    """Levenshtein distance between the two texts divided by the longer length, in [0, 1].

    0 means unchanged (and for two empty texts), 1 means nothing kept. Both texts are
    NFC-normalised and only their first MAX_COMPARED_CHARS characters are compared.
    """
    before = normalize(suggested)[:MAX_COMPARED_CHARS]
    after = normalize(final)[:MAX_COMPARED_CHARS]
    return float(Levenshtein.normalized_distance(before, after))
