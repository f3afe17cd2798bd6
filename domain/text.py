"""Text people type: what can be stored, and the one refusal for what cannot."""

from __future__ import annotations

from domain.errors import InvalidInput

_NUL = "\x00"


def is_storable(text: str) -> bool:
    """False for text with a NUL character or a lone surrogate (half of a broken character).

    PostgreSQL refuses both in text and JSON columns, and SQLite's driver refuses surrogates,
    so such text would otherwise surface as a database failure instead of a person's mistake.
    """
    if _NUL in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def all_storable(value: object) -> bool:
    """`is_storable` for every string in `value`, looking inside lists, tuples and dicts."""
    if isinstance(value, str):
        return is_storable(value)
    if isinstance(value, dict):
        return all(all_storable(key) and all_storable(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(all_storable(item) for item in value)
    return True


def unstorable_text() -> InvalidInput:
    """The refusal of text that `is_storable` rejects."""
    return InvalidInput(
        "text.unstorable",
        "That text contains a character that can't be used: a NUL character or a broken one "
        "(often left by a copy and paste). Please remove it and try again.",
    )


def require_storable(value: object) -> None:
    """Raise `unstorable_text()` unless every string in `value` is storable."""
    if not all_storable(value):
        raise unstorable_text()
