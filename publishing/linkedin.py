"""LinkedIn: Sign In with LinkedIn (OpenID Connect) and posting through the Posts API."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from publishing import little_text
from publishing.errors import AuthExpired, PostRefused
from publishing.http import call

SCOPES = "openid profile w_member_social"
# LinkedIn's documented limit for a post's commentary.
MAX_COMMENTARY = 3000
CALLBACK_PATH = "/oauth/linkedin/callback"


@dataclass(frozen=True)
class LinkedInConfig:
    """The LinkedIn app of this server and where LinkedIn is (a fake in tests)."""

    client_id: str
    client_secret: str = field(repr=False)
    auth_url: str = "https://www.linkedin.com"
    api_url: str = "https://api.linkedin.com"
    # The Posts API version (YYYYMM); LinkedIn supports each version for about a year.
    version: str = "202610"
    retry_wait_seconds: float = 1.0


@dataclass(frozen=True)
class Grant:
    """What the code exchange and userinfo gave: the member, a name, the token and its end."""

    member_id: str
    name: str
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime | None


@dataclass(frozen=True)
class Article:
    """The post's link card: the tracked link, the item's title and description."""

    url: str
    title: str
    description: str = ""


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(config: LinkedInConfig, *, state: str, redirect_uri: str, verifier: str) -> str:
    """Where the person's browser signs in to LinkedIn and allows posting."""
    query = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": SCOPES,
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
    }
    return f"{config.auth_url}/oauth/v2/authorization?{urlencode(query)}"


async def exchange_code(
    config: LinkedInConfig, *, code: str, redirect_uri: str, verifier: str, now: datetime
) -> Grant:
    """Trade the authorization code for a token, then ask userinfo who the member is."""
    answer = await call(
        "POST",
        f"{config.auth_url}/oauth/v2/accessToken",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "code_verifier": verifier,
        },
        wait_seconds=config.retry_wait_seconds,
    )
    token = answer.body.get("access_token")
    if answer.status != 200 or not isinstance(token, str):
        raise AuthExpired(f"token exchange answered {answer.status}")
    expires_in = answer.body.get("expires_in")
    refresh = answer.body.get("refresh_token")
    who = await call(
        "GET",
        f"{config.api_url}/v2/userinfo",
        headers={"Authorization": f"Bearer {token}"},
        wait_seconds=config.retry_wait_seconds,
    )
    sub = who.body.get("sub")
    if who.status != 200 or not isinstance(sub, str) or not sub:
        raise AuthExpired(f"userinfo answered {who.status}")
    return Grant(
        member_id=sub,
        name=str(who.body.get("name") or ""),
        access_token=token,
        refresh_token=refresh if isinstance(refresh, str) else None,
        expires_at=now + timedelta(seconds=int(expires_in)) if expires_in else None,
    )


async def create_post(
    config: LinkedInConfig, *, access_token: str, member_id: str, text: str, article: Article
) -> str:
    """Post `text` with the article as the member; the post's URN (from `x-restli-id`)."""
    body = {
        "author": f"urn:li:person:{member_id}",
        "commentary": little_text.escape(text),
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "content": {
            "article": {
                "source": article.url,
                "title": article.title[:400],
                **({"description": article.description[:4000]} if article.description else {}),
            }
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    answer = await call(
        "POST",
        f"{config.api_url}/rest/posts",
        headers={
            "Authorization": f"Bearer {access_token}",
            "LinkedIn-Version": config.version,
            "X-Restli-Protocol-Version": "2.0.0",
            "Content-Type": "application/json",
        },
        json=body,
        wait_seconds=config.retry_wait_seconds,
        creates=True,
    )
    if answer.status == 401:
        raise AuthExpired("LinkedIn refused the token")
    urn = {k.lower(): v for k, v in answer.headers.items()}.get("x-restli-id", "")
    if answer.status != 201 or not urn:
        raise PostRefused(answer.status, str(answer.body.get("message", ""))[:300])
    return urn


def post_url(urn: str) -> str:
    """The public address of a post from its URN."""
    return f"https://www.linkedin.com/feed/update/{urn}/"
