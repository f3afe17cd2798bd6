"""Topic slugs such as #product: how people and the content team write them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from domain.errors import InvalidInput

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
MAX_TOPICS = 20


def parse_topic(text: str) -> str:
    """The slug for '#Product' or 'product': lowercase, letters, digits, '-' and '_'."""
    slug = text.strip().removeprefix("#").lower()
    if not _SLUG.match(slug):
        raise InvalidInput(
            "topic.invalid",
            "'{topic}' is not a topic: use # followed by up to 50 letters, digits, - or _.",
            topic=text.strip()[:60],
        )
    return slug


def parse_topics(texts: Iterable[str]) -> tuple[str, ...]:
    """Distinct slugs in the order given; at most MAX_TOPICS."""
    slugs = tuple(dict.fromkeys(parse_topic(text) for text in texts))
    if len(slugs) > MAX_TOPICS:
        raise InvalidInput("topic.too_many", "At most {count} topics, please.", count=MAX_TOPICS)
    return slugs
