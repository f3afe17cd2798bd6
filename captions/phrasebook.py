"""What a language needs for template captions: openings, prompts for the person's own words."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CaptionTemplate:
    """One way of saying "here is this piece, and here is why I care".

    `text` holds `{title}` (the quoted title) and `{why}` (a bracketed prompt the person
    overwrites with their own reason), each once. `closing` is an optional last sentence and
    `hashtags` says whether the topic hashtags suit this wording; both are dropped first when
    the network leaves little room.
    """

    text: str
    closing: str = ""
    hashtags: bool = False


@dataclass(frozen=True)
class Phrasebook:
    """Everything the template writer says in one language.

    `language` is the language's English name, as the caption model is told to write in it;
    `prompts` are the bracketed placeholders for the person's own words (the first is the one
    the model is asked to leave); `quotes` open and close a title; `untitled` stands in for a
    missing title; `short` are last-resort drafts under 20 characters with distinct first words.
    """

    language: str
    templates: tuple[CaptionTemplate, ...]
    prompts: tuple[str, ...]
    quotes: tuple[str, str]
    untitled: str
    short: tuple[str, str, str]
