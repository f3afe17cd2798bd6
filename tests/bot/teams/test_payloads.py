"""Teams activities to neutral values: actor, tenant, buttons, typed commands, references."""

from __future__ import annotations

from typing import Any

import pytest
from microsoft_agents.activity import Activity, ChannelAccount

from bot.teams import payloads
from domain.errors import InvalidInput
from domain.networks import Network
from handlers import button_values

TENANT = "3c2b1a00-0000-4000-8000-0000000000aa"
AAD = "6f0f2a9e-1c4b-4d8e-9a51-0c2b1d3e4f5a"
OTHER_AAD = "11111111-2222-4333-8444-555555555555"


def activity(**fields: Any) -> Activity:
    body: dict[str, Any] = {
        "type": "message",
        "id": "m1",
        "channelId": "msteams",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "from": {"id": "29:sender", "name": "Alex Wilber", "aadObjectId": AAD},
        "recipient": {"id": "28:bot", "name": "Social Boost"},
        "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": TENANT},
        "locale": "nl-NL",
        "localTimezone": "Europe/Amsterdam",
        **fields,
    }
    return Activity.model_validate(body)


async def no_lookup(member_id: str) -> ChannelAccount | None:
    return None


def test_the_actor_is_the_tenant_and_the_person_with_locale_and_time_zone() -> None:
    actor = payloads.actor(activity(), email="alex@example.com")
    assert (actor.platform, actor.workspace_id, actor.user_id) == ("teams", TENANT, AAD)
    assert (actor.locale, actor.timezone) == ("nl-NL", "Europe/Amsterdam")
    assert (actor.display_name, actor.email) == ("Alex Wilber", "alex@example.com")


def test_unknown_time_zones_are_dropped_and_the_tenant_may_come_from_channel_data() -> None:
    found = activity(
        localTimezone="Mars/Olympus_Mons",
        conversation={"id": "a:1", "conversationType": "personal"},
        channelData={"tenant": {"id": TENANT}},
        **{"from": {"id": "29:only-teams-id"}},
    )
    actor = payloads.actor(found)
    assert (actor.workspace_id, actor.user_id, actor.timezone) == (TENANT, "29:only-teams-id", None)


def test_an_activity_without_tenant_or_sender_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        payloads.actor(activity(conversation={"id": "a:1"}))
    assert refused.value.code == "teams.payload"
    with pytest.raises(InvalidInput):
        payloads.person_id(None)


def test_a_pressed_button_carries_its_action_value_and_every_card_input() -> None:
    value = {
        "action": "prefs.save",
        "value": "prefs.networks,prefs.topics",
        "caption:12": "Mine, with a comma",
        "prefs.topics": "product, careers,",
        "prefs.networks": "",
    }
    pressed = payloads.press(activity(value=value))
    assert pressed is not None
    assert (pressed.action_id, pressed.value) == ("prefs.save", "prefs.networks,prefs.topics")
    assert pressed.text("caption:12") == "Mine, with a comma"
    assert pressed.chosen("prefs.topics") == ("product", "careers")
    assert pressed.chosen("prefs.networks") == ()
    assert pressed.chosen("prefs.cadence") is None
    assert payloads.press(activity(text="picks")) is None
    assert payloads.press(activity(value={"something": "else"})) is None


async def test_the_bots_own_mention_is_dropped_and_other_mentions_become_ids() -> None:
    text = "<at>Social Boost</at> role <at>Megan Bowen</at> content"
    entities = [
        {"type": "mention", "text": "<at>Social Boost</at>", "mentioned": {"id": "28:bot"}},
        {
            "type": "mention",
            "text": "<at>Megan Bowen</at>",
            "mentioned": {"id": "29:megan", "aadObjectId": OTHER_AAD},
        },
    ]
    typed = await payloads.command_text(activity(text=text, entities=entities), lookup=no_lookup)
    assert typed == f"role <@{OTHER_AAD}> content"


async def test_a_mention_without_an_object_id_is_looked_up_or_left_as_a_name() -> None:
    text = "role <at>Megan</at> admin"
    entities = [{"type": "mention", "text": "<at>Megan</at>", "mentioned": {"id": "29:megan"}}]
    asked: list[str] = []

    async def lookup(member_id: str) -> ChannelAccount | None:
        asked.append(member_id)
        return ChannelAccount(id=member_id, aad_object_id=OTHER_AAD)

    found = activity(text=text, entities=entities)
    assert await payloads.command_text(found, lookup=lookup) == f"role <@{OTHER_AAD}> admin"
    assert asked == ["29:megan"]
    assert await payloads.command_text(found, lookup=no_lookup) == "role Megan admin"


def test_a_stored_reference_keeps_ids_and_the_service_url_but_no_names() -> None:
    reference = payloads.stored_reference(activity())
    assert reference["serviceUrl"] == "https://smba.trafficmanager.net/emea/"
    assert reference["conversation"]["id"] == "a:1"
    assert reference["user"] == {"id": "29:sender", "aadObjectId": AAD}
    assert "name" not in reference["bot"] and "activityId" not in reference


def test_button_values_name_an_item_and_a_network() -> None:
    assert button_values.item_value("12:dm") == (12, "dm")
    assert button_values.item_value("12") == (12, "dm")
    assert button_values.share_value("12:linkedin") == (12, Network.LINKEDIN)
    for broken in ("", "x:dm", ":dm"):
        with pytest.raises(InvalidInput):
            button_values.item_value(broken)
    with pytest.raises(InvalidInput):
        button_values.share_value("12:myspace")
