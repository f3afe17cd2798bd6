"""The hidden people of the simulation: their motivation type, interests and habits."""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass

TOPICS = ("product", "engineering", "careers", "sustainability", "customers", "community")


class Kind(enum.StrEnum):
    """The hidden motivation type (the same names as the groups the insights find)."""

    NOT_INTERESTED = "not_interested"
    NEEDS_HELP = "needs_help"
    SELF_DRIVEN = "self_driven"


# Share of each type in the organisation.
MIX = ((Kind.NOT_INTERESTED, 0.40), (Kind.NEEDS_HELP, 0.35), (Kind.SELF_DRIVEN, 0.25))


@dataclass(frozen=True)
class Persona:
    """One simulated employee; nothing here is visible to the bot."""

    index: int
    kind: Kind
    interests: frozenset[str]
    # Per-person habits drawn once, so people of one type still differ.
    activity: float  # chance per week of acting on picks at all
    editor: bool  # rewrites captions in their own words (mostly)
    chooses_topics: bool
    # Chance that an active week's shares happen right after the DM rather than days later.
    quick: float = 0.0


def make_people(count: int, rng: random.Random) -> list[Persona]:
    """`count` people with types in MIX's proportions, shuffled, with their habits."""
    kinds: list[Kind] = []
    for kind, share in MIX:
        kinds += [kind] * round(count * share)
    kinds = (kinds + [Kind.NOT_INTERESTED] * count)[:count]
    rng.shuffle(kinds)
    return [_persona(index, kind, rng) for index, kind in enumerate(kinds)]


def _persona(index: int, kind: Kind, rng: random.Random) -> Persona:
    interests = frozenset(rng.sample(TOPICS, rng.randint(1, 3)))
    if kind is Kind.SELF_DRIVEN:
        # A third of them act as soon as the DM arrives: their shares look nudged.
        quick = 0.7 if rng.random() < 0.3 else 0.15
        activity, editor, topics = rng.uniform(0.45, 0.95), rng.random() < 0.7, rng.random() < 0.8
        return Persona(index, kind, interests, activity, editor, topics, quick)
    if kind is Kind.NEEDS_HELP:
        # A quarter of them often come back to their picks days later: those shares look free.
        quick = 0.55 if rng.random() < 0.25 else 0.92
        activity, editor, topics = rng.uniform(0.3, 0.75), rng.random() < 0.12, rng.random() < 0.45
        return Persona(index, kind, interests, activity, editor, topics, quick)
    return Persona(index, kind, interests, rng.uniform(0.0, 0.1), False, rng.random() < 0.2, 1.0)


def first_answer(persona: Persona, rng: random.Random) -> str | None:
    """The answer to the invitation in its first days: in, later, no, or none yet."""
    roll = rng.random()
    if persona.kind is Kind.SELF_DRIVEN:
        return "in" if roll < 0.8 else None
    if persona.kind is Kind.NEEDS_HELP:
        return "in" if roll < 0.3 else None
    return "no" if roll < 0.35 else "later" if roll < 0.5 else "in" if roll < 0.58 else None


def answer_to_reminder(persona: Persona, rng: random.Random) -> str | None:
    """The answer after the one reminder (None: still no answer)."""
    roll = rng.random()
    if persona.kind is Kind.SELF_DRIVEN:
        return "in" if roll < 0.9 else None
    if persona.kind is Kind.NEEDS_HELP:
        return "in" if roll < 0.85 else None
    return "no" if roll < 0.4 else "in" if roll < 0.55 else None


@dataclass(frozen=True)
class Week:
    """What one person does in one week, decided up front from their habits."""

    shares_after_nudge: int  # shares within hours of the DM with picks
    shares_later: int  # shares days later: from the DM, the Home tab or 'my picks now'
    feedback: bool
    asks_tips: bool
    tells_manager: bool
    suggests: bool


def plan_week(persona: Persona, rng: random.Random) -> Week:
    """The week's actions; each type's habits with the noise real people have."""
    active = rng.random() < persona.activity
    quick = active and rng.random() < persona.quick
    if persona.kind is Kind.SELF_DRIVEN:
        return Week(
            int(quick),
            (1 + int(rng.random() < 0.4)) if active and not quick else 0,
            rng.random() < 0.3,
            rng.random() < 0.02,
            False,
            rng.random() < 0.08,
        )
    if persona.kind is Kind.NEEDS_HELP:
        asks = rng.random() < 0.15
        return Week(
            int(quick),
            int(active and not quick),
            rng.random() < 0.08,
            asks,
            asks and rng.random() < 0.4,
            rng.random() < 0.01,
        )
    return Week(int(active), 0, False, rng.random() < 0.01, False, False)


def shares_now_source(rng: random.Random) -> str:
    """Where a later share starts: the DM (days later), the Home tab or 'my picks now'."""
    roll = rng.random()
    return "dm" if roll < 0.25 else "home" if roll < 0.6 else "now"


def rewrites(persona: Persona, rng: random.Random) -> bool:
    """Whether this share's caption is rewritten in the person's own words."""
    return rng.random() < (0.85 if persona.editor else 0.1)


WORDS = (
    "honestly",
    "our",
    "team",
    "worked",
    "hard",
    "on",
    "this",
    "proud",
    "of",
    "what",
    "we",
    "learned",
    "worth",
    "five",
    "minutes",
    "if",
    "you",
    "care",
    "about",
    "good",
    "work",
)


def own_caption(title: str, rng: random.Random) -> str:
    """A caption in the person's own words, mentioning the title."""
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16)))
    return f"{words.capitalize()}: {title}"


def light_edit(caption: str, rng: random.Random) -> str:
    """The suggested caption, at most touched up."""
    return caption if rng.random() < 0.7 else f"{caption} 👍"
