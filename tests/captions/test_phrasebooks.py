"""Every language's phrasebook keeps the rules the template writer relies on."""

from __future__ import annotations

import itertools
import string

import pytest

from captions import MIN_CAPTION_ROOM, MIN_VARIANTS, unfilled_placeholder
from captions.openings import opening_words, starts_alike
from captions.phrasebook import Phrasebook
from captions.phrasebooks import PHRASEBOOKS, phrasebook, template_locale
from captions.templates import lead_words

BOOKS = sorted(PHRASEBOOKS.items())


def _fields(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


@pytest.mark.parametrize(("language", "book"), BOOKS)
def test_each_template_has_one_prompt_and_at_most_one_title(
    language: str, book: Phrasebook
) -> None:
    for template in book.templates:
        fields = _fields(template.text)
        assert fields.count("why") == 1, template
        assert fields.count("title") <= 1, template
        assert set(fields) <= {"why", "title"}, template
        assert "{" not in template.closing


@pytest.mark.parametrize(("language", "book"), BOOKS)
def test_many_openings_whose_fixed_phrases_differ_from_the_first_words(
    language: str, book: Phrasebook
) -> None:
    assert len(book.templates) >= 20
    titled = [t for t in book.templates if "{title}" in t.text]
    assert len(titled) > len(book.templates) / 2  # mostly built around the title
    leads = [lead_words(t) for t in book.templates if lead_words(t)]
    assert len(leads) > len(book.templates) * 3 / 4  # few start with the title or the prompt
    for first, second in itertools.combinations(leads, 2):
        # Neither phrase is the other's start: avoiding one never avoids the other.
        assert not starts_alike(first, second), (first, second)


@pytest.mark.parametrize(("language", "book"), BOOKS)
def test_prompts_are_bracketed_distinct_and_recognised(language: str, book: Phrasebook) -> None:
    assert len(set(book.prompts)) == len(book.prompts) >= MIN_VARIANTS
    for prompt in book.prompts:
        assert prompt.startswith("[") and prompt.endswith("]")
        assert unfilled_placeholder(f"Nice. {prompt} #AI") == prompt


@pytest.mark.parametrize(("language", "book"), BOOKS)
def test_short_drafts_and_the_rest(language: str, book: Phrasebook) -> None:
    assert len({opening_words(d)[:1] for d in book.short}) == len(book.short) == MIN_VARIANTS
    assert all(len(draft) < MIN_CAPTION_ROOM for draft in book.short)
    assert book.untitled and book.language and all(book.quotes)


def test_locales_map_to_their_language_or_english() -> None:
    assert template_locale("nl-BE") == template_locale("nl_NL") == "nl"
    assert template_locale("fr") == template_locale("") == "en"
    assert phrasebook("NL").language == "Dutch"
