"""A person's export holds their data; erasure leaves none of it in any table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from content_store.database import Database
from content_store.models import AuditEntry, Base, Person, Share, Workspace
from content_store.people import get_or_create_person
from domain.networks import Network
from handlers import my_data, programme, sharing, weekly_picks
from handlers.context import Services
from handlers.sharing import ShareRequest
from handlers.tracked_redirect import follow_link
from tests.conftest import FakeClock
from tests.factories import actor, add_item

MARKER_USER = "U-MARKER-7731"
MARKER_NAME = "Zelda Markerova"
MARKER_CAPTION = "Marker caption only Zelda wrote"


async def _active_person(services: Services, clock: FakeClock) -> int:
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    item_id = await add_item(services.db, slug="b", topics=("product",), now=clock.now())
    me = actor(MARKER_USER)
    await programme.answer_invitation(services, me, "in")
    await programme.set_topics(services, me, ["#product"])
    await weekly_picks.show_picks(services, me)
    reply = await sharing.share(services, me, ShareRequest(item_id, Network.X, MARKER_CAPTION))
    link = next(b.url for b in reply.blocks[0].actions if b.url)  # type: ignore[union-attr]
    code = link.split("%2Fr%2F")[1]
    await follow_link(services, code=code, user_agent="Mozilla/5.0", referrer=None)
    await sharing.give_feedback(services, me, content_id=item_id, kind="more_like_this")
    async with services.db.session() as session:
        person = (
            await session.execute(select(Person).filter_by(external_id=MARKER_USER))
        ).scalar_one()
        person.display_name, person.email = MARKER_NAME, "zelda@example.com"
        report = await get_or_create_person(
            session, workspace_id=person.workspace_id, external_id="U-REPORT"
        )
        report.manager_id = person.id
        session.add(AuditEntry(workspace_id=person.workspace_id, actor_id=person.id, action="x"))
        return person.id


async def _all_rows(db: Database) -> dict[str, list[dict[str, Any]]]:
    async with db.engine.connect() as connection:
        return {
            table.name: [dict(row._mapping) for row in await connection.execute(table.select())]
            for table in Base.metadata.sorted_tables
        }


async def test_export_holds_the_persons_own_data(services: Services, clock: FakeClock) -> None:
    await _active_person(services, clock)
    data = await my_data.export_my_data(services, actor(MARKER_USER))
    assert data["person"]["external_id"] == MARKER_USER
    assert [s["final_caption"] for s in data["shares"]] == [MARKER_CAPTION]
    assert len(data["clicks"]) == 1
    assert {e["type"] for e in data["events"]} >= {"opted_in", "share_intent", "picks_shown"}
    assert data["topics"] == [{"topic": "product", "chosen": True, "inferred_weight": 0.0}]


async def test_erasure_leaves_no_personal_data_in_any_table(
    services: Services, clock: FakeClock
) -> None:
    person_id = await _active_person(services, clock)
    await my_data.forget_me(services, actor(MARKER_USER))
    rows = await _all_rows(services.db)
    for table, table_rows in rows.items():
        for row in table_rows:
            text = repr(row)
            for marker in (MARKER_USER, MARKER_NAME, MARKER_CAPTION, "zelda@example.com"):
                assert marker not in text, f"{marker} left in {table}"
            for column, value in row.items():
                is_person_ref = column in {
                    "person_id",
                    "actor_id",
                    "manager_id",
                    "created_by_id",
                    "suggested_by_id",
                }
                assert not (is_person_ref and value == person_id), (
                    f"{table}.{column} still points at the person"
                )
    assert len(rows["shares"]) == 1, "the share stays as an anonymous count"
    assert len(rows["clicks"]) == 1
    assert len(rows["workspaces"]) == 1


async def test_erasure_of_one_person_keeps_everyone_else(
    services: Services, clock: FakeClock
) -> None:
    await _active_person(services, clock)
    item_id = await add_item(services.db, slug="c", now=clock.now())
    await programme.answer_invitation(services, actor("U-OTHER"), "in")
    await sharing.share(services, actor("U-OTHER"), ShareRequest(item_id, Network.X, "Other"))
    await my_data.forget_me(services, actor(MARKER_USER))
    async with services.db.session() as session:
        people = set((await session.execute(select(Person.external_id))).scalars())
        captions = set((await session.execute(select(Share.final_caption))).scalars())
        assert (await session.execute(select(Workspace))).scalar_one()
    assert people == {"U-REPORT", "U-OTHER"}
    assert "Other" in captions
