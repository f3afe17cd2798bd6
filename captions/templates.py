"""Offline caption drafts: each person's own order of a language's templates, built around the
title and a bracketed prompt for the person's own reason; the description is never copied."""

from __future__ import annotations

import functools
import hashlib
import random
import re
from dataclasses import dataclass

from captions.fitting import normalize, trim_to
from captions.hashtags import hashtags
from captions.models import CaptionRequest
from captions.openings import Opening, opening_words, starts_alike
from captions.phrasebook import CaptionTemplate, Phrasebook
from captions.phrasebooks import phrasebook

PERSONAL_VARIANTS = 3
_MAX_TITLE_CHARS = 150
# A title cut shorter than this says nothing; the template is skipped instead.
_MIN_TITLE_CHARS = 12
_SLOT = re.compile(r"\{(?:title|why)\}")
_QUOTES = "\"'“”‘’„«»"
# Renditions from richest to barest: (closing sentence, hashtags).
_RENDITIONS = ((True, True), (False, True), (True, False), (False, False))
# "“Why now?”." reads badly: a title's own end mark ends the sentence.
_DOUBLE_END = re.compile(r"([.!?…])([”’\"'])\.")


@dataclass(frozen=True)
class _Parts:
    title: str  # one line, unquoted; empty when the content has none
    hashtags: str


def template_drafts(
    request: CaptionRequest, *, room: int, count: int = PERSONAL_VARIANTS
) -> list[str]:
    """Up to `count` drafts for this person that fit in `room`, with distinct openings.

    The templates come in an order of the person's own (stable per person, item and network);
    those opening like one of `request.avoid_openings` (this person's other picks) or like the
    editorial caption come last, and none starts with the same words as the editorial caption
    or another draft.
    """
    book = phrasebook(request.locale)
    writing = _Writing(request, book, room)
    # Every person gets their own shuffle of the same templates, the same on every run (an
    # int-seeded generator; nothing here needs to be unpredictable).
    ranked = list(book.templates)
    random.Random(writing.seed).shuffle(ranked)  # noqa: S311
    stale: list[CaptionTemplate] = []
    for template in ranked:
        if writing.starts_like_avoided(template):
            stale.append(template)
        elif writing.add(template) == count:
            return writing.drafts
    for template in stale:
        if writing.add(template) == count:
            break
    return writing.drafts


def short_drafts(locale: str) -> tuple[str, ...]:
    """Short drafts with distinct first words that fit where nothing else does."""
    return phrasebook(locale).short


@functools.cache
def lead_words(template: CaptionTemplate) -> Opening:
    """The words a template puts before its first slot: its fixed phrase, whatever the item."""
    return opening_words(_SLOT.split(template.text)[0])


class _Writing:
    """The drafts for one request so far, and what they must not start like."""

    def __init__(self, request: CaptionRequest, book: Phrasebook, room: int) -> None:
        self.book, self.room = book, room
        self.parts = _parts(request)
        self.seed = _seed(request)
        editorial = [request.editorial_caption] if request.editorial_caption else []
        self.avoided = [opening_words(text) for text in (*request.avoid_openings, *editorial)]
        self.used = [opening_words(text) for text in editorial]
        self.drafts: list[str] = []

    @property
    def prompt(self) -> str:
        """The prompt for the next draft: each draft of a person asks for their reason anew."""
        return self.book.prompts[(self.seed + len(self.drafts)) % len(self.book.prompts)]

    def starts_like_avoided(self, template: CaptionTemplate) -> bool:
        """Whether the template opens like a caption already suggested: its fixed phrase, else
        its prompt (prompt first) or its draft (title first)."""
        if not self.avoided:
            return False
        lead = lead_words(template)
        if not lead and template.text.startswith("{why}"):
            lead = opening_words(self.prompt)
        elif not lead:
            draft = self._draft(template)
            lead = opening_words(draft) if draft else ()
        return any(starts_alike(lead, opening) for opening in self.avoided)

    def add(self, template: CaptionTemplate) -> int:
        """Add the template's draft unless it does not fit or opens like one kept; the count."""
        draft = self._draft(template)
        if draft is not None:
            first_words = opening_words(draft)
            if first_words not in self.used:
                self.drafts.append(draft)
                self.used.append(first_words)
        return len(self.drafts)

    def _draft(self, template: CaptionTemplate) -> str | None:
        return _fitted_rendition(template, self.parts, self.prompt, self.book, self.room)


def _seed(request: CaptionRequest) -> int:
    key = "\x1f".join((request.person_key, request.network, request.title))
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big")


def _parts(request: CaptionRequest) -> _Parts:
    title = _one_line(request.title).strip(_QUOTES + " ")
    return _Parts(
        title=trim_to(title, _MAX_TITLE_CHARS), hashtags=" ".join(hashtags(request.topics))
    )


def _fitted_rendition(
    template: CaptionTemplate, parts: _Parts, prompt: str, book: Phrasebook, room: int
) -> str | None:
    """The richest rendition within `room`, else one with a shortened title, else None."""
    title = _quoted(parts.title, book)
    for closing, with_tags in _RENDITIONS:
        text = _render(
            template, title, prompt, parts.hashtags if with_tags else "", closing=closing
        )
        if len(text) <= room:
            return text
    # Shorten the title rather than cut off the words around it, which are the person's language.
    spare = room - len(_render(template, "".join(book.quotes), prompt, "", closing=False))
    if not parts.title or spare < _MIN_TITLE_CHARS:
        return None
    shortened = _quoted(trim_to(parts.title, spare), book)
    text = _render(template, shortened, prompt, "", closing=False)
    return text if len(text) <= room else None


def _quoted(title: str, book: Phrasebook) -> str:
    opening, closing = book.quotes
    return f"{opening}{title}{closing}" if title else book.untitled


def _render(template: CaptionTemplate, title: str, prompt: str, tags: str, *, closing: bool) -> str:
    pieces = [template.text.format(title=title, why=prompt)]
    if closing and template.closing:
        pieces.append(template.closing)
    if tags and template.hashtags:
        pieces.append(tags)
    text = _DOUBLE_END.sub(r"\1\2", normalize(" ".join(pieces)))
    return text[:1].upper() + text[1:]  # "onze nieuwste update — …" starts a sentence too


def _one_line(text: str) -> str:
    # Content fields come from feeds and forms: collapse their layout into one plain line.
    return " ".join(normalize(text).split())
