"""`/r/` over real HTTP: unknown, malformed and open-redirect attempts never lead anywhere but a
stored item's page, and are never counted as clicks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote, urlsplit

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.server import create_app
from content_store.models import Click
from handlers.context import Services
from tests.bot.test_server import BROWSER, _shared_code
from tests.conftest import FakeClock
from tests.hypothesis_profiles import examples

pytestmark = pytest.mark.security

STORED_HOST = "news.example.com"  # where tests.factories.add_item puts its items


@pytest.fixture
async def server(services: Services) -> AsyncIterator[TestServer]:
    server = TestServer(create_app(services))
    await server.start_server()
    yield server
    await server.close()


async def _get(server: TestServer, raw_path: str) -> tuple[int, str | None]:
    """GET the path exactly as written (no client-side normalisation), never following."""
    url = f"http://{server.host}:{server.port}"
    async with (
        ClientSession() as session,
        session.get(
            url + raw_path,
            allow_redirects=False,
            headers={"User-Agent": BROWSER},
            skip_auto_headers=(),
        ) as response,
    ):
        return response.status, response.headers.get("Location")


async def _clicks(services: Services) -> int:
    async with services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Click)) or 0)


ATTEMPTS = [
    "/r/AAAAAAAAAAAA",
    "/r/short",
    "/r/" + "a" * 200,
    "/r/..%2F..%2Fetc%2Fpasswd",
    "/r/%2F%2Fevil.example",
    "/r/%5Cevil.example",
    "/r/%2e%2e",
    "/r/%00",
    "/r/ab%20cd",
    "/r/ÄÖÜäöü",
    "/r//evil.example",
    "/r/\\evil.example",
    "/r/https:%2F%2Fevil.example",
    "/r/javascript:alert(1)",
    "//evil.example",
    "/\\evil.example",
    "/r",
    "/r/",
]


async def test_malformed_and_unknown_codes_go_nowhere(
    server: TestServer, services: Services, clock: FakeClock
) -> None:
    code = await _shared_code(services, clock)
    for path in [*ATTEMPTS, f"/r/{code.upper()}x", f"/r/{code}/..", f"/r/{code}%2F"]:
        status, location = await _get(server, path)
        assert status in (404, 400, 405), (path, status)
        assert location is None, path
    assert await _clicks(services) == 0


@pytest.mark.parametrize(
    "suffix",
    [
        "?next=https://evil.example",
        "?url=//evil.example&redirect=https://evil.example",
        "?u=/\\evil.example",
        "#https://evil.example",
        "?%0d%0aLocation:%20https://evil.example",
    ],
)
async def test_query_and_fragment_cannot_change_where_a_stored_code_leads(
    server: TestServer, services: Services, clock: FakeClock, suffix: str
) -> None:
    code = await _shared_code(services, clock)
    status, plain = await _get(server, f"/r/{code}")
    assert status == 302 and plain is not None
    status, location = await _get(server, f"/r/{code}{suffix}")
    assert status == 302
    assert location == plain
    assert urlsplit(location).hostname == STORED_HOST
    assert "evil" not in location


_junk = st.text(
    st.sampled_from(list("abcdefghijkmnpqrstuvwxyz23456789ABCZ/\\.%:?#&=@ "))
    | st.characters(exclude_categories=["Cs"]),  # lone surrogates cannot be sent at all
    max_size=40,
)


@settings(
    max_examples=examples(0.2),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(junk=_junk)
async def test_no_generated_path_redirects_off_the_stored_targets(
    server: TestServer, junk: str
) -> None:
    status, location = await _get(server, "/r/" + quote(junk, safe="/\\%:?#&=@"))
    # Nothing is stored in this test, so nothing may redirect at all.
    assert location is None and status != 302
