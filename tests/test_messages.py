"""The message catalogs: English and Dutch complete, placeholders consistent, keys in use exist."""

from __future__ import annotations

import gettext
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo

from domain.schedules import WeeklyTime
from handlers.schedules import describe
from messages import (
    DEFAULT_LOCALE,
    SUPPORTED_LOCALES,
    _complete,
    catalog,
    describe_error,
    format_day,
    format_duration,
    format_ratio,
    is_plural_key,
    normalise_locale,
    placeholders,
    translate,
    translate_plural,
)
from messages.po import forms_of, parse, po_text, serialise

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ["bot", "handlers", "content_store", "captions", "picks", "domain", "scheduler"]
_LITERAL_KEY = re.compile(r"translate(?:_plural)?\(\s*\"([a-z_.-]+)\"")
_ERROR_CODE = re.compile(r"InvalidInput\(\s*\"([a-z_.]+)\"")
COUNTS = (0, 1, 2, 5)
# Hedged plurals: "week(s)", "kolom(men)", "item(s)", "week/weken", "zijn/haar".
_HEDGE = re.compile(r"\w\((?:s|es|en|n|men|e|ren)\)|\b[^\W\d_]+/[^\W\d_]+\b")


def _source() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for folder in SOURCE_DIRS
        for path in (ROOT / folder).rglob("*.py")
    )


def _union(forms: tuple[str, ...]) -> frozenset[str]:
    return frozenset().union(*(placeholders(form) for form in forms))


def test_every_locale_has_every_key_with_the_same_placeholders() -> None:
    english = catalog(DEFAULT_LOCALE)
    for locale in SUPPORTED_LOCALES:
        table = catalog(locale)
        assert set(table) == set(english), locale
        for key, forms in table.items():
            # The "other" form names every number; the "one" form may say "once" instead.
            assert placeholders(forms[-1]) == placeholders(english[key][-1]), (locale, key)
            assert _union(forms) <= _union(english[key]) | {"count"}, (locale, key)


def test_plural_messages_have_every_form_of_their_language_and_the_rest_one() -> None:
    for locale in SUPPORTED_LOCALES:
        source = parse(po_text(locale), locale)
        for message in source:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            expected = source.num_plurals if is_plural_key(key) else 1
            assert len(forms_of(message)) == expected, (locale, key)
            assert all(forms_of(message)), (locale, key, "empty")
            assert not message.fuzzy, (locale, key, "fuzzy")


def test_the_compiled_catalog_says_exactly_what_the_source_says() -> None:
    # What gettext serves (compiled in memory at first use) must be the .po text, form by form.
    for locale in SUPPORTED_LOCALES:
        source = parse(po_text(locale), locale)
        buffer = io.BytesIO()
        write_mo(buffer, _complete(source))
        buffer.seek(0)
        compiled = gettext.GNUTranslations(buffer)
        for message in source:
            if not message.id:
                continue
            if isinstance(message.id, str):
                assert compiled.gettext(message.id) == message.string
            else:
                key = str(message.id[0])
                for count in COUNTS:
                    form = gettext.c2py(source.plural_expr)(count)
                    forms = message.string
                    assert isinstance(forms, tuple | list)
                    assert compiled.ngettext(key, key, count) == forms[form]


def test_the_sources_are_in_canonical_form() -> None:
    # Sorted by key and wrapped the same way, so that the converter and hand edits merge cleanly.
    for locale in SUPPORTED_LOCALES:
        text = po_text(locale)
        assert serialise(parse(text, locale)) == text, locale


def test_every_key_used_in_code_exists() -> None:
    used = set(_LITERAL_KEY.findall(_source()))
    assert used, "the scan must find keys"
    assert used - set(catalog("en")) == set()


def test_every_error_code_has_english_and_dutch_text() -> None:
    codes = set(_ERROR_CODE.findall(_source()))
    assert len(codes) > 10
    missing = {code for code in codes if f"error.{code}" not in catalog("nl")}
    assert missing == set()


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("count", COUNTS)
def test_no_message_hedges_its_plural(locale: str, count: int) -> None:
    for key, forms in catalog(locale).items():
        params = {name: count for name in _union(forms)} | {"count": count}
        text = translate(key, locale, **params)
        assert not _HEDGE.search(text), (locale, key, text)


# Nouns that follow a number: in a plain message, "{n} people" reads "1 people" one day.
_COUNTED = re.compile(
    r"\{\w+\}\s+(?:[a-z]+\s+)?(?:people|persons|shares|clicks|weeks|times|items|rows|characters"
    r"|seconds|bytes|hours|minutes|days|fields|topics|members|messages|mensen|deelnemers|weken"
    r"|regels|tekens|seconden|minuten|dagen|velden|onderwerpen|kliks|berichten)\b"
)


def test_a_number_before_a_counted_noun_comes_from_a_plural_message() -> None:
    for locale in SUPPORTED_LOCALES:
        for key, forms in catalog(locale).items():
            if not is_plural_key(key):
                assert not _COUNTED.search(forms[0]), (locale, key, forms[0])


@pytest.mark.parametrize(
    ("key", "params", "english", "dutch"),
    [
        (
            "insights.evidence.steady",
            {"weeks": 0, "count": 1},
            "Complete weeks in the programme in which you shared: 0 of 1",
            "Volledige weken in het programma waarin je deelde: 0 van 1",
        ),
        (
            "insights.evidence.help_recent",
            {"count": 1},
            "You asked for tips yourself recently (once in all;",
            "Je vroeg onlangs zelf om tips (één keer in totaal;",
        ),
        ("deliveries.queued", {"count": 1}, "Picks queued for one person;", None),
        ("count.shares", {"count": 1}, "shared once", "één keer gedeeld"),
        ("count.clicks", {"count": 1}, "1 click", "1 klik"),
        (
            "insights.evidence.quiet",
            {"count": 1},
            "in for a complete week",
            "Je doet een volledige week mee",
        ),
    ],
)
def test_the_awkward_sentences_now_read_well(
    key: str, params: dict[str, int], english: str, dutch: str | None
) -> None:
    assert english in translate(key, "en", **params)
    if dutch is not None:
        assert dutch in translate(key, "nl", **params)


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


def test_plural_messages_follow_each_languages_rule() -> None:
    key = "insights.evidence.quiet"
    one = "You have been in for a complete week without sharing or asking anything yet."
    assert translate_plural(key, "en", 1) == one
    assert translate_plural(key, "en", 0).startswith("You have been in for 0 complete weeks")
    assert translate_plural(key, "nl", 2).startswith("Je doet 2 volledige weken mee")
    # The same call through translate, as stored evidence and error parameters arrive.
    assert translate(key, "nl", count=1).startswith("Je doet een volledige week mee")
    with pytest.raises(TypeError):
        translate(key, "en")
    with pytest.raises(TypeError):
        translate_plural("picks.share_on", "en", 2, network="X")


def test_counts_are_formatted_for_the_language_but_identifiers_are_not() -> None:
    assert "1,234" in translate_plural("insights.evidence.help_recent", "en", 1234)
    assert "1.234" in translate_plural("insights.evidence.help_recent", "nl", 1234)
    assert "12345" in translate("error.content.unknown", "nl", id=12345)


def test_dates_durations_and_ratios_are_written_as_each_language_does() -> None:
    day = date(2026, 12, 31)
    assert format_day(day, "en") == "31 December 2026"
    assert format_day(day, "nl") == "31 december 2026"
    assert format_duration(timedelta(hours=1), "en") == "1 hour"
    assert format_duration(timedelta(hours=48), "nl") == "48 uur"
    assert format_duration(timedelta(minutes=15), "nl") == "15 minuten"
    assert format_duration(timedelta(days=2), "en", in_days=True) == "2 days"
    assert format_duration(timedelta(days=1), "nl", in_days=True) == "1 dag"
    assert format_ratio(0.456, "en") == "46%"


def test_schedules_use_babels_day_names_and_24_hour_times() -> None:
    tuesday = WeeklyTime(weekday=1, hour=23, minute=40)
    assert describe(tuesday, "en") == "every Tuesday at 23:40"
    assert describe(tuesday, "nl") == "elke dinsdag om 23:40"
    assert describe(WeeklyTime(weekday=None, hour=9, minute=5), "nl") == "elke dag om 09:05"


def test_a_fuzzy_or_empty_translation_falls_back_to_english() -> None:
    text = (
        'msgid ""\nmsgstr ""\n"Language: nl\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        '#, fuzzy\nmsgid "a"\nmsgstr "A?"\n\nmsgid "b"\nmsgstr ""\n\nmsgid "c"\nmsgstr "C"\n'
    )
    kept = _complete(parse(text, "nl"))
    assert [message.id for message in kept if message.id] == ["c"]


def test_errors_are_described_in_the_persons_language() -> None:
    text = describe_error("programme.not_in", "English text", "nl")
    assert text != "English text"
    assert describe_error("no.such.code", "English text", "nl") == "English text"
    plural = describe_error("topic.too_many", "At most 5 topics", "nl", count=5)
    assert plural == "Hooguit 5 onderwerpen, graag."
    assert describe_error("topic.too_many", "At most 5 topics", "nl", limit=5) == "At most 5 topics"
