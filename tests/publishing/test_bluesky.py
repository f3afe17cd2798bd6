"""The Bluesky client against the fake: app-password sessions, link cards, byte-offset facets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from publishing import bluesky
from publishing.bluesky import BlueskyConfig, LinkCard
from publishing.errors import AuthExpired
from tests.publishing.fakes import FakeBluesky
from tests.publishing.fixtures import APP_PASSWORD, DID, HANDLE

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
LINK = "https://boost.example.org/r/abcDEF123"


def _config(fake: FakeBluesky) -> BlueskyConfig:
    return BlueskyConfig(service_url=fake.base_url, retry_wait_seconds=0.01)


def test_facets_count_utf8_bytes_not_characters() -> None:
    text = f"Café 🚀 naïve #Résumé {LINK}"
    found = bluesky.facets(text)
    encoded = text.encode("utf-8")
    spans = {
        encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(): f["features"][0]["$type"]  # type: ignore[index]
        for f in found
    }
    assert spans == {"#Résumé": "app.bsky.richtext.facet#tag", LINK: "app.bsky.richtext.facet#link"}
    # Characters and bytes differ here: an index in characters would be wrong.
    assert text.index(LINK) != found[-1]["index"]["byteStart"]  # type: ignore[index]


async def test_an_app_password_opens_a_session_and_posts_a_card(fake_bluesky: FakeBluesky) -> None:
    session = await bluesky.create_session(
        _config(fake_bluesky), handle=HANDLE, app_password=APP_PASSWORD
    )
    assert (session.did, session.handle) == (DID, HANDLE)
    assert session.access_jwt not in repr(session)
    text = bluesky.post_text("Café launch 🚀, my words", LINK)
    uri = await bluesky.create_post(
        _config(fake_bluesky),
        session=session,
        text=text,
        card=LinkCard(LINK, "The launch"),
        now=NOW,
    )
    [post] = fake_bluesky.posts
    assert post["text"] == f"Café launch 🚀, my words {LINK}" and post["uri"] == uri
    assert post["embed"]["external"] == {"uri": LINK, "title": "The launch", "description": ""}
    assert bluesky.post_url(HANDLE, uri).startswith(f"https://bsky.app/profile/{HANDLE}/post/3l")


async def test_a_wrong_password_is_refused(fake_bluesky: FakeBluesky) -> None:
    with pytest.raises(AuthExpired):
        await bluesky.create_session(_config(fake_bluesky), handle=HANDLE, app_password="wrong")
    assert not fake_bluesky.main_password_tried


async def test_an_expired_session_is_refreshed_and_a_revoked_one_is_auth_expired(
    fake_bluesky: FakeBluesky,
) -> None:
    config = _config(fake_bluesky)
    session = await bluesky.create_session(config, handle=HANDLE, app_password=APP_PASSWORD)
    fake_bluesky.expire_access()
    with pytest.raises(AuthExpired):
        await bluesky.create_post(
            config, session=session, text="hi", card=LinkCard(LINK, "T"), now=NOW
        )
    renewed = await bluesky.refresh_session(config, refresh_jwt=session.refresh_jwt)
    await bluesky.create_post(config, session=renewed, text="hi", card=LinkCard(LINK, "T"), now=NOW)
    fake_bluesky.revoke_all()
    with pytest.raises(AuthExpired):
        await bluesky.refresh_session(config, refresh_jwt=renewed.refresh_jwt)
