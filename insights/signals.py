"""What a participant's behaviour says, as numbers defined once here (and in docs/insights.md)."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from domain.events import EventType

WEEK_SECONDS = 7 * 24 * 3600
DAY_SECONDS = 24 * 3600
# 1970-01-01 was a Thursday: shifting by three days makes every week start on a Monday.
_WEEK_SHIFT = 3 * 24 * 3600
# A nudge older than this no longer explains a share (its weight is below 0.01 % by then).
NUDGE_LOOKBACK_SECONDS = 14 * DAY_SECONDS
FEEDBACK = frozenset({EventType.NOT_FOR_ME.value, EventType.MORE_LIKE_THIS.value})


@dataclass(frozen=True)
class Timing:
    """How time turns into the signals; defaults documented in docs/insights.md."""

    # "Soon after my message", in the words a person reads (two days by default).
    window_seconds: int = 2 * DAY_SECONDS
    # A share this long after the latest nudge counts half as "on your own" (continuous, no cut).
    half_life_seconds: int = DAY_SECONDS
    # A request for tips weighs half as much after this long: recent asks count, old ones fade.
    help_half_life_seconds: int = 4 * WEEK_SECONDS
    # A share this soon after a teammate's unprompted share joins that teammate's wave: a push
    # from outside the bot (a team meeting, a mail) shows as teammates sharing within hours.
    wave_seconds: int = 4 * 3600


def epoch(moment: datetime) -> int:
    """Whole seconds since 1970-01-01 UTC (what the SQL side computes too)."""
    return int(moment.astimezone(UTC).timestamp())


def week_number(seconds: int) -> int:
    """The Monday-to-Sunday UTC week a moment (epoch seconds) falls in."""
    return (seconds + _WEEK_SHIFT) // WEEK_SECONDS


def is_nudge(event_type: str, source: str | None) -> bool:
    """A nudge: picks we sent as a direct message, a reminder, or a push logged from outside."""
    if event_type in (EventType.REMINDED.value, EventType.NUDGED_ELSEWHERE.value):
        return True
    return event_type == EventType.PICKS_SHOWN.value and source == "dm"


NUDGE_TYPES = (
    EventType.REMINDED.value,
    EventType.NUDGED_ELSEWHERE.value,
    EventType.PICKS_SHOWN.value,
)


def own_accord(delay: int | None, timing: Timing) -> float:
    """How much a share counts as made on one's own, 0..1, from the seconds since the latest
    nudge: 0 right after it, 0.5 one half-life later, 0.75 after two, 1 without a recent nudge."""
    if delay is None:
        return 1.0
    return float(1.0 - 0.5 ** (max(0, delay) / timing.half_life_seconds))


def is_own_help_ask(payload: Mapping[str, Any] | None) -> bool:
    """A request for tips on the person's own initiative.

    Accepting the bot's own offer ("offered") and the follow-up buttons that pass a request on
    (to a manager or the content team) are not new requests: they never count against anyone.
    """
    payload = payload or {}
    return not (
        payload.get("offered")
        or payload.get("share_with_manager")
        or payload.get("share_with_content_team")
    )


@dataclass(frozen=True)
class ShareFact:
    """One share intent: when, seconds since the latest nudge before it, the item it shared,
    and seconds since the teammate's share that started the wave it joined (None: no wave)."""

    at: int
    delay: int | None
    content_id: int | None = None
    wave: int | None = None

    @property
    def prompted_for(self) -> int | None:
        """Seconds since whatever explains the share best: our latest nudge, or the start of a
        teammates' wave it joined (taken as an unlogged push from outside the bot)."""
        if self.wave is None or (self.delay is not None and self.delay <= self.wave):
            return self.delay
        return self.wave


@dataclass(frozen=True)
class Signals:
    """Everything the grouping looks at for one person; see docs/insights.md for each."""

    person_id: int
    status: str
    invited: bool = False
    opted_in: bool = False
    opted_in_after_reminder: bool = False
    reminders: int = 0
    topics_chosen: int = 0
    picks_received: int = 0
    shares: int = 0
    # Sum over shares of own_accord(): shares weighted by how long after a nudge they came.
    own_accord_total: float = 0.0
    # Shares within Timing.window_seconds of a nudge ("within two days of my message").
    shares_soon_after_nudge: int = 0
    # Other shares that came within hours after a teammate's unprompted share (a team wave).
    shares_in_wave: int = 0
    rewrite_ratio: float | None = None
    weeks_in_programme: int = 0
    weeks_with_share: int = 0
    # Complete weeks in which the person shared two or more different items.
    weeks_with_several: int = 0
    busiest_week_shares: int = 0
    content_suggested: int = 0
    # Requests for tips on one's own initiative: all of them, and weighted by how recent.
    help_asked: int = 0
    help_recent: float = 0.0
    feedback_given: int = 0
    clicks: int = 0
    # Shares of items on one of the person's topics (chosen, or inferred from "more like this");
    # None when no topic of theirs is known.
    topic_matches: int | None = None
    nudges_logged: int = 0

    @property
    def nudged_shares(self) -> int:
        """Shares made within the window after a nudge."""
        return self.shares_soon_after_nudge

    @property
    def later_shares(self) -> int:
        """Shares made later than the window after the latest nudge, or with none before, and
        not in a teammates' wave."""
        return self.shares - self.shares_soon_after_nudge - self.shares_in_wave

    @property
    def own_accord(self) -> float:
        """Average own accord of the shares, 0..1 (0 without shares)."""
        return self.own_accord_total / self.shares if self.shares else 0.0

    @property
    def steadiness(self) -> float:
        """Complete weeks with a share / complete weeks in the programme (0 before the first)."""
        if not self.weeks_in_programme:
            return 0.0
        return min(1.0, self.weeks_with_share / self.weeks_in_programme)

    @property
    def burstiness(self) -> float:
        """Shares in the busiest week / all shares: 1.0 means everything in one week."""
        return self.busiest_week_shares / self.shares if self.shares else 0.0

    @property
    def clicks_per_share(self) -> float:
        """Human clicks earned per share (0 without shares)."""
        return self.clicks / self.shares if self.shares else 0.0

    @property
    def topic_match(self) -> float | None:
        """Share of shares on the person's own topics; None when their topics are unknown."""
        if self.topic_matches is None or not self.shares:
            return None
        return self.topic_matches / self.shares


@dataclass(frozen=True)
class EventFact:
    """One logged event, reduced to what the signals read."""

    id: int
    type: str
    at: datetime
    source: str | None = None
    content_id: int | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonFacts:
    """A person's raw material: status, events, rewrite ratios, clicks, topics."""

    person_id: int
    status: str
    events: Sequence[EventFact] = ()
    rewrite_ratios: Sequence[float] = ()
    chosen_topics: frozenset[int] = frozenset()
    # Every item's topics (the workspace's), to tell whether a share was on the person's topics.
    content_topics: Mapping[int, frozenset[int]] = field(default_factory=dict)
    clicks: int = 0
    invited: bool = False
    # The person's team as imported ("" without one); any case names the same team.
    team: str = ""


def share_facts(events: Iterable[EventFact]) -> list[ShareFact]:
    """Each share intent with the seconds since the latest nudge before it (within the lookback).

    A nudge at the very moment of a share counts as before it (as in SQL).
    """
    last_nudge: int | None = None
    found: list[ShareFact] = []
    for event in sorted(events, key=lambda e: (e.at, not is_nudge(e.type, e.source))):
        seconds = epoch(event.at)
        if is_nudge(event.type, event.source):
            last_nudge = seconds
        elif event.type == EventType.SHARE_INTENT.value:
            delay = None
            if last_nudge is not None and seconds - last_nudge <= NUDGE_LOOKBACK_SECONDS:
                delay = seconds - last_nudge
            found.append(ShareFact(seconds, delay, event.content_id))
    return found


def complete_weeks(first: int | None, now: datetime) -> int:
    """Complete weeks from the one holding `first` (epoch seconds) up to last week, both counted.

    The week in progress never counts: it would make a good week look half-empty.
    """
    if first is None:
        return 0
    return max(0, week_number(epoch(now)) - week_number(first))


def person_topics(
    chosen: frozenset[int], liked_items: Iterable[int], content_topics: Mapping[int, frozenset[int]]
) -> frozenset[int] | None:
    """The person's topics: those they chose, else those of items they asked more of; or None."""
    if chosen:
        return chosen
    inferred = frozenset(t for item in liked_items for t in content_topics.get(item, ()))
    return inferred or None


@dataclass(frozen=True)
class Raw:
    """One person's gathered raw figures; `summarise` turns them into signals."""

    person_id: int
    status: str
    invited: bool
    counts: Mapping[str, int]
    first_in: int | None
    first_reminded: int | None
    shares: Sequence[ShareFact]
    help_asks: Sequence[int]
    rewrite_ratio: float | None
    topics_chosen: int
    topics: frozenset[int] | None
    content_topics: Mapping[int, frozenset[int]]
    clicks: int
    # The person's team (a number standing for its name), None without one.
    team: int | None = None


def summarise(raw: Raw, *, now: datetime, timing: Timing) -> Signals:
    """The signals of one person from their raw figures (shared by the SQL and Python paths)."""
    this_week = week_number(epoch(now))
    weeks = Counter(week_number(share.at) for share in raw.shares)
    complete = [week for week in weeks if week < this_week]
    several = _weeks_with_several(raw.shares, this_week)
    matches = None
    if raw.topics is not None:
        topics = raw.topics
        matches = sum(
            1
            for share in raw.shares
            if share.content_id is not None
            and raw.content_topics.get(share.content_id, frozenset()) & topics
        )
    now_seconds = epoch(now)
    help_recent = sum(
        0.5 ** (max(0, now_seconds - at) / timing.help_half_life_seconds) for at in raw.help_asks
    )
    counts = raw.counts
    reminded, joined = raw.first_reminded, raw.first_in
    return Signals(
        person_id=raw.person_id,
        status=raw.status,
        invited=raw.invited or counts.get(EventType.INVITED.value, 0) > 0,
        opted_in=joined is not None,
        opted_in_after_reminder=reminded is not None and joined is not None and reminded <= joined,
        reminders=counts.get(EventType.REMINDED.value, 0),
        topics_chosen=raw.topics_chosen,
        picks_received=counts.get("picks_dm", 0),
        shares=len(raw.shares),
        own_accord_total=round(sum(own_accord(s.prompted_for, timing) for s in raw.shares), 9),
        shares_soon_after_nudge=sum(1 for s in raw.shares if _soon(s, timing)),
        shares_in_wave=sum(1 for s in raw.shares if s.wave is not None and not _soon(s, timing)),
        rewrite_ratio=raw.rewrite_ratio,
        weeks_in_programme=complete_weeks(joined, now),
        weeks_with_share=len(complete),
        weeks_with_several=several,
        busiest_week_shares=max(weeks.values(), default=0),
        content_suggested=counts.get(EventType.CONTENT_SUGGESTED.value, 0),
        help_asked=len(raw.help_asks),
        help_recent=round(help_recent, 9),
        feedback_given=counts.get("feedback", 0),
        clicks=raw.clicks,
        topic_matches=matches,
        nudges_logged=counts.get(EventType.NUDGED_ELSEWHERE.value, 0),
    )


def _weeks_with_several(shares: Iterable[ShareFact], this_week: int) -> int:
    """Complete weeks (before `this_week`) with shares of two or more different items; the same
    item shared twice is one item, and a share of no known item is none."""
    items: dict[int, set[int]] = {}
    for share in shares:
        week = week_number(share.at)
        if week < this_week and share.content_id is not None:
            items.setdefault(week, set()).add(share.content_id)
    return sum(1 for found in items.values() if len(found) >= 2)


def _soon(share: ShareFact, timing: Timing) -> bool:
    return share.delay is not None and share.delay <= timing.window_seconds


def summarise_all(raws: Sequence[Raw], *, now: datetime, timing: Timing) -> list[Signals]:
    """Everyone's signals in one workspace: the team waves first, then each person's figures."""
    return [summarise(raw, now=now, timing=timing) for raw in with_waves(raws, timing)]


def with_waves(raws: Sequence[Raw], timing: Timing) -> list[Raw]:
    """The raw figures with each share's team wave marked (see `team_waves`)."""
    if timing.wave_seconds <= 0:
        return list(raws)
    teams: dict[int, list[tuple[int, Sequence[ShareFact]]]] = {}
    for number, raw in enumerate(raws):
        if raw.team is not None and raw.shares:
            teams.setdefault(raw.team, []).append((number, raw.shares))
    marked = list(raws)
    for members in teams.values():
        for number, gaps in team_waves(members, timing).items():
            raw = marked[number]
            shares = list(raw.shares)
            for index, gap in gaps.items():
                share = shares[index]
                shares[index] = ShareFact(share.at, share.delay, share.content_id, gap)
            marked[number] = replace(raw, shares=shares)
    return marked


def team_waves(
    members: Sequence[tuple[int, Sequence[ShareFact]]], timing: Timing
) -> dict[int, dict[int, int]]:
    """A team's waves: person -> {share index: seconds since the share that started its wave}.

    `members` are the team's people (any key) with their shares. A share joins a wave when a
    teammate shared within Timing.wave_seconds before it, unprompted (at least a half-life
    after our latest nudge); the wave starts at the earliest such share. Only followers are
    marked: whoever shares first, on their own, is not counted down for the others following.
    """
    # Unprompted: at least a half-life after our latest nudge, so it counts at least half as
    # the teammate's own (right after our message, the message explains it).
    starters = sorted(
        (share.at, person)
        for person, shares in members
        for share in shares
        if share.delay is None or share.delay >= timing.half_life_seconds
    )
    found: dict[int, dict[int, int]] = {}
    if not starters or len(members) < 2:
        return found
    moments = [at for at, _ in starters]
    window, count = timing.wave_seconds, len(starters)
    for person, shares in members:
        for index, share in enumerate(shares):
            earlier = bisect.bisect_left(moments, share.at - window)
            while earlier < count and moments[earlier] < share.at:
                if starters[earlier][1] != person:
                    found.setdefault(person, {})[index] = share.at - moments[earlier]
                    break
                earlier += 1
    return found


def signals_of(facts: PersonFacts, *, now: datetime, timing: Timing) -> Signals:
    """The reference computation of one person's signals, in plain Python (alone: no team)."""
    return summarise(_raw_of(facts, None), now=now, timing=timing)


def workspace_signals_of(
    everyone: Sequence[PersonFacts], *, now: datetime, timing: Timing
) -> list[Signals]:
    """The reference computation of a workspace's signals, team waves included.

    `content_store.analytics.insights` gathers the same raw figures in SQL for a whole
    workspace; a test keeps the two equal.
    """
    names = sorted({facts.team.casefold() for facts in everyone if facts.team})
    number = {name: index for index, name in enumerate(names, start=1)}
    raws = [_raw_of(facts, number.get(facts.team.casefold())) for facts in everyone]
    return summarise_all(raws, now=now, timing=timing)


def _raw_of(facts: PersonFacts, team: int | None) -> Raw:
    counts = Counter(event.type for event in facts.events)
    counted: dict[str, int] = {kind: counts[kind] for kind in counts}
    counted["feedback"] = sum(counts[kind] for kind in FEEDBACK)
    counted["picks_dm"] = sum(
        1 for e in facts.events if e.type == EventType.PICKS_SHOWN.value and e.source == "dm"
    )
    ratios = facts.rewrite_ratios
    liked = [
        e.content_id
        for e in facts.events
        if e.type == EventType.MORE_LIKE_THIS.value and e.content_id is not None
    ]
    return Raw(
        person_id=facts.person_id,
        status=facts.status,
        invited=facts.invited,
        counts=counted,
        first_in=_first(facts.events, EventType.OPTED_IN),
        first_reminded=_first(facts.events, EventType.REMINDED),
        shares=share_facts(facts.events),
        help_asks=sorted(
            epoch(e.at)
            for e in facts.events
            if e.type == EventType.HELP_ASKED.value and is_own_help_ask(e.payload)
        ),
        rewrite_ratio=sum(ratios) / len(ratios) if ratios else None,
        topics_chosen=len(facts.chosen_topics),
        topics=person_topics(facts.chosen_topics, liked, facts.content_topics),
        content_topics=facts.content_topics,
        clicks=facts.clicks,
        team=team,
    )


def _first(events: Sequence[EventFact], event_type: EventType) -> int | None:
    moments = [epoch(e.at) for e in events if e.type == event_type.value]
    return min(moments) if moments else None
