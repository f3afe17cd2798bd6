"""Files offered as links: kept under a hash of a random token, for a while and a few uses."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import Download

# Long enough to open the link after a coffee, short enough that a forwarded one goes stale.
KEPT = timedelta(hours=1)
# Link scanners (Safe Links, previews) may open a link before the person does.
USES = 5


@dataclass(frozen=True)
class StoredFile:
    """A file as stored for download."""

    filename: str
    content: bytes


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


async def keep(
    session: AsyncSession, *, person_id: int, filename: str, content: bytes, now: datetime
) -> str:
    """Store a file for one person; the random token of its link."""
    token = secrets.token_urlsafe(32)
    session.add(
        Download(
            token_hash=_hash(token),
            person_id=person_id,
            filename=filename[:200],
            content=content,
            created_at=now,
            expires_at=now + KEPT,
            uses_left=USES,
        )
    )
    await session.flush()
    return token


async def take(session: AsyncSession, *, token: str, now: datetime) -> StoredFile | None:
    """The file behind a token, counting one use; None when unknown, expired or used up."""
    if not 20 <= len(token) <= 100:
        return None
    statement = (
        update(Download)
        .where(
            Download.token_hash == _hash(token),
            Download.expires_at > now,
            Download.uses_left > 0,
        )
        .values(uses_left=Download.uses_left - 1)
        .returning(Download.filename, Download.content)
    )
    row = (await session.execute(statement)).first()
    return StoredFile(filename=row[0], content=row[1]) if row else None


async def sweep(session: AsyncSession, *, now: datetime) -> int:
    """Delete files whose links have expired; how many."""
    result = await session.execute(delete(Download).where(Download.expires_at <= now))
    return int(getattr(result, "rowcount", 0))
