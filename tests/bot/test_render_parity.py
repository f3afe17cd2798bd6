"""One neutral reply, two platforms: Block Kit and the Adaptive Cards carry the same content,
the same buttons (action, value or link), the same editable captions and the same choices."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest

from bot.slack.render import action_id_for, neutral_action_id, render_message
from bot.teams.render import render_messages
from handlers.programme import welcome_reply
from handlers.types import (
    Actions,
    Button,
    Choice,
    ChoiceOption,
    ContentCard,
    Reply,
    ShareReady,
    Text,
)
from tests.bot.teams.test_render import card_for

Seen = tuple[set[str], set[tuple[str, ...]], dict[str, str], dict[str, set[str]]]


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def slack_view(reply: Reply) -> Seen:
    """Texts, buttons, prefilled captions and choice options in the Slack message."""
    blocks = render_message(reply).blocks
    texts: set[str] = set()
    buttons: set[tuple[str, ...]] = set()
    captions: dict[str, str] = {}
    choices: dict[str, set[str]] = {}
    for node in _walk(blocks):
        if isinstance(node.get("text"), str):
            texts.add(html.unescape(node["text"]))
        if node.get("type") == "button":
            label = node["text"]["text"]
            buttons.add(
                (label, node["url"])
                if "url" in node
                else (label, neutral_action_id(node["action_id"]), node["value"])
            )
        if node.get("type") == "plain_text_input":
            captions[node["action_id"]] = node.get("initial_value", "")
        if node.get("type") in ("checkboxes", "static_select"):
            found = choices.setdefault(node["action_id"], set())
            found.update(o["value"] for o in node.get("options", []))
    return texts, buttons, captions, choices


def teams_view(reply: Reply) -> Seen:
    """The same, from every Teams card the reply becomes."""
    texts: set[str] = set()
    buttons: set[tuple[str, ...]] = set()
    captions: dict[str, str] = {}
    choices: dict[str, set[str]] = {}
    cards = [message.card for message in render_messages(reply, locale="en")]
    for node in _walk(cards):
        kind = node.get("type")
        if isinstance(node.get("label"), str):
            texts.add(node["label"])
        if kind == "TextRun":
            texts.add(node["text"])
        elif kind == "Action.OpenUrl" and "title" in node:
            buttons.add((node["title"], node["url"]))
        elif kind == "Action.Submit" and node["data"].get("input") is None:
            buttons.add((node["title"], node["data"]["action"], node["data"]["value"]))
        elif kind == "Input.Text":
            captions["caption"] = node.get("value", "")
        elif kind == "Input.ChoiceSet":
            choices[node["id"]] = {c["value"] for c in node["choices"]}
    return texts, buttons, captions, choices


def share_panel() -> ShareReady:
    return ShareReady(
        content_id=7,
        title="Launch week & more <news>",
        network_label="LinkedIn",
        caption="In my own words",
        copy_hint="Copy your caption first.",
        guidelines="Say that you work here.",
        actions=(
            Button(
                "Open LinkedIn", "share.open", "7:linkedin", "primary", url="https://l.example/s"
            ),
            Button("I've posted it", "share.confirm", "7:linkedin"),
        ),
    )


REPLIES = {
    "welcome": welcome_reply("en"),
    "pick": Reply(blocks=(Text("Your picks this week", heading=True), card_for(3))),
    "share": Reply(blocks=(share_panel(),)),
    "choices": Reply(
        blocks=(
            Text("Welcome aboard!"),
            Choice(
                "prefs.networks",
                "Networks you use",
                (ChoiceOption("LinkedIn", "linkedin", True), ChoiceOption("X", "x")),
                multiple=True,
            ),
        )
    ),
    "channel": Reply(
        blocks=(
            Text("This week's picks"),
            Text("Story\nhttps://news.example.com/story\nJust published"),
            Actions((Button("Get my version", "picks.personal", "4", "primary"),)),
        ),
        private=False,
    ),
}


def _expected_texts(reply: Reply) -> set[str]:
    """What a person must be able to read on any platform."""
    found: set[str] = set()
    for block in reply.blocks:
        if isinstance(block, Text):
            found.update(line for line in block.text.split("\n") if line)
        elif isinstance(block, ShareReady):
            found.update({block.copy_hint, block.guidelines, block.caption})
        elif isinstance(block, ContentCard):
            found.update({block.title, block.reason, block.caption_label})
    return found


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_slack_and_teams_show_the_same_content_and_actions(name: str) -> None:
    reply = REPLIES[name]
    slack_texts, slack_buttons, slack_captions, slack_choices = slack_view(reply)
    teams_texts, teams_buttons, teams_captions, teams_choices = teams_view(reply)
    for text in _expected_texts(reply):
        assert any(text in seen for seen in slack_texts), ("slack", text)
        assert any(text in seen for seen in teams_texts), ("teams", text)
    assert slack_buttons == teams_buttons
    assert sorted(slack_captions.values()) == sorted(teams_captions.values())
    assert slack_choices == teams_choices


def test_the_comparison_notices_a_difference() -> None:
    one = Reply(blocks=(Actions((Button("Yes", "programme.answer", "in"),)),))
    other = Reply(blocks=(Actions((Button("Yes", "programme.answer", "no"),)),))
    assert slack_view(one)[1] != teams_view(other)[1]
    assert action_id_for(Button("Yes", "programme.answer", "in")) == "programme.answer"
