"""Message catalogs: every user-facing string, in English and Dutch, as gettext catalogs."""

from __future__ import annotations

import gettext
import io
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit

from messages.po import forms_of, is_plural, parse, po_text

SUPPORTED_LOCALES = ("en", "nl")
DEFAULT_LOCALE = "en"
# Babel's formatting locale per catalog language. The English texts are British ("programme",
# "organisation"), so numbers, days and times follow en_GB too (23:40, not 11:40 PM).
FORMAT_LOCALES = {"en": "en_GB", "nl": "nl_NL"}
# Integer placeholders that name something rather than count it: never grouped ("item 12345",
# "line 1204"), while counts are ("1,234 people" / "1.234 mensen").
IDENTIFIER_PLACEHOLDERS = frozenset({"id", "line", "first", "page", "next", "rank", "status"})


@dataclass(frozen=True)
class _Book:
    """One language's compiled catalog: gettext lookups plus which keys it has, and how."""

    translations: gettext.GNUTranslations
    forms: Mapping[str, tuple[str, ...]]
    plural: frozenset[str]


def _complete(source: Catalog) -> Catalog:
    """Only the entries that are translated: not fuzzy, no empty form (others fall back)."""
    kept = Catalog(locale=source.locale, domain=source.domain, fuzzy=False)
    kept.mime_headers = source.mime_headers
    for message in source:
        forms = forms_of(message)
        if message.id and not message.fuzzy and all(forms):
            kept[message.id] = message
    return kept


@cache
def _book(locale: str) -> _Book:
    """Compile one language's `.po` into gettext translations, once per process.

    The `.po` files are the only committed form: compiling them here (0.1-0.2 s for both
    languages on a busy machine, once per process) instead of shipping `.mo` files means a fresh
    clone needs no build step and a binary can never drift from its source. Weblate and
    `pybabel compile` read the same files.
    """
    catalog = _complete(parse(po_text(locale), locale))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = gettext.GNUTranslations(buffer)
    if locale != DEFAULT_LOCALE:
        # A message missing (or fuzzy) in a language is said in English, never as its key.
        translations.add_fallback(_book(DEFAULT_LOCALE).translations)
    forms = {_key(m.id): forms_of(m) for m in catalog if m.id}
    plural = frozenset(_key(m.id) for m in catalog if m.id and is_plural(m))
    return _Book(translations, forms, plural)


def _key(message_id: object) -> str:
    return str(message_id[0] if isinstance(message_id, tuple | list) else message_id)


def catalog(locale: str) -> dict[str, tuple[str, ...]]:
    """Every translated key of one supported locale → its forms (one, or one per plural form)."""
    return dict(_book(locale).forms)


def normalise_locale(locale: str | None) -> str:
    """'nl-NL', 'nl_BE' and 'NL' become 'nl'; anything unsupported becomes English."""
    language = (locale or "").replace("_", "-").split("-")[0].lower()
    return language if language in SUPPORTED_LOCALES else DEFAULT_LOCALE


def format_locale(locale: str | None) -> str:
    """The Babel locale that formats numbers, dates and times for a catalog language."""
    return FORMAT_LOCALES[normalise_locale(locale)]


def format_duration(span: timedelta, locale: str | None, *, in_days: bool = False) -> str:
    """'48 hours' / '48 uur', '15 minutes': CLDR unit names and plural rules; with `in_days`,
    whole days as days ('2 days' / '2 dagen')."""
    seconds = span.total_seconds()
    if in_days and seconds >= 86400 and seconds % 86400 == 0:
        amount, unit = seconds / 86400, "day"
    elif seconds >= 3600:
        amount, unit = seconds / 3600, "hour"
    elif seconds >= 60:
        amount, unit = seconds / 60, "minute"
    else:
        amount, unit = seconds, "second"
    rounded = round(amount, 1)
    shown: float | int = int(rounded) if rounded == int(rounded) else rounded
    return format_unit(shown, f"duration-{unit}", length="long", locale=format_locale(locale))


def format_day(day: date, locale: str | None, *, length: str = "long") -> str:
    """A date as the language writes it: '31 December 2026' / '31 december 2026'."""
    return format_date(day, format=length, locale=format_locale(locale))


def format_ratio(ratio: float, locale: str | None) -> str:
    """A share of a whole as a percentage in the reader's language ('45%', '45 %' where usual)."""
    return format_percent(ratio, locale=format_locale(locale))


def is_plural_key(key: str) -> bool:
    """Whether `key` is a message with plural forms (rendered by its `count`)."""
    return key in _book(DEFAULT_LOCALE).plural


def translate(key: str, locale: str | None = None, /, **params: Any) -> str:
    """The text for `key` in `locale` (falling back to English), placeholders filled.

    A message with plural forms picks its form by the `count` parameter, with the language's
    plural rule (ngettext). Numbers are formatted for the language (1,234 / 1.234), except
    identifiers such as `{id}`. An unknown key is a programming error and raises KeyError, so
    tests catch it; so is a plural message without a `count` (TypeError).
    """
    language = normalise_locale(locale)
    book = _book(language)
    if key not in _book(DEFAULT_LOCALE).forms:
        raise KeyError(key)
    if is_plural_key(key):
        count = params.get("count")
        if not isinstance(count, int) or isinstance(count, bool):
            raise TypeError(f"{key} has plural forms: give its number as count=")
        template = book.translations.ngettext(key, key, count)
    else:
        template = book.translations.gettext(key)
    return template.format(**_formatted(params, language))


def translate_plural(key: str, locale: str | None, count: int, /, **params: Any) -> str:
    """The form of plural message `key` for `count` (also its `{count}` placeholder)."""
    if not is_plural_key(key):
        raise TypeError(f"{key} has no plural forms: use translate")
    return translate(key, locale, count=count, **params)


def _formatted(params: Mapping[str, Any], language: str) -> dict[str, Any]:
    """Counts and amounts formatted with Babel in the reader's language; the rest as given."""
    babel_locale = FORMAT_LOCALES[language]
    return {
        name: (
            format_decimal(value, locale=babel_locale)
            if isinstance(value, int | float)
            and not isinstance(value, bool)
            and name not in IDENTIFIER_PLACEHOLDERS
            else value
        )
        for name, value in params.items()
    }


def translations(key: str) -> tuple[str, ...]:
    """The text of `key` in every supported locale (to recognise it when someone types it)."""
    return tuple(dict.fromkeys(translate(key, locale) for locale in SUPPORTED_LOCALES))


def placeholders(template: str) -> frozenset[str]:
    """The names of the `{placeholders}` in a catalog text."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def describe_error(code: str, english: str, locale: str | None, /, **params: Any) -> str:
    """The person-facing text of an input error: the catalog's `error.<code>` or the English."""
    key = f"error.{code}"
    if key not in _book(DEFAULT_LOCALE).forms:
        return english
    if is_plural_key(key) and "count" not in params:
        # A raise that does not name its count yet (code older than the plural message) still
        # answers the person, in English, rather than failing on the error path.
        return english
    return translate(key, locale, **params)
