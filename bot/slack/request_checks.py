"""Cheap checks on a Slack request's headers, made before Bolt reads them."""

from __future__ import annotations

# Slack's timestamps are Unix seconds (10 digits until the year 2286). Bolt hands the header to
# `int()` and then subtracts it from a float: a longer number overflows that float, and `int()`
# accepts digits `str.isdigit` does not vouch for (`²` is a digit to one and not the other).
_MAX_TIMESTAMP_DIGITS = 12
_ASCII_DIGITS = frozenset("0123456789")


def plausible_timestamp(value: str | None) -> bool:
    """Whether `value` can be a Slack request timestamp: 1 to 12 ASCII digits, nothing else."""
    text = (value or "").strip()
    return 0 < len(text) <= _MAX_TIMESTAMP_DIGITS and set(text) <= _ASCII_DIGITS
