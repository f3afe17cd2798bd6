"""How much of a suggested caption a person rewrote, as a normalised edit distance."""

from __future__ import annotations

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
    longest = max(len(before), len(after))
    return levenshtein(before, after) / longest if longest else 0.0


def levenshtein(first: str, second: str) -> int:
    """Single-character insertions, deletions and substitutions turning `first` into `second`."""
    start = _common_prefix(first, second)
    first, second = first[start:], second[start:]
    end = _common_prefix(first[::-1], second[::-1])
    first, second = first[: len(first) - end], second[: len(second) - end]
    if not first or not second:
        return len(first) + len(second)
    return _bit_parallel_distance(first, second)


def _common_prefix(first: str, second: str) -> int:
    size = 0
    for one, other in zip(first, second, strict=False):
        if one != other:
            break
        size += 1
    return size


def _bit_parallel_distance(pattern: str, text: str) -> int:
    # Myers' (1999) bit-vector algorithm in Hyyrö's (2001) form: a whole column of the DP matrix
    # is kept as bit vectors of +1/-1 vertical steps in Python ints, so each character of `text`
    # costs a few big-int operations instead of len(pattern) interpreted steps.
    full, top = (1 << len(pattern)) - 1, 1 << (len(pattern) - 1)
    matches = _match_masks(pattern)
    up, down, score = full, 0, len(pattern)
    for char in text:
        eq = matches.get(char, 0)
        xv = eq | down
        xh = (((eq & up) + up) ^ up) | eq
        right = down | ~(xh | up)
        left = up & xh
        score += 1 if right & top else -1 if left & top else 0
        right = (right << 1) | 1  # row 0 of the matrix grows by one per column
        left <<= 1
        up, down = (left | ~(xv | right)) & full, right & xv & full
    return score


def _match_masks(pattern: str) -> dict[str, int]:
    masks: dict[str, int] = {}
    for index, char in enumerate(pattern):
        masks[char] = masks.get(char, 0) | (1 << index)
    return masks
