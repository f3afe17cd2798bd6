"""Slack payloads read into neutral values: typed text, the pressed button, its inputs."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack.payloads import decode_text, press
from bot.slack.render import render_message
from handlers.actions import Surface
from handlers.commands import parse_command
from handlers.types import Choice, ChoiceOption, ContentCard, Reply


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        (
            "add https://x.example/?team=data&amp;city=ams",
            "add https://x.example/?team=data&city=ams",
        ),
        ('caption "R&amp;D &lt;3 &gt;"', 'caption "R&D <3 >"'),
        ("role <@U0ABC|ann> admin", "role <@U0ABC> admin"),
        ("channel <#C0ENG123|engineering>", "channel <#C0ENG123|engineering>"),
        (
            "suggest <https://x.example/a?b=1&amp;c=2|x.example>",
            "suggest https://x.example/a?b=1&c=2",
        ),
        ("hi <mailto:ann@example.com|ann@example.com>", "hi ann@example.com"),
        ("<!here> and <!subteam^S123|@design>", "@here and @design"),
        ("&amp;lt; stays one level", "&lt; stays one level"),
    ],
)
def test_slacks_escaping_is_decoded_as_its_formatting_rules_say(typed: str, plain: str) -> None:
    assert decode_text(typed) == plain


def test_a_linked_url_is_saved_once_and_a_channel_named_like_a_topic_is_the_topic() -> None:
    """Regression (issue 13 item 4): `&amp;` made a second URL; #engineering was refused."""
    typed = "add <https://x.example/a?team=data&amp;city=ams> <#C0ENG123|engineering> #ai"
    command = parse_command(decode_text(typed))
    assert command.url == "https://x.example/a?team=data&city=ams"
    assert command.topics == ("engineering", "ai")


def _card(content_id: int) -> ContentCard:
    return ContentCard(
        content_id, "T", "https://x.example", "", None, "", "caption", "Your caption", 280, ()
    )


def _state(reply: Reply, typed: dict[str, Any]) -> dict[str, Any]:
    """state.values as Slack builds it: every input block, what was typed in the one holding it."""
    inputs = [block for block in render_message(reply).blocks if block["type"] == "input"]
    values: dict[str, Any] = {}
    for block in inputs:
        element = block["element"]
        values[block["block_id"]] = {element["action_id"]: {"type": element["type"]}}
    for block in reversed(inputs):
        action_id = block["element"]["action_id"]
        if action_id in typed:
            values[block["block_id"]][action_id] = typed.pop(action_id)
    return {"values": values}


def test_a_press_carries_every_input_of_its_message() -> None:
    topics = Choice(
        "prefs.topics",
        "Topics",
        tuple(ChoiceOption(f"T{n}", f"t{n}") for n in range(12)),
        multiple=True,
    )
    reply = Reply(blocks=(_card(4), topics))
    typed = {
        "caption:4": {"type": "plain_text_input", "value": "Mine, with <b> & more"},
        "prefs.topics": {"type": "checkboxes", "selected_options": [{"value": "t11"}]},
    }
    state = _state(reply, typed)
    body = {
        "type": "block_actions",
        "actions": [{"type": "button", "action_id": "share.x:1", "value": "4:dm"}],
        "container": {"type": "message", "is_ephemeral": False},
        "message": {"ts": "1.2"},
        "state": state,
    }
    pressed = press(body)
    assert pressed is not None and pressed.surface is Surface.MESSAGE
    assert (pressed.action_id, pressed.value) == ("share.x", "4:dm")
    assert pressed.text("caption:4") == "Mine, with <b> & more"
    # The second block of split checkboxes reports its own ticks under the same input id.
    assert pressed.chosen("prefs.topics") == ("t11",)


def test_where_the_button_was_is_read_from_the_payload() -> None:
    button = [{"type": "button", "action_id": "prefs.save", "value": ""}]
    ephemeral = {"actions": button, "container": {"type": "message", "is_ephemeral": True}}
    home = {"actions": button, "view": {"type": "home", "state": {"values": {}}}}
    modal = {"actions": button, "view": {"type": "modal", "state": {"values": {}}}}
    surfaces = [press(body).surface for body in (ephemeral, home, modal)]  # type: ignore[union-attr]
    assert surfaces == [Surface.EPHEMERAL, Surface.HOME, Surface.MODAL]


def test_ticking_a_box_or_picking_a_date_is_not_a_press() -> None:
    ticked = {"actions": [{"type": "checkboxes", "action_id": "prefs.topics"}]}
    assert press(ticked) is None


def test_a_caption_from_a_message_sent_before_inputs_had_neutral_ids_is_still_read() -> None:
    body = {
        "actions": [{"type": "button", "action_id": "share.x", "value": "4:dm"}],
        "message": {"ts": "1"},
        "state": {
            "values": {"caption:4": {"caption": {"type": "plain_text_input", "value": "Old"}}}
        },
    }
    assert press(body).text("caption:4") == "Old"  # type: ignore[union-attr]
