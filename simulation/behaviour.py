"""The hidden people of the simulation: their motivation type, interests and habits."""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass, field

TOPICS = ("product", "engineering", "careers", "sustainability", "customers", "community")


class Kind(enum.StrEnum):
    """The hidden motivation type (the same names as the groups the insights find)."""

    NOT_INTERESTED = "not_interested"
    NEEDS_HELP = "needs_help"
    SELF_DRIVEN = "self_driven"


# Share of each type in the organisation, by name of mix.
MIXES = {
    "default": ((Kind.NOT_INTERESTED, 0.40), (Kind.NEEDS_HELP, 0.35), (Kind.SELF_DRIVEN, 0.25)),
    # The research's mix: half not interested, a third self-driven.
    "research": ((Kind.NOT_INTERESTED, 0.50), (Kind.NEEDS_HELP, 0.17), (Kind.SELF_DRIVEN, 0.33)),
    # Many willing people who need a hand.
    "willing": ((Kind.NOT_INTERESTED, 0.30), (Kind.NEEDS_HELP, 0.50), (Kind.SELF_DRIVEN, 0.20)),
}
MIX = MIXES["default"]


@dataclass(frozen=True)
class Habits:
    """How a scenario's people behave beyond their type (the simulate command's options)."""

    mix: str = "default"
    # "usual"; "verbatim": self-driven people share the suggestion as-is; "diligent": people
    # needing help rewrite everything; "both".
    editing: str = "usual"
    # "usual", or "none": nobody asks for tips.
    tips: str = "usual"
    # "usual", or "none": nobody chooses topics.
    topics: str = "usual"
    # "none"; "manager": managers push their team outside the bot, unlogged; "logged": the same
    # pushes, logged by the content team with `nudge log`.
    outside_nudges: str = "none"
    # Share of people needing help who come back to the DM the next day rather than at once.
    next_day: float = 0.0
    # Weeks of holiday each person takes somewhere in the run (0: none).
    holiday_weeks: int = 0
    team_size: int = 10

    def check(self) -> None:
        """Refuse options the simulation does not know."""
        choices = {
            "mix": set(MIXES),
            "editing": {"usual", "verbatim", "diligent", "both"},
            "tips": {"usual", "none"},
            "topics": {"usual", "none"},
            "outside_nudges": {"none", "manager", "logged"},
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(sorted(allowed))}")

    def label(self) -> str:
        """The options that differ from the usual, for a table."""
        usual = Habits()
        parts = [
            f"{name}={getattr(self, name)}"
            for name in self.__dataclass_fields__
            if getattr(self, name) != getattr(usual, name)
        ]
        return ", ".join(parts) or "usual habits"


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
    # Chance that an active week's shares happen within hours of the DM rather than days later.
    quick: float = 0.0
    team: int = 0
    # Comes back to the DM the next day instead of at once.
    next_day: bool = False
    holiday: frozenset[int] = field(default_factory=frozenset)


def make_people(count: int, rng: random.Random, habits: Habits | None = None) -> list[Persona]:
    """`count` people with types in the mix's proportions, shuffled, with their habits."""
    habits = habits or Habits()
    kinds: list[Kind] = []
    for kind, share in MIXES[habits.mix]:
        kinds += [kind] * round(count * share)
    kinds = (kinds + [Kind.NOT_INTERESTED] * count)[:count]
    rng.shuffle(kinds)
    return [_persona(index, kind, rng, habits) for index, kind in enumerate(kinds)]


def _persona(index: int, kind: Kind, rng: random.Random, habits: Habits) -> Persona:
    interests = frozenset(rng.sample(TOPICS, rng.randint(1, 3)))
    team = index // max(1, habits.team_size)
    holiday: frozenset[int] = frozenset()
    if habits.holiday_weeks:
        start = rng.randint(1, 6)
        holiday = frozenset(range(start, start + habits.holiday_weeks))
    topics_ok = habits.topics != "none"
    if kind is Kind.SELF_DRIVEN:
        # A third of them act as soon as the DM arrives: their shares look nudged.
        quick = 0.7 if rng.random() < 0.3 else 0.15
        editor = rng.random() < 0.7 and habits.editing not in ("verbatim", "both")
        activity, topics = rng.uniform(0.45, 0.95), rng.random() < 0.8 and topics_ok
        return Persona(
            index, kind, interests, activity, editor, topics, quick, team, False, holiday
        )
    if kind is Kind.NEEDS_HELP:
        # A quarter of them often come back to their picks days later: those shares look free.
        quick = 0.55 if rng.random() < 0.25 else 0.92
        editor = rng.random() < 0.12 or habits.editing in ("diligent", "both")
        activity, topics = rng.uniform(0.3, 0.75), rng.random() < 0.45 and topics_ok
        next_day = rng.random() < habits.next_day
        return Persona(
            index, kind, interests, activity, editor, topics, quick, team, next_day, holiday
        )
    chooses = rng.random() < 0.2 and topics_ok
    return Persona(
        index, kind, interests, rng.uniform(0.0, 0.1), False, chooses, 1.0, team, False, holiday
    )


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
    """What one person does in one week, decided up front from their habits.

    Each share is (hours after the week's DM with picks, where it starts); the hours are drawn
    from spread distributions: within hours for a quick reaction, a day or two for someone who
    comes back to the DM, one to five days for someone who goes looking.
    """

    shares: tuple[tuple[float, str], ...]
    feedback: bool
    asks_tips: bool
    tells_manager: bool
    suggests: bool
    # Hours after the DM at which the person does the rest (feedback, tips, suggestions).
    other_at: float = 52.0
    # Acts only when pushed from outside the bot this week (needs help, manager scenarios).
    waits_for_push: bool = False


def quick_hours(rng: random.Random) -> float:
    """Within hours of a message: median about 1.5 h, mostly under 8 h."""
    return min(20.0, math.exp(rng.gauss(math.log(1.5), 0.9)))


def _next_day_hours(rng: random.Random) -> float:
    """Coming back to the DM the next day or the one after: 16 to 40 hours."""
    return rng.uniform(16.0, 40.0)


def _later_hours(rng: random.Random) -> float:
    """Going looking on one's own: one to five days after the DM."""
    return rng.uniform(20.0, 110.0)


def plan_week(persona: Persona, rng: random.Random, habits: Habits | None = None) -> Week:
    """The week's actions; each type's habits with the noise real people have."""
    habits = habits or Habits()
    tips_ok = habits.tips != "none"
    active = rng.random() < persona.activity
    quick = active and rng.random() < persona.quick
    if persona.kind is Kind.SELF_DRIVEN:
        shares: list[tuple[float, str]] = []
        if quick:
            shares.append((quick_hours(rng), "dm"))
        elif active:
            for _ in range(1 + int(rng.random() < 0.4)):
                shares.append((_later_hours(rng), shares_now_source(rng)))
        return Week(
            tuple(shares),
            rng.random() < 0.3,
            tips_ok and rng.random() < 0.02,
            False,
            rng.random() < 0.08,
            other_at=_later_hours(rng),
        )
    if persona.kind is Kind.NEEDS_HELP:
        asks = tips_ok and rng.random() < 0.15
        pushed = habits.outside_nudges != "none" and rng.random() < 0.5
        shares = []
        if active and quick:
            hours = _next_day_hours(rng) if persona.next_day else quick_hours(rng)
            shares.append((hours, "dm"))
        elif active:
            # Coming back days later, from wherever the picks are.
            shares.append((_later_hours(rng), shares_now_source(rng)))
        return Week(
            tuple(shares),
            rng.random() < 0.08,
            asks,
            asks and rng.random() < 0.4,
            rng.random() < 0.01,
            other_at=quick_hours(rng) + 2,
            waits_for_push=pushed and bool(shares),
        )
    shares = [(quick_hours(rng), "dm")] if active else []
    return Week(tuple(shares), False, tips_ok and rng.random() < 0.01, False, False)


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
