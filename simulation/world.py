"""The simulated organisation: people acting each week through the real handlers."""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from captions import TemplateCaptionWriter
from content_store import outbox
from content_store.analytics.insights import workspace_signals
from content_store.content import NewContent, add_content
from content_store.database import Database
from content_store.demo import seed_demo_content
from content_store.models import ContentTopic, Link, Person, Share, Topic, Workspace
from content_store.outbox import new_claim
from content_store.people import set_roles
from domain.errors import InvalidInput
from domain.networks import Network
from domain.programme import ProgrammeStatus, Role
from handlers import (
    content_library,
    deliveries,
    home,
    insights,
    programme,
    reminders,
    sharing,
    tracked_redirect,
    weekly_picks,
)
from handlers.context import Services, load_caller
from handlers.types import Actor as ActorType
from handlers.types import ContentCard, Reply
from insights.signals import Signals
from links.fetcher import FetchPolicy
from simulation import behaviour
from simulation.behaviour import Kind, Persona
from simulation.scoring import (
    GroupScore,
    JoinedRecall,
    baseline,
    macro_f1,
    recall_among_joined,
    score,
)

PLATFORM, WORKSPACE = "slack", "TSIM"
Decide = Callable[[Persona, random.Random], str | None]
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday


class SimClock:
    """The simulation's clock: moved by the simulation, read by the handlers."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        """The simulated time."""
        return self.current

    def at(self, moment: datetime) -> None:
        """Jump to a moment."""
        self.current = moment


class RecordingMessenger:
    """Records every direct message, and the latest picks each person got."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply]] = []
        self.picks: dict[str, Reply] = {}

    async def send_to_user(self, *, workspace_id: str, user_id: str, reply: Reply) -> str:
        """Remember the message."""
        self.sent.append((user_id, reply))
        if _cards(reply):
            self.picks[user_id] = reply
        return f"M{len(self.sent)}"

    async def send_to_channel(self, *, workspace_id: str, channel_id: str, reply: Reply) -> str:
        """The simulated workspace has no picks channel."""
        raise NotImplementedError

    async def update(
        self, *, workspace_id: str, conversation_id: str, message_id: str, reply: Reply
    ) -> None:
        """Nobody edits messages in the simulation."""


@dataclass(frozen=True)
class Config:
    """One scenario."""

    employees: int = 200
    weeks: int = 12
    seed: int = 1
    habits: behaviour.Habits = field(default_factory=behaviour.Habits)
    name: str = "default"


@dataclass
class Result:
    """How well the groups matched the hidden types, next to the baseline."""

    config: Config
    scores: dict[str, GroupScore]
    baseline_scores: dict[str, GroupScore]
    truth: Counter[str] = field(default_factory=Counter)
    predicted: Counter[str] = field(default_factory=Counter)
    messages_sent: int = 0
    # Everyone who ever answered the invitation "in" (person ids), and the needs-help group's
    # recall over them: its ceiling (share who joined) and the grouping's recall among them.
    joined: frozenset[int] = frozenset()
    needs_help_joined: JoinedRecall = field(default_factory=lambda: JoinedRecall(0, 0, 0))
    # Participants (in the programme at the end) shown as "not sure yet", and all of them.
    not_sure: int = 0
    participants: int = 0
    # For studying the grouping offline: everyone's signals and hidden type (not in as_json).
    signals: list[Signals] = field(default_factory=list)
    hidden: dict[int, str] = field(default_factory=dict)

    @property
    def not_sure_share(self) -> float:
        """Share of participants placed "not sure yet"."""
        return self.not_sure / self.participants if self.participants else 0.0

    @property
    def macro_f1(self) -> float:
        """The groups' macro-F1."""
        return macro_f1(self.scores)

    @property
    def baseline_macro_f1(self) -> float:
        """The share-count baseline's macro-F1."""
        return macro_f1(self.baseline_scores)

    def as_json(self) -> dict[str, Any]:
        """The figures as one JSON-ready object."""
        return {
            "employees": self.config.employees,
            "weeks": self.config.weeks,
            "seed": self.config.seed,
            "macro_f1": round(self.macro_f1, 4),
            "baseline_macro_f1": round(self.baseline_macro_f1, 4),
            "groups": {name: _figures(s) for name, s in self.scores.items()},
            "baseline_groups": {name: _figures(s) for name, s in self.baseline_scores.items()},
            "true_sizes": dict(self.truth),
            "predicted_sizes": dict(self.predicted),
            "messages_sent": self.messages_sent,
            "scenario": self.config.name,
            "habits": self.config.habits.label(),
            "not_sure_share": round(self.not_sure_share, 4),
            "needs_help_joined": self.needs_help_joined.as_json(),
        }


def _figures(group: GroupScore) -> dict[str, float]:
    return {
        "precision": round(group.precision, 4),
        "recall": round(group.recall, 4),
        "f1": round(group.f1, 4),
        "support": group.support,
    }


async def simulate(config: Config) -> Result:
    """Run a scenario on a fresh temporary SQLite database and score the grouping."""
    with tempfile.TemporaryDirectory(prefix="socialboost-sim-") as folder:
        db = Database(f"sqlite+aiosqlite:///{Path(folder) / 'simulation.db'}")
        try:
            await db.upgrade()
            async with _idea_server() as (base_url, port):
                world = World(db, config, ideas_url=base_url, port=port)
                return await world.run()
        finally:
            await db.dispose()


@asynccontextmanager
async def _idea_server() -> AsyncIterator[tuple[str, int]]:
    """Pages people suggest, served locally so `suggest` fetches them for real."""

    async def page(request: web.Request) -> web.Response:
        number = request.match_info["number"]
        html = (
            f"<html><head><title>Idea {number}</title>"
            f'<meta property="og:title" content="An idea worth sharing #{number}">'
            '<meta property="og:description" content="Found by a colleague."></head></html>'
        )
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/ideas/{number}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = int(runner.addresses[0][1])
    try:
        yield f"http://127.0.0.1:{port}/ideas", port
    finally:
        await runner.cleanup()


class World:
    """The organisation during one run."""

    def __init__(self, db: Database, config: Config, *, ideas_url: str, port: int) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.clock = SimClock(START)
        self.services = Services(
            db=db,
            captions=TemplateCaptionWriter(),
            public_base_url="https://boost.example.org",
            clock=self.clock,
            fetch_policy=FetchPolicy(allow_loopback=True, loopback_ports=frozenset({port})),
        )
        self.messenger = RecordingMessenger()
        self.habits = config.habits
        self.people = behaviour.make_people(config.employees, self.rng, self.habits)
        self.ideas_url = ideas_url
        self.joined: set[int] = set()
        self.answered: set[int] = set()
        # What each persona has shared: a person who shares twice shares two things.
        self.shared: dict[int, set[int]] = {}
        self.person_ids: dict[int, int] = {}
        self.topics_of: dict[int, frozenset[str]] = {}
        self.workspace_id = 0
        self.suggestions = 0
        self.items_added = 0

    @property
    def _content_team(self) -> ActorType:
        return ActorType(PLATFORM, WORKSPACE, "UCONTENT", display_name="Content team")

    def actor(self, persona: Persona) -> ActorType:
        """The chat identity of a simulated person."""
        return ActorType(
            PLATFORM, WORKSPACE, f"U{persona.index:05d}", display_name=f"P{persona.index}"
        )

    async def run(self) -> Result:
        """Invite everyone, play the weeks, regroup, and score."""
        await self._set_up()
        for week in range(self.config.weeks):
            await self._week(week)
        self.clock.at(START + timedelta(weeks=self.config.weeks))
        placements = await insights.regroup_workspace(self.services, workspace_id=self.workspace_id)
        result = await self._score({p.person_id: p.group.value for p in placements})
        async with self.services.db.session() as session:
            inside = set(
                (
                    await session.execute(
                        select(Person.id).where(
                            Person.workspace_id == self.workspace_id,
                            Person.status == ProgrammeStatus.IN,
                        )
                    )
                ).scalars()
            )
        async with self.services.db.session() as session:
            result.signals = await workspace_signals(
                session,
                workspace_id=self.workspace_id,
                now=self.clock.now(),
                timing=self.services.insight_thresholds.timing,
            )
        result.hidden = {self.person_ids[p.index]: p.kind.value for p in self.people}
        result.participants = len(inside)
        result.not_sure = sum(1 for p in placements if p.person_id in inside and not p.sure)
        return result

    async def _set_up(self) -> None:
        admin = ActorType(PLATFORM, WORKSPACE, "UCONTENT", display_name="Content team")
        async with self.services.db.session() as session:
            caller = await load_caller(session, admin, self.services)
            self.workspace_id = caller.workspace.id
            await set_roles(session, person_id=caller.person.id, roles=[Role.CONTENT])
            await seed_demo_content(session, workspace_id=self.workspace_id, now=START)
        for persona in self.people:
            # Invitations go out in the hour before the first Monday's content and picks.
            self.clock.at(START - timedelta(hours=1) + timedelta(minutes=persona.index % 60))
            await programme.welcome(self.services, self.actor(persona))
            async with self.services.db.session() as session:
                caller = await load_caller(session, self.actor(persona), self.services)
                caller.person.team = _team(persona.team)
                self.person_ids[persona.index] = caller.person.id

    async def _week(self, week: int) -> None:
        monday = START + timedelta(weeks=week)
        await self._add_content(monday, week)
        # The clock only moves forward: answers, picks, reminders, then the week's actions in
        # time order (shares hours to days after the DM, pushes from outside the bot).
        if week == 0:
            await self._answers(monday + timedelta(minutes=30), behaviour.first_answer)
        await self._send_picks(monday + timedelta(hours=1))
        reminded = await self._send_reminders(monday + timedelta(hours=2))
        await self._answers(
            monday + timedelta(hours=2, minutes=30), behaviour.answer_to_reminder, reminded
        )
        start = monday + timedelta(hours=2, minutes=45)
        pushes = self._pushes(start)
        actions: list[tuple[datetime, int, str, Any]] = []
        for persona in self.people:
            if persona.index not in self.joined or week in persona.holiday:
                continue
            plan = behaviour.plan_week(persona, self.rng, self.habits)
            push = pushes.get(persona.team)
            for hours, source in plan.shares:
                when = start + timedelta(hours=hours)
                if plan.waits_for_push and push is not None:
                    # Pushed by their manager: they act hours after that, from their picks.
                    when = push + timedelta(hours=behaviour.quick_hours(self.rng))
                    source = behaviour.shares_now_source(self.rng)
                actions.append((when, persona.index, "share", source))
            actions.append((start + timedelta(hours=plan.other_at), persona.index, "other", plan))
        if self.habits.outside_nudges == "logged":
            for team, when in pushes.items():
                actions.append((when, -1, "log", team))
        limit = monday + timedelta(days=6, hours=20)
        for when, index, kind, detail in sorted(actions, key=lambda a: (a[0], a[1], a[2])):
            self.clock.at(min(max(when, self.clock.now()), limit))
            if kind == "log":
                await insights.log_nudge(
                    self.services, self._content_team, team=_team(detail), day=when.date()
                )
                continue
            persona = self.people[index]
            if kind == "share":
                cards = await self._cards_from(persona, detail)
                await self._share(persona, cards, 1, source=detail)
            else:
                await self._other(persona, detail)

    def _pushes(self, start: datetime) -> dict[int, datetime]:
        """This week's pushes from outside the bot: half the teams' managers nudge their team
        one to three days after the DM."""
        if self.habits.outside_nudges == "none":
            return {}
        teams = sorted({p.team for p in self.people})
        return {
            team: start + timedelta(hours=self.rng.uniform(24.0, 72.0))
            for team in teams
            if self.rng.random() < 0.5
        }

    async def _add_content(self, monday: datetime, week: int) -> None:
        """Three new items a week, so picks stay fresh over the weeks."""
        self.clock.at(monday)
        async with self.services.db.session() as session:
            for offset in range(3):
                number = week * 3 + offset
                topics = (behaviour.TOPICS[number % len(behaviour.TOPICS)],)
                title = f"Week {week + 1} story {offset + 1}: news about {topics[0]}"
                new = NewContent(
                    canonical_url=f"https://example.com/news/{number}",
                    title=title,
                    description="Company news for the simulation.",
                    topics=topics,
                    captions={Network.LINKEDIN: f"{title} — worth a read."},
                    publish_from=monday - timedelta(hours=1),
                    publish_until=monday + timedelta(weeks=4),
                    priority=0,
                )
                await add_content(session, workspace_id=self.workspace_id, new=new, now=monday)
            query = select(ContentTopic.content_id, Topic.slug).join(
                Topic, Topic.id == ContentTopic.topic_id
            )
            found: dict[int, set[str]] = {}
            for content_id, slug in await session.execute(query):
                found.setdefault(content_id, set()).add(slug)
        self.topics_of = {key: frozenset(value) for key, value in found.items()}

    async def _answers(self, when: datetime, decide: Decide, only: set[int] | None = None) -> None:
        self.clock.at(when)
        for persona in self.people:
            if persona.index in self.answered or (only is not None and persona.index not in only):
                continue
            answer = decide(persona, self.rng)
            if answer is None:
                continue
            self.answered.add(persona.index)
            await programme.answer_invitation(self.services, self.actor(persona), answer)
            if answer == "in":
                await self._join(persona)

    async def _join(self, persona: Persona) -> None:
        self.joined.add(persona.index)
        actor = self.actor(persona)
        await programme.set_networks(self.services, actor, ["linkedin"])
        if persona.chooses_topics:
            await programme.set_topics(self.services, actor, sorted(persona.interests))

    async def _workspace(self) -> Workspace:
        async with self.services.db.session() as session:
            workspace = await session.get(Workspace, self.workspace_id)
        assert workspace is not None
        return workspace

    async def _send_picks(self, when: datetime) -> None:
        self.clock.at(when)
        await deliveries.plan_picks(
            self.services, workspace=await self._workspace(), occurrence=when
        )
        await self._drain()

    async def _send_reminders(self, when: datetime) -> set[int]:
        self.clock.at(when)
        before = len(self.messenger.sent)
        await reminders.plan_reminders(
            self.services, workspace=await self._workspace(), occurrence=when
        )
        await self._drain()
        users = {user for user, reply in self.messenger.sent[before:] if not _cards(reply)}
        return {p.index for p in self.people if self.actor(p).user_id in users}

    async def _drain(self) -> None:
        """Send everything due, as the outbox sender would."""
        while True:
            async with self.services.db.session() as session:
                claimed = await outbox.claim_due(
                    session,
                    now=self.clock.now(),
                    limit=200,
                    lease=timedelta(minutes=2),
                    claim=new_claim("simulation"),
                )
            if not claimed:
                return
            for row in claimed:
                await deliveries.send_claimed(self.services, self.messenger, row)

    async def _other(self, persona: Persona, week: behaviour.Week) -> None:
        """Feedback, tips and suggestions, at their own moment in the week."""
        actor = self.actor(persona)
        if week.feedback:
            await self._feedback(persona)
        if week.asks_tips:
            await insights.tips(self.services, actor)
            if week.tells_manager:
                await insights.tell_manager(self.services, actor)
        if week.suggests:
            self.suggestions += 1
            url = f"{self.ideas_url}/{self.suggestions}"
            await _quietly(content_library.suggest(self.services, actor, url))

    async def _cards_from(self, persona: Persona, source: str) -> list[ContentCard]:
        actor = self.actor(persona)
        if source == "home":
            return _cards(await home.home(self.services, actor))
        if source == "now":
            return _cards(await weekly_picks.show_picks(self.services, actor, source="now"))
        return _cards(self.messenger.picks.get(actor.user_id))

    async def _share(
        self, persona: Persona, cards: list[ContentCard], count: int, *, source: str
    ) -> None:
        done = self.shared.setdefault(persona.index, set())
        fresh = [card for card in self._choose(persona, cards) if card.content_id not in done]
        for card in fresh[:count]:
            caption = (
                behaviour.own_caption(card.title, self.rng)
                if behaviour.rewrites(persona, self.rng)
                else behaviour.light_edit(card.caption, self.rng)
            )
            request = sharing.ShareRequest(
                card.content_id, Network.LINKEDIN, caption, source=source
            )
            if await _quietly(sharing.share(self.services, self.actor(persona), request)):
                done.add(card.content_id)
                await self._after_share(persona, card.content_id)

    def _choose(self, persona: Persona, cards: list[ContentCard]) -> list[ContentCard]:
        """Self-driven people share what matches their interests; others what comes first."""
        if persona.kind is not Kind.SELF_DRIVEN:
            return cards
        return sorted(
            cards,
            key=lambda c: not (self.topics_of.get(c.content_id, frozenset()) & persona.interests),
        )

    async def _after_share(self, persona: Persona, content_id: int) -> None:
        actor = self.actor(persona)
        if self.rng.random() < 0.75:
            await _quietly(
                sharing.confirm(
                    self.services, actor, content_id=content_id, network=Network.LINKEDIN
                )
            )
        clicks = self.rng.randint(0, 4 if persona.editor else 2)
        if clicks:
            await self._clicks(persona, content_id, clicks)

    async def _clicks(self, persona: Persona, content_id: int, clicks: int) -> None:
        async with self.services.db.session() as session:
            code = (
                await session.execute(
                    select(Link.code).where(
                        Link.person_id == self.person_ids[persona.index],
                        Link.content_id == content_id,
                    )
                )
            ).scalar_one_or_none()
        for _ in range(clicks if code else 0):
            await tracked_redirect.follow_link(
                self.services, code=str(code), user_agent="Mozilla/5.0", referrer=None
            )

    async def _feedback(self, persona: Persona) -> None:
        cards = _cards(self.messenger.picks.get(self.actor(persona).user_id))
        if not cards:
            return
        card = cards[-1]
        liked = bool(self.topics_of.get(card.content_id, frozenset()) & persona.interests)
        kind = "more_like_this" if liked else "not_for_me"
        await _quietly(
            sharing.give_feedback(
                self.services, self.actor(persona), content_id=card.content_id, kind=kind
            )
        )

    async def _score(self, placed: dict[int, str]) -> Result:
        truth = {self.person_ids[p.index]: p.kind.value for p in self.people}
        predicted = {pid: placed.get(pid, "not_interested") for pid in truth}
        async with self.services.db.session() as session:
            counts = await _share_counts(session, list(truth))
        guess = baseline(counts, sorted(truth))
        joined = frozenset(self.person_ids[index] for index in self.joined)
        return Result(
            config=self.config,
            scores=score(truth, predicted),
            baseline_scores=score(truth, guess),
            truth=Counter(truth.values()),
            predicted=Counter(predicted.values()),
            messages_sent=len(self.messenger.sent),
            joined=joined,
            needs_help_joined=recall_among_joined(truth, predicted, joined),
        )


def _team(number: int) -> str:
    return f"Team {number + 1}"


async def _share_counts(session: AsyncSession, people: list[int]) -> dict[int, int]:
    query = (
        select(Share.person_id, func.count())
        .where(Share.person_id.in_(people))
        .group_by(Share.person_id)
    )
    return {pid: count for pid, count in await session.execute(query) if pid is not None}


async def _quietly(work: Awaitable[Reply]) -> Reply | None:
    """Run a handler as a person would press a button: a refusal is just a refusal."""
    try:
        result = await work
    except InvalidInput:
        return None
    return result


def _cards(reply: Reply | None) -> list[ContentCard]:
    if reply is None:
        return []
    return [block for block in reply.blocks if isinstance(block, ContentCard)]
