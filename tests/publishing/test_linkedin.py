"""The LinkedIn client against the fake: sign-in round trip, posting, and its failures."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from publishing import linkedin
from publishing.errors import AuthExpired, NetworkBusy
from publishing.linkedin import Article, LinkedInConfig
from tests.publishing.fakes import FakeLinkedIn

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
REDIRECT = "https://boost.example.org/oauth/linkedin/callback"
VERIFIER = "v" * 64


def _config(fake: FakeLinkedIn) -> LinkedInConfig:
    return LinkedInConfig(
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        auth_url=fake.base_url,
        api_url=fake.base_url,
        retry_wait_seconds=0.01,
    )


async def _code(fake: FakeLinkedIn, *, verifier: str = VERIFIER) -> str:
    url = linkedin.authorize_url(
        _config(fake), state="s" * 30, redirect_uri=REDIRECT, verifier=verifier
    )
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, allow_redirects=False) as answer,
    ):
        assert answer.status == 302, await answer.text()
        back = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert back["state"] == ["s" * 30]
    return back["code"][0]


async def _grant(fake: FakeLinkedIn) -> linkedin.Grant:
    code = await _code(fake)
    return await linkedin.exchange_code(
        _config(fake), code=code, redirect_uri=REDIRECT, verifier=VERIFIER, now=NOW
    )


async def test_sign_in_gives_the_member_and_a_60_day_token(fake_linkedin: FakeLinkedIn) -> None:
    grant = await _grant(fake_linkedin)
    assert (grant.member_id, grant.name) == (fake_linkedin.member_sub, "Ann Example")
    assert grant.expires_at is not None and (grant.expires_at - NOW).days == 60
    assert grant.access_token not in repr(grant)


async def test_a_code_works_once_and_only_with_its_verifier(fake_linkedin: FakeLinkedIn) -> None:
    config = _config(fake_linkedin)
    code = await _code(fake_linkedin)
    with pytest.raises(AuthExpired):
        await linkedin.exchange_code(
            config, code=code, redirect_uri=REDIRECT, verifier="w" * 64, now=NOW
        )
    code = await _code(fake_linkedin)
    await linkedin.exchange_code(
        config, code=code, redirect_uri=REDIRECT, verifier=VERIFIER, now=NOW
    )
    with pytest.raises(AuthExpired):
        await linkedin.exchange_code(
            config, code=code, redirect_uri=REDIRECT, verifier=VERIFIER, now=NOW
        )


async def test_a_post_carries_the_text_and_the_article(fake_linkedin: FakeLinkedIn) -> None:
    grant = await _grant(fake_linkedin)
    text = "Proud of this (really) #Launch — 100% my_words"
    urn = await linkedin.create_post(
        _config(fake_linkedin),
        access_token=grant.access_token,
        member_id=grant.member_id,
        text=text,
        article=Article("https://boost.example.org/r/abc", "The launch"),
    )
    [post] = fake_linkedin.posts
    assert post["id"] == urn and urn.startswith("urn:li:share:")
    assert post["text"] == text
    assert post["author"] == f"urn:li:person:{fake_linkedin.member_sub}"
    assert post["content"]["article"] == {
        "source": "https://boost.example.org/r/abc",
        "title": "The launch",
    }
    assert linkedin.post_url(urn) == f"https://www.linkedin.com/feed/update/{urn}/"


async def test_the_fake_refuses_what_linkedin_refuses(fake_linkedin: FakeLinkedIn) -> None:
    grant = await _grant(fake_linkedin)
    good = {
        "author": f"urn:li:person:{grant.member_id}",
        "commentary": "Hello",
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED"},
        "content": {"article": {"source": "https://x.example/", "title": "T"}},
        "lifecycleState": "PUBLISHED",
    }
    headers = {
        "Authorization": f"Bearer {grant.access_token}",
        "LinkedIn-Version": "202610",
        "X-Restli-Protocol-Version": "2.0.0",
    }
    cases = [
        ({k: v for k, v in headers.items() if k != "LinkedIn-Version"}, good, 400),
        ({k: v for k, v in headers.items() if k != "X-Restli-Protocol-Version"}, good, 400),
        ({**headers, "Authorization": "Bearer nope"}, good, 401),
        (headers, {**good, "author": "urn:li:person:someoneelse"}, 403),
        (headers, {**good, "commentary": "x" * 3001}, 422),
        (headers, {**good, "commentary": "cut (here"}, 422),
        (headers, good, 201),
    ]
    async with aiohttp.ClientSession() as session:
        for sent_headers, body, status in cases:
            url = f"{fake_linkedin.base_url}/rest/posts"
            async with session.post(url, headers=sent_headers, json=body) as answer:
                assert answer.status == status, (sent_headers.keys(), body)


async def test_an_expired_token_is_auth_expired(fake_linkedin: FakeLinkedIn) -> None:
    grant = await _grant(fake_linkedin)
    fake_linkedin.revoke_all()
    with pytest.raises(AuthExpired):
        await linkedin.create_post(
            _config(fake_linkedin),
            access_token=grant.access_token,
            member_id=grant.member_id,
            text="Hi",
            article=Article("https://x.example/", "T"),
        )


async def test_429_and_5xx_are_retried_then_busy(fake_linkedin: FakeLinkedIn) -> None:
    grant = await _grant(fake_linkedin)
    post = {
        "access_token": grant.access_token,
        "member_id": grant.member_id,
        "text": "Hi",
        "article": Article("https://x.example/", "T"),
    }
    fake_linkedin.fail_posts = [429, 503]
    await linkedin.create_post(_config(fake_linkedin), **post)  # type: ignore[arg-type]
    assert (fake_linkedin.post_attempts, len(fake_linkedin.posts)) == (3, 1)
    fake_linkedin.fail_posts = [502, 503, 504]
    with pytest.raises(NetworkBusy) as busy:
        await linkedin.create_post(_config(fake_linkedin), **post)  # type: ignore[arg-type]
    assert not busy.value.ambiguous and len(fake_linkedin.posts) == 1
    # A 500 may follow a made post: never sent again, and said to be unsure.
    fake_linkedin.fail_posts, attempts = [500], fake_linkedin.post_attempts
    with pytest.raises(NetworkBusy) as unsure:
        await linkedin.create_post(_config(fake_linkedin), **post)  # type: ignore[arg-type]
    assert unsure.value.ambiguous and fake_linkedin.post_attempts == attempts + 1
