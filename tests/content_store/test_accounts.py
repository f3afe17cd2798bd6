"""Connected accounts' repository: sealed tokens, single-use connect links, one post per share."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from content_store import accounts as store
from content_store.accounts import AccountTokens
from content_store.database import Database
from content_store.models import ConnectedAccount
from content_store.people import get_or_create_person, get_or_create_workspace
from content_store.token_box import TokenBox
from domain.networks import Network
from tests.conftest import FakeClock

BOX = TokenBox.from_settings(listed="", secret_key=b"test secret")
ACCESS = "linkedin-access-token-that-must-never-show"


async def _person(db: Database) -> int:
    async with db.session() as session:
        workspace = await get_or_create_workspace(session, platform="slack", external_id="T1")
        return (await get_or_create_person(session, workspace_id=workspace.id, external_id="U1")).id


def _tokens(person_id: int, network: Network = Network.LINKEDIN) -> AccountTokens:
    return AccountTokens(
        person_id=person_id,
        network=network,
        external_id="member-sub-1",
        display_name="Ann Example",
        access_token=ACCESS,
        refresh_token=None,
        expires_at=None,
    )


async def test_tokens_are_stored_sealed_and_read_back(db: Database, clock: FakeClock) -> None:
    person = await _person(db)
    async with db.session() as session:
        await store.save_account(session, box=BOX, tokens=_tokens(person), now=clock.now())
    async with db.session() as session:
        raw = (await session.execute(text("SELECT access_token FROM connected_accounts"))).scalar()
        loaded = await store.load_account(
            session, box=BOX, person_id=person, network=Network.LINKEDIN
        )
    assert raw is not None and ACCESS.encode() not in bytes(raw)
    assert loaded is not None and loaded.access_token == ACCESS
    assert ACCESS not in repr(loaded)


async def test_a_connect_link_is_single_use_and_expires(db: Database, clock: FakeClock) -> None:
    person = await _person(db)
    async with db.session() as session:
        state = await store.new_connect_state(
            session, person_id=person, network=Network.LINKEDIN, now=clock.now()
        )
        stale = await store.new_connect_state(
            session, person_id=person, network=Network.LINKEDIN, now=clock.now()
        )
    async with db.session() as session:
        assert (
            await store.take_connect_state(
                session, state=state, network=Network.BLUESKY, now=clock.now()
            )
            is None
        )  # made for another network
        assert (
            await store.peek_connect_state(
                session, state=state, network=Network.LINKEDIN, now=clock.now()
            )
            == person
        )
        assert (
            await store.take_connect_state(
                session, state=state, network=Network.LINKEDIN, now=clock.now()
            )
            == person
        )
        assert (
            await store.take_connect_state(
                session, state=state, network=Network.LINKEDIN, now=clock.now()
            )
            is None
        )  # used
        later = clock.now() + store.CONNECT_LINK_KEPT + timedelta(seconds=1)
        assert (
            await store.take_connect_state(
                session, state=stale, network=Network.LINKEDIN, now=later
            )
            is None
        )  # expired
        assert await store.sweep_connect_states(session, now=later) == 1


async def test_forgetting_removes_one_network_or_all(db: Database, clock: FakeClock) -> None:
    person = await _person(db)
    async with db.session() as session:
        for network in (Network.LINKEDIN, Network.BLUESKY):
            await store.save_account(
                session, box=BOX, tokens=_tokens(person, network), now=clock.now()
            )
        assert await store.forget_accounts(session, person_id=person, network=Network.BLUESKY) == 1
        assert [a.network for a in await store.connected(session, person_id=person)] == [
            Network.LINKEDIN
        ]
        assert await store.forget_accounts(session, person_id=person) == 1
        assert (await session.execute(select(ConnectedAccount))).first() is None


async def test_rotation_reencrypts_every_token(db: Database, clock: FakeClock) -> None:
    person = await _person(db)
    async with db.session() as session:
        await store.save_account(session, box=BOX, tokens=_tokens(person), now=clock.now())
    newer = TokenBox.from_settings(listed="a new key", secret_key=b"test secret")
    async with db.session() as session:
        assert await store.rotate_tokens(session, box=newer) == 1
    only_new = TokenBox.from_settings(listed="a new key", secret_key=b"")
    async with db.session() as session:
        loaded = await store.load_account(
            session, box=only_new, person_id=person, network=Network.LINKEDIN
        )
    assert loaded is not None and loaded.access_token == ACCESS
