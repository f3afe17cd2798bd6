"""Files offered as links: one per file, for its recipient, a few uses within the hour."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.server import create_app
from content_store.downloads import USES
from content_store.models import Download
from handlers import downloads, programme
from handlers.context import Services
from handlers.types import Actions, Attachment, Reply, Text
from tests.conftest import FakeClock
from tests.factories import actor

CSV = Attachment("socialboost-items.csv", b"id,title\n1,Launch\n", "Items")
PNG = Attachment("chart.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "Chart")


def _links(reply: Reply) -> list[str]:
    return [
        button.url or ""
        for block in reply.blocks
        if isinstance(block, Actions)
        for button in block.buttons
    ]


async def test_each_file_a_platform_cannot_carry_becomes_a_link_and_the_rest_stays(
    services: Services,
) -> None:
    await programme.welcome(services, actor())
    reply = Reply(blocks=(Text("Here is your export"),), files=(CSV, PNG))
    linked = await downloads.as_links(
        services, actor(), reply, keep_inline=lambda file: file.filename.endswith(".png")
    )
    assert linked.files == (PNG,)
    (link,) = _links(linked)
    assert link.startswith("https://boost.example.org/files/")
    unchanged = await downloads.as_links(services, actor(), Reply.text("x"), keep_inline=bool)
    assert unchanged == Reply.text("x")


async def test_a_link_works_a_few_times_within_the_hour_then_never(
    services: Services, clock: FakeClock
) -> None:
    reply = await downloads.as_links(
        services, actor(), Reply(files=(CSV,)), keep_inline=lambda _: False
    )
    token = _links(reply)[0].rsplit("/", 1)[1]
    found = [await downloads.fetch(services, token) for _ in range(USES + 1)]
    assert [f.content if f else None for f in found] == [CSV.content] * USES + [None]
    again = await downloads.as_links(
        services, actor(), Reply(files=(CSV,)), keep_inline=lambda _: False
    )
    clock.advance(minutes=61)
    assert await downloads.fetch(services, _links(again)[0].rsplit("/", 1)[1]) is None
    assert await downloads.fetch(services, "not-a-token") is None
    assert await downloads.fetch(services, "x" * 43) is None


async def test_the_server_serves_a_file_as_an_attachment_that_cannot_run_as_a_page(
    services: Services, clock: FakeClock
) -> None:
    hostile = Attachment('report"; evil=<script>.html', b"<script>alert(1)</script>", "x")
    reply = await downloads.as_links(
        services, actor(), Reply(files=(hostile,)), keep_inline=lambda _: False
    )
    path = "/files/" + _links(reply)[0].rsplit("/", 1)[1]
    async with TestClient(TestServer(create_app(services))) as client:
        response = await client.get(path)
        assert response.status == 200
        assert response.headers["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
        assert '"' not in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
        clock.advance(hours=2)
        assert (await client.get(path)).status == 404
        assert (await client.get("/files/unknown")).status == 404


async def test_erasing_a_person_removes_their_files(services: Services) -> None:
    from handlers import my_data

    await downloads.as_links(services, actor(), Reply(files=(CSV,)), keep_inline=lambda _: False)
    await my_data.forget_me(services, actor())
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Download)) == 0
