"""Template captions per language: one module per language, one line each in PHRASEBOOKS.

Adding a language is one more module like `en.py` and one more entry below; the tests check
every phrasebook for the rules the writer relies on (distinct openings, one title and one prompt
per template, short drafts that fit the smallest room).
"""

from __future__ import annotations

from captions.phrasebook import Phrasebook
from captions.phrasebooks import en, nl

DEFAULT_LANGUAGE = "en"
PHRASEBOOKS: dict[str, Phrasebook] = {
    "en": en.PHRASEBOOK,
    "nl": nl.PHRASEBOOK,
}


def template_locale(locale: str) -> str:
    """The phrasebook language for `locale` ('nl-BE' -> 'nl'); English when there is none."""
    language = locale.replace("_", "-").split("-")[0].strip().lower()
    return language if language in PHRASEBOOKS else DEFAULT_LANGUAGE


def phrasebook(locale: str) -> Phrasebook:
    """The phrasebook for `locale`, English when the language has none."""
    return PHRASEBOOKS[template_locale(locale)]
