"""The textbook dynamic-programming Levenshtein distance: the oracle for rapidfuzz's."""

from __future__ import annotations


def reference_distance(first: str, second: str) -> int:
    """Single-character insertions, deletions and substitutions turning `first` into `second`."""
    previous = list(range(len(second) + 1))
    for row, one in enumerate(first, start=1):
        current = [row]
        for column, other in enumerate(second, start=1):
            substitution = previous[column - 1] + (one != other)
            current.append(min(previous[column] + 1, current[column - 1] + 1, substitution))
        previous = current
    return previous[-1]
