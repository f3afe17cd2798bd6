"""Message catalogs: every user-facing string, in English and Dutch."""

from __future__ import annotations

import json
import string
from functools import cache
from importlib import resources
from typing import Any

SUPPORTED_LOCALES = ("en", "nl")
DEFAULT_LOCALE = "en"


@cache
def catalog(locale: str) -> dict[str, str]:
    """The key → text table of one supported locale."""
    text = resources.files(__package__).joinpath(f"{locale}.json").read_text(encoding="utf-8")
    loaded: dict[str, str] = json.loads(text)
    return loaded


def normalise_locale(locale: str | None) -> str:
    """'nl-NL', 'nl_BE' and 'NL' become 'nl'; anything unsupported becomes English."""
    language = (locale or "").replace("_", "-").split("-")[0].lower()
    return language if language in SUPPORTED_LOCALES else DEFAULT_LOCALE


def translate(key: str, locale: str | None = None, /, **params: Any) -> str:
    """The text for `key` in `locale` (falling back to English), placeholders filled.

    An unknown key is a programming error and raises KeyError, so tests catch it.
    """
    table = catalog(normalise_locale(locale))
    template = table.get(key) or catalog(DEFAULT_LOCALE)[key]
    return template.format(**params)


def translations(key: str) -> tuple[str, ...]:
    """The text of `key` in every supported locale (to recognise it when someone types it)."""
    return tuple(dict.fromkeys(catalog(locale)[key] for locale in SUPPORTED_LOCALES))


def placeholders(template: str) -> frozenset[str]:
    """The names of the `{placeholders}` in a catalog text."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def describe_error(code: str, english: str, locale: str | None, /, **params: Any) -> str:
    """The person-facing text of an input error: the catalog's `error.<code>` or the English."""
    table = catalog(normalise_locale(locale))
    template = table.get(f"error.{code}")
    return template.format(**params) if template else english
