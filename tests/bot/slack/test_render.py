"""Slack rendering: valid Block Kit, escaped text, Slack's limits, cards never split."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.slack.render import (
    action_id_for,
    escape,
    neutral_action_id,
    render_home,
    render_message,
    render_messages,
    render_modal,
)
from handlers.types import (
    Actions,
    Button,
    Choice,
    ChoiceOption,
    ContentCard,
    DateInput,
    Reply,
    ShareReady,
    Text,
)
from tests.hypothesis_profiles import examples

HOSTILE = "<!channel> <@U123> <https://evil.example|bank> & <!here>"
# A mrkdwn link we wrote ourselves: an http(s) target without spaces or brackets.
OUR_LINK = re.compile(r"<https?://[^\s|<>]+(\|[^<>]*)?>")

# ---------------------------------------------------------------- validation helpers


def walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every dict nested anywhere in `value`, `value` included."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """The text of every mrkdwn object in `blocks`."""
    return [node["text"] for node in walk(blocks) if node.get("type") == "mrkdwn"]


def assert_no_injection(text: str) -> None:
    """Only links we wrote remain as <...> tokens; no mention, broadcast or disguised link."""
    rest = OUR_LINK.sub("", text)
    assert "<" not in rest
    assert ">" not in rest
    assert re.search(r"&(?!amp;|lt;|gt;)", rest) is None


def assert_block_kit(blocks: list[dict[str, Any]], *, max_blocks: int) -> None:
    """Slack's SDK accepts every block unchanged, and our own limit checks hold."""
    assert len(blocks) <= max_blocks
    block_ids = [block["block_id"] for block in blocks]
    assert len(set(block_ids)) == len(block_ids)
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
        assert parsed.to_dict() == block  # nothing dropped or renamed
        assert 0 < len(block["block_id"]) <= 255
        check_limits(block)
    for text in mrkdwn_texts(blocks):
        assert_no_injection(text)


def check_limits(block: dict[str, Any]) -> None:
    """The limits the SDK does not check itself."""
    for node in walk(block):
        if node.get("type") in ("plain_text", "mrkdwn"):
            assert node["text"].strip()
            assert len(node["text"]) <= 3000
    if block["type"] == "header":
        assert len(block["text"]["text"]) <= 150
    if block["type"] == "actions":
        check_actions(block["elements"])
    if block["type"] == "input":
        element = block["element"]
        if element["type"] == "plain_text_input":
            assert 1 <= element["max_length"] <= 3000
            assert len(element.get("initial_value", "")) <= element["max_length"]
        else:
            check_actions([element])


def check_actions(elements: list[dict[str, Any]]) -> None:
    """Actions: at most 25 elements, unique action ids, option limits."""
    assert 0 < len(elements) <= 25
    action_ids = [element["action_id"] for element in elements if "action_id" in element]
    assert len(set(action_ids)) == len(action_ids)
    for element in elements:
        if element["type"] == "checkboxes":
            assert 0 < len(element["options"]) <= 10
        if element["type"] == "static_select":
            assert len(element.get("options") or element["option_groups"]) <= 100
        for option in walk(element):
            if "value" in option and "text" in option and option.get("type") != "button":
                assert 0 < len(option["value"]) <= 150
                assert len(option["text"]["text"]) <= 75


def assert_message(message: Any) -> None:
    """A valid message: at most 50 blocks and a plain, escaped fallback."""
    assert_block_kit(message.blocks, max_blocks=50)
    assert len(message.text) <= 3000
    assert "<" not in message.text
    assert ">" not in message.text


def assert_view(view: dict[str, Any]) -> None:
    """A valid home or modal view of at most 100 blocks."""
    parsed = View(**view)
    parsed.validate_json()
    assert_block_kit(view["blocks"], max_blocks=100)


# ---------------------------------------------------------------- builders


def card(content_id: int = 1, **changes: Any) -> ContentCard:
    """A realistic content card."""
    fields: dict[str, Any] = {
        "content_id": content_id,
        "title": f"Quarterly results {content_id}",
        "url": f"https://example.com/news/{content_id}?utm=a&b=c",
        "description": "Revenue grew 12% & margins held.",
        "image_url": f"https://example.com/img/{content_id}.png",
        "reason": "Because you follow finance",
        "caption": "Proud of the team! #results",
        "caption_label": "Your caption",
        "caption_max_chars": 250,
        "actions": (
            Button("Share on LinkedIn", "share.linkedin", str(content_id), "primary"),
            Button("Share on X", "share.x", str(content_id)),
            Button("Not for me", "feedback.not_for_me", str(content_id)),
        ),
    }
    fields.update(changes)
    return ContentCard(**fields)


def share(content_id: int = 7, **changes: Any) -> ShareReady:
    """A realistic share-ready block."""
    fields: dict[str, Any] = {
        "content_id": content_id,
        "title": "Quarterly results",
        "network_label": "LinkedIn",
        "caption": "Proud of the team! https://example.com/r/abc",
        "copy_hint": "Copy the caption, then open LinkedIn.",
        "guidelines": "Be kind. No confidential numbers.",
        "actions": (
            Button(
                "Open LinkedIn",
                "share.open",
                f"{content_id}:linkedin",
                "primary",
                url="https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fx.example",
            ),
            Button("I've posted it", "share.confirm", f"{content_id}:linkedin"),
        ),
    }
    fields.update(changes)
    return ShareReady(**fields)


def by_id(blocks: list[dict[str, Any]], block_id: str) -> dict[str, Any]:
    """The block with `block_id`."""
    return next(block for block in blocks if block["block_id"] == block_id)


# ---------------------------------------------------------------- escaping


def test_escape_turns_control_characters_into_entities() -> None:
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape("<!channel>") == "&lt;!channel&gt;"
    assert escape("&lt;") == "&amp;lt;"  # already-escaped text stays literal


def test_hostile_text_in_every_field_stays_literal() -> None:
    reply = Reply(
        blocks=(
            Text(HOSTILE, heading=True),
            Text(HOSTILE),
            card(title=HOSTILE, description=HOSTILE, reason=HOSTILE, caption=HOSTILE),
            share(title=HOSTILE, caption=HOSTILE, copy_hint=HOSTILE, guidelines=HOSTILE),
        )
    )
    message = render_message(reply)
    assert_message(message)
    texts = mrkdwn_texts(message.blocks)
    assert all("<!channel>" not in text and "<@U123>" not in text for text in texts)
    assert any(
        "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|bank&gt;" in t for t in texts
    )
    # Plain-text surfaces are never parsed by Slack, so the caption is shown exactly.
    input_block = by_id(message.blocks, "caption:1")
    assert input_block["element"]["initial_value"] == HOSTILE
    preformatted = by_id(message.blocks, "copy:7")["elements"][0]["elements"][0]
    assert preformatted == {"type": "text", "text": HOSTILE}
    assert message.text.startswith("&lt;!channel&gt;")


def test_reason_and_guidelines_are_escaped_contexts() -> None:
    blocks = render_message(Reply(blocks=(card(reason=HOSTILE), share(guidelines=HOSTILE)))).blocks
    reason = by_id(blocks, "reason:1")["elements"][0]
    guidelines = by_id(blocks, "guidelines:7")["elements"][0]
    assert reason == {"type": "mrkdwn", "text": escape(HOSTILE), "verbatim": True}
    assert guidelines["text"] == escape(HOSTILE)


def test_guidelines_are_cut_to_a_context_text() -> None:
    blocks = render_message(Reply(blocks=(share(guidelines="<b>" * 2000),))).blocks
    text = by_id(blocks, "guidelines:7")["elements"][0]["text"]
    assert len(text) <= 3000
    assert text.endswith("…")
    assert_no_injection(text)


def test_title_with_pipe_and_angle_bracket_keeps_a_working_link() -> None:
    item = card(title="Profit | Loss > Plan", url="https://example.com/a?x=1&y=2")
    section = render_message(Reply(blocks=(item,))).blocks[0]
    assert section["text"]["text"].startswith(
        "*<https://example.com/a?x=1&amp;y=2|Profit | Loss &gt; Plan>*\n"
    )


def test_url_cannot_break_out_of_the_link() -> None:
    item = card(title="T", url="https://example.com/a|b>c<d e")
    text = render_message(Reply(blocks=(item,))).blocks[0]["text"]["text"]
    assert text.startswith("*<https://example.com/a%7Cb%3Ec%3Cd%20e|T>*")


def test_non_web_url_is_not_linked() -> None:
    item = card(title="T", url="javascript:alert(1)", image_url="data:image/png;base64,AAAA")
    section = render_message(Reply(blocks=(item,))).blocks[0]
    assert section["text"]["text"].startswith("*T*\n")
    assert "accessory" not in section


# ---------------------------------------------------------------- text


def test_heading_is_a_header_cut_to_150_characters() -> None:
    message = render_message(Reply(blocks=(Text("Weekly picks " * 20, heading=True),)))
    header = message.blocks[0]
    assert header["type"] == "header"
    assert len(header["text"]["text"]) == 150
    assert header["text"]["text"].endswith("…")
    assert message.text.startswith("Weekly picks")
    assert_message(message)


def test_long_text_splits_at_line_breaks() -> None:
    lines = [f"Line {n}: " + "word " * 30 for n in range(200)]
    message = render_message(Reply(blocks=(Text("\n".join(lines)),)))
    assert_message(message)
    chunks = [block["text"]["text"] for block in message.blocks]
    assert len(chunks) > 1
    assert all(len(chunk) <= 3000 for chunk in chunks)
    assert [line for chunk in chunks for line in chunk.split("\n")] == lines


def test_long_line_splits_at_spaces_and_never_inside_an_entity() -> None:
    text = " ".join(["a&b<c>"] * 2000)
    message = render_message(Reply(blocks=(Text(text),)))
    assert_message(message)
    chunks = [block["text"]["text"] for block in message.blocks]
    assert all(len(chunk) <= 3000 for chunk in chunks)
    assert " ".join(chunk.strip() for chunk in chunks) == escape(text)


def test_unbroken_text_splits_anywhere() -> None:
    message = render_message(Reply(blocks=(Text("&" * 7000),)))
    chunks = [block["text"]["text"] for block in message.blocks]
    assert "".join(chunks) == "&amp;" * 7000
    assert all(len(chunk) <= 3000 for chunk in chunks)


def test_blank_text_renders_nothing() -> None:
    message = render_message(Reply(blocks=(Text("  \n"), Text("", heading=True))))
    assert message.blocks == []
    assert message.text == ""


def test_fallback_is_the_first_text_found() -> None:
    reply = Reply(blocks=(Actions((Button("Go", "go"),)), card(title="A & B"), Text("Later")))
    assert render_message(reply).text == "A &amp; B"


# ---------------------------------------------------------------- buttons and choices


def test_buttons_keep_neutral_ids_values_and_only_meaningful_styles() -> None:
    buttons = (
        Button("Yes", "programme.answer", "in", "primary"),
        Button("Later", "programme.answer", "later"),
        Button("No", "programme.answer", "no", "danger"),
    )
    block = render_message(Reply(blocks=(Actions(buttons),))).blocks[0]
    assert block["elements"] == [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Yes"},
            "action_id": "programme.answer",
            "value": "in",
            "style": "primary",
        },
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Later"},
            "action_id": "programme.answer:1",
            "value": "later",
        },
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "No"},
            "action_id": "programme.answer:2",
            "value": "no",
            "style": "danger",
        },
    ]
    assert {neutral_action_id(e["action_id"]) for e in block["elements"]} == {"programme.answer"}
    assert action_id_for(buttons[0]) == "programme.answer"


def test_more_than_25_buttons_split_into_actions_blocks() -> None:
    buttons = tuple(Button(f"B{n}", f"b.{n}", str(n)) for n in range(30))
    message = render_message(Reply(blocks=(Actions(buttons),)))
    assert_message(message)
    assert [len(block["elements"]) for block in message.blocks] == [25, 5]


def test_long_labels_values_and_urls_are_fitted() -> None:
    button = Button("L" * 100, "x", "v" * 3000, url="https://example.com/?q=" + "x" * 3000)
    element = render_message(Reply(blocks=(Actions((button,)),))).blocks[0]["elements"][0]
    assert len(element["text"]["text"]) == 75
    assert len(element["value"]) == 2000
    assert "url" not in element  # Slack would refuse the whole message


def test_multiple_choice_splits_into_input_blocks_of_ten_checkboxes() -> None:
    options = tuple(ChoiceOption(f"Topic {n}", f"t{n}", selected=n in (3, 14)) for n in range(23))
    reply = Reply(blocks=(Choice("prefs.topics", "Your topics", options, multiple=True),))
    message = render_message(reply)
    assert_message(message)
    assert [b["type"] for b in message.blocks] == ["input"] * 3
    assert [b["label"]["text"] for b in message.blocks] == ["Your topics"] * 3
    # Inputs do not report each tick: the form's Save reads them all at once.
    assert all(b["dispatch_action"] is False and b["optional"] for b in message.blocks)
    elements = [b["element"] for b in message.blocks]
    assert [e["action_id"] for e in elements] == ["prefs.topics"] * 3
    assert [len(e["options"]) for e in elements] == [10, 10, 3]
    assert elements[0]["initial_options"] == [
        {"text": {"type": "plain_text", "text": "Topic 3"}, "value": "t3"}
    ]
    assert "initial_options" not in elements[2]


def test_single_choice_is_a_select_with_its_initial_option() -> None:
    options = (ChoiceOption("English", "en"), ChoiceOption("Nederlands", "nl", selected=True))
    message = render_message(Reply(blocks=(Choice("prefs.language", "Language", options),)))
    assert_message(message)
    select = message.blocks[0]["element"]
    assert select["type"] == "static_select"
    assert select["initial_option"] == {
        "text": {"type": "plain_text", "text": "Nederlands"},
        "value": "nl",
    }


def test_select_with_many_options_uses_groups() -> None:
    options = tuple(ChoiceOption(f"O{n}", f"v{n}", selected=n == 150) for n in range(250))
    message = render_message(Reply(blocks=(Choice("pick", "Pick", options),)))
    assert_message(message)
    select = message.blocks[0]["element"]
    assert [group["label"]["text"] for group in select["option_groups"]] == [
        "1–100",
        "101–200",
        "201–250",
    ]
    assert select["initial_option"]["value"] == "v150"


def test_options_without_a_distinct_value_are_left_out() -> None:
    options = (ChoiceOption("A", "a"), ChoiceOption("Again", "a"), ChoiceOption("None", ""))
    message = render_message(Reply(blocks=(Choice("c", "C", options, multiple=True),)))
    assert [o["value"] for o in message.blocks[0]["element"]["options"]] == ["a"]


def test_a_date_input_is_a_datepicker_with_its_date() -> None:
    reply = Reply(blocks=(DateInput("prefs.snooze", "Until", date(2027, 1, 31)),))
    (block,) = render_message(reply).blocks
    assert block["element"] == {
        "type": "datepicker",
        "action_id": "prefs.snooze",
        "initial_date": "2027-01-31",
    }


# ---------------------------------------------------------------- cards


def test_card_layout() -> None:
    message = render_message(Reply(blocks=(card(42),)))
    assert_message(message)
    summary, reason, caption, actions, divider = message.blocks
    assert summary["text"]["text"] == (
        "*<https://example.com/news/42?utm=a&amp;b=c|Quarterly results 42>*\n"
        "Revenue grew 12% &amp; margins held."
    )
    assert summary["accessory"] == {
        "type": "image",
        "image_url": "https://example.com/img/42.png",
        "alt_text": "Quarterly results 42",
    }
    assert reason["type"] == "context"
    assert caption["block_id"] == "caption:42"
    assert caption["element"]["action_id"] == "caption:42"
    assert actions["block_id"] == "card:42"
    assert [e["action_id"] for e in actions["elements"]] == [
        "share.linkedin",
        "share.x",
        "feedback.not_for_me",
    ]
    assert divider["type"] == "divider"
    assert message.text == "Quarterly results 42"


def test_caption_input_is_prefilled_and_limited() -> None:
    block = by_id(render_message(Reply(blocks=(card(3),))).blocks, "caption:3")
    assert block == {
        "type": "input",
        "block_id": "caption:3",
        "dispatch_action": False,
        "label": {"type": "plain_text", "text": "Your caption"},
        "optional": False,
        "element": {
            "type": "plain_text_input",
            "action_id": "caption:3",
            "multiline": True,
            "max_length": 250,
            "initial_value": "Proud of the team! #results",
        },
    }


@pytest.mark.parametrize(
    ("budget", "caption", "max_length", "initial"),
    [
        (5000, "short", 3000, "short"),
        (0, "", 1, None),
        (-3, "abc", 1, "…"),
        (10, "0123456789ABC", 10, "012345678…"),
    ],
)
def test_caption_budget_bounds(
    budget: int, caption: str, max_length: int, initial: str | None
) -> None:
    item = card(5, caption=caption, caption_max_chars=budget)
    message = render_message(Reply(blocks=(item,)))
    assert_message(message)
    element = by_id(message.blocks, "caption:5")["element"]
    assert element["max_length"] == max_length
    assert element.get("initial_value") == initial


def test_images_can_be_left_out() -> None:
    # Slack refuses the whole message when it cannot fetch an image: the caller can retry without.
    section = render_message(Reply(blocks=(card(),)), images=False).blocks[0]
    assert "accessory" not in section


def test_long_title_and_description_fit_one_section() -> None:
    item = card(title="T&" * 2000, description="D<" * 5000, url="https://e.com/" + "p" * 2500)
    message = render_message(Reply(blocks=(item,)))
    assert_message(message)
    text = message.blocks[0]["text"]["text"]
    assert len(text) <= 3000
    assert text.startswith("*T&amp;")  # a URL too long to trust is not linked


def test_duplicate_cards_get_distinct_block_ids() -> None:
    message = render_message(Reply(blocks=(card(9), card(9))))
    assert_message(message)
    assert [b["block_id"] for b in message.blocks if b["type"] == "input"] == [
        "caption:9",
        "caption:9:1",
    ]


# ---------------------------------------------------------------- share ready


def test_share_ready_layout() -> None:
    message = render_message(Reply(blocks=(share(7, title="Q3 *results*"),)))
    assert_message(message)
    heading, copy, hint, guidelines, actions = message.blocks
    assert heading["text"]["text"] == "*Q3 *results** — LinkedIn"
    assert copy["type"] == "rich_text"
    assert copy["elements"][0]["type"] == "rich_text_preformatted"
    assert copy["elements"][0]["elements"][0]["text"] == share().caption
    assert hint["elements"][0]["text"] == "Copy the caption, then open LinkedIn."
    assert guidelines["elements"][0]["text"] == "Be kind. No confidential numbers."
    assert actions["block_id"] == "share:7"
    open_button = actions["elements"][0]
    assert open_button["url"] == share().actions[0].url
    assert open_button["action_id"] == "share.open"
    assert open_button["value"] == "7:linkedin"


# ---------------------------------------------------------------- paging


def test_sixty_cards_split_into_messages_without_splitting_a_card() -> None:
    reply = Reply(blocks=(Text("Your picks", heading=True), *(card(n) for n in range(60))))
    messages = render_messages(reply)
    assert len(messages) > 1
    seen: list[str] = []
    for message in messages:
        assert_message(message)
        ids = [block["block_id"] for block in message.blocks]
        for n in range(60):
            parts = {f"item:{n}", f"reason:{n}", f"caption:{n}", f"card:{n}", f"end:{n}"}
            assert parts <= set(ids) or not parts & set(ids)
        seen += [block_id for block_id in ids if block_id.startswith("caption:")]
    assert seen == [f"caption:{n}" for n in range(60)]
    assert messages[0].text == "Your picks"
    assert messages[1].text.startswith("Quarterly results")


def test_render_message_cuts_at_a_card_boundary_with_a_note() -> None:
    message = render_message(Reply(blocks=tuple(card(n) for n in range(20))), more_text="More…")
    assert_message(message)
    assert message.blocks[-1]["elements"][0]["text"] == "More…"
    assert message.blocks[-2]["type"] == "divider"
    assert len(message.blocks) == 46  # 9 whole cards of 5 blocks and the note: no partial card
    inputs = [b for b in message.blocks if b["type"] == "input"]
    dividers = [b for b in message.blocks if b["type"] == "divider"]
    assert len(inputs) == len(dividers) == 9


def test_empty_reply() -> None:
    assert render_message(Reply()).blocks == []
    assert render_messages(Reply()) == [render_message(Reply())]
    home = render_home(Reply())
    assert_view(home)
    assert [block["type"] for block in home["blocks"]] == ["divider"]


# ---------------------------------------------------------------- views


def test_home_is_cut_to_100_blocks_with_a_note() -> None:
    home = render_home(Reply(blocks=tuple(card(n) for n in range(30))), more_text="See more")
    assert_view(home)
    blocks = home["blocks"]
    assert home["type"] == "home"
    assert blocks[-1]["elements"][0]["text"] == "See more"
    inputs = [b for b in blocks if b["type"] == "input"]
    assert len(inputs) == len([b for b in blocks if b["type"] == "divider"]) == 19


def test_home_that_fits_has_no_note() -> None:
    home = render_home(Reply(blocks=tuple(card(n) for n in range(20))))
    assert_view(home)
    assert len(home["blocks"]) == 100
    assert home["blocks"][-1]["type"] == "divider"


def test_modal() -> None:
    view = render_modal(
        Reply(blocks=(card(1),)),
        title="Edit your caption before sharing",
        callback_id="caption.edit",
        submit="Save",
        private_metadata="1:linkedin",
    )
    assert_view(view)
    assert view["title"] == {"type": "plain_text", "text": "Edit your caption befor…"}
    assert len(view["title"]["text"]) == 24
    assert view["submit"] == {"type": "plain_text", "text": "Save"}
    assert view["callback_id"] == "caption.edit"
    assert view["private_metadata"] == "1:linkedin"


def test_modal_without_inputs_needs_no_submit() -> None:
    view = render_modal(Reply.text("Done"), title="Thanks", callback_id="done")
    assert_view(view)
    assert "submit" not in view
    assert "private_metadata" not in view


@pytest.mark.parametrize(
    ("reply", "changes"),
    [
        (Reply(blocks=(card(),)), {}),
        (Reply.text("x"), {"callback_id": ""}),
        (Reply.text("x"), {"private_metadata": "m" * 3001}),
    ],
)
def test_modal_refuses_what_slack_would(reply: Reply, changes: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"title": "T", "callback_id": "c", **changes}
    with pytest.raises(ValueError):
        render_modal(reply, **arguments)


# ---------------------------------------------------------------- properties

MARKUP = ["<!channel>", "<@U123>", "<https://evil.example|bank>", "&", "&amp;", "<", ">", "|"]
FRAGMENTS = st.one_of(
    st.text(max_size=12),
    st.sampled_from([*MARKUP, "*", "_", "~", "`", "\n", "\n\n", " ", "é", "🎉", "👩‍👩‍👧"]),
)
TEXTS = st.lists(FRAGMENTS, max_size=6).map("".join)
LONG_TEXTS = st.one_of(
    TEXTS,
    st.builds(lambda text, times: text * times, TEXTS, st.integers(min_value=50, max_value=250)),
)
ACTION_IDS = st.one_of(
    st.sampled_from(["share.x", "share.linkedin", "programme.answer", "share.open", "a:1"]),
    TEXTS,
    st.builds(lambda times: "x" * times, st.integers(min_value=250, max_value=300)),
)
URLS = st.one_of(
    st.none(),
    st.sampled_from(["https://example.com/a?b=1&c=2", "http://x.example/|<>", "ftp://x", ""]),
    st.builds(lambda text: "https://example.com/" + text, LONG_TEXTS),
)
BUTTONS = st.builds(
    Button,
    label=TEXTS,
    action_id=ACTION_IDS,
    value=st.one_of(TEXTS, st.builds(lambda n: "v" * n, st.integers(1990, 2100))),
    style=st.sampled_from(["default", "primary", "danger"]),
    url=URLS,
)
OPTIONS = st.builds(
    ChoiceOption,
    label=TEXTS,
    value=st.one_of(
        st.integers(min_value=0, max_value=99).map(str),
        st.text(max_size=3),
        st.builds(lambda n: "o" * n, st.integers(140, 160)),
    ),
    selected=st.booleans(),
)
BLOCKS = st.one_of(
    st.builds(Text, text=LONG_TEXTS, heading=st.booleans()),
    st.builds(Actions, buttons=st.lists(BUTTONS, max_size=30).map(tuple)),
    st.builds(
        Choice,
        action_id=ACTION_IDS,
        label=TEXTS,
        options=st.lists(OPTIONS, max_size=30).map(tuple),
        multiple=st.booleans(),
    ),
    st.builds(
        ContentCard,
        content_id=st.integers(min_value=0, max_value=5),
        title=LONG_TEXTS,
        url=st.one_of(URLS.map(lambda url: url or ""), TEXTS),
        description=LONG_TEXTS,
        image_url=URLS,
        reason=LONG_TEXTS,
        caption=LONG_TEXTS,
        caption_label=LONG_TEXTS,
        caption_max_chars=st.integers(min_value=-10, max_value=5000),
        actions=st.lists(BUTTONS, max_size=6).map(tuple),
    ),
    st.builds(
        ShareReady,
        content_id=st.integers(min_value=0, max_value=5),
        title=LONG_TEXTS,
        network_label=TEXTS,
        caption=LONG_TEXTS,
        copy_hint=LONG_TEXTS,
        guidelines=LONG_TEXTS,
        actions=st.lists(BUTTONS, max_size=4).map(tuple),
    ),
)
# Repeating a few blocks makes replies long enough to page and truncate, cheaply.
REPLIES = st.builds(
    lambda blocks, times: Reply(blocks=tuple(blocks) * times),
    st.lists(BLOCKS, max_size=8),
    st.sampled_from([1, 1, 1, 5, 30]),
)


@settings(max_examples=examples(0.05), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reply=REPLIES, title=TEXTS, more=TEXTS)
def test_any_reply_renders_valid_within_limits_everywhere(
    reply: Reply, title: str, more: str
) -> None:
    messages = render_messages(reply)
    for message in messages:
        assert_message(message)
        # A card's input and its closing divider always travel together.
        ids = [block["block_id"] for block in message.blocks]
        inputs = [i for i in ids if i.startswith("caption:")]
        assert len(inputs) == len([i for i in ids if i.startswith("end:")])
    single = render_message(reply, more_text=more)
    assert_message(single)
    if len(messages) == 1:
        assert single == messages[0]
    assert_view(render_home(reply, more_text=more))
    view = render_modal(reply, title=title, callback_id="cb", submit=title, more_text=more)
    assert_view(view)
    assert len(view["title"]["text"]) <= 24
