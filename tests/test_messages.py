"""The message catalogs: English and Dutch complete, placeholders consistent, keys in use exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from messages import (
    SUPPORTED_LOCALES,
    catalog,
    describe_error,
    normalise_locale,
    placeholders,
    translate,
)

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ["bot", "handlers", "content_store", "captions", "picks", "domain", "scheduler"]
_LITERAL_KEY = re.compile(r"translate\(\s*\"([a-z_.]+)\"")
_ERROR_CODE = re.compile(r"InvalidInput\(\s*\"([a-z_.]+)\"")


def _source() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for folder in SOURCE_DIRS
        for path in (ROOT / folder).rglob("*.py")
    )


def test_every_locale_has_every_key_with_the_same_placeholders() -> None:
    english = catalog("en")
    for locale in SUPPORTED_LOCALES:
        table = catalog(locale)
        assert set(table) == set(english), locale
        for key, text in table.items():
            assert placeholders(text) == placeholders(english[key]), (locale, key)


def test_every_key_used_in_code_exists() -> None:
    used = set(_LITERAL_KEY.findall(_source()))
    assert used, "the scan must find keys"
    assert used - set(catalog("en")) == set()


def test_every_error_code_has_english_and_dutch_text() -> None:
    codes = set(_ERROR_CODE.findall(_source()))
    assert len(codes) > 10
    missing = {code for code in codes if f"error.{code}" not in catalog("nl")}
    assert missing == set()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("nl-NL", "nl"),
        ("nl_BE", "nl"),
        ("NL", "nl"),
        ("en-GB", "en"),
        ("fr-FR", "en"),
        (None, "en"),
    ],
)
def test_locales_are_normalised(given: str | None, expected: str) -> None:
    assert normalise_locale(given) == expected


def test_translate_fills_placeholders_and_falls_back_to_english() -> None:
    assert translate("picks.share_on", "nl", network="X") == "Delen op X"
    assert translate("picks.share_on", "de", network="X") == "Share on X"
    with pytest.raises(KeyError):
        translate("no.such.key", "en")


def test_errors_are_described_in_the_persons_language() -> None:
    text = describe_error("programme.not_in", "English text", "nl")
    assert text != "English text"
    assert describe_error("no.such.code", "English text", "nl") == "English text"
