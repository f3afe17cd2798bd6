"""NUL characters and lone surrogates in anything a person types: refused as their mistake,
never a database failure, nothing saved (issue 16.4). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from content_store.models import ContentItem, Event, Share, Workspace
from content_store.people_import import parse_people_csv
from domain.errors import InvalidInput
from domain.networks import Network
from domain.programme import Role
from handlers import programme, sharing
from handlers.commands import run_command
from handlers.context import Services
from handlers.sharing import ShareRequest
from tests.conftest import FakeClock
from tests.factories import actor, add_item, grant
from tests.fakes import FakeMessenger

pytestmark = pytest.mark.security

BAD = {"NUL": "Proud of this\x00 launch", "lone surrogate": "Proud of this \ud83d launch"}


async def _refused(call: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        await call  # type: ignore[misc]
    assert refused.value.code == "text.unstorable", refused.value.message
    return refused.value


@pytest.mark.parametrize("kind", list(BAD))
async def test_a_caption_is_refused_and_no_share_saved(
    services: Services, clock: FakeClock, kind: str
) -> None:
    item = await add_item(services.db, slug="a", now=clock.now())
    await programme.answer_invitation(services, actor(), "in")
    request = ShareRequest(item, Network.BLUESKY, BAD[kind])
    await _refused(sharing.share(services, actor(), request))
    async with services.db.session() as session:
        assert (await session.execute(select(Share))).first() is None


@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize(
    "command",
    [
        "guidelines {text}",
        "disclosure {text}",
        'edit {item} title "{text}"',
        'edit {item} caption "{text}"',
    ],
)
async def test_admin_texts_are_refused_and_nothing_changes(
    services: Services, clock: FakeClock, kind: str, command: str
) -> None:
    item = await add_item(services.db, slug="a", now=clock.now())
    await grant(services.db, "U-ADMIN", Role.ADMIN, Role.CONTENT)
    text = command.format(item=item, text=BAD[kind])
    await _refused(run_command(services, actor("U-ADMIN"), text, messenger=FakeMessenger()))
    async with services.db.session() as session:
        workspace = (await session.execute(select(Workspace))).scalar_one()
        title = await session.scalar(select(ContentItem.title))
    assert (workspace.guidelines, workspace.disclosure_line, title) == ("", "", "Story a")


@pytest.mark.parametrize("kind", list(BAD))
async def test_text_inside_a_json_column_is_refused_too(services: Services, kind: str) -> None:
    await grant(services.db, "U1")
    with pytest.raises(InvalidInput, match="can't be used"):
        async with services.db.session() as session:
            session.add(Event(person_id=None, type="note", payload={"text": BAD[kind]}))


@pytest.mark.parametrize("kind", list(BAD))
def test_an_imported_name_is_refused_naming_the_line(kind: str) -> None:
    text = f"email,name,manager_email,team,roles\nann@example.com,{BAD[kind]},,Sales,\n"
    with pytest.raises(InvalidInput, match="Line 2"):
        parse_people_csv(text)
