"""What a participant's behaviour says, as numbers defined once here (and in the README)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.events import EventType

WEEK_SECONDS = 7 * 24 * 3600
# 1970-01-01 was a Thursday: shifting by three days makes every week start on a Monday.
_WEEK_SHIFT = 3 * 24 * 3600
# A share from these places happened because the person went looking, not because we wrote.
UNPROMPTED_SOURCES = frozenset({"home", "channel", "now", "web"})
FEEDBACK = frozenset({EventType.NOT_FOR_ME.value, EventType.MORE_LIKE_THIS.value})


def epoch(moment: datetime) -> int:
    """Whole seconds since 1970-01-01 UTC (what the SQL side computes too)."""
    return int(moment.astimezone(UTC).timestamp())


def week_number(seconds: int) -> int:
    """The Monday-to-Sunday UTC week a moment (epoch seconds) falls in."""
    return (seconds + _WEEK_SHIFT) // WEEK_SECONDS


def is_nudge(event_type: str, source: str | None) -> bool:
    """A nudge is picks we sent as a direct message, or a reminder."""
    if event_type == EventType.REMINDED.value:
        return True
    return event_type == EventType.PICKS_SHOWN.value and source == "dm"


def is_unprompted(source: str | None, seconds: int, last_nudge: int | None, window: int) -> bool:
    """A share is unprompted when made from a place the person opened themselves, or more than
    `window` seconds after the latest nudge (no reminder in between, or it would be the latest).
    """
    if source in UNPROMPTED_SOURCES:
        return True
    return last_nudge is None or seconds - last_nudge > window


@dataclass(frozen=True)
class Signals:
    """Everything the grouping looks at for one person; see README "Insights" for each."""

    person_id: int
    status: str
    invited: bool = False
    opted_in: bool = False
    opted_in_after_reminder: bool = False
    reminders: int = 0
    topics_chosen: int = 0
    picks_received: int = 0
    shares: int = 0
    unprompted_shares: int = 0
    rewrite_ratio: float | None = None
    weeks_in_programme: int = 0
    weeks_with_share: int = 0
    busiest_week_shares: int = 0
    content_suggested: int = 0
    help_asked: int = 0
    feedback_given: int = 0
    clicks: int = 0

    @property
    def nudged_shares(self) -> int:
        """Shares made soon after a direct message or reminder."""
        return self.shares - self.unprompted_shares

    @property
    def unprompted_fraction(self) -> float:
        """Unprompted shares / shares (0 without shares)."""
        return self.unprompted_shares / self.shares if self.shares else 0.0

    @property
    def steadiness(self) -> float:
        """Weeks with a share / weeks in the programme (0 when never in)."""
        if not self.weeks_in_programme:
            return 0.0
        return min(1.0, self.weeks_with_share / self.weeks_in_programme)

    @property
    def burstiness(self) -> float:
        """Shares in the busiest week / all shares: 1.0 means everything in one week."""
        return self.busiest_week_shares / self.shares if self.shares else 0.0


@dataclass(frozen=True)
class EventFact:
    """One logged event, reduced to what the signals read."""

    id: int
    type: str
    at: datetime
    source: str | None = None


@dataclass(frozen=True)
class PersonFacts:
    """A person's raw material: status, events, shares' rewrite ratios, clicks, chosen topics."""

    person_id: int
    status: str
    events: Sequence[EventFact] = ()
    rewrite_ratios: Sequence[float] = ()
    topics_chosen: int = 0
    clicks: int = 0
    invited: bool = False


@dataclass(frozen=True)
class WeekShares:
    """Shares of one person in one week, and how many of them were unprompted."""

    week: int
    shares: int
    unprompted: int


def share_weeks(events: Iterable[EventFact], *, nudge_window_seconds: int) -> list[WeekShares]:
    """Group a person's share intents by week, telling nudged from unprompted ones."""
    last_nudge: int | None = None
    shares: Counter[int] = Counter()
    unprompted: Counter[int] = Counter()
    # By time; a nudge at the very moment of a share counts as before it (as in SQL).
    for event in sorted(events, key=lambda e: (e.at, not is_nudge(e.type, e.source))):
        seconds = epoch(event.at)
        if is_nudge(event.type, event.source):
            last_nudge = seconds
        elif event.type == EventType.SHARE_INTENT.value:
            week = week_number(seconds)
            shares[week] += 1
            window = nudge_window_seconds
            unprompted[week] += is_unprompted(event.source, seconds, last_nudge, window)
    return [WeekShares(week, shares[week], unprompted[week]) for week in sorted(shares)]


def weeks_between(first: int | None, now: datetime) -> int:
    """Weeks from the one holding `first` (epoch seconds) to this week, both counted."""
    if first is None:
        return 0
    return max(1, week_number(epoch(now)) - week_number(first) + 1)


def signals_of(facts: PersonFacts, *, now: datetime, nudge_window_seconds: int) -> Signals:
    """The reference computation of one person's signals, in plain Python.

    `content_store.insights` computes the same in SQL for a whole workspace; a test keeps
    the two equal.
    """
    counts = Counter(event.type for event in facts.events)
    first_in = _first(facts.events, EventType.OPTED_IN)
    first_reminded = _first(facts.events, EventType.REMINDED)
    weeks = share_weeks(facts.events, nudge_window_seconds=nudge_window_seconds)
    ratios = facts.rewrite_ratios
    return Signals(
        person_id=facts.person_id,
        status=facts.status,
        invited=facts.invited or counts[EventType.INVITED.value] > 0,
        opted_in=first_in is not None,
        opted_in_after_reminder=_after(first_reminded, first_in),
        reminders=counts[EventType.REMINDED.value],
        topics_chosen=facts.topics_chosen,
        picks_received=sum(
            1 for e in facts.events if e.type == EventType.PICKS_SHOWN.value and e.source == "dm"
        ),
        shares=sum(week.shares for week in weeks),
        unprompted_shares=sum(week.unprompted for week in weeks),
        rewrite_ratio=sum(ratios) / len(ratios) if ratios else None,
        weeks_in_programme=weeks_between(first_in, now),
        weeks_with_share=len(weeks),
        busiest_week_shares=max((week.shares for week in weeks), default=0),
        content_suggested=counts[EventType.CONTENT_SUGGESTED.value],
        help_asked=counts[EventType.HELP_ASKED.value],
        feedback_given=sum(counts[kind] for kind in FEEDBACK),
        clicks=facts.clicks,
    )


def _first(events: Sequence[EventFact], event_type: EventType) -> int | None:
    moments = [epoch(e.at) for e in events if e.type == event_type.value]
    return min(moments) if moments else None


def _after(reminded: int | None, joined: int | None) -> bool:
    """Joined only once a reminder had gone out."""
    return reminded is not None and joined is not None and reminded <= joined
