"""Slack mrkdwn and Teams Markdown typed into captions, titles, descriptions and suggestions are
shown as the literal text, never as mentions, broadcasts or disguised links."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack.render import render_home, render_message, render_modal
from bot.teams.render import render_messages
from captions import CaptionRequest, TemplateCaptionWriter
from domain.networks import Network
from handlers.types import Button, Choice, ChoiceOption, ContentCard, Reply, ShareReady, Text
from tests.hypothesis_profiles import examples

pytestmark = pytest.mark.security

HOSTILE = [
    "<!channel>",
    "<!here|here>",
    "<!subteam^S123>",
    "<@U123>",
    "<#C123|general>",
    "<https://evil.example|click>",
    "<mailto:a@evil.example|mail>",
    "*bold* _it_ ~gone~ `code`",
    "&lt;!channel&gt;",
    "&amp;lt;@U1&amp;gt;",
    "[click](https://evil.example)",
    "**bold** <b>html</b> <script>alert(1)</script>",
    "![img](https://evil.example/x.png)",
    "@channel @here",
]
TRACKED = "https://boost.example.org/r/abc123"


def _reply(text: str) -> Reply:
    card = ContentCard(
        content_id=7,
        title=f"Title {text}",
        url="https://news.example.com/a",
        description=f"Description {text}",
        image_url=None,
        reason=f"Reason {text}",
        caption=f"Caption {text}",
        caption_label="Your caption",
        caption_max_chars=3000,
        actions=(Button("Share", "share.linkedin", "7:dm"),),
    )
    share = ShareReady(
        content_id=8,
        title=f"Shared {text}",
        network_label="LinkedIn",
        caption=f"Suggested {text}",
        copy_hint=f"Hint {text}",
        guidelines=f"Guidelines {text}",
        actions=(Button("Open", "share.open", url=TRACKED),),
    )
    choice = Choice(
        "prefs.topics", f"Topics {text}", (ChoiceOption(f"Topic {text}", "t", selected=True),)
    )
    return Reply(blocks=(Text(f"Heading {text}", heading=True), Text(text), card, share, choice))


def _mrkdwn(node: Any) -> list[str]:
    if isinstance(node, list):
        return [found for child in node for found in _mrkdwn(child)]
    if not isinstance(node, dict):
        return []
    own = [str(node["text"])] if node.get("type") == "mrkdwn" else []
    return own + [found for value in node.values() for found in _mrkdwn(value)]


# Slack parses only <...> sequences as mentions, broadcasts and links; our own links point at
# the item's page or a tracked link.
_OURS = re.compile(r"<https://(news\.example\.com/a|boost\.example\.org/r/abc123)(\|[^<>]*)?>")


def _assert_slack_safe(payload: Any, text: str) -> None:
    for field in _mrkdwn(payload):
        rest = _OURS.sub("", field)
        assert "<" not in rest and ">" not in rest, field
    if text.strip():
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert escaped in json.dumps([*_mrkdwn(payload)], ensure_ascii=False) or text in json.dumps(
            payload, ensure_ascii=False
        )


@pytest.mark.parametrize("text", HOSTILE)
def test_slack_messages_show_hostile_text_literally(text: str) -> None:
    message = render_message(_reply(text))
    _assert_slack_safe(message.blocks, text)
    assert "<" not in _OURS.sub("", message.text.replace("&lt;", ""))
    # Unescaping Slack's three entities once gives back exactly what was typed.
    assert any(f"Description {text}" in html.unescape(f) for f in _mrkdwn(message.blocks))
    serialized = json.dumps(message.blocks, ensure_ascii=False)
    # Captions people copy and edit are plain text: exactly what was written.
    assert json.dumps(f"Caption {text}", ensure_ascii=False) in serialized
    assert json.dumps(f"Suggested {text}", ensure_ascii=False) in serialized


@pytest.mark.parametrize("text", HOSTILE)
def test_slack_home_and_modals_show_hostile_text_literally(text: str) -> None:
    _assert_slack_safe(render_home(_reply(text)), text)
    modal = render_modal(_reply(text), title=f"T {text}"[:24], callback_id="c", submit="Ok")
    _assert_slack_safe(modal, text)


def _text_blocks(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for child in node for found in _text_blocks(child)]
    if not isinstance(node, dict):
        return []
    own = [node] if node.get("type") == "TextBlock" else []
    return own + [found for value in node.values() for found in _text_blocks(value)]


@pytest.mark.parametrize("text", HOSTILE)
def test_teams_cards_never_parse_hostile_text_as_markdown(text: str) -> None:
    for message in render_messages(_reply(text), locale="en"):
        # TextBlocks parse Markdown; user text only ever goes into TextRuns and inputs.
        leaked = [b for b in _text_blocks(message.card) if text in str(b.get("text"))]
        assert leaked == []
        serialized = json.dumps(message.card, ensure_ascii=False)
        urls = re.findall(r'"url": "([^"]+)"', serialized)
        assert all(u in ("https://news.example.com/a", TRACKED) for u in urls), urls


@pytest.mark.parametrize("text", HOSTILE)
def test_template_suggestions_carry_hostile_titles_as_text(text: str) -> None:
    request = CaptionRequest(
        title=text,
        description=text,
        link=TRACKED,
        topics=("product",),
        network=Network.LINKEDIN,
        person_key="T:U",
    )
    suggestion = TemplateCaptionWriter().suggest(request)
    for variant in suggestion.variants:
        shown = Reply(blocks=(ShareReady(1, text, "LinkedIn", variant, "", "", ()),))
        blocks = render_message(shown).blocks
        _assert_slack_safe(blocks, text)
        assert json.dumps(variant, ensure_ascii=False) in json.dumps(blocks, ensure_ascii=False)
        teams = json.dumps(render_messages(shown, locale="en")[0].card, ensure_ascii=False)
        assert json.dumps(variant, ensure_ascii=False) in teams


_hostile_text = st.text(
    st.sampled_from(list("<>&!@#|*_~`[]()^:/.abcU1 \n")) | st.characters(), max_size=60
)


@settings(max_examples=examples(0.3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_hostile_text)
def test_no_generated_text_reaches_slack_mrkdwn_unescaped(text: str) -> None:
    for payload in (render_message(_reply(text)).blocks, render_home(_reply(text))):
        for field in _mrkdwn(payload):
            rest = _OURS.sub("", field)
            assert "<" not in rest and ">" not in rest
            assert not re.search(r"&(?!amp;|lt;|gt;)", rest), field
