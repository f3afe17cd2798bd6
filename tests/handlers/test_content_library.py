"""The content team's library through the handlers: preview, add, list, retire, suggestions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from content_store.models import AuditEntry, ContentItem
from domain.errors import InvalidInput
from domain.programme import ContentStatus, Role
from handlers import content_library, programme
from handlers.content_library import AddRequest
from handlers.context import Services
from tests.conftest import FakeClock
from tests.factories import actor, grant

PAGE = """<!doctype html><html><head>
<title>Fallback title</title>
<meta property="og:title" content="Our &amp; your launch">
<meta property="og:description" content="Five features, one week.">
<meta property="og:image" content="/img/launch.png">
</head><body>hi</body></html>"""


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async def page(_: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/launch", page)
    app.router.add_get("/other", page)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


async def _count(services: Services) -> int:
    async with services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(ContentItem)) or 0)


async def test_content_team_previews_then_saves(services: Services, site: str) -> None:
    await grant(services.db, "U-CT", Role.CONTENT)
    new = await content_library.preview_content(
        services,
        actor("U-CT"),
        AddRequest(url=f"{site}/launch?utm_source=x#top", topics=("product",)),
    )
    assert new.title == "Our & your launch"
    assert new.image_url == f"{site}/img/launch.png"
    assert new.canonical_url == f"{site}/launch"
    assert await _count(services) == 0, "a preview saves nothing"
    reply = await content_library.add(services, actor("U-CT"), new)
    assert "Our & your launch" in reply.blocks[0].text  # type: ignore[union-attr]
    async with services.db.session() as session:
        audit = (await session.execute(select(AuditEntry.action))).scalar_one()
    assert audit == "content.add"


async def test_duplicate_url_is_refused_naming_the_existing_item(
    services: Services, site: str
) -> None:
    await grant(services.db, "U-CT", Role.CONTENT)
    new = await content_library.preview_content(
        services, actor("U-CT"), AddRequest(url=f"{site}/launch")
    )
    await content_library.add(services, actor("U-CT"), new)
    with pytest.raises(InvalidInput) as refused:
        await content_library.preview_content(
            services, actor("U-CT"), AddRequest(url=f"{site}/launch?utm_campaign=y")
        )
    assert refused.value.code == "content.duplicate"
    with pytest.raises(InvalidInput, match="already in the library"):
        await content_library.add(services, actor("U-CT"), new)
    assert await _count(services) == 1


async def test_employees_cannot_add_list_or_retire(services: Services, site: str) -> None:
    for call in (
        content_library.preview_content(services, actor("U-E"), AddRequest(url=f"{site}/launch")),
        content_library.list_items(services, actor("U-E")),
        content_library.retire(services, actor("U-E"), 1),
        content_library.approve(services, actor("U-E"), 1),
    ):
        with pytest.raises(InvalidInput) as refused:
            await call
        assert refused.value.code == "role.missing"


async def test_suggestion_waits_for_approval(
    services: Services, site: str, clock: FakeClock
) -> None:
    await programme.answer_invitation(services, actor("U-E"), "in")
    await grant(services.db, "U-CT", Role.CONTENT)
    await content_library.suggest(services, actor("U-E"), f"{site}/other")
    async with services.db.session() as session:
        item = (await session.execute(select(ContentItem))).scalar_one()
    assert item.status is ContentStatus.SUGGESTED
    listing = await content_library.list_items(
        services, actor("U-CT"), statuses=(ContentStatus.SUGGESTED,)
    )
    assert "[suggested]" in listing.blocks[1].text  # type: ignore[union-attr]
    await content_library.approve(services, actor("U-CT"), item.id)
    with pytest.raises(InvalidInput, match="already active"):
        await content_library.approve(services, actor("U-CT"), item.id)
    await content_library.retire(services, actor("U-CT"), item.id)
    async with services.db.session() as session:
        assert (await session.get(ContentItem, item.id)).status is ContentStatus.RETIRED  # type: ignore[union-attr]


async def test_private_addresses_are_refused_with_the_real_policy(
    services: Services, site: str
) -> None:
    await grant(services.db, "U-CT", Role.CONTENT)
    strict = Services(db=services.db, captions=services.captions, public_base_url="http://x")
    with pytest.raises(InvalidInput):
        await content_library.preview_content(
            strict, actor("U-CT"), AddRequest(url=f"{site}/launch")
        )
    with pytest.raises(InvalidInput):
        await content_library.preview_content(
            strict, actor("U-CT"), AddRequest(url="http://169.254.169.254/latest/meta-data/")
        )


async def test_list_paginates(services: Services, clock: FakeClock) -> None:
    from tests.factories import add_item

    await grant(services.db, "U-CT", Role.CONTENT)
    for n in range(25):
        await add_item(services.db, slug=f"i{n}", now=clock.now())
    first = await content_library.list_items(services, actor("U-CT"))
    second = await content_library.list_items(services, actor("U-CT"), page=2)
    assert len(first.blocks[1].text.splitlines()) == 20  # type: ignore[union-attr]
    assert "page 2" in first.blocks[2].text  # type: ignore[union-attr]
    assert len(second.blocks[1].text.splitlines()) == 5  # type: ignore[union-attr]
    with pytest.raises(InvalidInput):
        await content_library.list_items(services, actor("U-CT"), page=0)
