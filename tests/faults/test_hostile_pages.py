"""Hostile pages given to `suggest` (issue 16.1): the event loop keeps running while they are
read, the slow ones are cut off, and people outside the programme make the server fetch nothing.

Lag is judged against a budget measured in the same test, so a loaded machine moves both:
the worst lag while a benign page of the same size is read, and the time the hostile page
took. A page read on the loop blocks it for (nearly) all of that time.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from sqlalchemy import select

from bot.metrics import LoopLag
from bot.server import create_app
from content_store.models import ContentItem
from domain.errors import InvalidInput
from domain.programme import ContentStatus
from handlers import content_library, programme
from handlers.context import Services
from tests.factories import actor

pytestmark = pytest.mark.faults

MEGABYTE = 1_000_000
# The page: `bytes.decode("punycode")` of this took 72 s on the event loop.
PUNYCODE = b"-" + b"a" * MEGABYTE
# html.parser needs seconds for a few kilobytes of unclosed tags, and time growing much
# faster than the page for more: without a cap it would never finish this one.
UNCLOSED_TAGS = b"<html><head>" + b"<a " * 100_000
BENIGN = (
    b"<html><head><title>Quarterly results</title></head><body>"
    + b"<p>Numbers and more numbers.</p>" * (MEGABYTE // 32)
    + b"</body></html>"
)
PAGES = {
    "/benign": (BENIGN, "text/html; charset=utf-8"),
    "/punycode": (PUNYCODE, "text/html; charset=punycode"),
    "/meta-punycode": (b'<meta charset="punycode">' + PUNYCODE, "text/html"),
    "/utf-7": (b"+ADw-script+AD4-" * 50_000, "text/html; charset=utf-7"),
    "/unclosed-tags": (UNCLOSED_TAGS, "text/html; charset=utf-8"),
}


@dataclass
class PageServer:
    url: str
    hits: list[str]


@pytest.fixture
async def site() -> AsyncIterator[PageServer]:
    hits: list[str] = []

    async def page(request: web.Request) -> web.Response:
        hits.append(request.path)
        body, content_type = PAGES[request.path]
        return web.Response(body=body, headers={"Content-Type": content_type})

    app = web.Application()
    for path in PAGES:
        app.router.add_get(path, page)
    async with TestServer(app, host="127.0.0.1") as server:
        yield PageServer(str(server.make_url("")).rstrip("/"), hits)


@pytest.fixture
def roomy(services: Services) -> Services:
    """A fetch deadline well past the read cap, so the cap is what stops a slow page."""
    policy = replace(services.fetch_policy, timeout_seconds=30.0, read_seconds=1.0)
    return replace(services, fetch_policy=policy)


@dataclass(frozen=True)
class Measured:
    worst_lag: float
    elapsed: float
    error: InvalidInput | None


async def _suggest_measuring_lag(services: Services, url: str) -> Measured:
    lag = LoopLag(CollectorRegistry(), interval=0.01)
    await lag.start()
    started = time.perf_counter()
    error = None
    try:
        await content_library.suggest(services, actor(), url)
    except InvalidInput as refused:
        error = refused
    finally:
        elapsed = time.perf_counter() - started
        await lag.stop()
    return Measured(worst_lag=lag.worst, elapsed=elapsed, error=error)


@pytest.mark.parametrize("path", ["/punycode", "/meta-punycode", "/utf-7", "/unclosed-tags"])
async def test_hostile_pages_leave_the_event_loop_running(
    roomy: Services, site: PageServer, path: str
) -> None:
    await programme.answer_invitation(roomy, actor(), "in")
    benign = await _suggest_measuring_lag(roomy, f"{site.url}/benign")
    assert benign.error is None
    # The budget: several times the worst lag of reading a benign page of the same size,
    # or half the time the hostile page took (read on the loop, lag ≈ all of that time).
    # A page read on the loop lags every try; a busy machine pausing the process once does
    # not, so the best of three tries is judged.
    tries = []
    for _ in range(3):
        hostile = await _suggest_measuring_lag(roomy, f"{site.url}{path}")
        budget = max(4 * benign.worst_lag, hostile.elapsed / 2)
        tries.append((hostile, budget))
        if hostile.worst_lag <= budget:
            break
    assert any(hostile.worst_lag <= budget for hostile, budget in tries), (tries, benign)


async def test_a_page_too_slow_to_read_is_refused_clearly(
    roomy: Services, site: PageServer
) -> None:
    await programme.answer_invitation(roomy, actor(), "in")
    with pytest.raises(InvalidInput) as refused:
        await content_library.suggest(roomy, actor(), f"{site.url}/unclosed-tags")
    assert refused.value.code == "fetch.unreadable"


async def test_a_page_naming_a_codec_that_is_no_web_encoding_is_read_as_utf8(
    roomy: Services, site: PageServer
) -> None:
    await programme.answer_invitation(roomy, actor(), "in")
    await content_library.suggest(roomy, actor(), f"{site.url}/punycode")
    async with roomy.db.session() as session:
        item = (await session.execute(select(ContentItem))).scalar_one()
    assert item.status is ContentStatus.SUGGESTED


@pytest.mark.parametrize("answer", [None, "no", "later"])
async def test_people_outside_the_programme_make_the_server_fetch_nothing(
    services: Services, site: PageServer, answer: str | None
) -> None:
    if answer is not None:
        await programme.answer_invitation(services, actor(), answer)
    with pytest.raises(InvalidInput):
        await content_library.suggest(services, actor(), f"{site.url}/benign")
    assert site.hits == []


async def test_metrics_show_the_event_loop_lag(services: Services) -> None:
    async with TestClient(TestServer(create_app(services))) as client:
        text = await (await client.get("/metrics")).text()
    assert "socialboost_event_loop_lag_seconds_count" in text
    assert "socialboost_event_loop_lag_max_seconds" in text
