"""Neutral replies as Adaptive Cards 1.5: valid for Microsoft's library, text never Markdown."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from bot.teams.icons import colour_icon
from bot.teams.render import (
    render_card,
    render_messages,
)
from handlers.programme import welcome_reply
from handlers.types import (
    Actions,
    Attachment,
    Button,
    Choice,
    ChoiceOption,
    ContentCard,
    Reply,
    ShareReady,
    Text,
)
from tests.bot.teams.cards import assert_valid_cards

HOSTILE = "[click](https://evil.example) **bold** <at>Boss</at> _x_"


def elements(node: Any) -> Iterator[dict[str, Any]]:
    """Every element, input and action of a card, depth first."""
    if isinstance(node, dict):
        if "type" in node:
            yield node
        for value in node.values():
            yield from elements(value)
    elif isinstance(node, list):
        for value in node:
            yield from elements(value)


def of_type(card: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [element for element in elements(card["body"]) if element["type"] == kind]


def texts(card: dict[str, Any]) -> list[str]:
    return [run["text"] for run in of_type(card, "TextRun")]


def card_for(
    content_id: int, *, title: str = "Launch week", image: str | None = None
) -> ContentCard:
    value = f"{content_id}:dm"
    return ContentCard(
        content_id=content_id,
        title=title,
        url=f"https://news.example.com/{content_id}",
        description="What we shipped.\nAnd why.",
        image_url=image,
        reason="Because you follow #product",
        caption="Proud of the team! https://boost.example.org/r/xxxxxxxxxxxx",
        caption_label="Your caption (make it yours)",
        caption_max_chars=257,
        actions=(
            Button("Share on LinkedIn", "share.linkedin", value, "primary"),
            Button("Share on X", "share.x", value),
            Button("Not for me", "feedback.not_for_me", value),
            Button("More like this", "feedback.more_like_this", value),
        ),
    )


def test_the_welcome_is_one_valid_card_with_the_three_answers() -> None:
    message = render_card(welcome_reply("en"), locale="en")
    assert_valid_cards([message.card])
    submits = of_type(message.card, "Action.Submit")
    assert [a["data"] for a in submits] == [
        {"action": "programme.answer", "value": answer} for answer in ("in", "later", "no")
    ]
    assert submits[0]["style"] == "positive"
    assert "voluntary" in " ".join(texts(message.card)).lower()
    assert message.summary.startswith("Social Boost")


def test_picks_become_one_card_per_pick_with_the_caption_prefilled() -> None:
    reply = Reply(blocks=(Text("Your picks this week", heading=True), card_for(1), card_for(2)))
    messages = render_messages(reply, locale="en")
    assert_valid_cards([m.card for m in messages])
    assert [m.summary for m in messages] == ["Your picks this week", "Launch week", "Launch week"]
    pick = messages[1].card
    (caption,) = of_type(pick, "Input.Text")
    assert caption["id"] == "caption:1"
    assert caption["value"].startswith("Proud of the team!")
    assert caption["maxLength"] == 257 and caption["isMultiline"] is True
    submits = of_type(pick, "Action.Submit")
    assert {a["data"]["action"] for a in submits} == {
        "share.linkedin",
        "share.x",
        "feedback.not_for_me",
        "feedback.more_like_this",
    }
    assert all(a["data"]["value"] == "1:dm" for a in submits)
    (title,) = [run for run in of_type(pick, "TextRun") if run["text"] == "Launch week"]
    assert title["selectAction"] == {"type": "Action.OpenUrl", "url": "https://news.example.com/1"}


def test_buttons_are_grouped_by_kind_in_rows_of_at_most_five() -> None:
    shares = tuple(Button(f"Share on {n}", f"share.{n}", "1:dm") for n in ("a", "b", "c", "d"))
    feedback = (Button("Not for me", "feedback.not_for_me", "1:dm"),)
    many = tuple(Button(f"Item {n}", "content.approve", str(n)) for n in range(7))
    card = render_card(Reply(blocks=(Actions(shares + feedback + many),)), locale="en").card
    assert_valid_cards([card])
    rows = [[a["title"] for a in row["actions"]] for row in of_type(card, "ActionSet")]
    assert [len(row) for row in rows] == [4, 1, 5, 2]
    assert rows[1] == ["Not for me"]


def test_page_and_user_text_is_shown_as_typed_never_as_markdown() -> None:
    reply = Reply(blocks=(Text(HOSTILE, heading=True), Text(HOSTILE), card_for(3, title=HOSTILE)))
    cards = [m.card for m in render_messages(reply, locale="en")]
    assert_valid_cards(cards)
    for card in cards:
        # TextBlock would read Markdown; every visible text is a TextRun, which never does.
        assert of_type(card, "TextBlock") == []
        assert HOSTILE in texts(card)


def test_a_share_panel_offers_the_caption_to_copy_the_composer_and_confirmation() -> None:
    composer = (
        "https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fb.example%2Fr%2Fabc"
    )
    panel = ShareReady(
        content_id=7,
        title="Launch week",
        network_label="LinkedIn",
        caption="In my own words",
        copy_hint="Copy your caption first.",
        guidelines="Say that you work here.",
        actions=(
            Button("Open LinkedIn", "share.open", "7:linkedin", "primary", url=composer),
            Button("I've posted it", "share.confirm", "7:linkedin"),
        ),
    )
    card = render_card(Reply(blocks=(panel,)), locale="en").card
    assert_valid_cards([card])
    (opener,) = of_type(card, "Action.OpenUrl")
    assert opener["url"] == composer and opener["title"] == "Open LinkedIn"
    (confirm,) = of_type(card, "Action.Submit")
    assert confirm["data"] == {"action": "share.confirm", "value": "7:linkedin"}
    (caption,) = [run for run in of_type(card, "TextRun") if run["text"] == "In my own words"]
    assert caption["fontType"] == "Monospace"
    assert {"Copy your caption first.", "Say that you work here."} <= set(texts(card))


def test_a_link_a_client_must_not_open_stays_a_plain_button() -> None:
    buttons = (Button("Open", "share.open", "1:x", url="javascript:alert(1)"),)
    card = render_card(Reply(blocks=(Actions(buttons),)), locale="en").card
    assert of_type(card, "Action.OpenUrl") == []
    assert of_type(card, "Action.Submit")[0]["data"] == {"action": "share.open", "value": "1:x"}


def test_choices_are_choice_sets_saved_together_by_the_one_save_button() -> None:
    networks = Choice(
        "prefs.networks",
        "Networks you use",
        (ChoiceOption("LinkedIn", "linkedin", True), ChoiceOption("X", "x", True)),
        multiple=True,
    )
    cadence = Choice("prefs.cadence", "How often", (ChoiceOption("weekly", "weekly", True),))
    save = Actions((Button("Opslaan", "prefs.save", "prefs.networks,prefs.cadence", "primary"),))
    card = render_card(Reply(blocks=(networks, cadence, save)), locale="nl").card
    assert_valid_cards([card])
    sets = of_type(card, "Input.ChoiceSet")
    assert [s["id"] for s in sets] == ["prefs.networks", "prefs.cadence"]
    assert sets[0]["value"] == "linkedin,x" and sets[0]["isMultiSelect"] is True
    (submit,) = of_type(card, "Action.Submit")
    assert submit["data"] == {"action": "prefs.save", "value": "prefs.networks,prefs.cadence"}


def test_a_png_chart_is_shown_in_the_card_and_other_files_go_along() -> None:
    chart = Attachment("chart.png", colour_icon(48), "Shares this month")
    export = Attachment("shares.csv", b"a,b\n1,2\n", "Shares export")
    message = render_card(Reply(blocks=(Text("Your digest"),), files=(chart, export)), locale="en")
    assert_valid_cards([message.card])
    (image,) = of_type(message.card, "Image")
    assert image["url"] == "data:image/png;base64," + base64.b64encode(chart.content).decode()
    assert "Shares this month" in texts(message.card)
    assert message.files == (export,)


def test_a_reply_too_large_for_teams_is_cut_short_with_a_note() -> None:
    paragraphs = tuple(Text(f"line {n} " + "x" * 2000) for n in range(40))
    message = render_card(Reply(blocks=paragraphs), locale="en")
    assert len(json.dumps(message.card).encode()) < 28_000
    assert_valid_cards([message.card])
    assert texts(message.card)[-1].startswith("There is more")
