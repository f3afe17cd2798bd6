"""Repository for connected accounts (tokens sealed by a TokenBox) and their connect links."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import ConnectedAccount, ConnectState, Share
from content_store.token_box import TokenBox
from content_store.upsert import table_of
from domain.networks import Network

# Long enough to sign in to LinkedIn (or make an app password), short enough to go stale.
CONNECT_LINK_KEPT = timedelta(minutes=15)
# A press that started posting this long ago and never finished has died: another may retry.
POSTING_LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class AccountTokens:
    """A connected account with its tokens opened, for one call to the network."""

    person_id: int
    network: Network
    external_id: str
    display_name: str
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None

    def __repr__(self) -> str:
        # Tokens never reach a log line, a traceback's locals or an assertion message.
        return (
            f"AccountTokens(person_id={self.person_id}, network={self.network.value}, "
            "tokens=<hidden>)"
        )


@dataclass(frozen=True)
class AccountSummary:
    """What the accounts page shows: the network, whose account, until when."""

    network: Network
    display_name: str
    expires_at: datetime | None


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode("ascii", "replace")).hexdigest()


async def new_connect_state(
    session: AsyncSession, *, person_id: int, network: Network, now: datetime
) -> str:
    """A fresh single-use connect token for one person and network."""
    state = secrets.token_urlsafe(32)
    session.add(
        ConnectState(
            state_hash=_hash(state),
            person_id=person_id,
            network=network,
            created_at=now,
            expires_at=now + CONNECT_LINK_KEPT,
        )
    )
    await session.flush()
    return state


async def peek_connect_state(
    session: AsyncSession, *, state: str, network: Network, now: datetime
) -> int | None:
    """The person a live connect token was made for, without using it up."""
    if not 20 <= len(state) <= 100:
        return None
    query = select(ConnectState.person_id).where(
        ConnectState.state_hash == _hash(state),
        ConnectState.network == network,
        ConnectState.expires_at > now,
    )
    return (await session.execute(query)).scalar_one_or_none()


async def take_connect_state(
    session: AsyncSession, *, state: str, network: Network, now: datetime
) -> int | None:
    """Use a connect token up: the person it was made for, or None (unknown, stale, used)."""
    if not 20 <= len(state) <= 100:
        return None
    statement = (
        delete(ConnectState)
        .where(
            ConnectState.state_hash == _hash(state),
            ConnectState.network == network,
            ConnectState.expires_at > now,
        )
        .returning(ConnectState.person_id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def save_account(
    session: AsyncSession,
    *,
    box: TokenBox,
    tokens: AccountTokens,
    now: datetime,
) -> None:
    """Store (or replace) the person's account on a network, its tokens sealed."""
    row = await session.get(ConnectedAccount, (tokens.person_id, tokens.network))
    if row is None:
        row = ConnectedAccount(person_id=tokens.person_id, network=tokens.network)
        session.add(row)
    row.external_id = tokens.external_id[:200]
    row.display_name = tokens.display_name[:200]
    row.access_token = box.seal(tokens.access_token)
    row.refresh_token = box.seal(tokens.refresh_token) if tokens.refresh_token else None
    row.expires_at = tokens.expires_at
    row.created_at = now
    await session.flush()


async def load_account(
    session: AsyncSession, *, box: TokenBox, person_id: int, network: Network
) -> AccountTokens | None:
    """The person's account on a network with its tokens opened, if connected."""
    row = await session.get(ConnectedAccount, (person_id, network))
    if row is None:
        return None
    return AccountTokens(
        person_id=row.person_id,
        network=row.network,
        external_id=row.external_id,
        display_name=row.display_name,
        access_token=box.open(row.access_token),
        refresh_token=box.open(row.refresh_token) if row.refresh_token else None,
        expires_at=row.expires_at,
    )


async def connected(session: AsyncSession, *, person_id: int) -> list[AccountSummary]:
    """The person's connected accounts, in the networks' order."""
    query = select(
        ConnectedAccount.network, ConnectedAccount.display_name, ConnectedAccount.expires_at
    ).where(ConnectedAccount.person_id == person_id)
    found = {
        Network(n): AccountSummary(Network(n), name, until)
        for n, name, until in (await session.execute(query)).all()
    }
    return [found[network] for network in Network if network in found]


async def forget_accounts(
    session: AsyncSession, *, person_id: int, network: Network | None = None
) -> int:
    """Delete the person's accounts (one network, or all) and their connect links; how many."""
    accounts = delete(ConnectedAccount).where(ConnectedAccount.person_id == person_id)
    states = delete(ConnectState).where(ConnectState.person_id == person_id)
    if network is not None:
        accounts = accounts.where(ConnectedAccount.network == network)
        states = states.where(ConnectState.network == network)
    result = await session.execute(accounts)
    await session.execute(states)
    return int(getattr(result, "rowcount", 0))


async def rotate_tokens(session: AsyncSession, *, box: TokenBox) -> int:
    """Re-encrypt every stored token with the box's first key; how many accounts."""
    rows = (await session.execute(select(ConnectedAccount))).scalars().all()
    for row in rows:
        row.access_token = box.rotate(row.access_token)
        if row.refresh_token:
            row.refresh_token = box.rotate(row.refresh_token)
    await session.flush()
    return len(rows)


async def sweep_connect_states(session: AsyncSession, *, now: datetime) -> int:
    """Delete connect links that went stale unused; how many."""
    result = await session.execute(delete(ConnectState).where(ConnectState.expires_at <= now))
    return int(getattr(result, "rowcount", 0))


async def claim_for_posting(session: AsyncSession, *, share_id: int, now: datetime) -> bool:
    """Mark a share as being posted; False when it is posted or another press is posting."""
    table = table_of(Share)
    statement = (
        update(table)
        .where(table.c.id == share_id, table.c.posted_ref.is_(None))
        .where((table.c.posting_since.is_(None)) | (table.c.posting_since < now - POSTING_LEASE))
        .values(posting_since=now)
    )
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0)) == 1


async def release_claim(session: AsyncSession, *, share_id: int) -> None:
    """The post failed: the next press may try again."""
    table = table_of(Share)
    await session.execute(update(table).where(table.c.id == share_id).values(posting_since=None))


async def mark_posted(session: AsyncSession, *, share_id: int, ref: str, now: datetime) -> None:
    """The network took the post: keep its id, and count the share as confirmed."""
    table = table_of(Share)
    statement = (
        update(table).where(table.c.id == share_id).values(posted_ref=ref[:300], posting_since=None)
    )
    await session.execute(statement)
