"""Every Slack event and interaction the app handles, delivered two and three times: one effect.

Slack retries events it thinks were missed (same event_id, X-Slack-Retry-Num), and people
double-click buttons and submit modals twice on slow networks. Effects are counted where they
land: rows in the database and messages at the fake Slack.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from content_store import pending_content
from content_store.content import NewContent
from content_store.models import (
    AuditEntry,
    ContentItem,
    Event,
    Feedback,
    Link,
    Person,
    Share,
    Workspace,
)
from domain.programme import Role
from handlers import programme
from handlers.context import Services
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signed import headers as signed_headers
from tests.bot.slack.signed import listeners_done
from tests.bot.slack.test_slack_app import until
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, actor, add_item, grant

pytestmark = pytest.mark.faults


@dataclass
class Ctx:
    client: TestClient[Any, Any]
    slack: FakeSlack
    services: Services
    clock: FakeClock
    item: int = 0


async def _send(ctx: Ctx, body: str, content_type: str, retry: int) -> None:
    headers = {**signed_headers(body), "Content-Type": content_type}
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    response = await ctx.client.post("/slack/events", data=body, headers=headers)
    assert response.status == 200


def _event(event: dict[str, Any]) -> str:
    return json.dumps(
        {
            "team_id": WORKSPACE,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": "Ev-dup",
            "event_time": int(time.time()),
            "event": event,
        }
    )


def _interaction(payload: dict[str, Any]) -> str:
    base = {"user": {"id": "U1"}, "team": {"id": WORKSPACE}, "api_app_id": "A1"}
    return urlencode({"payload": json.dumps({**base, "trigger_id": "trig", **payload})})


def _button(ctx: Ctx, action_id: str, value: str, **extra: Any) -> str:
    caption = {"caption": {"type": "plain_text_input", "value": "In my own words"}}
    return _interaction(
        {
            "type": "block_actions",
            "response_url": ctx.slack.response_url("act"),
            "container": {"type": "message", "channel_id": "DU1", "message_ts": "1.1"},
            "channel": {"id": "DU1"},
            "message": {"ts": "1.1", "text": "", "blocks": []},
            "state": {"values": {f"caption:{ctx.item}": caption}},
            "actions": [
                {"type": "button", "action_id": action_id, "block_id": "b", "value": value}
            ],
            **extra,
        }
    )


async def _count(ctx: Ctx, model: Any, *where: Any) -> int:
    async with ctx.services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _events(ctx: Ctx, kind: str) -> int:
    return await _count(ctx, Event, Event.type == kind)


async def _joined(ctx: Ctx) -> None:
    await programme.answer_invitation(ctx.services, actor("U1"), "in")


async def _with_item(ctx: Ctx) -> None:
    await _joined(ctx)
    ctx.item = await add_item(ctx.services.db, slug="a", topics=("product",), now=ctx.clock.now())


async def _with_suggestion(ctx: Ctx) -> None:
    await grant(ctx.services.db, "U1", Role.CONTENT)
    await _with_item(ctx)
    async with ctx.services.db.session() as session:
        item = await session.get(ContentItem, ctx.item)
        assert item is not None
        item.status = type(item.status)("suggested")


async def _with_share(ctx: Ctx) -> None:
    await _with_item(ctx)
    await _send(ctx, _button(ctx, "share.linkedin", f"{ctx.item}:dm"), _FORM, 0)
    await until(lambda: ctx.slack.responses("act"))


_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"
Setup = Callable[[Ctx], Awaitable[None]]
Body = Callable[[Ctx], str]
Effects = Callable[[Ctx], Awaitable[dict[str, int]]]


@dataclass(frozen=True)
class Case:
    setup: Setup
    body: Body
    content_type: str
    effects: Effects
    expected: dict[str, int]


async def _nothing(ctx: Ctx) -> None:
    return None


async def _home_effects(ctx: Ctx) -> dict[str, int]:
    return {
        "welcome": len(ctx.slack.calls_to("chat.postMessage")),
        "publish": len(ctx.slack.calls_to("views.publish")),
        "invited": await _events(ctx, "invited"),
    }


async def _dm_effects(ctx: Ctx) -> dict[str, int]:
    return {"replies": len(ctx.slack.sent_to("U1")), "opted_in": await _events(ctx, "opted_in")}


async def _opt_in_effects(ctx: Ctx) -> dict[str, int]:
    return {"opted_in": await _events(ctx, "opted_in")}


async def _share_effects(ctx: Ctx) -> dict[str, int]:
    return {
        "shares": await _count(ctx, Share),
        "links": await _count(ctx, Link),
        "intents": await _events(ctx, "share_intent"),
    }


async def _confirm_effects(ctx: Ctx) -> dict[str, int]:
    return {
        "confirmed": await _count(ctx, Share, Share.confirmed_at.is_not(None)),
        "events": await _events(ctx, "share_confirmed"),
    }


async def _feedback_effects(ctx: Ctx) -> dict[str, int]:
    return {"rows": await _count(ctx, Feedback), "events": await _events(ctx, "not_for_me")}


async def _prefs_effects(ctx: Ctx) -> dict[str, int]:
    return {
        "networks": await _events(ctx, "networks_chosen"),
        "cadence": await _events(ctx, "cadence_changed"),
        "consent": await _events(ctx, "consent_changed"),
    }


async def _moderation_effects(ctx: Ctx) -> dict[str, int]:
    return {"audit": await _count(ctx, AuditEntry)}


async def _add_effects(ctx: Ctx) -> dict[str, int]:
    return {
        "items": await _count(ctx, ContentItem),
        "audit": await _count(ctx, AuditEntry),
    }


async def _erase_effects(ctx: Ctx) -> dict[str, int]:
    return {
        "people": await _count(ctx, Person, Person.external_id == "U1"),
        "opted_in": await _events(ctx, "opted_in"),
    }


def _prefs(ctx: Ctx, input_id: str, element: dict[str, Any]) -> str:
    """The preferences form's one Save, with one choice changed."""
    state = {"state": {"values": {input_id: {input_id: element}}}}
    return _button(ctx, "prefs.save", input_id, **state)


async def _previewed(ctx: Ctx) -> None:
    """The content team previewed an item with `add`; it waits for Save."""
    await grant(ctx.services.db, "U1", Role.CONTENT)
    new = NewContent(canonical_url="https://news.example.com/new", title="New", topics=("x",))
    async with ctx.services.db.session() as session:
        workspace = (await session.execute(select(Workspace))).scalar_one()
        person = (await session.execute(select(Person))).scalar_one()
        ctx.item = await pending_content.keep(
            session, workspace_id=workspace.id, person_id=person.id, new=new, now=ctx.clock.now()
        )


def _slash(ctx: Ctx, text: str) -> str:
    return urlencode(
        {
            "command": "/boost",
            "text": text,
            "user_id": "U1",
            "team_id": WORKSPACE,
            "trigger_id": "trig",
            "response_url": ctx.slack.response_url("cmd"),
        }
    )


CASES: dict[str, Case] = {
    "event app_home_opened": Case(
        _nothing,
        lambda ctx: _event({"type": "app_home_opened", "user": "U1", "tab": "home"}),
        _JSON,
        _home_effects,
        {"welcome": 1, "publish": 1, "invited": 1},
    ),
    "event message.im": Case(
        _nothing,
        lambda ctx: _event({"type": "message", "channel_type": "im", "user": "U1", "text": "in"}),
        _JSON,
        _dm_effects,
        {"replies": 1, "opted_in": 1},
    ),
    "slash /boost in": Case(
        _nothing, lambda ctx: _slash(ctx, "in"), _FORM, _opt_in_effects, {"opted_in": 1}
    ),
    "block_actions programme.answer": Case(
        _nothing,
        lambda ctx: _button(ctx, "programme.answer", "in"),
        _FORM,
        _opt_in_effects,
        {"opted_in": 1},
    ),
    "block_actions share.linkedin": Case(
        _with_item,
        lambda ctx: _button(ctx, "share.linkedin", f"{ctx.item}:dm"),
        _FORM,
        _share_effects,
        {"shares": 1, "links": 1, "intents": 1},
    ),
    "block_actions share.confirm": Case(
        _with_share,
        lambda ctx: _button(ctx, "share.confirm", f"{ctx.item}:linkedin"),
        _FORM,
        _confirm_effects,
        {"confirmed": 1, "events": 1},
    ),
    "block_actions feedback.not_for_me": Case(
        _with_item,
        lambda ctx: _button(ctx, "feedback.not_for_me", f"{ctx.item}:dm"),
        _FORM,
        _feedback_effects,
        {"rows": 1, "events": 1},
    ),
    "block_actions prefs.save networks": Case(
        _joined,
        lambda ctx: _prefs(
            ctx,
            "prefs.networks",
            {"type": "checkboxes", "selected_options": [{"value": "x"}, {"value": "bluesky"}]},
        ),
        _FORM,
        _prefs_effects,
        {"networks": 1, "cadence": 0, "consent": 0},
    ),
    "block_actions prefs.save cadence": Case(
        _joined,
        lambda ctx: _prefs(
            ctx, "prefs.cadence", {"type": "static_select", "selected_option": {"value": "monthly"}}
        ),
        _FORM,
        _prefs_effects,
        {"networks": 0, "cadence": 1, "consent": 0},
    ),
    "block_actions prefs.save consents": Case(
        _joined,
        lambda ctx: _prefs(
            ctx,
            "prefs.consents",
            {"type": "checkboxes", "selected_options": [{"value": "spotlight"}]},
        ),
        _FORM,
        _prefs_effects,
        {"networks": 0, "cadence": 0, "consent": 1},
    ),
    "block_actions content.approve": Case(
        _with_suggestion,
        lambda ctx: _button(ctx, "content.approve", str(ctx.item)),
        _FORM,
        _moderation_effects,
        {"audit": 1},
    ),
    "block_actions content.reject": Case(
        _with_suggestion,
        lambda ctx: _button(ctx, "content.reject", str(ctx.item)),
        _FORM,
        _moderation_effects,
        {"audit": 1},
    ),
    "block_actions privacy.erase": Case(
        _joined,
        lambda ctx: _button(ctx, "privacy.erase", ""),
        _FORM,
        _erase_effects,
        {"people": 0, "opted_in": 0},
    ),
    "block_actions content.save": Case(
        _previewed,
        lambda ctx: _button(ctx, "content.save", str(ctx.item)),
        _FORM,
        _add_effects,
        {"items": 1, "audit": 1},
    ),
}


async def _settled(ctx: Ctx, case: Case, patience: float = 10) -> dict[str, int]:
    """The effects once they match the expectation (a busy machine runs listeners late)."""
    deadline = time.monotonic() + patience
    effects = await case.effects(ctx)
    while effects != case.expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        effects = await case.effects(ctx)
    return effects


@pytest.mark.parametrize("times", [2, 3])
@pytest.mark.parametrize("name", list(CASES))
async def test_delivered_again_has_one_effect(
    client: TestClient[Any, Any],
    slack: FakeSlack,
    services: Services,
    clock: FakeClock,
    name: str,
    times: int,
) -> None:
    case = CASES[name]
    ctx = Ctx(client, slack, services, clock)
    await case.setup(ctx)
    body = case.body(ctx)
    await _send(ctx, body, case.content_type, 0)
    await until(lambda: len(slack.calls) > 0)
    once = await _settled(ctx, case)  # listeners run after the ack
    for retry in range(1, times):
        await _send(ctx, body, case.content_type, retry)
    await listeners_done(client)
    assert once == case.expected
    assert await case.effects(ctx) == case.expected


async def test_new_person_opening_home_in_three_places_at_once_is_welcomed_once(
    client: TestClient[Any, Any], slack: FakeSlack, services: Services, clock: FakeClock
) -> None:
    """Regression (issue 16 item 8): Home opened on phone and desktop at the same moment gives
    events with different ids; each sent the welcome."""
    ctx = Ctx(client, slack, services, clock)
    bodies = [
        json.dumps(
            {
                "team_id": WORKSPACE,
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": f"Ev-home-{n}",
                "event_time": int(time.time()),
                "event": {"type": "app_home_opened", "user": "U1", "tab": "home"},
            }
        )
        for n in range(3)
    ]
    await asyncio.gather(*(_send(ctx, body, _JSON, 0) for body in bodies))
    await listeners_done(ctx.client)
    assert len(slack.calls_to("views.publish")) == 3
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert await _events(ctx, "invited") == 1
