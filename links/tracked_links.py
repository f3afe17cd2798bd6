"""Tracked links: codes, the redirect target with UTM tags, and telling bots from people."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from domain.networks import Network

_CODE = re.compile(r"^[A-Za-z0-9_-]{8,32}$")

# Link-preview fetchers and crawlers; their requests are not people clicking.
_BOT_AGENTS = re.compile(
    r"linkedinbot|twitterbot|facebookexternalhit|facebookcatalog|meta-externalagent|slackbot"
    r"|slack-imgproxy|discordbot|telegrambot|whatsapp|skypeuripreview|bingpreview"
    r"|embedly|pinterest|redditbot|applebot|googlebot|bingbot|yandex|baiduspider|duckduckbot"
    r"|bluesky|cardyb|mastodon|iframely|outbrain|quora link preview|vkshare|w3c_validator"
    r"|bot\b|bot/|crawler|spider|preview|headless|python-requests|curl/|wget/|go-http-client"
    r"|okhttp|java/|libwww|httpclient|axios|node-fetch|scrapy",
    re.IGNORECASE,
)


def new_code() -> str:
    """A fresh unguessable link code (12 URL-safe characters, 72 bits)."""
    return secrets.token_urlsafe(9)


def is_valid_code(code: str) -> bool:
    """True when `code` has the shape of a link code (anything else is a 404 without a query)."""
    return bool(_CODE.match(code))


def is_bot(user_agent: str | None) -> bool:
    """True for link-preview fetchers, crawlers and clients that are not a person's browser."""
    if not user_agent or not user_agent.strip():
        return True
    return bool(_BOT_AGENTS.search(user_agent))


def redirect_target(canonical_url: str, *, network: Network, content_id: int) -> str:
    """The content URL with campaign tags; carries no personal data.

    Only http(s) URLs from our own library ever get here; anything else is refused so the
    redirect can never be bent into pointing somewhere unchecked.
    """
    parts = urlsplit(canonical_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("tracked links only lead to http(s) pages")
    tags = {
        "utm_source": network.value,
        "utm_medium": "employee_advocacy",
        "utm_campaign": str(content_id),
    }
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in tags]
    query.extend(tags.items())
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


def referrer_host(referrer: str | None) -> str | None:
    """Only the host of the referring page, never its path (which may identify a person)."""
    if not referrer:
        return None
    host = urlsplit(referrer).hostname
    return host[:255] if host else None
