"""Programme statistics on known data: per item, per topic, the funnel, weeks, same-text flags."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from itertools import count

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captions.similarity import comparable, near_identical_count
from content_store.analytics.exports import export_rows, render_export
from content_store.analytics.statistics import (
    funnel,
    item_statistics,
    topic_statistics,
    weekly_figures,
)
from content_store.database import Database
from content_store.models import Click, ContentItem, Delivery, DeliveryItem, Feedback, Link, Share
from content_store.people import get_or_create_person, get_or_create_workspace
from domain.errors import InvalidInput
from domain.networks import Network
from domain.programme import ProgrammeStatus, Role
from handlers.commands import run_command
from handlers.context import Services
from handlers.types import Reply, Text
from tests.captions.textbook import reference_distance
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, actor, add_item, grant
from tests.fakes import FakeMessenger
from tests.hypothesis_profiles import examples

WEEK = timedelta(days=7)
_codes = count(1)


async def _workspace_id(db: Database) -> int:
    async with db.session() as session:
        return (await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)).id


async def _person(
    db: Database,
    user: str,
    status: ProgrammeStatus = ProgrammeStatus.IN,
    *,
    since: datetime | None = None,
    invited: datetime | None = None,
) -> int:
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        person = await get_or_create_person(session, workspace_id=ws.id, external_id=user)
        person.status, person.status_changed_at, person.invited_at = status, since, invited
        return person.id


async def _share(
    db: Database,
    person: int,
    item: int,
    network: Network = Network.LINKEDIN,
    *,
    at: datetime,
    confirmed: bool = False,
    caption: str = "My words",
    rewrite: float = 0.5,
    clicks: int = 0,
) -> None:
    async with db.session() as session:
        link = Link(
            code=f"c{next(_codes)}",
            person_id=person,
            content_id=item,
            network=network,
            created_at=at,
        )
        session.add(link)
        await session.flush()
        session.add(
            Share(
                person_id=person,
                content_id=item,
                network=network,
                source="dm",
                suggested_caption="Suggested",
                final_caption=caption,
                rewrite_ratio=rewrite,
                link_id=link.id,
                intent_at=at,
                confirmed_at=at if confirmed else None,
            )
        )
        session.add_all([Click(link_id=link.id, clicked_at=at) for _ in range(clicks)])


async def _delivery(
    db: Database, person: int, items: list[int], *, status: str, at: datetime
) -> None:
    async with db.session() as session:
        delivery = Delivery(
            person_id=person, slot=f"picks:{next(_codes)}", status=status, due_at=at
        )
        session.add(delivery)
        await session.flush()
        for position, item in enumerate(items):
            session.add(
                DeliveryItem(
                    delivery_id=delivery.id, content_id=item, position=position, reason_kind="topic"
                )
            )


async def _items_dataset(db: Database, now: datetime) -> dict[str, int]:
    ids = {
        "a": await add_item(db, slug="a", topics=("product", "people"), now=now),
        "b": await add_item(db, slug="b", topics=("product",), now=now),
    }
    p = {n: await _person(db, f"U{n}") for n in range(1, 6)}
    await _delivery(db, p[1], [ids["a"], ids["b"]], status="sent", at=now)
    await _delivery(db, p[2], [ids["a"]], status="sent", at=now)
    await _delivery(db, p[3], [ids["a"]], status="shown", at=now)  # viewed on Home / "now"
    await _delivery(db, p[4], [ids["a"]], status="pending", at=now)  # never went out
    await _share(db, p[1], ids["a"], at=now, confirmed=True, rewrite=0.2, clicks=2)
    await _share(db, p[1], ids["a"], Network.X, at=now, rewrite=0.4)
    await _share(db, p[2], ids["a"], at=now, confirmed=True, rewrite=0.6, clicks=1)
    await _share(db, p[5], ids["b"], Network.BLUESKY, at=now, confirmed=True, rewrite=1.0)
    async with db.session() as session:
        session.add(Feedback(person_id=p[1], content_id=ids["b"], kind="not_for_me"))
    return ids


async def test_item_figures_on_a_known_dataset(db: Database, clock: FakeClock) -> None:
    ids = await _items_dataset(db, clock.now())
    async with db.session() as session:
        items = {
            i.content_id: i
            for i in await item_statistics(session, workspace_id=await _workspace_id(db))
        }

    a, b = items[ids["a"]], items[ids["b"]]
    assert (a.sent, a.opened, a.share_intents, a.clicks) == (3, 3, 3, 3)
    assert a.confirmed == {"linkedin": 2}
    assert a.average_rewrite == pytest.approx(0.4)
    assert a.topics == ("people", "product")
    # b went to one person, who said "not for me" (opened); the sharer never got it delivered.
    assert (b.sent, b.opened, b.share_intents, b.confirmed, b.clicks) == (
        1,
        1,
        1,
        {"bluesky": 1},
        0,
    )


async def test_topics_roll_up_their_items(db: Database, clock: FakeClock) -> None:
    await _items_dataset(db, clock.now())
    async with db.session() as session:
        items = await item_statistics(session, workspace_id=await _workspace_id(db))

    topics = {t.topic: t for t in topic_statistics(items)}

    product, people = topics["product"], topics["people"]
    assert (product.items, product.sent, product.opened, product.share_intents) == (2, 4, 4, 4)
    assert product.confirmed == {"bluesky": 1, "linkedin": 2}
    assert product.average_rewrite == pytest.approx((0.2 + 0.4 + 0.6 + 1.0) / 4)
    assert (people.items, people.share_intents, people.clicks) == (1, 3, 3)


async def test_the_funnel_counts_steady_sharers(db: Database, clock: FakeClock) -> None:
    now = clock.now()
    items = [await add_item(db, slug=f"i{n}", now=now) for n in range(4)]
    nets = list(Network)
    six_weeks, four_weeks = now - WEEK * 6, now - WEEK * 4 - timedelta(days=1)
    steady = await _person(db, "US1", since=six_weeks)
    unsteady = await _person(db, "US2", since=six_weeks)
    newcomer = await _person(db, "US3", since=now - WEEK * 2)
    boundary = await _person(db, "US4", since=four_weeks)
    await _person(db, "US5", since=six_weeks)  # in, never shared
    await _person(db, "US6", ProgrammeStatus.LATER, invited=six_weeks)
    left = await _person(db, "US7", ProgrammeStatus.NO, since=six_weeks)
    await _person(db, "US8", ProgrammeStatus.NOT_ASKED, invited=six_weeks)
    await _person(db, "US9", ProgrammeStatus.NOT_ASKED)  # never invited
    for n, week in enumerate((0, 1, 2)):  # 3 of 6 weeks: half
        await _share(db, steady, items[n], at=six_weeks + WEEK * week + timedelta(hours=1))
    for n, hours in enumerate((1, 30, 24 * 8)):  # two shares in week 0, one in week 1: 2 of 6
        await _share(db, unsteady, items[n], at=six_weeks + timedelta(hours=hours))
    for n in range(2):  # every week, but only two weeks in
        await _share(db, newcomer, items[n], at=now - WEEK * (2 - n) + timedelta(hours=1))
    for n, week in enumerate((0, 3)):  # 2 of exactly 4 full weeks
        await _share(
            db, boundary, items[0], nets[n], at=four_weeks + WEEK * week + timedelta(hours=2)
        )
    await _share(db, left, items[0], at=six_weeks + timedelta(hours=1))

    async with db.session() as session:
        stages = await funnel(session, workspace_id=await _workspace_id(db), now=now)

    assert (stages.invited, stages.joined, stages.shared_once, stages.steady) == (8, 5, 4, 2)


async def test_weekly_figures_put_shares_and_clicks_in_their_week(
    db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    item = await add_item(db, slug="w", now=now)
    one, two = await _person(db, "UW1"), await _person(db, "UW2")
    await _share(db, one, item, at=now - timedelta(days=1), confirmed=True, clicks=2)
    await _share(db, two, item, at=now - timedelta(days=2))
    await _share(db, one, item, Network.X, at=now - timedelta(days=9), clicks=1)
    await _share(db, two, item, Network.X, at=now - WEEK * 13)  # before the twelve weeks

    async with db.session() as session:
        weeks = await weekly_figures(session, workspace_id=await _workspace_id(db), now=now)

    assert len(weeks) == 12 and weeks[-1].start == now - WEEK
    last, before = weeks[-1], weeks[-2]
    assert (last.share_intents, last.confirmed, last.clicks, last.sharers) == (2, 1, 2, 2)
    assert (before.share_intents, before.clicks, before.sharers) == (1, 1, 1)
    assert sum(w.share_intents for w in weeks) == 3


def test_near_identical_captions_ignore_links_case_and_spacing() -> None:
    same = [
        "Proud of our climate report! https://boost.example.org/r/aaa",
        "proud of our  climate report!  https://boost.example.org/r/bbb",
        "Proud of our climate report!! https://boost.example.org/r/ccc",
        "Here is what I think matters in this report, in my words.",
    ]
    assert near_identical_count(same) == 3
    assert near_identical_count(["One text", "A wholly different caption"]) == 0


def _reference_count(captions: list[str], threshold: float) -> int:
    """The definition, pair by pair with the textbook distance: the rapidfuzz version's oracle."""
    texts = [comparable(c) for c in captions if c.strip()]

    def similar(first: str, second: str) -> bool:
        longest = max(len(first), len(second))
        return longest == 0 or 1 - reference_distance(first, second) / longest >= threshold

    return sum(
        any(similar(text, other) for j, other in enumerate(texts) if j != i)
        for i, text in enumerate(texts)
    )


@settings(max_examples=examples(0.2))
@given(
    captions=st.lists(st.text(alphabet="ab c", max_size=12), max_size=8),
    threshold=st.sampled_from([0.5, 0.75, 0.9, 1.0]),
)
def test_near_identical_count_follows_its_definition(captions: list[str], threshold: float) -> None:
    assert near_identical_count(captions, threshold=threshold) == _reference_count(
        captions, threshold
    )


async def test_items_where_everyone_posted_the_same_text_are_flagged(
    db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    uniform, varied = await add_item(db, slug="u", now=now), await add_item(db, slug="v", now=now)
    people = [await _person(db, f"UC{n}") for n in range(4)]
    text = "Proud of our climate report! https://boost.example.org/r/"
    for n, person in enumerate(people[:3]):
        await _share(db, person, uniform, at=now, caption=f"{text}{n}")
        await _share(db, person, varied, at=now, caption=f"{'Own words ' * (n + 1)}{n}")
    await _share(db, people[3], uniform, at=now, caption="Something else entirely, my own take.")

    async with db.session() as session:
        items = {
            i.content_id: i
            for i in await item_statistics(session, workspace_id=await _workspace_id(db))
        }

    assert (items[uniform].same_text, items[uniform].flagged) == (3, True)
    assert items[varied].flagged is False


async def test_statistics_exports_as_csv_and_json_with_formulas_neutralised(
    db: Database, clock: FakeClock
) -> None:
    item = await add_item(db, slug="x", topics=("product",), now=clock.now())
    await _share(db, await _person(db, "UE1"), item, at=clock.now(), clicks=1)
    async with db.session() as session:
        row = await session.get(ContentItem, item)
        assert row is not None
        row.title = '=HYPERLINK("http://evil")'
    workspace_id = await _workspace_id(db)

    async with db.session() as session:
        columns, rows = await export_rows(session, workspace_id=workspace_id, kind="items")
        funnel_columns, funnel_rows = await export_rows(
            session, workspace_id=workspace_id, kind="funnel", now=clock.now()
        )
        topic_columns, topic_rows = await export_rows(
            session, workspace_id=workspace_id, kind="topics"
        )

    (parsed,) = list(csv.DictReader(io.StringIO(render_export(columns, rows, fmt="csv"))))
    assert parsed["title"].startswith("'=HYPERLINK")
    assert (parsed["share_intents"], parsed["clicks"], parsed["confirmed_linkedin"]) == (
        "1",
        "1",
        "0",
    )
    stages = json.loads(render_export(funnel_columns, funnel_rows, fmt="json"))
    assert {s["stage"]: s["people"] for s in stages} == {
        "invited": 1,
        "joined": 1,
        "shared_once": 1,
        "steady": 0,
    }
    (topic,) = json.loads(render_export(topic_columns, topic_rows, fmt="json"))
    assert (topic["topic"], topic["share_intents"]) == ("product", 1)


def _text(reply: Reply) -> str:
    return "\n".join(block.text for block in reply.blocks if isinstance(block, Text))


async def test_stats_command_shows_the_funnel_and_attaches_a_chart(
    services: Services, clock: FakeClock
) -> None:
    await _items_dataset(services.db, clock.now())
    await grant(services.db, "UCT", Role.CONTENT)

    reply = await run_command(services, actor("UCT"), "stats", messenger=FakeMessenger())

    assert isinstance(reply, Reply)
    assert "invited: 5 → taking part: 5 → shared at least once: 3" in _text(reply)
    line = "#1 Story a — sent: 3, opened: 3, share starts: 3, confirmed: 2, clicks: 3"
    assert line in _text(reply)
    (chart,) = reply.files
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")


async def test_export_command_gives_json_files_to_the_content_team_only(
    services: Services, clock: FakeClock
) -> None:
    await _items_dataset(services.db, clock.now())
    await grant(services.db, "UCT", Role.CONTENT)
    messenger = FakeMessenger()

    reply = await run_command(services, actor("UCT"), "export weekly json", messenger=messenger)

    assert isinstance(reply, Reply)
    (file,) = reply.files
    assert file.filename == "socialboost-weekly.json"
    assert json.loads(file.content)[-1]["share_intents"] == 4
    for text in ("stats", "stats 1", "export items", "export funnel json"):
        with pytest.raises(InvalidInput) as refused:
            await run_command(services, actor("U-EMP"), text, messenger=messenger)
        assert refused.value.code == "role.missing"
    with pytest.raises(InvalidInput) as bad:
        await run_command(services, actor("UCT"), "export items xml", messenger=messenger)
    assert bad.value.code == "export.format"
    with pytest.raises(InvalidInput) as extra:
        await run_command(services, actor("UCT"), "export items json now", messenger=messenger)
    assert extra.value.code == "command.export"
