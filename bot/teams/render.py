"""Adaptive Card 1.5 rendering of neutral replies: user and page text is never read as Markdown.

Text goes into `TextRun`s, which Adaptive Cards never parse as Markdown, so a title such as
`[click](https://evil.example)` shows as typed. A reply holding picks becomes one card per pick,
so a share can replace that pick's card in place without knowing the others.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, assert_never
from urllib.parse import urlsplit

from handlers.actions import caption_input
from handlers.types import (
    Actions,
    Attachment,
    Block,
    Button,
    Choice,
    ContentCard,
    DateInput,
    ItemSummary,
    Reply,
    ShareReady,
    Text,
)
from messages import translate

Element = dict[str, Any]

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"
ELLIPSIS = "…"
ACTION_KEY = "action"
VALUE_KEY = "value"

# Teams refuses bot messages over about 28 KB; cards are kept well below that.
_CARD_BYTES = 24_000
# Adaptive Cards' default host config allows five actions in one set.
_ROW_ACTIONS = 5
# Our own bounds, so one long text cannot crowd out the rest of a card.
_TEXT_CHARS = 6_000
_TITLE_CHARS = 300
_LABEL_CHARS = 200
_BUTTON_CHARS = 60
_URL_CHARS = 2_048
_INPUT_CHARS = 3_000
_IMAGE_BYTES = 16_000
_STYLES = {"primary": "positive", "danger": "destructive"}


@dataclass(frozen=True)
class RenderedMessage:
    """One Teams message: the notification `summary`, its card and any attached files."""

    summary: str
    card: Element
    files: tuple[Attachment, ...] = field(default_factory=tuple)


class _Ids:
    """Input ids unique within one card: repeats get `:1`, `:2`…"""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def take(self, base: str) -> str:
        candidate, n = base, 0
        while candidate in self._used:
            n += 1
            candidate = f"{base}:{n}"
        self._used.add(candidate)
        return candidate


# ---------------------------------------------------------------- public API


def render_card(reply: Reply, *, locale: str) -> RenderedMessage:
    """The whole reply as one card (for updates, and replies without picks)."""
    return _message(list(reply.blocks), reply.files, locale=locale)


def render_messages(reply: Reply, *, locale: str) -> list[RenderedMessage]:
    """The reply as messages: each pick or share panel alone, the other blocks grouped between."""
    segments = list(_segments(reply.blocks))
    if not segments:
        return [render_card(reply, locale=locale)]
    last = len(segments) - 1
    return [
        _message(segment, reply.files if index == last else (), locale=locale)
        for index, segment in enumerate(segments)
    ]


def message_count(reply: Reply) -> int:
    """How many messages `render_messages` makes of the reply, without rendering them."""
    return max(1, sum(1 for _ in _segments(reply.blocks)))


# ---------------------------------------------------------------- messages and size


def _segments(blocks: Sequence[Block]) -> Iterator[list[Block]]:
    """Runs of plain blocks, and each pick or share panel on its own."""
    run: list[Block] = []
    for block in blocks:
        if isinstance(block, ContentCard | ShareReady):
            if run:
                yield run
            run = []
            yield [block]
        else:
            run.append(block)
    if run:
        yield run


def _message(
    blocks: Sequence[Block], files: Sequence[Attachment], *, locale: str
) -> RenderedMessage:
    ids = _Ids()
    body = [element for block in blocks for element in _render(block, ids=ids)]
    images = [f for f in files if fits_card(f)]
    body += [element for image in images for element in _image_file(image)]
    body = _within_size(body, locale=locale)
    summary = _summary(blocks, files)
    card = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "fallbackText": summary,
        "body": body or [_paragraph(ELLIPSIS)],
    }
    # Other files (exports, images too large for a card) go along as attachments.
    others = tuple(f for f in files if f not in images)
    return RenderedMessage(summary=summary, card=card, files=others)


def _within_size(body: list[Element], *, locale: str) -> list[Element]:
    """The body, cut from the end (with a note) until the card fits in a Teams message."""
    if _size(body) <= _CARD_BYTES:
        return body
    note = _paragraph(translate("teams.truncated", locale), subtle=True)
    kept = list(body)
    while kept and _size([*kept, note]) > _CARD_BYTES:
        kept.pop()
    return [*kept, note]


def _size(body: list[Element]) -> int:
    return len(json.dumps(body, ensure_ascii=False).encode())


def _summary(blocks: Sequence[Block], files: Sequence[Attachment]) -> str:
    """A one-line plain text for notifications and clients that cannot show cards."""
    for block in blocks:
        text = _block_summary(block)
        if text:
            return _clip(_one_line(text), _TITLE_CHARS)
    return _clip(files[0].title, _TITLE_CHARS) if files else ELLIPSIS


def _block_summary(block: Block) -> str:
    if isinstance(block, Text):
        return block.text.strip()
    if isinstance(block, ContentCard | ShareReady):
        return block.title.strip()
    return ""


# ---------------------------------------------------------------- blocks


def _render(block: Block, *, ids: _Ids) -> list[Element]:
    if isinstance(block, Text):
        return _text(block)
    if isinstance(block, Actions):
        return _action_sets(block.buttons)
    if isinstance(block, Choice):
        return [_choice(block, ids=ids)]
    if isinstance(block, DateInput):
        return [_date_input(block, ids=ids)]
    if isinstance(block, ItemSummary):
        return _item_summary(block)
    if isinstance(block, ContentCard):
        return [_content_card(block, ids=ids)]
    if isinstance(block, ShareReady):
        return [_share_ready(block)]
    assert_never(block)


def _text(block: Text) -> list[Element]:
    text = block.text.strip()
    if not text:
        return []
    if block.heading:
        return [_rich([_run(_one_line(text), _TITLE_CHARS, size="Large", weight="Bolder")])]
    return [_paragraph(text)]


def _paragraph(text: str, *, subtle: bool = False, monospace: bool = False) -> Element:
    """Plain text with its line breaks kept: one RichTextBlock per line, tight together."""
    lines = _clip(text, _TEXT_CHARS).split("\n")
    blocks = []
    for index, line in enumerate(lines):
        run = _run(line or " ", _TEXT_CHARS, subtle=subtle, monospace=monospace)
        block = _rich([run])
        if index:
            block["spacing"] = "None"
        blocks.append(block)
    if len(blocks) == 1:
        return blocks[0]
    return {"type": "Container", "items": blocks}


def _rich(runs: list[Element]) -> Element:
    return {"type": "RichTextBlock", "inlines": runs}


def _run(
    text: str,
    limit: int,
    *,
    size: str | None = None,
    weight: str | None = None,
    subtle: bool = False,
    italic: bool = False,
    monospace: bool = False,
    url: str | None = None,
) -> Element:
    """A TextRun: shown exactly as given, never parsed as Markdown."""
    run: Element = {"type": "TextRun", "text": _clip(text, limit) or ELLIPSIS}
    optional = {
        "size": size,
        "weight": weight,
        "isSubtle": subtle or None,
        "italic": italic or None,
        "fontType": "Monospace" if monospace else None,
    }
    run.update({key: value for key, value in optional.items() if value is not None})
    link = _web_url(url or "")
    if link is not None:
        run["selectAction"] = {"type": "Action.OpenUrl", "url": link}
    return run


# ---------------------------------------------------------------- buttons


def _action_sets(buttons: Sequence[Button]) -> list[Element]:
    """A row per kind of button (share…, feedback…), each of at most five buttons."""
    rows: list[list[Button]] = []
    for button in buttons:
        same_kind = rows and _kind(rows[-1][-1]) == _kind(button)
        if same_kind and len(rows[-1]) < _ROW_ACTIONS:
            rows[-1].append(button)
        else:
            rows.append([button])
    return [{"type": "ActionSet", "actions": [_action(b) for b in row]} for row in rows]


def _kind(button: Button) -> str:
    return button.action_id.partition(".")[0]


def _action(button: Button) -> Element:
    """A link button opens its URL; any other button submits its action id and value."""
    title = _clip(button.label.strip() or ELLIPSIS, _BUTTON_CHARS)
    url = _web_url(button.url or "")
    action: Element
    if url is not None:
        action = {"type": "Action.OpenUrl", "title": title, "url": url}
    else:
        data = {ACTION_KEY: button.action_id, VALUE_KEY: button.value}
        action = {"type": "Action.Submit", "title": title, "data": data}
    if button.style in _STYLES:
        action["style"] = _STYLES[button.style]
    return action


def _web_url(url: str) -> str | None:
    """`url` if a client may open it (http or https, not too long), else None."""
    if len(url) > _URL_CHARS:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


# ---------------------------------------------------------------- choices


def _choice(choice: Choice, *, ids: _Ids) -> Element:
    """A choice list; what is ticked is sent with the card's Save (one Save for all inputs)."""
    selected = [option.value for option in choice.options if option.selected]
    if not choice.multiple:
        selected = selected[:1]
    choice_set: Element = {
        "type": "Input.ChoiceSet",
        "id": ids.take(choice.action_id),
        "label": _clip(choice.label.strip() or ELLIPSIS, _LABEL_CHARS),
        "isMultiSelect": choice.multiple,
        "style": "expanded",
        "choices": [
            {"title": _clip(option.label or option.value, _LABEL_CHARS), "value": option.value}
            for option in choice.options
        ],
    }
    if selected:
        choice_set["value"] = ",".join(selected)
    return choice_set


def _date_input(date_input: DateInput, *, ids: _Ids) -> Element:
    """A date picker, empty unless a date is set."""
    element: Element = {
        "type": "Input.Date",
        "id": ids.take(date_input.input_id),
        "label": _clip(date_input.label.strip() or ELLIPSIS, _LABEL_CHARS),
    }
    if date_input.initial is not None:
        element["value"] = date_input.initial.isoformat()
    return element


def _item_summary(summary: ItemSummary) -> list[Element]:
    """The linked title, the image and the details."""
    title = _run(
        _one_line(summary.title), _TITLE_CHARS, size="Medium", weight="Bolder", url=summary.url
    )
    items: list[Element] = [_rich([title])]
    image = _web_url(summary.image_url or "")
    if image is not None:
        items.append({"type": "Image", "url": image, "altText": _clip(summary.title, _LABEL_CHARS)})
    if summary.details.strip():
        items.append(_paragraph(summary.details.strip()))
    return items


# ---------------------------------------------------------------- picks and shares


def _content_card(card: ContentCard, *, ids: _Ids) -> Element:
    """Title (a link), image, description, reason, the editable caption and the buttons."""
    items: list[Element] = [
        _rich(
            [
                _run(
                    _one_line(card.title),
                    _TITLE_CHARS,
                    size="Medium",
                    weight="Bolder",
                    url=card.url,
                )
            ]
        )
    ]
    image = _web_url(card.image_url or "")
    if image is not None:
        items.append({"type": "Image", "url": image, "altText": _clip(card.title, _LABEL_CHARS)})
    if card.description.strip():
        items.append(_paragraph(card.description.strip()))
    if card.reason.strip():
        items.append(_rich([_run(card.reason.strip(), _TEXT_CHARS, subtle=True, italic=True)]))
    items.append(_caption_input(card, ids=ids))
    items += _action_sets(card.actions)
    return {"type": "Container", "separator": True, "items": items}


def _caption_input(card: ContentCard, *, ids: _Ids) -> Element:
    max_length = max(1, min(_INPUT_CHARS, card.caption_max_chars))
    element: Element = {
        "type": "Input.Text",
        "id": ids.take(caption_input(card.content_id)),
        "label": _clip(card.caption_label.strip() or ELLIPSIS, _LABEL_CHARS),
        "isMultiline": True,
        "maxLength": max_length,
    }
    if card.caption:
        element["value"] = _clip(card.caption, max_length)
    return element


def _share_ready(share: ShareReady) -> Element:
    """The item and network, the caption in a box to copy, the hints, and the buttons."""
    heading = " — ".join(part for part in (_one_line(share.title), share.network_label) if part)
    items: list[Element] = [_rich([_run(heading, _TITLE_CHARS, size="Medium", weight="Bolder")])]
    if share.caption.strip():
        items.append(
            {
                "type": "Container",
                "style": "emphasis",
                "items": [_paragraph(share.caption, monospace=True)],
            }
        )
    for hint in (share.copy_hint, share.guidelines):
        if hint.strip():
            items.append(_paragraph(hint.strip(), subtle=True))
    items += _action_sets(share.actions)
    return {"type": "Container", "separator": True, "items": items}


# ---------------------------------------------------------------- files


def fits_card(attachment: Attachment) -> bool:
    """Whether a file can go inside a card: a PNG small enough to show as an image."""
    return _is_png(attachment) and len(attachment.content) <= _IMAGE_BYTES


def _is_png(attachment: Attachment) -> bool:
    return attachment.content.startswith(b"\x89PNG\r\n\x1a\n")


def _image_file(image: Attachment) -> list[Element]:
    """A PNG (a chart) shown in the card itself, as a data URI, with its title."""
    title = _paragraph(image.title, subtle=True) if image.title.strip() else None
    url = data_url(image)
    element = {"type": "Image", "url": url, "altText": _clip(image.title, _LABEL_CHARS)}
    return [element, *([title] if title else [])]


def data_url(attachment: Attachment) -> str:
    """The attachment's content as a `data:` URL of its media type."""
    media_type = media_type_of(attachment)
    encoded = base64.b64encode(attachment.content).decode("ascii")
    return f"data:{media_type};base64,{encoded}"


def media_type_of(attachment: Attachment) -> str:
    """The media type of an attachment, from its content (PNG) or its file name."""
    if _is_png(attachment):
        return "image/png"
    guessed, _ = mimetypes.guess_type(attachment.filename)
    return guessed or "application/octet-stream"


# ---------------------------------------------------------------- text helpers


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _one_line(text: str) -> str:
    return " ".join(text.split())
