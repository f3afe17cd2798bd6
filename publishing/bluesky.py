"""Bluesky (AT Protocol): a session from a handle and an app password, posts with a link card."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from publishing.errors import AuthExpired, PostRefused
from publishing.http import Response, call

# Bluesky's post limit, in graphemes (a character as a reader sees it).
MAX_GRAPHEMES = 300
_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]']")
_TAG = re.compile(r"(?<![\w#])#([^\W\d_]\w*)")


@dataclass(frozen=True)
class BlueskyConfig:
    """Where Bluesky's service is (a PDS or bsky.social's entryway; a fake in tests)."""

    service_url: str = "https://bsky.social"
    retry_wait_seconds: float = 1.0


@dataclass(frozen=True)
class Session:
    """An AT Protocol session: the account's DID and handle, and its two tokens."""

    did: str
    handle: str
    access_jwt: str = field(repr=False)
    refresh_jwt: str = field(repr=False)


@dataclass(frozen=True)
class LinkCard:
    """The post's external embed: the tracked link, the item's title and description."""

    url: str
    title: str
    description: str = ""


def _xrpc(config: BlueskyConfig, method: str) -> str:
    return f"{config.service_url}/xrpc/{method}"


def _session(body: dict[str, object]) -> Session:
    values = [body.get(key) for key in ("did", "handle", "accessJwt", "refreshJwt")]
    if not all(isinstance(value, str) and value for value in values):
        raise AuthExpired("Bluesky answered without a session")
    did, handle, access, refresh = (str(value) for value in values)
    return Session(did=did, handle=handle, access_jwt=access, refresh_jwt=refresh)


def _expired(answer: Response) -> bool:
    return answer.status == 401 or answer.body.get("error") in ("ExpiredToken", "InvalidToken")


async def create_session(config: BlueskyConfig, *, handle: str, app_password: str) -> Session:
    """Sign in with a handle and an app password; the password itself is never stored."""
    answer = await call(
        "POST",
        _xrpc(config, "com.atproto.server.createSession"),
        json={"identifier": handle, "password": app_password},
        wait_seconds=config.retry_wait_seconds,
    )
    if answer.status != 200:
        raise AuthExpired(f"createSession answered {answer.status}")
    return _session(answer.body)


async def refresh_session(config: BlueskyConfig, *, refresh_jwt: str) -> Session:
    """New tokens from the refresh token (sent as the bearer, as Bluesky expects)."""
    answer = await call(
        "POST",
        _xrpc(config, "com.atproto.server.refreshSession"),
        headers={"Authorization": f"Bearer {refresh_jwt}"},
        wait_seconds=config.retry_wait_seconds,
    )
    if answer.status != 200:
        raise AuthExpired(f"refreshSession answered {answer.status}")
    return _session(answer.body)


def post_text(caption: str, link: str) -> str:
    """What the post says: the caption, then the tracked link (counted in the caption limit)."""
    return f"{caption} {link}" if link not in caption else caption


def facets(text: str) -> list[dict[str, object]]:
    """Links and hashtags of `text` as facets, indexed in UTF-8 bytes as Bluesky requires."""
    found: list[dict[str, object]] = []
    for match in _URL.finditer(text):
        found.append(_facet(text, match.start(), match.end(), "link", uri=match.group(0)))
    for match in _TAG.finditer(text):
        found.append(_facet(text, match.start(), match.end(), "tag", tag=match.group(1)))
    return sorted(found, key=lambda facet: facet["index"]["byteStart"])  # type: ignore[index]


def _facet(text: str, start: int, end: int, kind: str, **value: str) -> dict[str, object]:
    byte_start = len(text[:start].encode("utf-8"))
    byte_end = byte_start + len(text[start:end].encode("utf-8"))
    return {
        "index": {"byteStart": byte_start, "byteEnd": byte_end},
        "features": [{"$type": f"app.bsky.richtext.facet#{kind}", **value}],
    }


def post_record(text: str, card: LinkCard, *, now: datetime) -> dict[str, object]:
    """An app.bsky.feed.post record with link facets and the link card."""
    stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": stamp,
        "facets": facets(text),
        "embed": {
            "$type": "app.bsky.embed.external",
            "external": {
                "uri": card.url,
                "title": card.title[:300],
                "description": card.description[:1000],
            },
        },
    }


async def create_post(
    config: BlueskyConfig, *, session: Session, text: str, card: LinkCard, now: datetime
) -> str:
    """Create the post in the account's repository; its at:// URI."""
    answer = await call(
        "POST",
        _xrpc(config, "com.atproto.repo.createRecord"),
        headers={"Authorization": f"Bearer {session.access_jwt}"},
        json={
            "repo": session.did,
            "collection": "app.bsky.feed.post",
            "record": post_record(text, card, now=now),
        },
        wait_seconds=config.retry_wait_seconds,
        creates=True,
    )
    if _expired(answer):
        raise AuthExpired("Bluesky refused the session")
    uri = answer.body.get("uri")
    if answer.status != 200 or not isinstance(uri, str):
        raise PostRefused(answer.status, str(answer.body.get("message", ""))[:300])
    return uri


def post_url(handle: str, uri: str) -> str:
    """The bsky.app address of a post from its at:// URI."""
    return f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"
