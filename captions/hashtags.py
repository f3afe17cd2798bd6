"""Hashtags from topic slugs, cased the way people write them: #AI, #CustomerStories."""

from __future__ import annotations

import re

from captions.fitting import normalize

MAX_HASHTAGS = 2  # more reads as hashtag spam
_MAX_HASHTAG_CHARS = 30
# Words whose usual spelling is not "first letter capital"; keys are lower case.
SPELLINGS: dict[str, str] = {
    word.casefold(): word
    for word in (
        "AI",
        "API",
        "AR",
        "AWS",
        "B2B",
        "B2C",
        "CEO",
        "CFO",
        "CI",
        "CSR",
        "CTO",
        "CX",
        "DEI",
        "DevOps",
        "DevSecOps",
        "ESG",
        "EU",
        "FinOps",
        "GDPR",
        "GenAI",
        "GPU",
        "HR",
        "IoT",
        "IT",
        "KPI",
        "LLM",
        "ML",
        "MLOps",
        "NIS2",
        "OKR",
        "PR",
        "SaaS",
        "SDK",
        "SEO",
        "SRE",
        "UI",
        "UX",
        "VR",
    )
}
# Letters and digits only: networks end a hashtag at the first other character.
_WORD = re.compile(r"[^\W_]+")


def hashtags(topics: tuple[str, ...], *, limit: int = MAX_HASHTAGS) -> list[str]:
    """Up to `limit` distinct hashtags made from `topics`, skipping unusable ones."""
    tags: list[str] = []
    for topic in topics:
        tag = hashtag(topic)
        if tag and tag.casefold() not in {seen.casefold() for seen in tags}:
            tags.append(tag)
    return tags[:limit]


def hashtag(topic: str) -> str:
    """'customer-stories' -> '#CustomerStories', 'ai' -> '#AI'; '' when no good tag exists."""
    body = "".join(_spelled(word) for word in _WORD.findall(normalize(topic)))
    if len(body) < 2 or len(body) > _MAX_HASHTAG_CHARS or not any(c.isalpha() for c in body):
        return ""
    return "#" + body


def _spelled(word: str) -> str:
    known = SPELLINGS.get(word.casefold())
    if known:
        return known
    # Keep a spelling someone chose ("FinOps", "iPhone"); capitalise plain lower-case words.
    return word[:1].upper() + word[1:] if word.islower() else word
