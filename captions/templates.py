"""Offline caption drafts: a few first-person templates per locale, filled from the content."""

from __future__ import annotations

import re
from dataclasses import dataclass

from captions.fitting import normalize, trim_to
from captions.models import CaptionRequest

DEFAULT_LOCALE = "en"
MAX_HASHTAGS = 2  # more reads as hashtag spam
_MAX_TITLE_CHARS = 150
_MAX_DESCRIPTION_CHARS = 200
_MAX_HASHTAG_CHARS = 30
_SENTENCE_END = ".!?…"


@dataclass(frozen=True)
class _Template:
    """An opening naming the content, an optional closing line, and whether hashtags suit it."""

    opening: str
    closing: str = ""
    hashtags: bool = False


# Openings differ in their first words so that even heavily trimmed drafts stay distinct.
_TEMPLATES: dict[str, tuple[_Template, ...]] = {
    "en": (
        _Template("I found this one worth reading: {title}", hashtags=True),
        _Template("Something from our team I'd like to share: {title}"),
        _Template("This made me think: {title}", "Curious what you make of it.", hashtags=True),
        _Template("{title}", "Happy to hear your thoughts."),
        _Template("Sharing this because it's close to my work: {title}", hashtags=True),
    ),
    "nl": (
        _Template("Dit vond ik de moeite waard om te lezen: {title}", hashtags=True),
        _Template("Iets van ons team dat ik graag deel: {title}"),
        _Template("Hier moest ik even over nadenken: {title}", "Benieuwd hoe jij dit ziet.", True),
        _Template("{title}", "Ik hoor graag wat je ervan vindt."),
        _Template("Ik deel dit omdat het dicht bij mijn werk ligt: {title}", hashtags=True),
    ),
}
# When the content has no title or description at all.
_UNTITLED = {"en": "our latest update", "nl": "onze nieuwste update"}
# Last-resort drafts, short and distinct, for when the room left is too small for the templates.
_SHORT = {
    "en": ("Worth a read.", "Take a look.", "Sharing this."),
    "nl": ("Het lezen waard.", "Even kijken?", "Ik deel dit."),
}
# Renditions from richest to barest: (with description, with hashtags).
_RENDITIONS = ((True, True), (True, False), (False, True), (False, False))


@dataclass(frozen=True)
class _Parts:
    title: str
    description: str
    hashtags: str


def template_locale(locale: str) -> str:
    """The template language for `locale` ('nl-BE' -> 'nl'); English when there is none."""
    language = locale.replace("_", "-").split("-")[0].strip().lower()
    return language if language in _TEMPLATES else DEFAULT_LOCALE


def template_drafts(request: CaptionRequest, *, room: int) -> list[str]:
    """One draft per template, the richest rendition that fits in `room` (else the barest)."""
    language = template_locale(request.locale)
    parts = _parts(request, language)
    return [_best_rendition(template, parts, room) for template in _TEMPLATES[language]]


def short_drafts(locale: str) -> tuple[str, ...]:
    """Short distinct drafts that fit where nothing else does."""
    return _SHORT[template_locale(locale)]


def hashtags(topics: tuple[str, ...], *, limit: int = MAX_HASHTAGS) -> list[str]:
    """Up to `limit` distinct #CamelCase tags made from `topics`, skipping unusable ones."""
    tags: list[str] = []
    for topic in topics:
        tag = _hashtag(topic)
        if tag and tag.casefold() not in {seen.casefold() for seen in tags}:
            tags.append(tag)
    return tags[:limit]


def _hashtag(topic: str) -> str:
    # Letters and digits only: networks end a hashtag at the first other character.
    words = re.findall(r"[^\W_]+", normalize(topic))
    body = "".join(word[:1].upper() + word[1:] for word in words)
    if len(body) < 2 or len(body) > _MAX_HASHTAG_CHARS or not any(c.isalpha() for c in body):
        return ""
    return "#" + body


def _parts(request: CaptionRequest, language: str) -> _Parts:
    title = _one_line(request.title)
    description = _first_sentence(_one_line(request.description))
    if not title:
        title, description = description or _UNTITLED[language], ""
    if description.casefold().startswith(title.casefold()):
        description = ""  # a description that restates the title adds nothing
    return _Parts(
        title=trim_to(title, _MAX_TITLE_CHARS),
        description=trim_to(description, _MAX_DESCRIPTION_CHARS),
        hashtags=" ".join(hashtags(request.topics)),
    )


def _best_rendition(template: _Template, parts: _Parts, room: int) -> str:
    drafts = [_render(template, parts, *rendition) for rendition in _RENDITIONS]
    return next((draft for draft in drafts if len(draft) <= room), drafts[-1])


def _render(template: _Template, parts: _Parts, with_description: bool, with_tags: bool) -> str:
    pieces = [_end_sentence(template.opening.format(title=parts.title))]
    if with_description and parts.description:
        pieces.append(_end_sentence(parts.description))
    if template.closing:
        pieces.append(template.closing)
    if with_tags and template.hashtags and parts.hashtags:
        pieces.append(parts.hashtags)
    return normalize(" ".join(pieces))


def _one_line(text: str) -> str:
    # Content fields come from feeds and forms: collapse their layout into one plain line.
    return " ".join(normalize(text).split())


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?…])(?:\s|$)", text)
    return match.group(1) if match else text


def _end_sentence(text: str) -> str:
    text = text.rstrip(" ,;:-–—")
    return text if not text or text[-1] in _SENTENCE_END else text + "."
