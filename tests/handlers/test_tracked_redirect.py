"""Following tracked links: campaign tags, bots not counted, nothing but our own pages."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import func, select

from content_store.models import Click, Link
from domain.networks import Network
from handlers import programme, sharing
from handlers.context import Services
from handlers.sharing import ShareRequest
from handlers.tracked_redirect import follow_link
from tests.conftest import FakeClock
from tests.factories import actor, add_item

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari"
BOTS = [
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Twitterbot/1.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "TelegramBot (like TwitterBot)",
    "WhatsApp/2.23.20.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "",
    None,
]


async def _code(
    services: Services, clock: FakeClock, network: Network = Network.X
) -> tuple[str, int]:
    await programme.answer_invitation(services, actor(), "in")
    item_id = await add_item(services.db, slug="launch?ref=1", now=clock.now())
    await sharing.share(services, actor(), ShareRequest(item_id, network, "Mine"))
    async with services.db.session() as session:
        return (await session.execute(select(Link.code))).scalar_one(), item_id


async def _clicks(services: Services) -> int:
    async with services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Click)) or 0)


async def test_redirect_carries_campaign_tags_and_no_personal_data(
    services: Services, clock: FakeClock
) -> None:
    code, item_id = await _code(services, clock, Network.LINKEDIN)
    target = await follow_link(services, code=code, user_agent=BROWSER, referrer=None)
    assert target is not None
    parts = urlsplit(target)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "news.example.com", "/launch")
    assert parse_qs(parts.query) == {
        "ref": ["1"],
        "utm_source": ["linkedin"],
        "utm_medium": ["employee_advocacy"],
        "utm_campaign": [str(item_id)],
    }
    assert "U1" not in unquote(target)


async def test_people_are_counted_and_bots_are_not(services: Services, clock: FakeClock) -> None:
    code, _ = await _code(services, clock)
    for agent in BOTS:
        assert await follow_link(services, code=code, user_agent=agent, referrer=None)
    assert await _clicks(services) == 0
    await follow_link(
        services, code=code, user_agent=BROWSER, referrer="https://www.linkedin.com/feed/?u=secret"
    )
    async with services.db.session() as session:
        click = (await session.execute(select(Click))).scalar_one()
    assert click.referrer_host == "www.linkedin.com"


async def test_unknown_and_malformed_codes_lead_nowhere(
    services: Services, clock: FakeClock
) -> None:
    await _code(services, clock)
    for code in ["AAAAAAAAAAAA", "short", "../../etc", "https:%2F%2Fevil.example", "a" * 40, ""]:
        assert await follow_link(services, code=code, user_agent=BROWSER, referrer=None) is None
    assert await _clicks(services) == 0
